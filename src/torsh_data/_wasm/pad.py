"""Python side of the kernel in ``pad.wat`` (NOTE [ WebAssembly kernels ]): rows of token ids
padded into int64 ids and an attention mask, for :func:`torsh_data.text.text_collate`.

NOTE [ The padding kernel ]: in Pyodide the pure path's cost is making an int64 of each
Python int (``struct.pack``, about half its native speed) and of each pad. ``marshal.dumps``
(format version 2: no back-references) writes a batch of lists of ints in one C pass at
close to its native speed, five bytes an int (``"i"`` and an int32), with the type of every
item and the length of every row. The kernel reads those bytes and writes the padded ids and
the mask in one pass. Anything but a tuple or list of rows that are tuples or lists of ints
in the int32 range (a bool, a larger int, an array) is left to the caller's pure path, which
gives the same values or says what is wrong. ``marshal``'s format is Python's own, the same
on every platform and version since version 2 (Python 2.5).

Like the text kernel's, the scratch buffer (arguments, input, outputs) is located once and
the outputs are copied out of it: locating a new buffer costs more than copying it.

>>> out = pad_rows([[5, 6, 7], [8]] * 64, 3, 0, True)
>>> out is None or [memoryview(b).cast("q")[:6].tolist() for b in out] == [
...     [5, 6, 7, 8, 0, 0], [1, 1, 1, 1, 0, 0]]
True
"""

from __future__ import annotations

import marshal
import struct
from typing import Any

from . import addresses, kernels

__all__ = ["MIN_CELLS", "pad_rows"]

#: Below this many cells (rows times the padded length) the call's fixed cost (a JavaScript
#: call, marshal, two copies) outweighs the pure path it replaces: at 32 cells both took
#: about 14 us (Chromium) and 21 us (Node.js), at 64 the kernel already saved a fifth to a
#: half, at 512 two thirds (a loaded machine).
MIN_CELLS = 64

_I32 = 2**31 - 1
_ARGS = struct.Struct("<7iiq")  # the arguments, padded so the pad id is at offset 32
_HEADER = 40


class _Scratch:
    """The arguments, up to ``size`` input bytes and two outputs of ``cells`` int64 cells;
    its address is taken once."""

    def __init__(self, size: int, cells: int) -> None:
        self.size, self.cells = size, cells
        self.src = _HEADER
        self.ids = (_HEADER + size + 7) & ~7
        self.mask = self.ids + 8 * cells
        self.buf = bytearray(self.mask + 8 * cells)
        self.view = memoryview(self.buf)
        (self.base,) = addresses(self.buf)


_scratch: _Scratch | None = None


def pad_rows(
    seqs: list[Any] | tuple[Any, ...], longest: int, pad_id: int, right: bool
) -> tuple[bytearray, bytearray] | None:
    """The int64 ids of ``seqs`` (a tuple or list of lists or tuples of at most ``longest``
    ints), each row padded with ``pad_id`` to ``longest`` on the right (``right``) or the
    left, and the int64 mask (1 at the ids), as ``(ids, mask)``; None where the kernel is not
    used (or the rows are few and short, or hold anything but ints in the int32 range, or
    ``pad_id`` is outside int64): the caller runs its pure path."""
    global _scratch
    rows = len(seqs)
    cells = rows * longest
    if cells < MIN_CELLS or not -(2**63) <= pad_id < 2**63 or cells > _I32 // 16:
        return None
    k = kernels("pad")
    if k is None:
        return None
    try:
        data = marshal.dumps(seqs, 2)
    except ValueError:  # an unmarshallable item: not a row of ints
        return None
    n = len(data)
    if n > _I32 // 4:
        return None
    s = _scratch
    if s is None or n > s.size or cells > s.cells:
        size, most = (16384, 4096) if s is None else (2 * s.size, 2 * s.cells)
        s = _scratch = _Scratch(max(n, size), max(cells, most))
    base = s.base
    s.buf[s.src : s.src + n] = data
    _ARGS.pack_into(
        s.buf, 0, base + s.src, n, rows, longest, right, base + s.ids, base + s.mask, 0, pad_id
    )
    if k.pad_rows(base) != rows:
        return None
    size = 8 * cells
    return bytearray(s.view[s.ids : s.ids + size]), bytearray(s.view[s.mask : s.mask + size])
