"""default_collate / default_convert against torch's rules, with torch itself as the control.

The cases follow pytorch/pytorch@v2.5.0:test/test_dataloader.py::TestDataLoader
(test_default_collate_dtype, _mapping_keep_type, _sequence_keep_type, _sequence_dont_keep_type,
_bad_numpy_types, _numpy_memmap, _bad_sequence_type, test_numpy_scalars) and torch's
``torch/utils/data/_utils/collate.py``; our own code and cases, checked against the installed
torch where it is (Python 3.11), and against the rules alone elsewhere (3.10, Pyodide).
Where torch is given only numbers or numpy arrays it makes torch tensors and we make Tensors
of the same dtype, shape and values (docs/TORCH_COMPAT.md, "Batch types").
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from support import needs_numpy, needs_torch

import torsh_data as td
from torsh_data import Tensor, default_collate, default_convert


class Point(NamedTuple):
    x: Any
    y: Any


class CustomDict(dict):  # type: ignore[type-arg]
    pass


class CustomList(list):  # type: ignore[type-arg]
    pass


# --- the rules, on every runtime -------------------------------------------------------------


def test_python_numbers_get_torch_dtypes() -> None:
    assert default_collate([1, 2, -1]).dtype is td.int64
    assert default_collate([1.1, 2.3, -0.9]).dtype is td.float64
    assert default_collate([True, False]).dtype is td.bool_
    mixed = default_collate([1, 2.5])  # the first sample decides the handler; values promote
    assert mixed.tolist() == [1.0, 2.5]


def test_strings_and_bytes_stay_as_they_came() -> None:
    batch = ["a", "b", "c"]
    assert default_collate(batch) == ["a", "b", "c"]
    _, names = default_collate([(0, "a"), (1, "b")])
    assert names == ("a", "b")  # a field of tuple samples is a tuple, as in torch
    assert default_collate([b"x", b"y"]) == [b"x", b"y"]


def test_mappings_and_sequences_keep_their_type() -> None:
    out = default_collate([CustomDict(a=1, b=2), CustomDict(a=3, b=4)])
    assert type(out) is CustomDict and out["a"].tolist() == [1, 3]
    counts = collections.defaultdict(int, a=1)
    dd = default_collate([counts, counts])
    assert type(dd) is collections.defaultdict and dd.default_factory is int
    seq = default_collate([CustomList([1, 2, 3]), CustomList([4, 5, 6])])
    assert type(seq) is CustomList and [t.tolist() for t in seq] == [[1, 4], [2, 5], [3, 6]]
    ranges = default_collate([range(2), range(2)])  # range cannot hold tensors: a list
    assert type(ranges) is list and [t.tolist() for t in ranges] == [[0, 0], [1, 1]]
    assert isinstance(default_collate([Point(1, "a"), Point(2, "b")]), Point)


def test_default_convert_keeps_types() -> None:
    assert default_convert(CustomDict(a=1)) == {"a": 1}
    assert type(default_convert(CustomDict(a=1))) is CustomDict
    assert type(default_convert(CustomList([1, 2]))) is CustomList
    assert default_convert(range(2)) == [0, 1]
    assert default_convert(Point(1, "a")) == Point(1, "a")
    assert default_convert((1, "a")) == [1, "a"]  # tuples become lists, as in torch


@pytest.mark.parametrize(
    "batch", [[["X"], ["X", "X"]], [["X", "X"], ["X"]], [(1, [1, 2]), (2, [1, 2, 3])]]
)
def test_ragged_sequences_raise_runtime_error(batch: list[Any]) -> None:
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate(batch)
    with pytest.raises(td.ShapeError, match=r"sample 0 has .* items, sample 1 has"):
        default_collate(batch)


def test_ragged_tensors_raise_runtime_error() -> None:
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size") as e:
        default_collate([{"x": Tensor([1, 2])}, {"x": Tensor([1, 2, 3])}])
    assert isinstance(e.value, td.BatchShapeError) and "sample['x']" in str(e.value)


def test_an_empty_batch_is_a_clear_error() -> None:
    with pytest.raises(td.DataValueError, match="empty batch"):
        default_collate([])


# --- numpy ------------------------------------------------------------------------------------


@needs_numpy
def test_numpy_batch_itself_is_a_batch() -> None:
    import numpy as np

    assert default_collate(np.arange(3)).tolist() == [0, 1, 2]  # its items are numpy scalars
    words = np.array(["a", "b", "c"])
    assert default_collate(words) is words  # its items are str: unchanged, as in torch
    for bad in (
        np.array([[["a", "b", "c"]]]),
        np.array([object(), object()]),
        np.array([[[object(), object()]]]),
    ):
        with pytest.raises(TypeError):
            default_collate(bad)


@needs_numpy
@pytest.mark.parametrize(
    "name", ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
)
def test_numpy_scalars_keep_their_dtype(name: str) -> None:
    import numpy as np

    out = default_collate([np.dtype(name).type(1), np.dtype(name).type(0)])
    assert isinstance(out, Tensor) and out.dtype is td.dtype(name) and out.shape == (2,)


@needs_numpy
def test_numpy_memmap_rows(tmp_path: Any) -> None:
    import numpy as np

    path = tmp_path / "rows.dat"
    rows = np.memmap(path, dtype=np.int64, mode="w+", shape=(4, 2))
    rows[:] = np.arange(8).reshape(4, 2)
    rows.flush()
    read_only = np.memmap(path, dtype=np.int64, mode="r", shape=(4, 2))
    assert default_collate(list(read_only)).tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]


@needs_numpy
def test_default_convert_of_numpy_shares_memory() -> None:
    import numpy as np

    a = np.zeros(3, np.float32)
    t = default_convert({"a": a})["a"]
    assert isinstance(t, Tensor)
    a[1] = 7.0
    assert t.tolist() == [0.0, 7.0, 0.0]
    assert default_convert(np.float64(2.0)).dtype is td.float64
    words = np.array(["a"])
    assert default_convert(words) is words


# --- torch, and torch itself as the control ----------------------------------------------


def _cases() -> dict[str, Callable[[], list[Any]]]:
    import numpy as np
    import torch

    return {
        "torch tensors": lambda: [torch.zeros(2, 3), torch.ones(2, 3)],
        "torch 0-d": lambda: [torch.tensor(1), torch.tensor(2)],
        "torch + int label": lambda: [(torch.rand(3), 1), (torch.rand(3), 0)],
        "torch dict": lambda: [
            {"img": torch.rand(2), "meta": {"id": i, "name": f"s{i}"}} for i in range(3)
        ],
        "torch namedtuple": lambda: [Point(torch.rand(2), 1.5), Point(torch.rand(2), 2.5)],
        "torch bool": lambda: [torch.tensor([True]), torch.tensor([False])],
        "ints": lambda: [1, 2, -1],
        "floats": lambda: [1.1, 2.3, -0.9],
        "bools": lambda: [True, False],
        "strings": lambda: ["a", "b"],
        "tuples": lambda: [(0, 0.5, "x"), (1, 1.5, "y")],
        "lists": lambda: [[1, 2], [3, 4]],
        "ranges": lambda: [range(2), range(2)],
        "custom dict": lambda: [CustomDict(a=1, b=2), CustomDict(a=3, b=4)],
        "custom list": lambda: [CustomList([1, 2]), CustomList([3, 4])],
        "numpy arrays": lambda: [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
        "numpy + int": lambda: [(np.arange(3), 0), (np.arange(3), 1)],
        "numpy scalars": lambda: [np.int32(1), np.int32(2)],
        "numpy batch": lambda: np.arange(4),  # type: ignore[dict-item]
    }


def _assert_like(ours: Any, ref: Any, torch_out: bool) -> None:
    """``ours`` has ``ref``'s structure, types and values; tensors are torch tensors where
    ``torch_out`` (torch in, torch out), our Tensors of the same dtype otherwise."""
    import torch

    if isinstance(ref, torch.Tensor):
        kind = torch.Tensor if torch_out else Tensor
        assert isinstance(ours, kind), (type(ours), kind)
        mine = ours if torch_out else ours.torch()
        assert mine.dtype == ref.dtype and mine.shape == ref.shape
        assert torch.equal(mine, ref)
        return
    assert type(ours) is type(ref), (type(ours), type(ref))
    if isinstance(ref, dict):
        assert list(ours) == list(ref)
        for k in ref:
            _assert_like(ours[k], ref[k], torch_out)
    elif isinstance(ref, (list, tuple)):
        assert len(ours) == len(ref)
        for a, b in zip(ours, ref, strict=True):
            _assert_like(a, b, torch_out)
    else:
        assert ours == ref


@needs_torch
@pytest.mark.parametrize(
    "case",
    [
        "torch tensors",
        "torch 0-d",
        "torch + int label",
        "torch dict",
        "torch namedtuple",
        "torch bool",
        "ints",
        "floats",
        "bools",
        "strings",
        "tuples",
        "lists",
        "ranges",
        "custom dict",
        "custom list",
        "numpy arrays",
        "numpy + int",
        "numpy scalars",
        "numpy batch",
    ],
)
def test_default_collate_matches_torch(case: str) -> None:
    import torch.utils.data

    from torsh_data.collate._output import holds_torch

    batch = _cases()[case]()
    ref = torch.utils.data.default_collate(batch)
    ours = default_collate(batch)
    _assert_like(ours, ref, torch_out=holds_torch(list(batch)))


@needs_torch
@pytest.mark.parametrize("case", ["torch dict", "torch + int label", "numpy + int", "tuples"])
def test_default_convert_matches_torch(case: str) -> None:
    import torch
    import torch.utils.data

    from torsh_data.collate._output import to_output

    sample = _cases()[case]()[0]
    ref = torch.utils.data.default_convert(sample)
    ours = default_convert(sample)
    # torch turns numpy arrays into torch tensors; ours into Tensors over the same memory
    ours_as_torch = to_output(ours, "torch")
    _assert_like(ours_as_torch, ref, torch_out=True)
    assert not isinstance(ours, torch.Tensor) or isinstance(sample, torch.Tensor)


@needs_torch
def test_ragged_torch_tensors_raise_runtime_error_as_torch() -> None:
    import torch
    import torch.utils.data

    batch = [{"x": torch.zeros(2)}, {"x": torch.zeros(3)}]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        torch.utils.data.default_collate(batch)  # the control
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size") as e:
        default_collate(batch)
    assert isinstance(e.value, td.BatchShapeError)
    assert "sample['x']" in str(e.value) and "(2,)" in str(e.value) and "(3,)" in str(e.value)
    with pytest.raises(td.DataTypeError, match="sample 1 is a int"):
        default_collate([torch.zeros(1), 1])


@needs_torch
def test_torch_samples_are_stacked_by_torch() -> None:
    import torch

    a, b = torch.arange(3.0), torch.arange(3.0, 6.0)
    out = default_collate([a, b])
    assert isinstance(out, torch.Tensor) and out.tolist() == [[0, 1, 2], [3, 4, 5]]
    a[0] = 9.0  # stacking copies, as torch.stack does
    assert out[0, 0].item() == 0.0
