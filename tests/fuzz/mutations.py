"""Hypothesis strategies for hostile input: mutations of valid files and generated documents.

:func:`mutated` takes valid files made by real writers and applies a few of the edits an
attacker (or a flaky network) makes: byte flips, inserted and deleted runs, truncation,
repeated runs, integers at their edge values written over a field, long digit strings where
a number was, and splices of two files. The others generate inputs from nothing: random and
patterned bytes, deep nesting, JSON documents, and text with the characters that upset
parsers.
"""

from __future__ import annotations

import functools
import io
import json
import struct
import tarfile
import zlib
from typing import Any

from hypothesis import strategies as st

#: Integers at the edges of the field widths binary headers use.
EDGE_INTS = (
    0, 1, 2, 7, 8, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
    2**40, 2**62, 2**63 - 1, 2**63, 2**64 - 1,
)  # fmt: skip
#: Text that replaces a number in a textual header or document.
EDGE_NUMBERS = (
    b"0", b"-1", b"-0", b"99999999999999999999", b"1e999", b"-1e999", b"NaN", b"Infinity",
    b"2147483648", b"4294967296", b"9223372036854775808", b"0x10", b"1_000", b"1" * 5000,
    b"00000000000000000000001", b"1.5", b"", b" ", b"\x00",
)  # fmt: skip
#: Bytes that mean something to some parser.
TOKENS = (
    b"\x00", b"\xff", b"\n", b"\r", b"\r\n", b'"', b"'", b",", b"\t", b"\\", b"[", b"]", b"{",
    b"}", b":", b"..", b"/", b"{0..999999}", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc0\xaf",
    b"<!doctype html><html>", b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"\x93NUMPY", b"ustar\x00",
    b"\x89PNG\r\n\x1a\n", b"RIFF", b"WAVE", b"fmt ", b"data", b"IHDR", b"IDAT", b"IEND",
)  # fmt: skip
MAX_SIZE = 256 << 10  # a mutation never grows an input past this


def _edit(data: bytearray, draw: Any, others: list[bytes]) -> None:
    n = len(data)
    op = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate", "repeat", "int", "number", "token", "splice")))  # fmt: skip
    at = draw(st.integers(0, n))
    if op in ("flip", "set") and n:
        at = min(at, n - 1)
        data[at] = (
            data[at] ^ (1 << draw(st.integers(0, 7))) if op == "flip" else draw(st.integers(0, 255))
        )
    elif op == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=16))
    elif op == "delete":
        del data[at : at + draw(st.integers(1, 64))]
    elif op == "truncate":
        del data[at:]
    elif op == "repeat" and n:
        start = min(at, n - 1)
        run = bytes(data[start : start + draw(st.integers(1, 32))])
        times = draw(st.integers(2, 4096))
        data[start:start] = run * min(times, (MAX_SIZE - n) // max(len(run), 1))
    elif op == "int":
        width, order = draw(st.sampled_from(((1, "<"), (2, "<"), (2, ">"), (4, "<"), (4, ">"), (8, "<"), (8, ">"))))  # fmt: skip
        value = draw(st.sampled_from(EDGE_INTS)) % (1 << (8 * width))
        code = {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
        data[at : at + width] = struct.pack(order + code, value)
    elif op == "number":
        # Replace the run of digits at or after ``at`` (or insert, when there is none).
        start = at
        while start < n and not chr(data[start]).isdigit():
            start += 1
        end = start
        while end < n and chr(data[end]).isdigit():
            end += 1
        start = at if start == n else start
        data[start:end] = draw(st.sampled_from(EDGE_NUMBERS))
    elif op == "token":
        data[at:at] = draw(st.sampled_from(TOKENS))
    elif op == "splice" and others:
        other = draw(st.sampled_from(others))
        data[at:] = other[draw(st.integers(0, len(other))) :]
    if len(data) > MAX_SIZE:
        del data[MAX_SIZE:]


@st.composite
def mutated(draw: Any, seeds: list[bytes], max_edits: int = 4) -> bytes:
    """One of ``seeds`` (valid files) with 1 to ``max_edits`` edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_edits))):
        _edit(data, draw, seeds)
    return bytes(data)


def patterned() -> st.SearchStrategy[bytes]:
    """Short random bytes, and runs of one token (empty input, zeros, deep brackets, ...)."""
    runs = st.builds(
        lambda token, n: token * n,
        st.sampled_from(
            (b"\x00", b"\xff", b"[", b"{", b'{"a":', b"[[", b"\n", b",", b'"', b"a", b'\\"')
        ),
        st.sampled_from((0, 1, 2, 100, 1000, 10_000, 100_000)),
    )
    return st.one_of(st.binary(max_size=512), runs)


def json_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """JSON documents with the values that upset readers (huge ints, deep nesting, odd keys)."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from((2**63, -(2**63) - 1, 10**30, 10**300)),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    )
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, max_size=5), st.dictionaries(st.text(max_size=10), kids, max_size=5)
        ),
        max_leaves=max_leaves,
    )


def deep_json() -> st.SearchStrategy[bytes]:
    """Nesting far past any sane depth, closed or not, with a tail that keeps a scanner busy."""
    return st.builds(
        lambda opener, depth, tail, closed: (
            opener * depth
            + tail
            + (opener.replace(b"[", b"]").replace(b'{"a":', b"}") * depth if closed else b"")
        ),
        st.sampled_from((b"[", b'{"a":')),
        st.sampled_from((10, 600, 1500, 5000, 50_000)),
        st.sampled_from((b"", b"1", b'"' + b'\\"' * 5000, b'"unterminated')),
        st.booleans(),
    )


def json_bytes(values: st.SearchStrategy[Any] | None = None) -> st.SearchStrategy[bytes]:
    """JSON documents as UTF-8 bytes."""
    return (values or json_values()).map(lambda v: json.dumps(v).encode("utf-8"))


def hostile_text() -> st.SearchStrategy[bytes]:
    """Text with separators, quotes, odd line ends, lone surrogates and invalid UTF-8."""
    chars = st.one_of(
        st.sampled_from(list(",;\t\"'\r\n\\ ")),
        st.characters(codec="utf-8"),
        st.sampled_from(["\ufeff", "\u2028", "\x00", "é", "鿿"]),
    )
    text = st.text(chars, max_size=200).map(lambda s: s.encode("utf-8"))
    invalid = st.builds(lambda a, b: a + b"\xc3\x28\xed\xa0\x80\xff" + a, text, st.just(b""))
    return st.one_of(text, invalid)


#: JSON values put in place of a document's values: edge numbers, odd strings, wrong kinds.
EDGE_VALUES = (
    -1, 0, 10**9, 2**31, 2**63, 10**30, -(10**30), 1e308, 0.5, True, None, "", "a\x00b",
    "../../etc/passwd", "{0..999999}", "s{0..99}{0..99}{0..99}.tar", "s{0..%s}.tar" % ("9" * 5000),
    "1" * 5000, [], {},
    [1, 2], {"a": None}, ["x"] * 3,
)  # fmt: skip


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in list(doc.items())[:200]:
            out += _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:50]):
            out += _paths(v, (*path, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _replace(doc[head], rest, value)}
    return [*doc[:head], _replace(doc[head], rest, value), *doc[head + 1 :]]


@st.composite
def json_mutated(draw: Any, seeds: list[bytes], max_edits: int = 3) -> bytes:
    """A JSON document of ``seeds`` with 1 to ``max_edits`` of its values (or keys' values,
    or the whole) replaced by an edge value, a generated value, or dropped from its object."""
    doc = json.loads(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_edits))):
        path = draw(st.sampled_from(_paths(doc)))
        if path and draw(st.integers(0, 4)) == 0:  # drop the key or item
            doc = _replace(doc, path, None)  # fresh containers along the path
            parent = doc
            for p in path[:-1]:
                parent = parent[p]
            del parent[path[-1]]
            continue
        value = draw(st.one_of(st.sampled_from(EDGE_VALUES), json_values(6)))
        doc = _replace(doc, path, value)
    return json.dumps(doc).encode("utf-8")


# --- inputs that claim or expand to far more than they are ------------------------------------
class Bomb(bytes):
    """A small input that inflates to gigabytes: its time bound does not grow with its size
    (see ``bounds.Collector.bound``)."""


BOMB_SIZES = (1 << 30, 4 << 30)


@functools.cache
def _zeros_block() -> bytes:
    # After a full flush a compressor starts afresh, so every MiB of zeros compresses to the
    # same bytes: a gigabyte of deflate is this block repeated (fast to make, ~1 KiB a MiB).
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    c.compress(b"x")
    c.flush(zlib.Z_FULL_FLUSH)
    return c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)


def _deflate(prefix: bytes, zeros: int) -> bytes:
    """Raw deflate of ``prefix`` and ``zeros`` zero bytes (rounded to MiB); an empty final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    return head + _zeros_block() * (zeros >> 20) + b"\x03\x00"


@functools.cache
def gzip_bomb(prefix: bytes = b"", zeros: int = BOMB_SIZES[0]) -> Bomb:
    """gzip of ``prefix`` and then zeros (the trailer's CRC is not computed: a reader that
    gets that far has already inflated it all)."""
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return Bomb(head + _deflate(prefix, zeros) + struct.pack("<II", 0, zeros & 0xFFFFFFFF))


@functools.cache
def zlib_bomb(prefix: bytes = b"", zeros: int = BOMB_SIZES[0]) -> bytes:
    return b"\x78\xda" + _deflate(prefix, zeros) + b"\x00\x00\x00\x00"


@functools.cache
def zip_bomb(name: str, prefix: bytes = b"", zeros: int = BOMB_SIZES[0]) -> Bomb:
    """A zip archive with one deflated member ``name`` of ``prefix`` and zeros; its sizes
    say what it holds (zip64 when that is 4 GiB or more)."""
    data, size, fname = _deflate(prefix, zeros), len(prefix) + (zeros >> 20 << 20), name.encode()
    zip64 = size >= 0xFFFFFFFF
    extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if zip64 else b""
    sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (len(data), size)
    version = 45 if zip64 else 20
    local = struct.pack("<IHHHHHIII", 0x04034B50, version, 0, 8, 0, 0, 0, *sizes)
    local += struct.pack("<HH", len(fname), len(extra)) + fname + extra
    central = struct.pack("<IHHHHHHIII", 0x02014B50, version, version, 0, 8, 0, 0, 0, *sizes)
    central += struct.pack("<HHHHHII", len(fname), len(extra), 0, 0, 0, 0, 0) + fname + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return Bomb(local + data + central + end)


def npy_claims() -> st.SearchStrategy[bytes]:
    """NPY files whose header claims shapes at the edges (zero-width, 2**31 rows, ...)."""
    dims = st.sampled_from((0, 1, 3, 2**16, 2**31, 2**32, 2**62, 2**63))
    return st.builds(
        _npy,
        st.sampled_from(("|u1", "<f8", "|b1", ">i4", "<f2")),
        _shapes(dims),
        st.booleans(),
        st.binary(max_size=64),
    )


def _shapes(dims: st.SearchStrategy[int]) -> st.SearchStrategy[list[int]]:
    """Shapes of those dimensions, often many rows of nothing (``[2**31, 0]``)."""
    zero_width = st.tuples(dims, st.just(0)).map(list)
    return st.one_of(st.lists(dims, max_size=4), zero_width)


def _npy(descr: str, shape: list[int], fortran: bool, data: bytes) -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    pad = -(10 + len(text) + 1) % 64
    return (
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", len(text) + pad + 1)
        + text.encode()
        + b" " * pad
        + b"\n"
        + data
    )


def idx_claims() -> st.SearchStrategy[bytes]:
    """IDX files whose header claims dimensions at the edges."""
    dims = st.sampled_from((0, 1, 3, 2**16, 2**31 - 1, 2**31, 2**32 - 1))
    return st.builds(
        lambda code, shape, data: bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + data,
        st.sampled_from((0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x01)), _shapes(dims),
        st.binary(max_size=64),
    )  # fmt: skip


def tar_long_names() -> st.SearchStrategy[bytes]:
    """Tar archives (pax) with very long member names, dotless or full of dots."""
    return st.builds(
        _tar_named,
        st.sampled_from(("a", ".", "a.", "/")),
        st.sampled_from((200, 5000, 65536, 200_000)),
    )


@functools.cache
def _tar_named(unit: str, n: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("d/" + unit * n)
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    return buf.getvalue()
