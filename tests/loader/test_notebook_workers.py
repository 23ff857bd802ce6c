"""Workers as a notebook (JupyterLite, tests/runtimes/notebook.test.mjs) uses them: torsh-data
installed by micropip or ``%pip``, and a dataset class written to a file from a cell
(``%%writefile mydata.py``) then imported, the recipe for classes a notebook defines."""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import run

import torsh_data as td
from torsh_data.loader._transfer import code_for
from torsh_data.testing import batch_digest

IN_PYODIDE = sys.platform == "emscripten"

# What a notebook cell would hold after '%%writefile mydata.py'.
MYDATA = """
import torsh_data as td


class Squares(td.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = td.random.sample_generator()
        return td.Tensor([i * i, g.randbelow(1000)]), i % 3
"""


@pytest.fixture
def mydata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``mydata`` written to the working directory and imported through ``''`` on sys.path,
    as in a notebook whose kernel runs in the notebook's folder."""
    (tmp_path / "mydata.py").write_text(MYDATA)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    sys.modules.pop("mydata", None)
    import mydata  # type: ignore[import-not-found]

    yield mydata
    sys.modules.pop("mydata", None)


def _digests(ds: Any, **kw: Any) -> list[str]:
    async def go() -> list[str]:
        ld = td.DataLoader(ds, batch_size=5, shuffle=True, seed=8, **kw)
        return [batch_digest(b) async for b in ld]

    return run(go())


def test_a_module_written_from_a_cell_is_copied_to_the_workers(mydata: Any) -> None:
    files, packages = code_for({"mydata", "torsh_data.datasets"})
    assert packages == []
    assert files[os.path.join(os.getcwd(), "mydata.py")] == MYDATA.encode()


@pytest.mark.needs_jspi(reason="waits for Web Workers from a synchronous test")
def test_a_module_written_from_a_cell_loads_in_two_workers(mydata: Any) -> None:
    # natively: processes started afresh, which import mydata by name, as Web Workers do
    ref = _digests(mydata.Squares(23))
    assert len(ref) == 5
    assert _digests(mydata.Squares(23), num_workers=2) == ref


@pytest.mark.pyodide_only(reason="pyodide_js.loadedPackages, as micropip fills it, is Pyodide's")
@pytest.mark.needs_jspi(reason="waits for Web Workers from a synchronous test")
def test_a_micropip_install_of_torsh_data_is_copied_to_workers_not_loaded_by_name() -> None:
    import pyodide_js  # type: ignore[import-not-found]

    # micropip lists what it installs from a URL in loadedPackages; the worker's loadPackage
    # knows only the lockfile's names ("No known package with name 'torsh-data'")
    loaded = pyodide_js.loadedPackages
    assert "torsh-data" not in pyodide_js.lockfile.packages.object_keys()
    setattr(loaded, "torsh-data", "http://127.0.0.1/torsh_data-0-py3-none-any.whl")
    loaded.packaging = "default channel"  # installed here; in the lockfile too
    try:
        files, packages = code_for({"torsh_data.formats", "packaging.version"})
        assert packages == ["packaging"]
        root = os.path.dirname(td.__file__)
        assert os.path.join(root, "__init__.py") in files
        assert not any(os.sep + "packaging" + os.sep in p for p in files)
        ds = td.TensorDataset(td.arange(30).reshape(10, 3))
        assert _digests(ds, num_workers=2) == _digests(ds)
    finally:
        delattr(loaded, "torsh-data")
        del loaded.packaging


def test_the_readme_pipeline_pickles_for_workers_after_an_epoch_ran() -> None:
    # a notebook runs num_workers=0 first, then starts workers with the same, used, transforms
    from torsh_data import transforms as T

    g = td.random.Generator(7)
    images = td.Tensor(g.bytes(12 * 28 * 28), shape=(12, 28, 28))
    ds = td.TransformDataset(
        td.TensorDataset(images, td.arange(12)),
        T.Compose([T.RandomCrop(28, padding=2), T.Pad(1), T.RandomHorizontalFlip()]),
    )
    collate = T.BatchTransform(T.Compose([T.ToTensor(), T.Normalize(0.1307, 0.3081)]))
    ref = [batch_digest(b) for b in td.DataLoader(ds, batch_size=4, seed=1, collate_fn=collate)]
    ds2, collate2 = pickle.loads(pickle.dumps((ds, collate)))
    got = [batch_digest(b) for b in td.DataLoader(ds2, batch_size=4, seed=1, collate_fn=collate2)]
    assert got == ref
