"""DataLoader(output=...): which kind of tensor the batches hold (torch in, torch out).

The rule is in docs/TORCH_COMPAT.md ("Batch types") and the DataLoader docstring: ``"auto"``
gives torch tensors for batches that hold one (samples of torch tensors, a torch
TensorDataset) and our Tensors otherwise; ``"torch"``, ``"torsh"`` and ``"numpy"`` force one
kind. Checked for every dataset kind and override, with 0 and 2 worker processes.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from typing import Any

import pytest
from support import IN_PYODIDE, has_module, needs_numpy, needs_torch

import torsh_data as td
from torsh_data import DataLoader, Tensor

WORKERS = [0] if IN_PYODIDE else [0, 2]  # Web Workers are covered by test_webworkers.py


class TorchSamples(td.Dataset):
    """A torch program's dataset: a torch tensor image and a Python int label."""

    def __getitem__(self, i: int) -> Any:
        import torch

        return torch.full((2, 2), float(i)), i

    def __len__(self) -> int:
        return 5


class TorchStream(td.IterableDataset):
    """An iterable dataset of torch tensors (the loader's other fetch path)."""

    def __iter__(self) -> Any:
        import torch

        for i in range(5):
            yield {"x": torch.tensor([i, -i]), "y": i / 2}


class NumpySamples(td.Dataset):
    def __getitem__(self, i: int) -> Any:
        import numpy as np

        return {"x": np.full(3, i, dtype=np.float32), "label": i, "name": f"s{i}"}

    def __len__(self) -> int:
        return 5


class NumberSamples(td.Dataset):
    def __getitem__(self, i: int) -> Any:
        return [float(i), i]

    def __len__(self) -> int:
        return 5


def _leaves(batch: Any) -> list[Any]:
    if isinstance(batch, dict):
        return [x for v in batch.values() for x in _leaves(v)]
    if isinstance(batch, (list, tuple)):
        return [x for v in batch for x in _leaves(v)]
    return [batch] if not isinstance(batch, str) else []


def _kind(x: Any) -> str:
    return type(x).__module__.partition(".")[0]


def _values(x: Any) -> Any:
    return x.tolist()


def _torch_dataset() -> Any:
    import torch

    return td.TensorDataset(torch.arange(10.0).reshape(5, 2), torch.arange(5))


DATASETS = {
    "torch samples": (TorchSamples, "torch"),
    "torch TensorDataset": (_torch_dataset, "torch"),
    "torch stream": (TorchStream, "torch"),
    "numpy samples": (NumpySamples, "torsh_data"),
    "number samples": (NumberSamples, "torsh_data"),
}


def _need(name: str) -> None:
    if "torch" in name and not has_module("torch"):
        pytest.skip("torch is not installed here (it is for Python 3.11 natively)")
    if "numpy" in name and not has_module("numpy"):
        pytest.skip("numpy is not installed here (Pyodide's npm package has no numpy)")


@pytest.mark.parametrize("num_workers", WORKERS)
@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("output", ["auto", "torch", "torsh", "numpy"])
def test_output_kinds(name: str, output: str, num_workers: int) -> None:
    _need(name)
    if output in ("torch", "numpy"):
        _need(output)
    make, auto_kind = DATASETS[name]
    want = {"auto": auto_kind, "torch": "torch", "torsh": "torsh_data", "numpy": "numpy"}[output]
    reference = [
        [_values(x) for x in _leaves(b)]
        for b in DataLoader(make(), batch_size=2, output="torsh", seed=3)
    ]
    loader = DataLoader(make(), batch_size=2, num_workers=num_workers, output=output, seed=3)
    batches = list(loader)
    assert len(batches) == 3
    assert {_kind(x) for b in batches for x in _leaves(b)} == {want}
    assert [[_values(x) for x in _leaves(b)] for b in batches] == reference
    if name == "numpy samples":
        assert [b["name"] for b in batches] == [["s0", "s1"], ["s2", "s3"], ["s4"]]


@pytest.mark.parametrize("output", ["auto", "torsh"])
def test_torch_free_outputs_stay_ours(output: str) -> None:
    """What the browser sees: no torch, Tensors whatever the rule (also natively)."""
    batches = list(DataLoader(NumberSamples(), batch_size=5, output=output))
    assert all(isinstance(t, Tensor) for t in batches[0])
    assert batches[0][0].dtype is td.float64 and batches[0][1].dtype is td.int64


@needs_torch
@pytest.mark.parametrize("num_workers", WORKERS)
def test_torch_batches_work_as_torch_programs_use_them(num_workers: int) -> None:
    import torch

    loader = DataLoader(TorchSamples(), batch_size=5, num_workers=num_workers)
    (x, y) = next(iter(loader))
    x, y = x.to("cpu"), y.to("cpu")  # the first line of most training loops
    assert isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
    assert x.size() == torch.Size([5, 2, 2]) and y.dtype == torch.int64
    assert torch.cat([x, x]).shape[0] == 10 and (x * 2).sum().item() == 80.0


@needs_torch
@pytest.mark.parametrize("batch_size", [None, 2])
def test_zero_copy_from_our_buffer(batch_size: int | None) -> None:
    """output='torch' hands out a torch tensor over the buffer we collated into."""
    made: list[Tensor] = []

    def collate(samples: Any) -> Tensor:
        t = td.default_collate(samples) if batch_size else td.default_convert(samples)
        made.append(t)
        return t

    ds = td.TensorDataset([[1.0, 2.0], [3.0, 4.0]])
    loader = DataLoader(
        [row for (row,) in ds], batch_size=batch_size, collate_fn=collate, output="torch"
    )
    first = next(iter(loader))
    first[0] = 42.0  # the first row of the batch (the first element, unbatched)
    assert made[0].tolist() == ([[42.0, 42.0], [3.0, 4.0]] if batch_size else [42.0, 2.0])


@needs_torch
def test_collated_numbers_to_torch_share_the_buffer() -> None:
    import torch

    from torsh_data.collate._output import to_output

    ours = td.default_collate([[1, 2], [3, 4]])  # transposed: [1, 3] and [2, 4]
    out = to_output({"x": ours[0], "y": "label"}, "torch")
    assert isinstance(out["x"], torch.Tensor) and out["y"] == "label"
    out["x"][1] = 9
    assert ours[0].tolist() == [1, 9]  # zero-copy: the same memory


@needs_torch
@pytest.mark.parametrize("num_workers", WORKERS)
@pytest.mark.parametrize("output", ["auto", "torch"])
def test_pin_memory_gives_torch(output: str, num_workers: int) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no accelerator here: unpinned torch tensors
        batches = list(
            DataLoader(
                NumberSamples(),
                batch_size=2,
                pin_memory=True,
                output=output,
                num_workers=num_workers,
            )
        )
    assert all(isinstance(t, torch.Tensor) for b in batches for t in b)
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]


@needs_numpy
def test_numpy_output_shares_memory() -> None:
    ours = td.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    loader = DataLoader([0], batch_size=1, collate_fn=lambda _: ours, output="numpy")
    arr = next(iter(loader))
    arr[0, 0] = 5.0
    assert ours.tolist()[0][0] == 5.0


def test_bad_output_names_the_allowed_values() -> None:
    for bad in ("jax", "Torch", None, 1):
        with pytest.raises(td.DataValueError, match="'auto', 'torch', 'torsh', 'numpy'"):
            DataLoader([1, 2], output=bad)  # type: ignore[arg-type]
    kind = inspect.signature(DataLoader).parameters["output"].kind
    assert kind is inspect.Parameter.KEYWORD_ONLY


def test_pin_memory_with_a_non_torch_output_is_an_error() -> None:
    if not has_module("torch"):
        with pytest.raises(td.MissingExtraError):  # the browser: pin_memory itself needs torch
            DataLoader([1], pin_memory=True, output="torsh")
        return
    for output in ("torsh", "numpy"):
        with pytest.raises(td.DataValueError, match=f"pin_memory=True .* output='{output}'"):
            DataLoader([1], pin_memory=True, output=output)


@pytest.mark.parametrize(("output", "extra"), [("torch", "torch"), ("numpy", "numpy")])
def test_missing_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, output: str, extra: str
) -> None:
    if has_module(extra):  # natively: make it unimportable; in the browser it is absent
        monkeypatch.setitem(sys.modules, extra, None)
    with pytest.raises(td.MissingExtraError, match=rf"pip install 'torsh-data\[{extra}\]'") as e:
        DataLoader([1], output=output)
    assert f"output='{output}'" in str(e.value)


def test_conversion_keeps_container_types() -> None:
    import collections

    from torsh_data.collate._output import to_output

    Pair = collections.namedtuple("Pair", "x name")
    batch = collections.defaultdict(list, {"a": [Pair(Tensor([1]), "n")], "b": (Tensor([2]),)})
    out = to_output(batch, "torsh")
    assert type(out) is collections.defaultdict and out.default_factory is list
    assert type(out["a"][0]) is Pair and out["a"][0].name == "n" and type(out["b"]) is tuple
    assert out["a"][0].x.tolist() == [1] and out["b"][0].tolist() == [2]
