"""tools/precompile.py (NOTE [ Precompiled boot ]): the standard library zip with bytecode in
place of sources, and the browser wheel with pycs, both imported without their sources'
timestamps mattering. Natively the bytecode is the native version's; the JS package's build
runs the same code inside Pyodide (tests/runtimes/demo.test.mjs boots from the result)."""

from __future__ import annotations

import importlib
import io
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.native_only(reason="tools/ is not mounted into Pyodide's file system")

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture(scope="module")
def precompile():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(TOOLS))
    try:
        yield importlib.import_module("precompile")
    finally:
        sys.path.remove(str(TOOLS))


@contextmanager
def _on_path(entry: Path, modules: tuple[str, ...]) -> Iterator[None]:
    """``entry`` on ``sys.path``; afterwards removed, with ``modules`` forgotten."""
    sys.path.insert(0, str(entry))
    try:
        yield
    finally:
        sys.path.remove(str(entry))
        for m in modules:
            sys.modules.pop(m, None)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_compile_stdlib_replaces_the_named_modules_by_bytecode_that_zipimport_imports(
    precompile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    src = _zip(
        {
            "tdpre_a/__init__.py": b"X = 1\n",
            "tdpre_a/b.py": b"from . import X\nY = X + 1\n",
            "tdpre_c.py": b"Z = 3\n",
            "tdpre_a/data.txt": b"kept",
        }
    )
    out = precompile.compile_stdlib(src, ["tdpre_a", "tdpre_a.b"])
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        names = sorted(z.namelist())
        assert z.read("tdpre_a/data.txt") == b"kept"
    assert names == ["tdpre_a/__init__.pyc", "tdpre_a/b.pyc", "tdpre_a/data.txt", "tdpre_c.py"]
    path = tmp_path / "lib.zip"
    path.write_bytes(out)
    with _on_path(path, ("tdpre_a.b", "tdpre_a", "tdpre_c")):
        b = importlib.import_module("tdpre_a.b")
        c = importlib.import_module("tdpre_c")
        assert (b.Y, c.Z) == (2, 3)
        assert b.__file__.endswith("b.pyc")  # from the bytecode: there is no source


def test_add_pycs_adds_unchecked_pycs_and_a_record_that_lists_them(
    precompile, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from browser_wheel import record_hash

    wheel = _zip(
        {
            "tdpre_w/__init__.py": b"",
            "tdpre_w/m.py": b"V = 'from the pyc'\n",
            "tdpre_w/skip.py": b"V = 0\n",
            "tdpre_w-1.dist-info/RECORD": b"",
        }
    )
    out = precompile.add_pycs(wheel, ["tdpre_w", "tdpre_w.m"])
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        names = set(z.namelist())
        record = z.read("tdpre_w-1.dist-info/RECORD").decode().splitlines()
        files = {n: z.read(n) for n in names}
    assert f"tdpre_w/__pycache__/m.{tag}.pyc" in names
    assert f"tdpre_w/__pycache__/skip.{tag}.pyc" not in names
    listed = {line.split(",")[0]: line.split(",")[1] for line in record}
    assert set(listed) == names
    for name, digest in listed.items():
        if not name.endswith("RECORD"):
            assert digest == record_hash(files[name])
    # unpacked with fresh timestamps and a source that no longer matches: the pyc still serves
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        z.extractall(tmp_path)
    (tmp_path / "tdpre_w/m.py").write_text("V = 'from the source'\n")
    with _on_path(tmp_path, ("tdpre_w.m", "tdpre_w")):
        assert importlib.import_module("tdpre_w.m").V == "from the pyc"


def test_module_names(precompile) -> None:  # type: ignore[no-untyped-def]
    assert precompile.module_name("a/b/__init__.py") == "a.b"
    assert precompile.module_name("a-1.0.data/x.py") is None
    assert precompile.module_name("a/b.pyc") is None
