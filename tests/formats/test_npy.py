"""NPY / NPZ: numpy-written files read back, our files load in numpy, pure round trips, and
every kind of bad input ending in FormatError."""

from __future__ import annotations

import io
import itertools
import math
import struct
import sys
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import DTYPES, tensors
from support import needs_numpy

from torsh_data import DataTypeError, DataValueError, FormatError, SourceError, Tensor
from torsh_data.formats._source import read_records
from torsh_data.formats.npy import NpyReader, npy_dataset, read_npy, read_npz, write_npy

LITTLE = sys.byteorder == "little"


# --- independent reference helpers (per element, slow and obvious) ---------------------------
def descr_of(dtype: str, order: str = "<") -> str:
    d = Tensor([], dtype=dtype).dtype
    if d.kind == "b":
        return "|b1"
    return ("|" if d.itemsize == 1 else order) + d.kind + str(d.itemsize)


def header(
    descr: object, shape: object, fortran: object = False, version: int = 1, text=None
) -> bytes:
    body = (
        text
        if text is not None
        else f"{{'descr': {descr!r}, 'fortran_order': {fortran!r}, 'shape': {shape!r}, }}"
    )
    raw = (body + "\n").encode("utf-8" if version == 3 else "latin-1")
    size = struct.pack("<H" if version == 1 else "<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + size + raw


def swap_each(data: bytes, itemsize: int) -> bytes:
    return b"".join(data[i : i + itemsize][::-1] for i in range(0, len(data), itemsize))


def to_fortran(data: bytes, itemsize: int, shape: tuple[int, ...]) -> bytes:
    """Element (i0, i1, ...) at C offset -> Fortran offset, one element at a time."""
    n = math.prod(shape)
    out = [b""] * n
    for c in range(n):
        idx, rest = [], c
        for d in reversed(shape):
            idx.append(rest % d)
            rest //= d
        idx.reverse()
        f, stride = 0, 1
        for i, d in zip(idx, shape, strict=True):
            f += i * stride
            stride *= d
        out[f] = data[c * itemsize : (c + 1) * itemsize]
    return b"".join(out)


def npy_bytes(t: Tensor) -> bytes:
    f = io.BytesIO()
    write_npy(f, t)
    return f.getvalue()


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return z.getvalue()


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


# --- pure-Python round trips (run in Pyodide too) ---------------------------------------------
@given(tensors())
def test_round_trip(t):
    back = read_npy(npy_bytes(t))
    assert back.equal(t)


@given(tensors(), st.sampled_from(["<", ">"]), st.sampled_from([1, 2, 3]), st.booleans())
def test_handmade_byte_order_version_and_order(t, order, version, fortran):
    itemsize = t.dtype.itemsize
    data = t.tobytes()
    if (order == ">") == LITTLE:
        data = swap_each(data, itemsize)
    if fortran and t.ndim > 1:
        data = to_fortran(data, itemsize, t.shape)
    raw = header(descr_of(t.dtype.name, order), t.shape, fortran, version) + data
    assert read_npy(raw).equal(t)
    rows = list(read_records(NpyReader(), raw, chunk_size=5))
    expect = [t] if not t.shape else list(t)
    assert len(rows) == len(expect) and all(a.equal(b) for a, b in zip(rows, expect, strict=True))


@given(tensors(max_dims=4), st.lists(st.integers(0, 400), max_size=8), st.booleans())
def test_incremental_matches_whole(t, cuts, fortran):
    raw = npy_bytes(t)
    if fortran and t.ndim > 1:
        body = to_fortran(t.tobytes(), t.dtype.itemsize, t.shape)
        raw = header(descr_of(t.dtype.name), t.shape, True) + body
    whole = read_npy(raw)
    reader = NpyReader()
    rows = [row for part in chunked(raw, cuts) for row in reader.feed(part)] + reader.close()
    expect = [whole] if not whole.shape else list(whole)
    assert len(rows) == len(expect) and all(a.equal(b) for a, b in zip(rows, expect, strict=True))


def test_incremental_yields_rows_as_they_arrive():
    t = Tensor(list(range(12)), dtype="int32").reshape(4, 3)
    raw = npy_bytes(t)
    head = len(raw) - t.nbytes
    reader = NpyReader()
    assert reader.feed(raw[: head + 11]) == []  # not a whole row yet
    assert [r.tolist() for r in reader.feed(raw[head + 11 : head + 30])] == [[0, 1, 2], [3, 4, 5]]
    assert [r.tolist() for r in reader.feed(raw[head + 30 :])] == [[6, 7, 8], [9, 10, 11]]
    assert reader.close() == []


def test_incremental_fortran_and_swapped_split_at_every_point():
    t = Tensor(list(range(24)), dtype="int32").reshape(2, 3, 4)
    for raw in (
        header("<i4", t.shape, True) + to_fortran(t.tobytes(), 4, t.shape),
        header(">i4", t.shape) + swap_each(t.tobytes(), 4),
    ):
        for cut in range(len(raw) + 1):
            reader = NpyReader()
            rows = reader.feed(raw[:cut]) + reader.feed(raw[cut:]) + reader.close()
            assert [r.tolist() for r in rows] == t.tolist(), cut


def test_fortran_transposition_both_paths():
    # a tall array (few columns: per-run path) and a wide one (few rows: per-row path)
    for shape in [(50, 2), (2, 50), (3, 4, 5), (5, 1, 2, 3), (1, 7)]:
        t = Tensor(list(range(math.prod(shape))), dtype="int16").reshape(shape)
        raw = header("<i2", shape, True) + to_fortran(t.tobytes(), 2, shape)
        assert read_npy(raw).equal(t), shape


def test_zero_d_and_empty():
    for t in [
        Tensor(3.5),
        Tensor([], dtype="int8"),
        Tensor(b"", dtype="float64", shape=(0, 3)),
        Tensor(b"", dtype="uint16", shape=(3, 0)),
    ]:
        assert read_npy(npy_bytes(t)).equal(t)
    rows = NpyReader().feed(npy_bytes(Tensor(b"", dtype="uint16", shape=(3, 0))))
    assert [r.shape for r in rows] == [(0,), (0,), (0,)]


def test_write_uses_version_1_little_endian_aligned():
    raw = npy_bytes(Tensor([1, 2, 3], dtype="int32"))
    assert raw[:8] == b"\x93NUMPY\x01\x00"
    assert raw[10:].startswith(b"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }")
    assert (len(raw) - 12) % 64 == 0 and raw[len(raw) - 13] == ord("\n")


def test_paths_and_file_objects(tmp_path):
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64")
    p = tmp_path / "a.npy"
    write_npy(p, t)
    assert read_npy(p).equal(t) and read_npy(str(p)).equal(t)
    with open(p, "rb") as f:
        assert read_npy(f).equal(t)
    # two arrays in one file object: each read leaves the file just after its array
    f = io.BytesIO()
    write_npy(f, t)
    write_npy(f, Tensor([7], dtype="uint8"))
    f.seek(0)
    assert read_npy(f).equal(t) and read_npy(f).tolist() == [7]
    with pytest.raises(SourceError):
        read_npy(tmp_path / "missing.npy")
    p.write_bytes(p.read_bytes() + b"x")
    with pytest.raises(FormatError, match="trailing"):
        read_npy(p)
    p.write_bytes(p.read_bytes()[:-9])
    with pytest.raises(FormatError, match="truncated"):
        read_npy(p)


class _Pipe(io.RawIOBase):
    """A non-seekable stream handing out a few bytes per read."""

    def __init__(self, data: bytes):
        self._data = data

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), 3, len(self._data))
        b[:n], self._data = self._data[:n], self._data[n:]
        return n


def test_unseekable_stream():
    t = Tensor(list(range(20)), dtype="int64")
    assert read_npy(_Pipe(npy_bytes(t))).equal(t)
    with pytest.raises(FormatError, match="truncated"):
        read_npy(_Pipe(npy_bytes(t)[:-1]))


def test_npz_stored_and_deflated(tmp_path):
    a, b = Tensor([[1, 2], [3, 4]], dtype="uint8"), Tensor([0.5, 1.5], dtype="float16")
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raw = zip_of({"a.npy": npy_bytes(a), "sub/b.npy": npy_bytes(b)}, method)
        out = read_npz(raw)
        assert list(out) == ["a", "sub/b"] and out["a"].equal(a) and out["sub/b"].equal(b)
    p = tmp_path / "x.npz"
    p.write_bytes(raw)
    assert read_npz(p)["a"].equal(a)
    assert read_npz(zip_of({})) == {}


def test_npy_dataset():
    ds = npy_dataset(npy_bytes(Tensor([[1, 2], [3, 4]])), npy_bytes(Tensor([5, 6])))
    assert len(ds) == 2 and ds[1][0].tolist() == [3, 4] and ds[1][1].item() == 6
    with pytest.raises(DataValueError, match="first dimensions"):
        npy_dataset(npy_bytes(Tensor([1, 2, 3])), npy_bytes(Tensor([5, 6])))
    with pytest.raises(DataValueError, match="0-d"):
        npy_dataset(npy_bytes(Tensor(1)))
    with pytest.raises(DataValueError):
        npy_dataset()


# --- bad input ------------------------------------------------------------------------------
GOOD = header("<i4", (2, 2)) + bytes(16)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"", "empty"),
        (b"\x93NUMPZ\x01\x00", "not an NPY file"),
        (b"PK\x03\x04" + bytes(40), "not an NPY file"),
        (b"\x93NUMPY\x04\x00" + bytes(40), "version 4.0"),
        (b"\x93NUMPY\x01\x01" + bytes(40), "version 1.1"),
        (GOOD[:9], "truncated in the header"),
        (GOOD[:40], "truncated in the header"),
        (GOOD[:-1], "truncated"),
        (GOOD + b"\0", "trailing"),
        (header("<i4", (1000, 1000)) + bytes(16), "truncated"),
        (header("<i4", (2**40, 2**40)), "absurd"),
        (header("<f8", (2**62, 2**62, 0)), "absurd"),
        (header("|O", (2,)) + bytes(16), "object arrays and pickles are refused"),
        (header("<c8", (2,)) + bytes(16), "complex"),
        (header("<U3", (2,)) + bytes(24), "unicode"),
        (header("|S3", (2,)) + bytes(6), "byte-string"),
        (header("<M8[ns]", (2,)) + bytes(16), "datetime"),
        (header([("a", "<i4")], (2,)) + bytes(8), "structured"),
        (header("<f16", (2,)) + bytes(32), "not supported"),
        (header("|f4", (2,)) + bytes(8), "byte order"),
        (header("float32", (2,)) + bytes(8), "not supported"),
        (header(4, (2,)), "descr must be"),
        (header("<i4", [2]) + bytes(8), "shape must be a tuple"),
        (header("<i4", (-1,)), "non-negative"),
        (header("<i4", (True,)) + bytes(4), "non-negative ints"),
        (header("<i4", (2.0,)) + bytes(8), "non-negative ints"),
        (header("<i4", (2,), 0) + bytes(8), "fortran_order"),
        (header("<i4", (1,) * 65) + bytes(4), "dimensions"),
        (header(None, None, text="{'descr': '<i4', 'shape': (1,)}"), "keys must be exactly"),
        (
            header(
                None, None, text="{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'x': 1}"
            ),
            "keys",
        ),
        (header(None, None, text="['<i4', False, (1,)]"), "expected a dict"),
        (header(None, None, text="__import__('os').system('echo pwned')"), "not a Python literal"),
        (
            header(None, None, text="{'descr': '<i4', 'fortran_order': False, 'shape': (1,)"),
            "literal",
        ),
        (header(None, None, text="(" * 5000), "literal"),
        (header(None, None, text="\0"), "literal"),
        (b"\x93NUMPY\x03\x00" + struct.pack("<I", 4) + b"\xff\xfe{}", "UTF-8"),
        (b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31), "header length"),
    ],
)
def test_bad_input(raw, match):
    with pytest.raises(FormatError, match=match):
        read_npy(raw)
    reader = NpyReader()
    with pytest.raises(FormatError):
        for i in range(0, len(raw), 7):
            reader.feed(raw[i : i + 7])
        reader.close()


def test_error_names_source_and_offset(tmp_path):
    p = tmp_path / "bad.npy"
    p.write_bytes(GOOD[:-3])
    with pytest.raises(FormatError) as info:
        read_npy(p)
    assert str(p) in str(info.value) and info.value.offset == len(GOOD) - 3
    with pytest.raises(FormatError, match="<mine>"):
        read_npy(b"junk", name="<mine>")


def test_max_bytes_checked_before_reading():
    raw = header("<f8", (1000,)) + bytes(8000)
    assert read_npy(raw, max_bytes=8000).shape == (1000,)
    with pytest.raises(FormatError, match=r"7999-byte"):
        read_npy(raw, max_bytes=7999)
    with pytest.raises(FormatError, match="limit"):
        NpyReader(max_bytes=100).feed(raw[:200])


def test_every_prefix_is_truncated():
    raw = npy_bytes(Tensor([[1, 2, 3]], dtype="int16"))
    for n in range(len(raw)):
        with pytest.raises(FormatError):
            read_npy(raw[:n])
        reader = NpyReader()
        reader.feed(raw[:n])
        with pytest.raises(FormatError):
            reader.close()


def _patch_declared_size(raw: bytes, size: int) -> bytes:
    at = raw.index(b"PK\x01\x02")  # central directory entry: uncompressed size at +24
    return raw[: at + 24] + struct.pack("<I", size) + raw[at + 28 :]


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"../evil.npy": npy_bytes(Tensor([1]))}, "unsafe"),
        ({"a/../../evil.npy": npy_bytes(Tensor([1]))}, "unsafe"),
        ({"/abs.npy": npy_bytes(Tensor([1]))}, "unsafe"),
        ({"C:/x.npy": npy_bytes(Tensor([1]))}, "unsafe"),
        ({"x.pkl": b"\x80\x04\x95" + bytes(20)}, "not an .npy"),
        ({"x.npy": b"\x80\x04\x95cos\nsystem\n" + bytes(20)}, "not an NPY file"),
        ({"x.npy": header("|O", (1,)) + b"\x80\x04N."}, "pickles are refused"),
        ({"dir/": b""}, "not an .npy"),
    ],
)
def test_npz_hostile_members(members, match):
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        with pytest.raises(FormatError, match=match):
            read_npz(zip_of(members, method))


def test_npz_bombs_and_corruption():
    big = header("|u1", (1 << 22,)) + bytes(1 << 22)  # 4 MiB of zeros: deflates to ~4 KiB
    packed = zip_of({"z.npy": big}, zipfile.ZIP_DEFLATED)
    assert len(packed) < 20000
    assert read_npz(packed, max_bytes=1 << 23)["z"].shape == (1 << 22,)
    with pytest.raises(FormatError, match="zip bomb"):
        read_npz(packed, max_bytes=1 << 20)
    # a member that lies about its size: declared small, expands to 4 MiB
    with pytest.raises(FormatError):
        read_npz(_patch_declared_size(packed, 1000), max_bytes=1 << 20)
    # declared absurdly large
    with pytest.raises(FormatError, match="zip bomb"):
        read_npz(_patch_declared_size(packed, 2**32 - 1), max_bytes=1 << 30)
    # declared larger than deflate can expand the compressed bytes: refused before reading
    with pytest.raises(FormatError, match="lying header"):
        read_npz(_patch_declared_size(packed, 2**32 - 1), max_bytes=1 << 33)
    stored = zip_of({"s.npy": npy_bytes(Tensor([1, 2]))})
    with pytest.raises(FormatError, match="lying header"):
        read_npz(_patch_declared_size(stored, 10**6))
    # two members that together pass the limit
    two = zip_of({"a.npy": big, "b.npy": big}, zipfile.ZIP_DEFLATED)
    with pytest.raises(FormatError, match="limit"):
        read_npz(two, max_bytes=(1 << 22) + 200)
    # corrupt compressed stream, truncated archive, not a zip, duplicate members
    at = packed.index(b"z.npy") + 5 + 100
    for bad in [
        packed[:at] + b"\xff" * 50 + packed[at + 50 :],
        packed[: len(packed) // 2],
        b"",
        b"not a zip",
    ]:
        with pytest.raises(FormatError):
            read_npz(bad)
    dup = io.BytesIO()
    with zipfile.ZipFile(dup, "w") as zf:
        zf.writestr("a.npy", npy_bytes(Tensor([1])))
        with pytest.warns(UserWarning):
            zf.writestr("a.npy", npy_bytes(Tensor([2])))
    with pytest.raises(FormatError, match="twice"):
        read_npz(dup.getvalue())


def test_npz_unsupported_compression():
    raw = bytearray(zip_of({"a.npy": npy_bytes(Tensor([1]))}))
    at = raw.index(b"PK\x01\x02")
    raw[at + 10 : at + 12] = struct.pack("<H", 14)  # LZMA in the central directory
    with pytest.raises(FormatError, match="compression method"):
        read_npz(bytes(raw))


@given(st.binary(max_size=300))
def test_random_bytes_give_format_error_only(raw):
    for data in (raw, b"\x93NUMPY\x01\x00" + raw, header("<i2", (3,)) + raw):
        try:
            read_npy(data)
        except FormatError:
            pass
        reader = NpyReader()
        try:
            reader.feed(data[:50])
            reader.feed(data[50:])
            reader.close()
        except FormatError:
            pass
    for data in (raw, b"PK\x03\x04" + raw):
        try:
            read_npz(data)
        except FormatError:
            pass


@given(tensors(), st.integers(0, 10**6))
def test_npz_with_mangled_bytes_gives_format_error_or_result(t, seed):
    raw = bytearray(zip_of({"t.npy": npy_bytes(t)}, zipfile.ZIP_DEFLATED))
    raw[seed % len(raw)] ^= 1 + seed % 255
    try:
        read_npz(bytes(raw))
    except FormatError:
        pass


# --- against numpy --------------------------------------------------------------------------
@needs_numpy
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("version", [1, 2, 3])
def test_reads_numpy_written(dtype, order, version):
    import numpy as np
    from numpy.lib import format as npformat

    rng = np.random.default_rng(0)
    native = np.frombuffer(rng.bytes(24 * np.dtype(dtype).itemsize), dtype=dtype).reshape(2, 3, 4)
    if dtype == "bool":
        native = native.view(np.uint8) & 1
        native = native.astype(bool)
    arr = native.astype(np.dtype(dtype).newbyteorder(order))
    for a in (arr, np.asfortranarray(arr), arr[0, 0], arr[:0], arr.reshape(-1)[0]):
        f = io.BytesIO()
        npformat.write_array(f, np.asanyarray(a), version=(version, 0))
        t = read_npy(f.getvalue())
        want = np.asarray(a).astype(np.dtype(dtype), order="C")
        assert t.shape == want.shape and t.dtype.name == want.dtype.name
        assert t.tobytes() == want.tobytes()
        assert np.array_equal(np.asarray(t), want, equal_nan=dtype.startswith("float"))
        rows = list(read_records(NpyReader(), f.getvalue(), chunk_size=13))
        expect = [want] if want.ndim == 0 else list(want)
        assert [r.tobytes() for r in rows] == [np.ascontiguousarray(e).tobytes() for e in expect]


@needs_numpy
@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_loads_ours_and_headers_match(dtype, tmp_path):
    import numpy as np

    raw = bytes(range(48))
    t = Tensor(bytes(b & 1 for b in raw) if dtype == "bool" else raw, dtype=dtype).reshape(2, -1)
    p = tmp_path / "ours.npy"
    write_npy(p, t)
    loaded = np.load(p, allow_pickle=False)
    assert (
        loaded.dtype.name == dtype and loaded.shape == t.shape and loaded.tobytes() == t.tobytes()
    )
    ref = io.BytesIO()
    np.save(ref, np.asarray(t))
    assert npy_bytes(t) == ref.getvalue()  # byte-identical to numpy's own writer
    write_npy(p, np.asarray(t))  # numpy arrays are accepted too
    assert read_npy(p).equal(t)


@needs_numpy
def test_numpy_npz(tmp_path):
    import numpy as np

    a, b = np.arange(12, dtype=">i4").reshape(3, 4), np.asfortranarray(np.ones((2, 5), "<f2"))
    for save in (np.savez, np.savez_compressed):
        p = tmp_path / f"{save.__name__}.npz"
        save(p, a, named=b)
        out = read_npz(p)
        assert sorted(out) == ["arr_0", "named"]
        assert np.array_equal(np.asarray(out["arr_0"]), a) and np.array_equal(
            np.asarray(out["named"]), b
        )


@needs_numpy
def test_numpy_file_path_via_np_save(tmp_path):
    import numpy as np

    a = np.linspace(0, 1, 30, dtype="f4").reshape(5, 6)
    np.save(tmp_path / "x.npy", a)
    assert np.array_equal(np.asarray(read_npy(tmp_path / "x.npy")), a)
    ds = npy_dataset(tmp_path / "x.npy", tmp_path / "x.npy")
    assert len(ds) == 5


def test_big_endian_swap_is_copy_and_native_is_zero_copy():
    data = bytearray(header("<u2", (2,)) + b"\x01\x00\x02\x00")
    t = read_npy(data)
    data[-1] = 9  # zero copy: the tensor shares the caller's buffer
    assert t.tolist() == [1, 9 << 8 | 2]
    big = header(">u2", (2,)) + b"\x00\x01\x00\x02"
    assert read_npy(big).tolist() == [1, 2]


def test_reader_rejects_feed_after_close_and_trailing():
    raw = npy_bytes(Tensor([1, 2], dtype="uint8"))
    r = NpyReader()
    assert len(r.feed(raw)) == 2
    with pytest.raises(FormatError, match="trailing"):
        r.feed(b"x")
    r = NpyReader()
    r.feed(raw)
    r.close()
    with pytest.raises(DataValueError):
        r.feed(b"")


def test_a_header_with_a_bad_escape_warns_nobody():
    # found by the fuzz suite: ast.literal_eval warned about "\o" (a SyntaxWarning)
    import warnings

    raw = header(None, None, text="{'descr': '\\o', 'fortran_order': False, 'shape': (1,)}")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(FormatError, match="is not supported"):
            read_npy(raw + bytes(4))
    assert [str(w.message) for w in seen] == []


def test_a_text_file_object_is_refused_as_by_every_reader() -> None:
    # formats' one read_chunk: the same DataTypeError as iter_chunks (tests/io/test_sources.py)
    with pytest.raises(DataTypeError, match=r"open it in binary mode \('rb'\)"):
        read_npy(io.StringIO("\x93NUMPY"))
