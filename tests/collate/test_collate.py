"""Collate: torch's structure rules, padding, and errors that name the path."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import needs_numpy

import torsh_data as td
from torsh_data import Tensor, default_collate, default_convert, pad_collate


class Point(NamedTuple):
    x: float
    label: int


def test_numbers_and_bools() -> None:
    ints = default_collate([1, 2, 3])
    assert ints.dtype is td.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype is td.float64  # as torch
    assert default_collate([True, False]).dtype is td.bool_


def test_tensors_are_stacked() -> None:
    out = default_collate([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])])
    assert out.shape == (2, 2) and out.dtype is td.float32


def test_strings_and_bytes_stay_lists() -> None:
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_mappings_keep_type() -> None:
    out = default_collate([OrderedDict(a=1, b="x"), OrderedDict(a=2, b="y")])
    assert isinstance(out, OrderedDict) and out["a"].tolist() == [1, 2] and out["b"] == ["x", "y"]


def test_named_tuples_and_sequences() -> None:
    out = default_collate([Point(0.5, 1), Point(1.5, 0)])
    assert isinstance(out, Point) and out.label.tolist() == [1, 0]
    pairs = default_collate([(Tensor([1]), 0), (Tensor([2]), 1)])
    assert (
        isinstance(pairs, list) and pairs[0].tolist() == [[1], [2]] and pairs[1].tolist() == [0, 1]
    )
    nested = default_collate([[1, [2, 3]], [4, [5, 6]]])
    assert nested[0].tolist() == [1, 4] and nested[1][1].tolist() == [3, 6]


@needs_numpy
def test_numpy_arrays_and_scalars() -> None:
    import numpy as np

    out = default_collate([np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)])
    assert isinstance(out, Tensor) and out.shape == (2, 2, 2) and out.dtype is td.float32
    assert default_collate([np.int32(1), np.int32(2)]).tolist() == [1, 2]
    converted = default_convert({"a": np.arange(3), "s": "x", "t": (np.float64(1.0), 2)})
    assert isinstance(converted["a"], Tensor) and converted["s"] == "x"
    assert isinstance(converted["t"][0], Tensor) and converted["t"][1] == 2
    with pytest.raises(td.ShapeError, match=r"sample\['img'\].*\(2,\).*\(3,\)"):
        default_collate([{"img": np.zeros(2)}, {"img": np.zeros(3)}])
    with pytest.raises(td.DataTypeError, match="cannot collate sample"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_leaves_python_values() -> None:
    assert default_convert([1, "a", (2, 3)]) == [1, "a", [2, 3]]
    t = Tensor([1])
    assert default_convert(t) is t


def test_shape_mismatch_names_path_and_shapes() -> None:
    batch = [
        {"image": Tensor([[1, 2]])},
        {"image": Tensor([[1, 2]])},
        {"image": Tensor([[1, 2, 3]])},
    ]
    with pytest.raises(td.ShapeError) as info:
        default_collate(batch)
    msg = str(info.value)
    assert "sample['image']" in msg and "(1, 2)" in msg and "(1, 3)" in msg and "sample 2" in msg
    assert isinstance(info.value, ValueError)


def test_structure_errors() -> None:
    with pytest.raises(td.DataValueError, match=r"keys \['a'\], sample 1 has \['b'\]"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(td.ShapeError, match=r"sample\[1\]: sample 0 has 2 items, sample 1 has 3"):
        default_collate([(1, [1, 2]), (2, [1, 2, 3])])
    with pytest.raises(td.DataTypeError, match=r"sample\[0\]: object"):
        default_collate([(object(),), (object(),)])
    with pytest.raises(td.DataValueError, match="empty batch"):
        default_collate([])
    with pytest.raises(td.DataTypeError, match="sample 1 is a int"):
        default_collate([Tensor([1]), 1])


def test_custom_collate_fn_map_entry() -> None:
    class Box:
        def __init__(self, v: int) -> None:
            self.v = v

    fn_map = {**td.default_collate_fn_map, Box: lambda batch, **_: sum(b.v for b in batch)}
    assert td.collate([(Box(1), 2), (Box(3), 4)], collate_fn_map=fn_map)[0] == 4


def test_pad_collate_sequences_and_structure() -> None:
    out = pad_collate([([1, 2, 3], 0), ([4], 1)])
    padded, labels = out
    assert padded.data.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert padded.lengths.tolist() == [3, 1] and padded.lengths.dtype is td.int64
    assert padded.mask.dtype is td.bool_
    assert labels.tolist() == [0, 1]
    left = pad_collate(
        [Tensor([[1, 1], [2, 2]]), Tensor([[3, 3]])], padding_value=-1, padding_side="left"
    )
    assert left.data.tolist() == [[[1, 1], [2, 2]], [[-1, -1], [3, 3]]]
    assert left.mask.tolist() == [[True, True], [False, True]]
    empty = pad_collate([[], [5]])
    assert empty.data.tolist() == [[0], [5]] and empty.lengths.tolist() == [0, 1]


def test_pad_sequence_errors() -> None:
    with pytest.raises(td.ShapeError, match=r"sample 1 has \(1, 3\)"):
        td.pad_sequence([Tensor([[1, 2]]), Tensor([[1, 2, 3]])])
    with pytest.raises(td.DataValueError, match="padding_side"):
        td.pad_sequence([Tensor([1])], padding_side="middle")
    with pytest.raises(td.DataValueError, match="empty"):
        td.pad_sequence([])


@given(st.lists(st.lists(st.integers(-100, 100), max_size=6), min_size=1, max_size=6))
def test_pad_then_unpad_property(seqs: list[list[int]]) -> None:
    p = td.pad_sequence([Tensor(s, dtype="int64") for s in seqs])
    rows = p.data.tolist()
    assert [r[:n] for r, n in zip(rows, p.lengths.tolist(), strict=True)] == seqs
    assert [sum(m) for m in p.mask.tolist()] == [len(s) for s in seqs]


@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.floats(-1, 1), st.text(max_size=3)), min_size=1, max_size=8
    )
)
def test_collate_transposes_property(samples: list[tuple[int, float, str]]) -> None:
    ints, floats, texts = default_collate(samples)
    assert ints.tolist() == [s[0] for s in samples]
    assert floats.tolist() == [s[1] for s in samples]
    assert texts == tuple(s[2] for s in samples)  # a field of tuples stays a tuple, as torch
