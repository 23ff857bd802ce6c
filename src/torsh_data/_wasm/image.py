"""Python sides of the kernels in ``image.wat`` (NOTE [ WebAssembly kernels ]).

Each function runs its kernel and returns True, or returns False at once where the
WebAssembly kernels are not used, and the caller runs its pure-Python form.

>>> out = bytearray(8)
>>> tables = tuple(bytes([k]) * 256 for k in range(4))
>>> lookup_float32(b"ab", tables, out, 0) in (True, False)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import addresses, kernels

__all__ = ["MIN_BYTES", "lookup_float32"]

#: Below this many bytes a call's fixed cost (a JavaScript call and the addresses, ~10-30 us
#: in Pyodide) outweighs the loop it saves: the caller's pure-Python kernel is as fast.
MIN_BYTES = 4096


def lookup_float32(src: Any, tables: Sequence[bytes], out: Any, start: int) -> bool:
    """Write ``tables[0][b] + tables[1][b] + tables[2][b] + tables[3][b]`` (the four bytes of a
    float32) for each byte ``b`` of ``src`` into ``out`` at ``start``; False (nothing written)
    where the kernel is not used or ``src`` is shorter than :data:`MIN_BYTES`."""
    n = memoryview(src).nbytes
    k = kernels("image") if n >= MIN_BYTES else None
    if k is None:
        return False
    target = memoryview(out).cast("B")[start : start + 4 * n]
    if len(target) != 4 * n or any(len(t) != 256 for t in tables[:4]) or len(tables) != 4:
        raise ValueError(f"lookup_float32: {n} bytes need 4 tables of 256 and {4 * n} out")
    if n:
        table = bytearray(1024)
        for j in range(4):
            table[j::4] = tables[j]
        data = src if type(src) is bytes else bytes(src)  # alive until the kernel has run
        s, t, o = addresses(data, table, target)
        k.lookup4(s, n, t, o)
    return True
