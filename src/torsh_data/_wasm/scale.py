"""Python side of the kernel in ``scale.wat`` (NOTE [ WebAssembly kernels ]).

:func:`scale_f32` returns the scaled float32 bytes, or None where the WebAssembly kernels are
not used (or the input is small, or holds a NaN), and the caller runs its pure-Python form,
the reference: ``f32((x - shift) / scale)`` per value, the same bits either way.

>>> import array
>>> out = scale_f32(memoryview(array.array("f", [1.0, 4.0] * 4096)), [1.0, 2.0], [2.0, 1.0])
>>> out is None or array.array("f", bytes(out))[:2].tolist() == [0.0, 2.0]
True
"""

from __future__ import annotations

import struct
from typing import Any

from . import addresses, kernels, locatable

__all__ = ["MIN_VALUES", "scale_f32", "squares_f32"]

#: Below this many values the call's fixed cost (~15 us) outweighs the Python loop.
MIN_VALUES = 1024


def _kernel_input(export: str, x: Any, f: int, params: int) -> tuple[Any, Any, int] | None:
    """The kernels, ``x`` as a locatable byte buffer and its count of float32 values, or None
    where the kernel is not used; ``params`` (the count of per-column values) must be ``f``
    and ``x`` whole rows of ``f`` float32 values."""
    view = memoryview(x).cast("B")
    n = view.nbytes // 4
    k = kernels("scale") if n >= MIN_VALUES and f else None
    if k is None:
        return None
    if params != f or n % f or view.nbytes % 4:
        raise ValueError(f"{export}: {view.nbytes} bytes are not whole float32 rows of {f}")
    return k, locatable(view), n


def scale_f32(x: Any, shift: list[float], scale: list[float]) -> bytearray | None:
    """``x`` (a buffer of float32 rows of ``len(shift)`` values) scaled column by column as
    ``(x - shift) / scale`` in float64, rounded to float32; None where the kernel is not used
    or ``x`` holds a NaN."""
    f = len(shift)
    found = _kernel_input("scale_f32", x, f, len(scale))
    if found is None:
        return None
    k, data, n = found  # data alive until the kernel has run
    params = struct.pack(f"<{2 * f}d", *shift, *scale)
    out = bytearray(4 * n)
    xa, pa, oa = addresses(data, params, out)
    done = k.scale_f32(xa, n, f, pa, pa + 8 * f, oa)
    return out if done == n else None


def squares_f32(x: Any, f: int, means: list[float]) -> list[Any] | None:
    """For each column ``j`` of ``x`` (a buffer of float32 rows of ``f`` finite values), the
    float64 values ``(x[:, j] - means[j]) ** 2`` (each a correctly rounded product ``d * d``),
    as one view of format ``d`` per column; None where the kernel is not used."""
    found = _kernel_input("squares_f32", x, f, len(means))
    if found is None:
        return None
    k, data, n = found
    rows = n // f
    out = []
    for j, m in enumerate(means):
        col = bytearray(8 * rows)
        xa, oa = addresses(data, col)
        k.squares_f32(xa, rows, f, j, m, oa)
        out.append(memoryview(col).cast("d"))
    return out
