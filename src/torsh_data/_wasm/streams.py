"""Python side of the kernel in ``streams.wat`` (NOTE [ WebAssembly kernels ]).

:func:`seed_lanes` seeds a batch's per-sample streams in lanes, or returns None at once where
the WebAssembly kernels are not used, and the caller seeds them in Python.

>>> from torsh_data._streams import lane_seed
>>> found = seed_lanes(7, [0, 5])
>>> found is None or found[:8] == lane_seed(7, 0).to_bytes(8, "little")
True
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from . import addresses, kernels

__all__ = ["seed_lanes"]

_MAX_STREAMS = (2**31 - 1) // 16  # the lanes' bytes must have an i32 size
_packings: dict[int, struct.Struct] = {}  # the uint64 packing of each count of indices


def seed_lanes(base: int, indices: Sequence[int]) -> bytearray | None:
    """The lanes of the streams of samples ``indices`` under the epoch's ``base`` seed: 16
    bytes a stream, its seed (``_streams.lane_seed(base, index)``) little-endian then 8 zero
    bytes. None where the kernel is not used, or an index is not an int in [0, 2**64)."""
    k = kernels("streams")
    n = len(indices)
    if k is None or not 0 < n <= _MAX_STREAMS:
        return None
    packing = _packings.get(n)
    if packing is None:
        if len(_packings) > 64:
            _packings.clear()
        packing = _packings[n] = struct.Struct(f"<{n + 1}Q")
    try:  # struct packs a list of ints several times as fast as array("Q", ...) in Pyodide
        params = packing.pack(*indices, base % 2**64)
    except struct.error:  # an index below 0 or beyond 64 bits
        return None
    out = bytearray(16 * n)
    p, o = addresses(params, out)
    k.seed_lanes(p, n, o)
    return out
