"""Python sides of the kernels in ``sort.wat`` (NOTE [ WebAssembly kernels ]).

Each function runs its kernel and returns True, or returns False at once where the
WebAssembly kernels are not used (or the input is too small to pay), and the caller runs
its pure-Python form.

>>> from array import array
>>> keys, out = array("Q", [5, 3, 5, 1]), array("I", bytes(16))
>>> argsort_u64(keys, out) is False or out.tolist() == sorted(range(4), key=keys.__getitem__)
True
"""

from __future__ import annotations

from typing import Any

from . import addresses, kernels

__all__ = ["MIN_KEYS", "argsort_u64"]

#: Below this many keys ``sorted`` in Pyodide is as fast as a call of the kernel (its fixed
#: cost, and the 49 KB of counts it clears); measured crossover in Chromium and Node.js.
MIN_KEYS = 256

_COUNTS = 6 * 2048 * 4  # the radix counts at the start of the scratch buffer (sort.wat)


def argsort_u64(keys: Any, out: Any) -> bool:
    """Write ``sorted(range(n), key=keys.__getitem__)`` (ascending keys, equal keys in index
    order) into ``out``, for the ``n`` unsigned 64-bit ``keys`` (a writable buffer of format
    ``Q``, e.g. an ``array('Q')``) and ``out`` a writable buffer of ``n`` format ``I`` (uint32)
    items; False (nothing written) where the kernel is not used or ``n`` is below
    :data:`MIN_KEYS`."""
    src = memoryview(keys)
    n = src.nbytes // 8
    k = kernels("sort") if n >= MIN_KEYS else None
    if k is None:
        return False
    dst = memoryview(out)
    if (
        src.format != "Q"
        or src.itemsize != 8
        or src.ndim != 1
        or src.readonly
        or not src.contiguous
        or dst.format != "I"
        or dst.itemsize != 4
        or dst.readonly
        or not dst.contiguous
        or dst.nbytes != 4 * n
        or n >= 1 << 31
    ):
        raise ValueError(
            f"argsort_u64: {n} keys need a writable 1-d buffer of format 'Q' (got "
            f"{src.format!r}) and a writable one of {n} format 'I' items (got {dst.nbytes} "
            f"bytes of {dst.format!r}), fewer than 2**31"
        )
    if n:
        scratch = bytearray(_COUNTS + 20 * n)  # counts, two key buffers, one index buffer
        s, o, t = addresses(src, dst, scratch)
        k.argsort_u64(s, n, o, t)
    return True
