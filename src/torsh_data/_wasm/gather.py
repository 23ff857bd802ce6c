"""Python side of the kernel in ``gather.wat`` (NOTE [ WebAssembly kernels ]).

:func:`gather_rows` returns the gathered bytes, or None at once where the WebAssembly kernels
are not used (or the batch is too small to pay, or an index is out of range), and the caller
runs its pure-Python form (which reports a bad index).

>>> rows = memoryview(bytearray(b"aabbcc"))
>>> out = gather_rows(rows, 3, 2, [2, 0, -1] * 6)
>>> out is None or bytes(out) == b"ccaacc" * 6
True
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from . import addresses, kernels

__all__ = ["MIN_ROWS", "gather_rows"]

#: Below this many indices a call's fixed cost (~15 us in Node.js: a JavaScript call, packing
#: the indices, the addresses) outweighs the Python gather it replaces (a 1-d tensor's
#: itemgetter breaks even near 64, rows of 80 bytes near 32).
MIN_ROWS = 64

_packings: dict[int, struct.Struct] = {}  # the int64 packing of each count of indices


def gather_rows(
    data: memoryview, rows: int, row_bytes: int, indices: Sequence[int]
) -> bytearray | None:
    """Rows ``indices`` (negative ones from the end) of the ``rows`` rows of ``row_bytes``
    bytes each at the start of ``data`` (a contiguous view of format ``B``), joined; None
    where the kernel is not used, there are fewer than :data:`MIN_ROWS` indices, ``data`` is
    read-only, or an index is not an integer in range."""
    count = len(indices)
    k = kernels("gather") if count >= MIN_ROWS else None
    if k is None or data.readonly or row_bytes <= 0:
        return None
    if (
        data.format != "B"
        or not data.c_contiguous
        or data.nbytes < rows * row_bytes
        or rows >= 1 << 31
    ):
        raise ValueError(
            f"gather_rows: {rows} rows of {row_bytes} bytes need a contiguous view of format "
            f"'B' of at least {rows * row_bytes} bytes, got {data.nbytes} of {data.format!r}"
        )
    packing = _packings.get(count)
    if packing is None:
        if len(_packings) > 64:
            _packings.clear()
        packing = _packings[count] = struct.Struct(f"<{count}q")
    try:  # struct packs a list of ints eight times as fast as array("q", ...) does in Pyodide
        idx = packing.pack(*indices)
    except struct.error:  # not all int64s: the caller's path says what is wrong
        return None
    out = bytearray(count * row_bytes)
    d, i, o = addresses(data, idx, out)
    return out if k.gather_rows(d, rows, row_bytes, i, count, o) == count else None
