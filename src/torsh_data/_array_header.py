"""Array headers, read before any data: what the binary formats and memory mapping share.

A header is checked before anything it claims is allocated: :func:`checked_nbytes` bounds the
data size a shape claims (and the rows of an array holding no data), and a :class:`Layout` says
where the data is and how it is stored. :func:`parse_npy_header` reads numpy's ``.npy`` header
(used by :mod:`torsh_data.formats.npy` and by ``MemoryMappedDataset.from_npy``). This module
imports nothing above the package's base modules, so both can use it.
"""

from __future__ import annotations

import ast
import math
import re
import struct
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _dtype
from ._dtype import DType
from ._errors import FormatError
from ._runtime import IN_PYODIDE

__all__ = [
    "MAGIC",
    "MAX_EMPTY_ROWS",
    "MAX_HEADER_LEN",
    "MAX_NDIM",
    "HeaderParser",
    "Layout",
    "checked_nbytes",
    "parse_npy_header",
]

#: Most rows (sub-arrays along the leading axes before a zero dimension) of an array holding
#: no data, such as shape ``(n, 0)``: nothing in the file bounds them, yet a row reader makes
#: a tensor of ~400 bytes for each (1,048,576 natively, 65,536 in Pyodide).
MAX_EMPTY_ROWS = 1 << 16 if IN_PYODIDE else 1 << 20


@dataclass(frozen=True)
class Layout:
    """Where an array's data is and how to read it."""

    dtype: DType
    shape: tuple[int, ...]
    offset: int  # where the data starts (the header's length)
    nbytes: int  # the data's length
    swap: bool = False  # stored in the other byte order
    fortran: bool = False  # stored in Fortran (column-major) order


#: Parses the start of a stream: a Layout, or the number of bytes it needs to decide.
HeaderParser = Callable[[bytes | bytearray | memoryview], Layout | int]


def checked_nbytes(
    shape: tuple[int, ...], itemsize: int, max_bytes: int, label: str, offset: int
) -> int:
    """The data size of ``shape``; FormatError when it passes ``max_bytes``.

    Zero-sized dimensions count as one here, so ``(0, 10**30)`` is refused as absurd too.
    An array with no data still costs a tensor per row to a reader, so its rows (the leading
    dimensions before the first zero, multiplied) may be at most :data:`MAX_EMPTY_ROWS`.

    >>> checked_nbytes((3, 0), 1, 100, "x.npy", 0)
    0
    >>> checked_nbytes((2**31, 0), 1, 1 << 32, "x.npy", 0)
    Traceback (most recent call last):
    ...
    torsh_data.FormatError: x.npy: byte 0: the header's shape (2147483648, 0) has 2147483648 rows of no data, more than MAX_EMPTY_ROWS=... (a hostile file?)
    """
    bound = itemsize
    for d in shape:
        bound *= max(d, 1)
        if bound > max_bytes:
            raise FormatError(
                f"the header's shape {shape} claims more than the {max_bytes}-byte limit "
                "(absurd dimensions or a hostile file?); raise max_bytes if it is genuine",
                source=label,
                offset=offset,
            )
    if 0 in shape:
        rows = math.prod(shape[: shape.index(0)])
        if rows > MAX_EMPTY_ROWS:
            raise FormatError(
                f"the header's shape {shape} has {rows} rows of no data, more than "
                f"MAX_EMPTY_ROWS={MAX_EMPTY_ROWS} (a hostile file?)",
                source=label,
                offset=offset,
            )
        return 0
    return math.prod(shape) * itemsize


# --- NPY -----------------------------------------------------------------------------------
MAGIC = b"\x93NUMPY"
#: The longest header read (numpy's own headers for our dtypes are under 1 KiB).
MAX_HEADER_LEN = 1 << 17
MAX_NDIM = 64
_KEYS = {"descr", "fortran_order", "shape"}
_LITTLE = sys.byteorder == "little"
_DESCR = re.compile(r"([<>|=])([a-zA-Z])(\d+)")
_KINDS = {
    ("b", 1): _dtype.bool_,
    **{("u", d.itemsize): d for d in (_dtype.uint8, _dtype.uint16, _dtype.uint32, _dtype.uint64)},
    **{("i", d.itemsize): d for d in (_dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)},
    **{("f", d.itemsize): d for d in (_dtype.float16, _dtype.float32, _dtype.float64)},
}
_REFUSED = {
    "O": "object arrays and pickles are refused",
    "c": "complex dtypes are not supported",
    "S": "byte-string dtypes are not supported",
    "a": "byte-string dtypes are not supported",
    "U": "unicode string dtypes are not supported",
    "V": "void/structured dtypes are not supported",
    "M": "datetime dtypes are not supported",
    "m": "timedelta dtypes are not supported",
}


def parse_npy_header(
    head: bytes | bytearray | memoryview, label: str, max_bytes: int
) -> Layout | int:
    """Parse the start of an ``.npy`` file: its :class:`Layout`, or how many bytes (in all)
    it needs to decide. The dtype, shape and order are checked strictly and the size the
    shape claims against ``max_bytes`` (:func:`checked_nbytes`) before anything is read.

    >>> parse_npy_header(b"\\x93NUMPY", "x.npy", 1 << 20)
    8
    """
    n = min(len(head), 6)
    if bytes(head[:n]) != MAGIC[:n]:
        raise FormatError(
            f"not an NPY file: it starts with {bytes(head[:6])!r}, not {MAGIC!r}",
            source=label,
            offset=0,
        )
    if len(head) < 8:
        return 8
    major, minor = head[6], head[7]
    if major not in (1, 2, 3) or minor != 0:
        raise FormatError(
            f"unsupported NPY format version {major}.{minor} (1.0, 2.0 and 3.0 are read)",
            source=label,
            offset=6,
        )
    start = 10 if major == 1 else 12
    if len(head) < start:
        return start
    (hlen,) = struct.unpack_from("<H" if major == 1 else "<I", head, 8)
    if hlen > MAX_HEADER_LEN:
        raise FormatError(
            f"header length {hlen} is over the {MAX_HEADER_LEN}-byte limit", source=label, offset=8
        )
    end = start + hlen
    if len(head) < end:
        return end
    try:
        text = bytes(head[start:end]).decode("utf-8" if major == 3 else "latin-1")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"a version 3.0 header is not UTF-8 ({exc.reason})", source=label, offset=start
        ) from None
    dtype, swap, shape, fortran = _parse_dict(text, label, start)
    nbytes = checked_nbytes(shape, dtype.itemsize, max_bytes, label, start)
    return Layout(dtype, shape, end, nbytes, swap, fortran and len(shape) > 1)


def _parse_dict(text: str, label: str, at: int) -> tuple[DType, bool, tuple[int, ...], bool]:
    def bad(what: str) -> FormatError:
        return FormatError(f"invalid NPY header: {what}", source=label, offset=at)

    try:
        with warnings.catch_warnings():  # a hostile header's "\o" is not the caller's warning
            warnings.simplefilter("ignore", SyntaxWarning)  # Python >= 3.12
            warnings.simplefilter("ignore", DeprecationWarning)  # before
            d = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise bad(f"not a Python literal: {text[:80]!r}") from None
    if type(d) is not dict:
        raise bad(f"expected a dict, found {type(d).__name__}")
    if set(d) != _KEYS:
        raise bad(
            f"keys must be exactly descr, fortran_order and shape, not {sorted(map(repr, d))}"
        )
    descr, fortran, shape = d["descr"], d["fortran_order"], d["shape"]
    if type(fortran) is not bool:
        raise bad(f"fortran_order must be True or False, not {fortran!r}")
    if type(shape) is not tuple or not all(type(x) is int and x >= 0 for x in shape):
        raise bad(f"shape must be a tuple of non-negative ints, not {shape!r}")
    if len(shape) > MAX_NDIM:
        raise bad(f"{len(shape)} dimensions (at most {MAX_NDIM})")
    dtype, swap = _parse_descr(descr, bad)
    return dtype, swap, shape, fortran


def _parse_descr(descr: Any, bad: Any) -> tuple[DType, bool]:
    if not isinstance(descr, str):
        if isinstance(descr, list):
            raise bad(f"structured dtype {descr!r} is not supported")
        raise bad(f"descr must be a dtype string, not {descr!r}")
    m = _DESCR.fullmatch(descr)
    kind = m.group(2) if m else descr.lstrip("<>|=")[:1]
    if kind in _REFUSED:
        raise bad(f"dtype {descr!r}: {_REFUSED[kind]}")
    found = _KINDS.get((kind, int(m.group(3)))) if m else None
    if m is None or found is None:
        raise bad(f"dtype {descr!r} is not supported (bool, u1-u8, i1-i8, f2, f4, f8 are)")
    order = m.group(1)
    if found.itemsize > 1 and order == "|":
        raise bad(f"dtype {descr!r} has no byte order ('<' or '>' expected)")
    swap = found.itemsize > 1 and (order == ">" if _LITTLE else order == "<")
    return found, swap
