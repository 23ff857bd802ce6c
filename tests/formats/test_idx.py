"""IDX (MNIST): every type code, plain and gzip, whole and incremental, and bad input."""

from __future__ import annotations

import gzip
import io
import itertools
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import needs_numpy

from torsh_data import DataTypeError, DataValueError, FormatError, SourceError, Tensor
from torsh_data.formats._source import read_records
from torsh_data.formats.idx import IdxReader, idx_dataset, read_idx, write_idx

CODES = {
    "uint8": 0x08,
    "int8": 0x09,
    "int16": 0x0B,
    "int32": 0x0C,
    "float32": 0x0D,
    "float64": 0x0E,
}
STRUCT = {"uint8": "B", "int8": "b", "int16": "h", "int32": "i", "float32": "f", "float64": "d"}


def idx_bytes(dtype: str, shape: tuple[int, ...], values: list) -> bytes:
    """An IDX file built element by element with struct, independent of the code under test."""
    head = bytes([0, 0, CODES[dtype], len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)
    return head + b"".join(struct.pack(">" + STRUCT[dtype], v) for v in values)


def values_for(dtype: str):
    if dtype == "uint8":
        return st.integers(0, 255)
    if dtype.startswith("int"):
        bits = int(dtype[3:])
        return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    width = 32 if dtype == "float32" else 64
    return st.floats(width=width, allow_nan=False)


@st.composite
def arrays(draw, max_dims: int = 3, max_side: int = 4):
    dtype = draw(st.sampled_from(sorted(CODES)))
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=1, max_size=max_dims)))
    values = draw(st.lists(values_for(dtype), min_size=math.prod(shape), max_size=math.prod(shape)))
    return dtype, shape, values


def to_bytes(t: Tensor, compress: bool = False) -> bytes:
    f = io.BytesIO()
    write_idx(f, t, compress=compress)
    return f.getvalue()


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(arrays())
def test_reads_handmade_big_endian(case):
    dtype, shape, values = case
    raw = idx_bytes(dtype, shape, values)
    t = read_idx(raw)
    assert t.shape == shape and t.dtype.name == dtype
    assert Tensor(values, dtype=dtype).reshape(shape).equal(t)
    assert read_idx(gzip.compress(raw)).equal(t)


@given(arrays(), st.booleans())
def test_round_trip(case, compress):
    dtype, shape, values = case
    t = Tensor(values, dtype=dtype).reshape(shape)
    raw = to_bytes(t, compress)
    assert read_idx(raw).equal(t)
    if not compress:
        assert raw == idx_bytes(dtype, shape, values)


@given(arrays(max_dims=4), st.lists(st.integers(0, 300), max_size=8), st.booleans())
def test_incremental_matches_whole(case, cuts, compress):
    dtype, shape, values = case
    raw = idx_bytes(dtype, shape, values)
    if compress:
        raw = gzip.compress(raw)
    whole = read_idx(raw)
    reader = IdxReader()
    rows = [r for part in chunked(raw, cuts) for r in reader.feed(part)] + reader.close()
    assert len(rows) == shape[0] and all(a.equal(b) for a, b in zip(rows, whole, strict=True))


def test_rows_arrive_as_their_bytes_do():
    raw = idx_bytes("int32", (3, 2), [1, 2, 3, 4, 5, 6])
    r = IdxReader()
    assert r.feed(raw[: 12 + 7]) == []
    assert [x.tolist() for x in r.feed(raw[19:28])] == [[1, 2], [3, 4]]
    assert [x.tolist() for x in r.feed(raw[28:])] == [[5, 6]]
    assert r.close() == []


def test_mnist_shaped_uint8_is_zero_copy(tmp_path):
    images = Tensor(bytes(range(256)) * 7, dtype="uint8").reshape(7, 16, 16)
    p = tmp_path / "train-images-idx3-ubyte"
    write_idx(p, images)
    t = read_idx(p)
    assert t.equal(images) and t._data.obj.__class__ is bytes  # the one read, wrapped
    data = bytearray(to_bytes(images))
    t = read_idx(data)
    data[-1] = 0
    assert t[6][15][15].item() == 0  # shares the caller's buffer


def test_paths_gzip_and_file_objects(tmp_path):
    t = Tensor([[1.5, -2.0], [3.0, 4.25]], dtype="float64")
    write_idx(tmp_path / "a.idx.gz", t)
    assert (tmp_path / "a.idx.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert read_idx(tmp_path / "a.idx.gz").equal(t)
    write_idx(tmp_path / "a.idx", t)
    assert read_idx(str(tmp_path / "a.idx")).equal(t)
    with open(tmp_path / "a.idx.gz", "rb") as f:
        assert read_idx(f).equal(t)
    assert read_idx(io.BytesIO(to_bytes(t))).equal(t)
    with pytest.raises(SourceError):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(DataTypeError):
        read_idx(42)  # type: ignore[arg-type]


def test_idx_dataset():
    images = Tensor(bytes(24), dtype="uint8").reshape(3, 2, 4)
    labels = Tensor([1, 2, 3], dtype="uint8")
    ds = idx_dataset(to_bytes(images), gzip.compress(to_bytes(labels)))
    assert len(ds) == 3 and ds[2][1].item() == 3 and ds[0][0].shape == (2, 4)
    assert len(idx_dataset(images, labels)) == 3
    with pytest.raises(DataValueError, match="same first dimension"):
        idx_dataset(to_bytes(images), to_bytes(Tensor([1, 2], dtype="uint8")))


def test_write_idx_refuses_what_idx_cannot_hold():
    for bad in (Tensor([True]), Tensor([1], dtype="int64"), Tensor([1], dtype="uint16")):
        with pytest.raises(DataTypeError, match="IDX has no type"):
            to_bytes(bad)
    with pytest.raises(DataValueError):
        to_bytes(Tensor(1, dtype="uint8"))
    with pytest.raises(DataTypeError):
        write_idx(42, Tensor([1], dtype="uint8"))  # type: ignore[arg-type]


GOOD = idx_bytes("int16", (2, 3), [1, 2, 3, 4, 5, 6])


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "empty"),
        (b"\x00", "truncated in the header"),
        (b"\x01\x00\x08\x01", "not an IDX file"),
        (b"\x00\x01\x08\x01", "not an IDX file"),
        (b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"x", "unknown IDX type code 0x0A"),
        (b"\x00\x00\x07\x01", "type code"),
        (b"\x00\x00\x08\x00" + b"data", "0 dimensions"),
        (b"\x00\x00\x08\x02" + struct.pack(">II", 0, 5) + b"data", "trailing"),
        (GOOD[:10], "truncated in the header"),
        (GOOD[:-1], "truncated"),
        (GOOD + b"\x00", "trailing"),
        (idx_bytes("uint8", (60000, 28, 28), []), "truncated"),
        (b"\x00\x00\x0e\x03" + struct.pack(">III", 2**32 - 1, 2**32 - 1, 2**32 - 1), "absurd"),
        (gzip.compress(GOOD)[:-5], "truncated"),
        (gzip.compress(GOOD)[:20], "truncated|corrupt"),
        (gzip.compress(GOOD) + b"junk", "corrupt"),
        (b"\x1f\x8b" + bytes(20), "corrupt"),
        (gzip.compress(GOOD + b"extra"), "trailing"),
    ],
)
def test_bad_input(raw, match):
    with pytest.raises(FormatError, match=match):
        read_idx(raw)
    with pytest.raises(FormatError, match=match):
        read_idx(io.BytesIO(raw))
    reader = IdxReader()
    with pytest.raises(FormatError):
        for i in range(0, len(raw), 5):
            reader.feed(raw[i : i + 5])
        reader.close()


def test_every_prefix_is_an_error():
    for raw in (GOOD, gzip.compress(GOOD)):
        for n in range(len(raw)):
            with pytest.raises(FormatError):
                read_idx(raw[:n])
            r = IdxReader()
            r.feed(raw[:n])
            with pytest.raises(FormatError):
                r.close()


def test_gzip_bomb_is_capped(tmp_path):
    raw = idx_bytes("uint8", (1 << 22,), []) + bytes(1 << 22)
    packed = gzip.compress(raw)
    assert read_idx(packed, max_bytes=1 << 23).shape == (1 << 22,)
    with pytest.raises(FormatError, match=r"bomb|limit"):
        read_idx(packed, max_bytes=1 << 20)
    (tmp_path / "bomb.gz").write_bytes(packed)
    with pytest.raises(FormatError, match=r"bomb|limit"):
        read_idx(tmp_path / "bomb.gz", max_bytes=1 << 20)
    r = IdxReader(max_bytes=1 << 20)
    with pytest.raises(FormatError, match=r"bomb|limit"):
        r.feed(packed)


def test_error_names_source_and_offset(tmp_path):
    p = tmp_path / "labels.idx"
    p.write_bytes(GOOD[:-2])
    with pytest.raises(FormatError) as info:
        read_idx(p)
    assert str(p) in str(info.value) and info.value.offset == len(GOOD) - 2


@given(st.binary(max_size=200))
def test_random_bytes_give_format_error_only(raw):
    for data in (
        raw,
        b"\x00\x00" + raw,
        b"\x00\x00\x08\x01" + raw,
        gzip.compress(raw),
        b"\x1f\x8b" + raw,
    ):
        try:
            read_idx(data)
        except FormatError:
            pass
        r = IdxReader()
        try:
            r.feed(data[:9])
            r.feed(data[9:])
            r.close()
        except FormatError:
            pass


@needs_numpy
@pytest.mark.parametrize("dtype", sorted(CODES))
def test_matches_numpy(dtype):
    import numpy as np

    rng = np.random.default_rng(1)
    a = (rng.standard_normal((4, 3, 5)) * 100).astype(dtype)
    raw = (
        bytes([0, 0, CODES[dtype], 3])
        + np.array(a.shape, ">u4").tobytes()
        + a.astype(a.dtype.newbyteorder(">")).tobytes()
    )
    t = read_idx(raw)
    assert np.array_equal(np.asarray(t), a) and t.dtype.name == dtype
    assert to_bytes(t) == raw
    rows = list(read_records(IdxReader(), gzip.compress(raw), chunk_size=11))
    assert np.array_equal(np.stack([np.asarray(r) for r in rows]), a)
