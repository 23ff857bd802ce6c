"""Separable resampling of image buffers: the tables and bulk passes behind :class:`Resize`.

NOTE [ Exact resampling ]: bilinear resizing is two 1-D passes, horizontal then vertical, as
torch does it (``F.interpolate(mode="bilinear", align_corners=False)``; with ``antialias``
the triangle filter is widened by the downscale factor). Each output line (a column in the
first pass, a row in the second) is a weighted sum of a few source lines; the source
positions and weights are computed once per ``(in_size, out_size, antialias)``.

* uint8 follows torch's integer path for uint8 images (the one Pillow uses): the weights
  are normalised, scaled to 15-bit integers with a per-table precision ``p``, and each output
  value is ``clamp((sum(w_k * v_k) + 2**(p-1)) >> p, 0, 255)``, the first pass rounded to
  uint8 before the second. All arithmetic is on integers, so every runtime gives the same
  bytes, and they are torch's bytes.
* The weighted sum runs on whole lines at once: a line of ``n`` bytes is spread into ``n``
  lanes of a few bytes each of one Python integer, so ``w0 * line0 + w1 * line1 + r`` is
  two integer multiplications and two additions, and the result is one strided slice of its
  bytes (weights are shifted so that the ``>> p`` lands on a byte boundary). No Python loop
  runs per pixel.
* With numpy already imported, numpy does the same integer arithmetic (the same bytes).
* Float images are computed in float64 from the same positions and rounded once to their
  float type (torch rounds to float32 after each step, so the last bit may differ); other
  integer types likewise, then rounded half up and clamped.

``nearest`` picks torch's source index ``floor(i * float32(in / out))`` and moves whole
pixels with slice copies.
"""

from __future__ import annotations

import array
import functools
import math
import operator
import sys
from typing import Any

from .. import _dtype
from .._errors import DataValueError
from ._pixels import rows_of

__all__ = [
    "linear_taps",
    "linear_weights",
    "nearest_index",
    "resample",
    "transpose",
]

Taps = tuple[tuple[int, tuple[float, ...]], ...]  # per output index: (first source, weights)


def _f32(x: float) -> float:
    return array.array("f", [x])[0]


def nearest_index(out_size: int, in_size: int) -> list[int]:
    """Source index of each output index, exactly as torch's ``nearest`` mode (float32)."""
    if out_size == in_size:
        return list(range(out_size))
    if out_size == 2 * in_size:
        return [i >> 1 for i in range(out_size)]
    scale = _f32(in_size / out_size)
    return [min(math.floor(_f32(i * scale)), in_size - 1) for i in range(out_size)]


def linear_weights(out_size: int, in_size: int) -> list[tuple[int, int, float, float]]:
    """``(i0, i1, lambda0, lambda1)`` per output index, torch's ``align_corners=False`` source
    index ``scale * (i + 0.5) - 0.5`` (clamped at 0) computed in float32 as torch does for
    float images without antialias."""
    scale = _f32(in_size / out_size)
    out = []
    for i in range(out_size):
        src = max(_f32(_f32(scale * (i + 0.5)) - 0.5), 0.0)
        i0 = min(math.floor(src), in_size - 1)
        lam1 = min(max(_f32(src - i0), 0.0), 1.0)
        out.append((i0, i0 + (i0 < in_size - 1), _f32(1.0 - lam1), lam1))
    return out


@functools.lru_cache(maxsize=512)
def linear_taps(in_size: int, out_size: int, antialias: bool) -> Taps:
    """The triangle-filter taps of each output index, torch's antialias formulation (used by
    its uint8 path with and without antialias): centre ``scale * (i + 0.5)``, support 1, or
    ``scale`` when downscaling with ``antialias``; weights normalised to sum 1 (float64)."""
    scale = in_size / out_size
    aa = antialias and scale >= 1.0
    support = scale if aa else 1.0
    inv = 1.0 / scale if aa else 1.0
    most = math.ceil(support) * 2 + 1
    out = []
    for i in range(out_size):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        size = min(max(min(int(center + support + 0.5), in_size) - lo, 0), most)
        ws = [max(1.0 - abs((j + lo - center + 0.5) * inv), 0.0) for j in range(size)]
        total = 0.0
        for w in ws:
            total += w
        if total != 0.0:
            ws = [w / total for w in ws]
        out.append((lo, tuple(ws)))
    return tuple(out)


class _IntPlan:
    """One uint8 pass: per output line its source lines and lane weights (see the note).

    ``lines`` holds per output line ``(sources, weights)`` padded with zero weights to the
    same number of taps (at least 2), so one comprehension computes every line."""

    __slots__ = ("byte", "ints", "lane", "lines", "overflow", "prec", "rounding", "taps")

    def __init__(self, in_size: int, out_size: int, antialias: bool) -> None:
        taps = linear_taps(in_size, out_size, antialias)
        top = max((w for _, ws in taps for w in ws), default=0.0)
        prec = 0
        while prec < 22 and int(0.5 + top * (1 << (prec + 1))) < (1 << 15):
            prec += 1
        scale = 1 << prec
        self.byte = (prec + 7) // 8  # the byte of a lane that holds the result
        shift = 8 * self.byte - prec
        self.rounding = (1 << (prec - 1)) << shift if prec else 0
        self.taps = max(2, max((len(ws) for _, ws in taps), default=0))
        lines, biggest, self.ints, self.prec = [], 0, [], prec
        for lo, ws in taps:
            ints = [int(w * scale - 0.5) if w * scale < 0 else int(w * scale + 0.5) for w in ws]
            pad = self.taps - len(ints)
            srcs = tuple(range(lo, lo + len(ints))) + (lo,) * pad
            lines.append((srcs, tuple(q << shift for q in ints) + (0,) * pad))
            self.ints.append(tuple(ints) + (0,) * pad)
            biggest = max(biggest, sum(ints))
        high = 255 * (biggest << shift) + self.rounding
        self.overflow = (high >> (8 * self.byte)) > 255
        self.lane = max(self.byte + 1 + self.overflow, (high.bit_length() + 7) // 8)
        self.lines = lines


@functools.lru_cache(maxsize=512)
def _int_plan(in_size: int, out_size: int, antialias: bool) -> _IntPlan:
    return _IntPlan(in_size, out_size, antialias)


def _spread(data: Any, lane: int) -> bytearray:
    """``data``'s bytes each at the start of a ``lane``-byte little-endian lane."""
    out = bytearray(len(data) * lane)
    out[::lane] = data
    return out


@functools.lru_cache(maxsize=64)
def _ones(n: int, lane: int) -> int:
    """The integer with ``n`` lanes of ``lane`` bytes, each holding 1."""
    return int.from_bytes(_spread(b"\x01" * n, lane), "little")


def _int_pass(joined: Any, count: int, plan: _IntPlan) -> bytes:
    """One uint8 pass over ``count`` equal source lines joined in ``joined``: the output
    lines, joined."""
    lane, byte = plan.lane, plan.byte
    n = len(joined) // count
    size = n * lane
    view = memoryview(_spread(joined, lane))
    frm = int.from_bytes
    ints = [frm(view[k * size : (k + 1) * size], "little") for k in range(count)]
    rounding = _ones(n, lane) * plan.rounding
    if plan.taps == 2:
        raws = [
            (ints[a] * wa + ints[b] * wb + rounding).to_bytes(size, "little")
            for (a, b), (wa, wb) in plan.lines
        ]
    else:
        mul = operator.mul
        raws = [
            sum(map(mul, [ints[k] for k in srcs], ws), rounding).to_bytes(size, "little")
            for srcs, ws in plan.lines
        ]
    raw = b"".join(raws)
    if plan.overflow and raw[byte + 1 :: lane].strip(b"\x00"):  # clamp lanes above 255
        return bytes(min(v >> (8 * byte), 255) for v in _lanes(raw, lane))
    return raw[byte::lane]


def _lanes(raw: bytes, lane: int) -> list[int]:
    return [int.from_bytes(raw[i : i + lane], "little") for i in range(0, len(raw), lane)]


_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def transpose(data: Any, a: int, b: int, u: int) -> bytearray:
    """The ``b x a`` transpose of an ``a x b`` matrix of ``u``-byte elements (u in 1, 2, 4,
    8): ``min(a, b)`` strided slice copies.

    >>> bytes(transpose(b"abcdef", 2, 3, 1))
    b'adbecf'
    """
    out = bytearray(a * b * u)
    if not out:
        return out
    src: Any
    dst: Any
    if u == 1:  # plain byte slices: no views to make
        src, dst = (data if isinstance(data, (bytes, bytearray)) else bytes(data)), out
    else:
        src = memoryview(data).cast("B").cast(_CODES[u])  # type: ignore[call-overload]
        dst = memoryview(out).cast(_CODES[u])  # type: ignore[call-overload]
    if b <= a:
        for j in range(b):
            dst[j * a : (j + 1) * a] = src[j::b]
    else:
        for i in range(a):
            dst[i::a] = src[i * b : (i + 1) * b]
    return out


def _widen(data: Any, u: int) -> tuple[Any, int]:
    """Pixels of ``u`` bytes padded to the next of 1, 2, 4, 8 bytes (zeros after them)."""
    if u in _CODES:
        return data, u
    wide = next(k for k in (2, 4, 8) if k > u)
    src = bytes(data)
    out = bytearray(len(src) // u * wide)
    for k in range(u):
        out[k::wide] = src[k::u]
    return out, wide


def _narrow(data: Any, wide: int, u: int) -> bytes:
    if wide == u:
        return bytes(data)
    src = bytes(data)
    out = bytearray(len(src) // wide * u)
    for k in range(u):
        out[k::u] = src[k::wide]
    return bytes(out)


def _regroup(data: Any, a: int, b: int, row: int) -> bytes:
    """``a x b`` blocks of ``row`` bytes reordered ``b x a`` (image-major rows to row-major
    over images and back)."""
    if a == 1 or b == 1 or not row:
        return bytes(data)
    blocks = rows_of(data, 1, a * b, row, 1)
    return b"".join([blk for j in range(b) for blk in blocks[j::b]])


@functools.lru_cache(maxsize=128)
def _numpy_taps(np: Any, size: int, out: int, aa: bool, axis: int) -> list[tuple[Any, Any]]:
    """Per tap: the source index of every output line and its weight, shaped to broadcast
    along ``axis`` of an ``(N, H, W, C)`` array."""
    plan = _int_plan(size, out, aa)
    shape = [1, 1, 1, 1]
    shape[axis] = out
    return [
        (
            np.array([s[k] for s, _ in plan.lines], dtype=np.intp),
            np.array([w[k] for w in plan.ints], dtype=np.int32).reshape(shape),
        )
        for k in range(plan.taps)
    ]


def _numpy_uint8(
    np: Any, data: Any, n: int, h: int, w: int, u: int, oh: int, ow: int, aa: bool
) -> bytes:
    """:func:`_uint8` with numpy doing the same integer arithmetic (so the same bytes)."""
    grid = np.frombuffer(data, dtype=np.uint8).reshape(n, h, w, u)
    for axis, size, out in ((2, w, ow), (1, h, oh)):
        if size == out:
            continue
        plan = _int_plan(size, out, aa)
        taps = _numpy_taps(np, size, out, aa, axis)
        acc = np.int32(1 << (plan.prec - 1))
        for srcs, wts in taps:  # sums < 255 * 2**23: int32 holds them
            acc = acc + np.take(grid, srcs, axis=axis) * wts
        grid = np.minimum(acc >> plan.prec, 255).astype(np.uint8)
    return bytes(np.ascontiguousarray(grid).tobytes())


def _uint8(data: Any, n: int, h: int, w: int, u: int, oh: int, ow: int, aa: bool) -> bytes:
    """Bilinear uint8: ``n`` images ``h x w`` of ``u``-byte pixels -> ``oh x ow``."""
    np = sys.modules.get("numpy")
    if np is not None:
        return _numpy_uint8(np, data, n, h, w, u, oh, ow, aa)
    grid, wide = _widen(data, u)
    rows = n * h
    if w != ow:  # columns of every row of every image, as lines
        cols = _int_pass(transpose(grid, rows, w, wide), w, _int_plan(w, ow, aa))
        grid = transpose(cols, ow, rows, wide)
        w = ow
    if h != oh:  # rows, each line holding that row of every image
        lines = _regroup(grid, n, h, w * wide)
        grid = _regroup(_int_pass(lines, h, _int_plan(h, oh, aa)), oh, n, w * wide)
    return _narrow(grid, wide, u)


def _nearest(data: Any, n: int, h: int, w: int, u: int, oh: int, ow: int) -> bytes:
    """Nearest: source columns by slice copies, then source rows by one join per image."""
    grid, wide = _widen(data, u)
    rows = n * h
    if w != ow:
        cols = transpose(grid, rows, w, wide)
        size = rows * wide
        picked = b"".join([cols[x * size : (x + 1) * size] for x in nearest_index(ow, w)])
        grid = transpose(picked, ow, rows, wide)
    if h != oh:
        line = ow * wide
        src = [grid[k * line : (k + 1) * line] for k in range(rows)]
        pick = nearest_index(oh, h)
        grid = b"".join([src[i * h + y] for i in range(n) for y in pick])
    return _narrow(grid, wide, u)


PairTaps = list[tuple[tuple[int, float], ...]]  # per output index: (source, weight) pairs


@functools.lru_cache(maxsize=512)
def _float_taps(in_size: int, out_size: int, antialias: bool) -> PairTaps:
    """Taps of the value path: with antialias when downscaling, :func:`linear_taps`; else
    torch's float32 positions and weights for float images (:func:`linear_weights`)."""
    if antialias and in_size > out_size:
        taps = linear_taps(in_size, out_size, True)
        return [tuple((lo + k, w) for k, w in enumerate(ws)) for lo, ws in taps]
    return [((i0, a), (i1, b)) for i0, i1, a, b in linear_weights(out_size, in_size)]


def _value_pass(lines: list[list[float]], taps: PairTaps, n: int) -> list[list[float]]:
    """Weighted sums of whole lines of ``n`` values (float64)."""
    out = []
    mul, add = operator.mul, operator.add
    for pairs in taps:
        acc = [0.0] * n
        for src, wgt in pairs:
            acc = list(map(add, acc, map(mul, lines[src], [wgt] * n)))
        out.append(acc)
    return out


def _values(
    t_dtype: Any, data: Any, p: int, h: int, w: int, c: int, oh: int, ow: int, aa: bool
) -> bytes:
    """Bilinear on values: ``p`` planes of ``h x w`` pixels of ``c`` interleaved values."""
    vals = t_dtype.unpack(memoryview(data))
    rows = p * h
    grid = vals
    if w != ow:
        taps = _float_taps(w, ow, aa)
        cols = [vals[x * c + k :: w * c] for x in range(w) for k in range(c)]
        per = [[cols[x * c + k] for x in range(w)] for k in range(c)]
        outs = [
            _value_pass(per[k], taps, rows) for k in range(c)
        ]  # outs[k][j]: column j of channel k
        grid = [0.0] * (rows * ow * c)
        for k in range(c):
            for j in range(ow):
                grid[j * c + k :: ow * c] = outs[k][j]
        w = ow
    if h != oh:
        taps = _float_taps(h, oh, aa)
        line = w * c
        out: list[float] = []
        for i in range(p):
            base = i * h * line
            src = [grid[base + y * line : base + (y + 1) * line] for y in range(h)]
            for row in _value_pass(src, taps, line):
                out.extend(row)
        grid = out
    if t_dtype.kind == "f":
        return bytes(t_dtype.pack(grid))
    lo, hi = t_dtype.limits() or (0, 1)
    return bytes(t_dtype.pack([min(max(math.floor(v + 0.5), lo), hi) for v in grid]))


def resample(
    data: Any,
    dt: Any,
    planes: int,
    h: int,
    w: int,
    u: int,
    oh: int,
    ow: int,
    mode: str,
    antialias: bool,
) -> bytes:
    """``planes`` planes of ``h x w`` pixels of ``u`` bytes (NOTE [ Image layout ]) resized to
    ``oh x ow`` with ``mode`` ``"nearest"`` or ``"bilinear"``."""
    if min(h, w, oh, ow) <= 0:
        raise DataValueError(f"cannot resize a {h}x{w} image to {oh}x{ow}")
    if planes == 0 or u == 0:  # no images, or pixels of no channels
        return b""
    if mode == "nearest":
        return _nearest(data, planes, h, w, u, oh, ow)
    if dt is _dtype.uint8:
        return _uint8(data, planes, h, w, u, oh, ow, antialias)
    return _values(dt, data, planes, h, w, u // dt.itemsize, oh, ow, antialias)
