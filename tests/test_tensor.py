"""Tensor: construction, views, conversions, stack and bad input."""

from __future__ import annotations

import array
import math
import pickle
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data import Tensor

ALL_DTYPES = [
    td.bool_,
    td.uint8,
    td.uint16,
    td.uint32,
    td.uint64,
    td.int8,
    td.int16,
    td.int32,
    td.int64,
    td.float16,
    td.float32,
    td.float64,
]


def test_nested_lists_infer_shape_and_dtype() -> None:
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert (t.shape, t.dtype, t.ndim, t.numel(), t.nbytes) == ((2, 3), td.int64, 2, 6, 48)
    assert t.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert Tensor([1.5, 2]).dtype is td.float32
    assert Tensor([True, False]).dtype is td.bool_
    assert Tensor([True, 2]).dtype is td.int64


def test_scalars_and_empty() -> None:
    assert Tensor(3).shape == () and Tensor(3).item() == 3
    assert Tensor(2.5).item() == 2.5
    assert Tensor([]).shape == (0,) and Tensor([]).tolist() == []
    assert Tensor([[], []]).tolist() == [[], []]
    assert td.zeros((0, 3)).tolist() == []


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_every_dtype_round_trips(dt: td.DType) -> None:
    values = [0, 1, 1, 0] if dt.kind == "b" else [0, 1, 2, 3]
    t = Tensor(values, dtype=dt)
    assert t.dtype is dt and t.nbytes == 4 * dt.itemsize
    expected = [bool(v) for v in values] if dt.kind == "b" else values
    assert t.tolist() == expected
    assert Tensor(t.tobytes(), dtype=dt).tolist() == expected
    assert pickle.loads(pickle.dumps(t)).equal(t)
    assert td.dtype(dt.name) is dt


@pytest.mark.parametrize("dt", [d for d in ALL_DTYPES if d.kind in "iu"], ids=str)
def test_integer_limits_are_exact(dt: td.DType) -> None:
    lo, hi = dt.limits()  # type: ignore[misc]
    assert Tensor([lo, hi], dtype=dt).tolist() == [lo, hi]
    with pytest.raises(td.DataValueError, match=dt.name):
        Tensor([hi + 1], dtype=dt)
    with pytest.raises(ValueError, match="range"):
        Tensor([lo - 1], dtype=dt)


def test_raw_bytes_are_shared_and_reinterpreted() -> None:
    buf = bytearray(struct.pack("<4f", 1, 2, 3, 4))
    t = Tensor(buf, dtype="float32", shape=(2, 2))
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    buf[0:4] = struct.pack("<f", 9.0)
    assert t[0].tolist() == [9.0, 2.0]  # a view, not a copy
    assert Tensor(memoryview(b"\x01\x02")).tolist() == [1, 2]


def test_buffer_protocol_objects() -> None:
    a = array.array("h", [1, -2, 3])
    t = Tensor(a)
    assert t.dtype is td.int16 and t.tolist() == [1, -2, 3]
    a[0] = 7
    assert t.tolist()[0] == 7  # shares memory
    assert Tensor(array.array("d", [0.5])).dtype is td.float64
    assert Tensor(a, dtype="float32").tolist() == [7.0, -2.0, 3.0]  # converts, typed source


def test_first_axis_views_and_slices() -> None:
    t = td.arange(12).reshape(4, 3)
    assert t[1].tolist() == [3, 4, 5]
    assert t[-1].tolist() == [9, 10, 11]
    assert t[1:3].shape == (2, 3) and t[1:3].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert t[3:1].shape == (0, 3)
    assert t[::2].tolist() == [[0, 1, 2], [6, 7, 8]]
    assert t[[3, 0]].tolist() == [[9, 10, 11], [0, 1, 2]]
    assert t[1][2].item() == 5
    assert [r.tolist() for r in t[:2]] == [[0, 1, 2], [3, 4, 5]]


def test_views_share_memory() -> None:
    buf = bytearray(8)
    t = Tensor(buf, dtype="uint8", shape=(2, 4))
    row = t[1]
    buf[4] = 42
    assert row.tolist()[0] == 42
    assert t.reshape(8).tolist()[4] == 42


def test_reshape() -> None:
    t = td.arange(6)
    assert t.reshape(2, 3).shape == (2, 3)
    assert t.reshape((3, -1)).shape == (3, 2)
    assert t.reshape(-1).shape == (6,)
    with pytest.raises(td.ShapeError, match=r"cannot reshape shape \(6,\)"):
        t.reshape(4, 2)
    with pytest.raises(td.ShapeError, match="at most one -1"):
        t.reshape(-1, -1)


def test_astype() -> None:
    t = Tensor([-1.7, 0.0, 2.9])
    assert t.astype("int32").tolist() == [-1, 0, 2]  # truncation toward zero, as torch
    assert t.astype(td.bool_).tolist() == [True, False, True]
    assert Tensor([1, 2]).astype("float64").tolist() == [1.0, 2.0]
    assert Tensor([0.5]).astype("float16").tolist() == [0.5]
    with pytest.raises(td.DataValueError, match="NaN"):
        Tensor([math.nan]).astype("int64")
    with pytest.raises(td.DataValueError, match="uint8"):
        Tensor([300]).astype("uint8")


def test_stack_joins_buffers() -> None:
    a, b = Tensor([[1, 2]]), Tensor([[3, 4]])
    s = td.stack([a, b])
    assert s.shape == (2, 1, 2) and s.tolist() == [[[1, 2]], [[3, 4]]]
    assert Tensor([a, b]).equal(s)
    with pytest.raises(td.ShapeError, match=r"element 1 is \(3,\)"):
        td.stack([Tensor([1, 2]), Tensor([1, 2, 3])])
    with pytest.raises(td.ShapeError, match="float32"):
        td.stack([Tensor([1, 2]), Tensor([1.0, 2.0])])
    with pytest.raises(td.DataValueError, match="at least one"):
        td.stack([])
    with pytest.raises(td.DataTypeError, match="element 1 is a list"):
        td.stack([Tensor([1]), [1]])  # type: ignore[list-item]


def test_full_zeros_arange() -> None:
    assert td.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert td.full((2,), 3, dtype="uint8").dtype is td.uint8
    assert td.zeros((2, 2), dtype="int8").tolist() == [[0, 0], [0, 0]]
    assert td.arange(2, 8, 3).tolist() == [2, 5]


def test_repr_names_dtype_and_shape() -> None:
    assert repr(Tensor([1, 2])) == "tensor([1, 2], dtype=int64, shape=(2,))"
    assert "1000 elements" in repr(td.zeros((1000,)))


# --- bad input ---------------------------------------------------------------------------


def test_ragged_lists_are_refused() -> None:
    with pytest.raises(td.ShapeError, match="ragged") as info:
        Tensor([[1, 2], [3]])
    assert isinstance(info.value, ValueError) and isinstance(info.value, td.TorshDataError)
    with pytest.raises(td.ShapeError, match="ragged"):
        Tensor([[1, 2], 3])
    with pytest.raises(td.ShapeError, match="ragged"):
        Tensor([1, [2]])


def test_wrong_element_types() -> None:
    with pytest.raises(td.DataTypeError, match="str"):
        Tensor(["a", "b"])
    with pytest.raises(TypeError, match="float values in int64"):
        Tensor([1.5], dtype="int64")
    with pytest.raises(td.DataTypeError, match="unknown dtype 'float8'"):
        Tensor([1], dtype="float8")
    with pytest.raises(td.DataTypeError, match="cannot interpret"):
        td.dtype(object())
    with pytest.raises(td.DataTypeError, match="cannot make a tensor element from NoneType"):
        Tensor(None)


def test_bad_byte_lengths_and_indices() -> None:
    with pytest.raises(td.DataValueError, match="5 bytes is not a whole number of float32"):
        Tensor(b"12345", dtype="float32")
    t = td.arange(3)
    with pytest.raises(td.DataIndexError, match="index 3 is out of range"):
        t[3]
    with pytest.raises(IndexError, match="index -4"):
        t[-4]
    with pytest.raises(td.DataIndexError, match="0-d"):
        Tensor(1)[0]
    with pytest.raises(td.DataIndexError, match="one index"):
        td.zeros((2, 2))[0, 1]
    with pytest.raises(td.DataTypeError, match="integers or slices"):
        t["a"]  # type: ignore[index]
    with pytest.raises(td.DataValueError, match="one element"):
        t.item()
    with pytest.raises(td.DataTypeError, match="len"):
        len(Tensor(1))


def test_buffer_formats_without_a_dtype_are_refused() -> None:
    with pytest.raises(td.DataTypeError, match="has no torsh_data dtype"):
        Tensor(memoryview(bytearray(16)).cast("P"))  # pointers
    with pytest.raises(td.DataTypeError, match="byte order"):
        td._dtype.from_buffer_format(">i" if td._dtype._ORDER == "<" else "<i")


@given(st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=3, max_size=3), max_size=8))
def test_int64_round_trip_property(rows: list[list[int]]) -> None:
    t = Tensor(rows, dtype="int64")
    assert t.tolist() == rows
    assert t.shape == ((len(rows), 3) if rows else (0,))


@given(st.lists(st.floats(allow_nan=False, width=32), min_size=1, max_size=20))
def test_float32_round_trip_property(values: list[float]) -> None:
    assert Tensor(values, dtype="float32").tolist() == values
