"""What the binary array formats (NPY, IDX) share: byte order, layout and row streaming.

A format module supplies a *header parser*: given the first bytes of a stream it returns a
:class:`Layout` (dtype, shape, byte order, order, where the data starts) or, when it needs more
bytes, how many bytes it needs in total (:class:`Layout` and the size check
:func:`checked_nbytes` live in ``torsh_data._array_header``, below the datasets, which map
``.npy`` files too). Everything else is here:

* :func:`array_from_buffer` and :func:`array_from_file` read a whole array, checking the size
  the header claims against the bytes that exist *before* allocating anything;
* :func:`to_native` byte-swaps with ``array.byteswap`` (one copy, C speed);
* :func:`fortran_to_c` reorders a Fortran-order array with strided ``memoryview`` copies, one
  Python step per row or column (whichever is fewer), never per element;
* :class:`RowReader` turns a byte stream into the rows along the first axis as they complete.

>>> to_native(memoryview(b"\\x00\\x01\\x00\\x02"), 2).tobytes()
b'\\x01\\x00\\x02\\x00'
>>> fortran_to_c(memoryview(bytes([1, 4, 2, 5, 3, 6])), 1, (2, 3)).tolist()
[1, 2, 3, 4, 5, 6]
"""

from __future__ import annotations

import array
import math
import os
from typing import IO, Any

from .._array_header import MAX_EMPTY_ROWS, HeaderParser, Layout, checked_nbytes
from .._errors import DataValueError, FormatError
from ..tensor import Tensor
from ._source import IncrementalReader, read_chunk

__all__ = [
    "MAX_EMPTY_ROWS",
    "HeaderParser",
    "Layout",
    "RowReader",
    "array_from_buffer",
    "array_from_file",
    "byte_view",
    "checked_nbytes",
    "fortran_to_c",
    "remaining",
    "to_native",
]

#: ``array`` type codes of each element size, for byte swapping and strided copies.
_CODES: dict[int, Any] = {1: "B"}
for _code in "HILQ":
    _CODES.setdefault(array.array(_code).itemsize, _code)

_READ_STEP = 1 << 24  # bytes read at a time from a stream whose length is unknown


def to_native(data: memoryview, itemsize: int) -> memoryview:
    """A copy of ``data`` with each ``itemsize``-byte element byte-reversed (``array.byteswap``)."""
    if itemsize == 1:
        return data
    a = array.array(_CODES[itemsize])
    a.frombytes(data)
    a.byteswap()
    return memoryview(a).cast("B")


def fortran_to_c(data: memoryview, itemsize: int, shape: tuple[int, ...]) -> memoryview:
    """Reorder column-major ``data`` of ``shape`` into a new row-major buffer.

    NOTE [ Fortran transposition ]: in Fortran order the first axis varies fastest. Either copy
    each output row (last-axis run) from a strided slice of the input — one step per row —
    or copy each contiguous input run along the first axis into a strided slice of the
    output — one step per such run. Both are single ``memoryview`` copies in C; we take the
    side with fewer steps, so a tall ``(60000, 3)`` array costs 3 steps, not 60000.
    """
    if len(shape) < 2 or 0 in shape:
        return data
    code = _CODES[itemsize]
    src = data.cast(code)
    out_bytes = bytearray(len(data))
    out = memoryview(out_bytes).cast(code)
    n = len(src)
    last, first = shape[-1], shape[0]
    rows, runs = n // last, n // first
    if rows <= runs:
        # Output row r (C-order index over the leading axes) = src[base :: rows], where base
        # is that leading index's Fortran offset (strides 1, d0, d0*d1, ...).
        for r, base in enumerate(_c_order(shape[:-1], strides_f(shape[:-1]))):
            out[r * last : (r + 1) * last] = src[base::rows]
    else:
        # Input run f (Fortran index over axes 1..) = src[f*first : (f+1)*first], which goes to
        # out[c :: runs] with c the C offset of the same index over axes 1.. .
        tail = shape[1:]
        for f, c in enumerate(_f_order(tail, strides_c(tail))):
            out[c::runs] = src[f * first : (f + 1) * first]
    return memoryview(out_bytes)


def strides_f(shape: tuple[int, ...]) -> list[int]:
    """Element strides of a Fortran-order array of ``shape``."""
    out, s = [], 1
    for d in shape:
        out.append(s)
        s *= d
    return out


def strides_c(shape: tuple[int, ...]) -> list[int]:
    """Element strides of a C-order array of ``shape``."""
    return strides_f(shape[::-1])[::-1]


def _c_order(shape: tuple[int, ...], strides: list[int]) -> list[int]:
    """Offsets ``sum(i_k * strides[k])`` of every index of ``shape``, last axis fastest."""
    offs = [0]
    for d, s in zip(shape, strides, strict=True):
        offs = [o + i * s for o in offs for i in range(d)]
    return offs


def _f_order(shape: tuple[int, ...], strides: list[int]) -> list[int]:
    """Offsets of every index of ``shape``, first axis fastest."""
    return _c_order(shape[::-1], strides[::-1])


def _finish(layout: Layout, data: memoryview) -> Tensor:
    if layout.swap:
        data = to_native(data, layout.dtype.itemsize)
    if layout.fortran:
        data = fortran_to_c(data, layout.dtype.itemsize, layout.shape)
    return Tensor._make(data, layout.dtype, layout.shape)


def _need_header(parse: HeaderParser, head: memoryview, label: str) -> Layout:
    found = parse(head)
    if isinstance(found, int):
        what = "empty" if not len(head) else f"truncated in the header ({len(head)} bytes)"
        raise FormatError(f"{what}; the header needs {found} bytes", source=label, offset=0)
    return found


def _size_error(layout: Layout, have: int, label: str) -> FormatError:
    if have < layout.nbytes:
        return FormatError(
            f"truncated: the header claims {layout.nbytes} bytes of {layout.dtype} data for "
            f"shape {layout.shape}, only {have} are present",
            source=label,
            offset=layout.offset + have,
        )
    return FormatError(
        f"{have - layout.nbytes} bytes of trailing data after the array's "
        f"{layout.nbytes} bytes (a lying header or a corrupt file)",
        source=label,
        offset=layout.offset + layout.nbytes,
    )


def byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    """``data`` as a flat unsigned-byte memoryview (no copy unless it is not contiguous)."""
    view = memoryview(data)
    if not view.c_contiguous:
        return memoryview(view.tobytes())
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def array_from_buffer(
    data: bytes | bytearray | memoryview, parse: HeaderParser, label: str
) -> Tensor:
    """The array in ``data``, which must hold exactly a header and its data (zero copy)."""
    view = byte_view(data)
    layout = _need_header(parse, view, label)
    have = len(view) - layout.offset
    if have != layout.nbytes:
        raise _size_error(layout, have, label)
    return _finish(layout, view[layout.offset :])


def array_from_file(
    f: IO[bytes],
    parse: HeaderParser,
    label: str,
    head: bytes = b"",
    exact: bool = True,
    bound: int | None = None,
    size: int | None = None,
) -> Tensor:
    """Read the array at ``f``'s position: the data is one ``read`` that the tensor wraps.

    The size the header claims is checked against what the file holds before reading (for
    a stream of unknown length, data is read in steps and never past that size), and against
    ``bound``, the most bytes the stream can hold (what a compressed input can inflate to).
    ``size`` is the stream's length from ``head`` on when the caller knows it (else the file
    is asked, when it can tell).
    With ``exact``, bytes after the array are an error; otherwise ``f`` is left just after it.
    """
    need = parse(head)
    while isinstance(need, int):
        head += _read(f, need - len(head), label)
        if len(head) < need:
            _need_header(parse, memoryview(head), label)  # raises: truncated header
        need = parse(head)
    layout = need
    if bound is not None and layout.offset + layout.nbytes > bound:
        raise FormatError(
            f"the header claims {layout.nbytes} bytes of {layout.dtype} data for shape "
            f"{layout.shape}, more than the input can hold (at most {bound} bytes)",
            source=label,
            offset=0,
        )
    extra = head[layout.offset :]
    if len(extra) > layout.nbytes:
        raise _size_error(layout, len(extra), label)
    left = remaining(f) if size is None else max(size - len(head), 0)
    if left is not None and len(extra) + left < layout.nbytes:  # before allocating
        raise _size_error(layout, len(extra) + left, label)
    if exact and left is not None and len(extra) + left > layout.nbytes:  # before reading
        raise _size_error(layout, len(extra) + left, label)
    if left is not None:
        data = extra + _read(f, layout.nbytes - len(extra), label)
    else:  # a stream of unknown length: grow as data arrives, never past nbytes
        parts = [extra]
        got = len(extra)
        while got < layout.nbytes:
            more = _read(f, min(_READ_STEP, layout.nbytes - got), label)
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    if len(data) < layout.nbytes:
        raise _size_error(layout, len(data), label)
    if exact and _read(f, 1, label):  # a stream that grew, or of unknown length
        raise _size_error(layout, layout.nbytes + 1 + (remaining(f) or 0), label)
    return _finish(layout, memoryview(data))


def remaining(f: IO[bytes]) -> int | None:
    """Bytes left in ``f`` when it can tell (a regular or in-memory file), else None."""
    try:
        fileno = f.fileno()
        size = os.fstat(fileno).st_size
        pos = f.tell()
        if size or pos:  # pipes and character devices report 0
            return max(size - pos, 0)
        return None
    except (OSError, AttributeError, ValueError):
        pass
    try:
        if not f.seekable():
            return None
        pos = f.tell()
        end = f.seek(0, os.SEEK_END)
        f.seek(pos)
        return max(end - pos, 0)
    except (OSError, AttributeError, ValueError):
        return None


def _read(f: IO[bytes], n: int, label: str) -> bytes:
    parts, got = [], 0  # joined once: a stream giving small pieces costs no repeated copies
    while got < n:
        chunk = read_chunk(f, n - got, label)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


class RowReader(IncrementalReader[Tensor]):
    """Base of incremental array readers: ``feed`` returns the rows (first axis) completed.

    A 0-d array yields itself as its one "row". Fortran-order arrays are kept until
    ``close()``, which returns all their rows (their rows are not contiguous in the stream).
    Memory stays within one row plus one chunk for C order, and the array for Fortran order.
    """

    def __init__(self, name: str, parse: HeaderParser) -> None:
        super().__init__(name)
        self._parse = parse
        self._pending = bytearray()
        self._layout: Layout | None = None
        self._rows_left = 0
        self._row_bytes = 0
        self._row_shape: tuple[int, ...] = ()
        self._seen = 0  # bytes of (decompressed) stream taken so far
        self._closed = False

    @property
    def layout(self) -> Layout | None:
        """The array's layout once its header has been read."""
        return self._layout

    def feed(self, chunk: bytes) -> list[Tensor]:
        if self._closed:
            raise DataValueError(f"{self.name}: feed() after close()")
        data = chunk if type(chunk) is bytes else bytes(chunk)
        self._seen += len(data)
        if self._layout is None:
            self._pending += data
            found = self._parse(self._pending)
            if isinstance(found, int):
                return []
            self._start(found)
            data = bytes(self._pending[found.offset :])
            self._pending.clear()
        return self._rows(data)

    def _start(self, layout: Layout) -> None:
        self._layout = layout
        shape = layout.shape
        self._rows_left = shape[0] if shape else 1
        self._row_shape = shape[1:]
        self._row_bytes = math.prod(self._row_shape) * layout.dtype.itemsize

    def _rows(self, data: bytes) -> list[Tensor]:
        layout = self._layout
        assert layout is not None
        pending = self._pending
        if layout.fortran:
            pending += data
            if len(pending) > layout.nbytes:
                raise self._trailing(len(pending) - layout.nbytes)
            return []
        rb = self._row_bytes
        if rb == 0:  # rows of no bytes: all of them at once
            out = [
                Tensor._make(memoryview(b""), layout.dtype, self._row_shape)
                for _ in range(self._rows_left)
            ]
            self._rows_left = 0
            if data:
                raise self._trailing(len(data))
            return out
        out = []
        view = memoryview(data)
        if pending:  # complete the row begun by earlier chunks
            fill = min(rb - len(pending), len(view))
            pending += view[:fill]
            view = view[fill:]
            if len(pending) < rb:
                return out
            out.append(self._row(memoryview(bytes(pending))))
            pending.clear()
        # NOTE [ Rows as views ]: whole rows in this chunk share its bytes (no copy).
        k = min(len(view) // rb, self._rows_left)
        if k:
            block = view[: k * rb]
            if layout.swap:
                block = to_native(block, layout.dtype.itemsize)
            out += [
                Tensor._make(block[i * rb : (i + 1) * rb], layout.dtype, self._row_shape)
                for i in range(k)
            ]
            self._rows_left -= k
        rest = view[k * rb :]
        if rest:
            if not self._rows_left:
                raise self._trailing(len(rest))
            pending += rest
        return out

    def _row(self, raw: memoryview) -> Tensor:
        layout = self._layout
        assert layout is not None
        if layout.swap:
            raw = to_native(raw, layout.dtype.itemsize)
        self._rows_left -= 1
        return Tensor._make(raw, layout.dtype, self._row_shape)

    def _trailing(self, extra: int) -> FormatError:
        return FormatError(
            f"{extra} bytes of trailing data after the array (a lying header or a corrupt file)",
            source=self.name,
            offset=self._seen - extra,
        )

    def close(self) -> list[Tensor]:
        if self._closed:
            return []
        self._closed = True
        layout = self._layout
        if layout is None:
            _need_header(self._parse, memoryview(self._pending), self.name)
            raise AssertionError("unreachable: a complete header would have been parsed")
        if layout.fortran:
            if len(self._pending) < layout.nbytes:
                raise _size_error(layout, len(self._pending), self.name)
            whole = _finish(layout, memoryview(self._pending))
            self._pending = bytearray()
            return list(whole) if whole.shape else [whole]
        if self._rows_left:
            have = (self._layout_rows() - self._rows_left) * self._row_bytes + len(self._pending)
            raise _size_error(layout, have, self.name)
        return []

    def _layout_rows(self) -> int:
        assert self._layout is not None
        return self._layout.shape[0] if self._layout.shape else 1
