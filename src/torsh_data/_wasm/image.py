"""Python sides of the kernels in ``image.wat`` (NOTE [ WebAssembly kernels ]).

Each function runs its kernel and returns True, or returns False at once where the
WebAssembly kernels are not used, and the caller runs its pure-Python form.

>>> out = bytearray(8)
>>> tables = tuple(bytes([k]) * 256 for k in range(4))
>>> lookup_float32(b"ab", tables, out, 0) in (True, False)
True
>>> found = crop_flip(b"abcd", (1, 2, 2, 1), (1, 0, 0, 0), (2, 2), 2, [1], [True], b".")
>>> found is None or bytes(found) == b"a.c."
True
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from typing import Any

from . import addresses, kernels, locatable

__all__ = ["MIN_BYTES", "crop_flip", "draw_crop_flip", "draw_windows", "lookup_float32"]

_I32 = 2**31 - 1

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
        data = locatable(src)
        table = _table((tuple(tables),))  # (bytes, address): alive until the kernel has run
        s, o = addresses(data, target)
        k.lookup4(s, n, table[1], o)
    return True


def crop_flip(
    data: Any,
    shape: tuple[int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    cols: int,
    ks: Sequence[int],
    flips: Sequence[int],
    fill: bytes,
    tables: Sequence[Sequence[bytes]] | None = None,
) -> bytearray | None:
    """:func:`torsh_data.transforms._fused.crop_flip` (then, with ``tables``, the
    uint8 -> float32 tables) in one pass; None where the kernel is not used.

    A batch of ``shape = (N, H, W, u)`` (``u`` bytes a pixel), padded by ``ltrb`` with the
    pixel ``fill``, image ``i`` cropped to ``size = (th, tw)`` at position ``ks[i]`` of the
    padded image's windows (top ``ks[i] // cols``, left ``ks[i] % cols``, as ``RandomCrop``
    draws them; ``cols`` is the padded width less ``tw``, plus one) and mirrored left-right
    where ``flips[i]``. Without ``tables``: the bytes, ``(N, th, tw, u)``. With ``u`` channel
    tables (each four 256-byte ``translate`` tables, as ``float32_tables`` makes them): the
    float32 ``(N, u, th, tw)`` (channels first, as ``ToTensor`` gives them)."""
    k = kernels("image")
    if k is None:
        return None
    n = shape[0]
    src, windows = _windows(data, shape, ltrb, size, cols, fill, tables)
    if (
        windows is None
        or len(ks) != n
        or len(flips) != n
        or (n and (min(ks) < 0 or max(ks) >= windows))
    ):
        raise ValueError(
            f"crop_flip: {src.nbytes} bytes for {shape}, padding {ltrb}, window {size}, "
            f"{cols} columns, {len(ks)} positions in [{min(ks, default=0)}, {max(ks, default=0)}]"
            f", {len(flips)} flips, a {len(fill)}-byte fill and "
            f"{'no' if tables is None else len(tables)} tables do not agree"
        )
    # the per-image parameters in one buffer: positions, flips (int32 each), fill pixel
    params = array.array("i", ks)
    params.extend(flips)
    params.frombytes(fill + bytes(-len(fill) % 4))
    return _crop_flip(k.crop_flip, (), data, src, shape, ltrb, size, cols, params, tables)


def draw_crop_flip(
    gens: Any,
    positions: int,
    p: float | None,
    data: Any,
    shape: tuple[int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    cols: int,
    fill: bytes,
    tables: Sequence[Sequence[bytes]] | None = None,
) -> bytearray | None:
    """:func:`draw_windows` then :func:`crop_flip` with what it drew, in one call: the fused
    crop, flip (and ``ToTensor``) step of a batch whose streams are in lanes; None (nothing
    drawn) where the kernel is not used or the streams are not in lanes. ``positions`` may
    not exceed the number of windows of the padded images."""
    lanes = getattr(gens, "lanes", None)
    k = kernels("image") if positions <= _I32 else None
    if lanes is None or k is None:
        return None
    n = shape[0]
    src, windows = _windows(data, shape, ltrb, size, cols, fill, tables)
    if windows is None or not 0 < positions <= windows or len(gens) != n:
        raise ValueError(
            f"draw_crop_flip: {src.nbytes} bytes for {shape}, padding {ltrb}, window {size}, "
            f"{cols} columns, {positions} positions, {len(gens)} streams, a {len(fill)}-byte "
            f"fill and {'no' if tables is None else len(tables)} tables do not agree"
        )
    states = lanes()
    if states is None:
        return None
    params = bytearray(8 * n) + fill + bytes(-len(fill) % 4)  # ks, flips (drawn), fill pixel
    first = addresses(states)[0], positions, p is not None, 0.0 if p is None else float(p)
    return _crop_flip(k.draw_crop_flip, first, data, src, shape, ltrb, size, cols, params, tables)


def _windows(
    data: Any,
    shape: tuple[int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    cols: int,
    fill: bytes,
    tables: Sequence[Sequence[bytes]] | None,
) -> tuple[memoryview, int | None]:
    """``data``'s bytes, and how many windows its padded images have (``crop_flip``'s
    positions are below it), or None when the sizes do not agree."""
    n, h, w, u = shape
    left, top, right, bottom = ltrb
    th, tw = size
    ph, pw = h + top + bottom, w + left + right
    numbers = (n, h, w, u, left, top, right, bottom, th, tw, ph, pw, cols)
    src = memoryview(data).cast("B")
    if (
        min(numbers) < 0
        or max(numbers) > _I32
        or src.nbytes != n * h * w * u
        or not (0 < th <= ph and 0 < tw <= pw and cols == pw - tw + 1 and u == len(fill))
        or (tables is not None and (len(tables) != u or any(len(t) != 4 for t in tables)))
        or (tables is not None and any(len(b) != 256 for t in tables for b in t))
    ):
        return src, None
    return src, (ph - th + 1) * cols


def _crop_flip(
    kernel: Any, first: tuple[Any, ...], data: Any, src: memoryview, *checked: Any
) -> bytearray:
    """Run a crop-flip ``kernel`` (its arguments ``first`` before crop_flip's) on the sizes
    ``_windows`` checked (``shape, ltrb, size, cols``), then ``params`` and ``tables``; it
    draws, when it does, even for an empty output."""
    (n, h, w, u), ltrb, (th, tw), cols, params, tables = checked
    out = bytearray(n * th * tw * u * (1 if tables is None else 4))
    if out or first:
        table = (b"", 0) if tables is None else _table(tuple(map(tuple, tables)))
        s, p, o = addresses(locatable(data), params, out)
        kernel(*first, s, n, h, w, u, ltrb[0], ltrb[1], cols, p, th, tw, table[1], o)
    return out


def draw_windows(gens: Any, positions: int, p: float | None) -> array.array[int] | None:
    """The draws of a fused crop and flip for a batch's streams (``RandomCrop`` draws its
    window first, then ``RandomHorizontalFlip`` its float): ``ks`` then ``flips``, ``N``
    int32 each, exactly ``randbelow_each(gens, positions)`` (0 without a draw where
    ``positions`` is 1) and ``[v < p for v in random_each(gens)]`` (0 without a draw where
    ``p`` is None), the streams advanced the same. None where the kernel is not used or the
    streams are not in lanes (NOTE [ Streams in lanes ]): the caller draws in Python.

    >>> from torsh_data.random import sample_generators
    >>> found = draw_windows(sample_generators(0, 0, range(8)), 25, 0.5)
    >>> found is None or len(found) == 16
    True
    """
    lanes = getattr(gens, "lanes", None)
    if lanes is None or not 0 < positions <= _I32:
        return None
    k = kernels("image")
    states = None if k is None else lanes()
    if k is None or states is None:
        return None
    n = len(gens)
    out = array.array("i", bytes(8 * n))
    s, o = addresses(states, out)
    k.draw_windows(s, n, positions, p is not None, 0.0 if p is None else float(p), o)
    gens.set_lanes(states)
    return out


_tables: dict[tuple[tuple[bytes, ...], ...], tuple[bytes, int]] = {}


def _table(channels: tuple[tuple[bytes, ...], ...]) -> tuple[bytes, int]:
    """The 1024-byte table of each channel (its four translate tables interleaved: entry
    ``v`` is the float32 of ``v``), one after the other, and where it is (the caller keeps
    the bytes alive); the last few are kept."""
    found = _tables.get(channels)
    if found is None:
        table = bytearray(1024 * len(channels))
        for c, four in enumerate(channels):
            for j in range(4):
                table[1024 * c + j : 1024 * (c + 1) : 4] = four[j]
        if len(_tables) >= 16:
            _tables.clear()
        data = bytes(table)
        found = _tables[channels] = (data, addresses(data)[0])
    return found
