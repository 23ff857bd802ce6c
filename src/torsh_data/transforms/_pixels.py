"""Byte-level image geometry and lookup tables shared by the image transforms.

NOTE [ Image layout ]: an image is read by its dtype. Integer images are channels-last,
``(H, W, C)``, as :func:`~torsh_data.formats.decode_image` gives them; floating images are
channels-first, ``(C, H, W)``, as :class:`ToTensor` makes them. A 2-D tensor is ``(H, W)``,
one channel, in either case. In batch mode one more leading axis ``N`` comes first.

Internally an image (or a batch) is ``P`` *planes* of ``H`` rows of ``W`` pixels of ``u``
bytes: an HWC image is one plane whose pixel is ``C * itemsize`` bytes; a CHW image is ``C``
planes whose pixel is one element. Every geometric operation is then a few C-level calls on
the buffer: rows come from one precompiled :class:`struct.Struct` (``"28s4x28s4x..."``),
planes are joined with ``bytes.join``, flips are ``[::-1]`` slices, and no Python loop runs
per pixel.

>>> rows_of(b"abcdef", 1, 2, 3, 1)
(b'abc', b'def')
>>> crop(b"abcdefghi", 1, 3, 3, 1, 1, 1, 2, 2)
b'efhi'
>>> hflip(b"abcdef", 1, 2, 3, 1), vflip(b"abcdef", 1, 2, 3, 1)
(b'cbafed', b'defabc')
"""

from __future__ import annotations

import array
import struct
from collections.abc import Sequence
from typing import Any

from .. import _dtype
from .._dtype import DType
from .._errors import DataTypeError, DataValueError, ShapeError
from .._wasm.image import lookup_float32
from ..tensor import Tensor

__all__ = [
    "as_bytes",
    "crop",
    "float32_tables",
    "hflip",
    "layout",
    "pad",
    "pad_crop",
    "pad_crop_fn",
    "rows_of",
    "translate_float32",
    "vflip",
    "with_hw",
]

Buffer = Any  # bytes, bytearray or a 1-D byte memoryview

_structs: dict[tuple[Any, ...], struct.Struct] = {}
_MAX_CACHED = 512


def _struct(key: tuple[Any, ...], fmt: str) -> struct.Struct:
    s = _structs.get(key)
    if s is None:
        if len(_structs) >= _MAX_CACHED:
            _structs.clear()
        s = _structs[key] = struct.Struct(fmt)
    return s


def as_bytes(data: Buffer) -> bytes:
    """``bytes(data)``, without a copy when ``data`` is a whole-``bytes`` memoryview."""
    if type(data) is memoryview:
        obj = data.obj
        if type(obj) is bytes and len(obj) == data.nbytes:
            return obj
    return bytes(data)


def layout(t: Any, batch: bool = False) -> tuple[int, int, int, int, int]:
    """``(P, H, W, u, C)`` of an image tensor (see the note above); ``C`` is its channels."""
    if not isinstance(t, Tensor):
        raise DataTypeError(f"image transforms take a Tensor, not a {type(t).__name__}")
    shape, dt = t.shape, t.dtype
    n = 1
    if batch:
        if not shape:
            raise ShapeError("a batch of images needs a leading batch axis")
        n, shape = shape[0], shape[1:]
    if len(shape) == 2:
        return n, shape[0], shape[1], dt.itemsize, 1
    if len(shape) == 3:
        if dt.kind == "f":
            c, h, w = shape
            return n * c, h, w, dt.itemsize, c
        h, w, c = shape
        return n, h, w, c * dt.itemsize, c
    what = "a batch of images (N, ...)" if batch else "an image"
    raise ShapeError(
        f"{what} must be (H, W), (H, W, C) for integer or (C, H, W) for floating data; "
        f"got shape {t.shape} {dt}"
    )


def with_hw(t: Tensor, h: int, w: int, batch: bool = False) -> tuple[int, ...]:
    """``t.shape`` with its height and width replaced (per the layout rule)."""
    s = t.shape
    if t.dtype.kind != "f" and len(s) - batch == 3:
        return (*s[:-3], h, w, s[-1])
    return (*s[:-2], h, w)


def rows_of(data: Buffer, p: int, h: int, w: int, u: int) -> tuple[bytes, ...]:
    """All ``p * h`` rows of the planes, as one tuple of bytes (one C call)."""
    return _struct(("r", p * h, w * u), f"{w * u}s" * (p * h)).unpack(data)


def crop(
    data: Buffer, p: int, h: int, w: int, u: int, top: int, left: int, ch: int, cw: int
) -> Buffer:
    """The ``ch x cw`` window at ``(top, left)`` of every plane (bounds are the caller's)."""
    if top == 0 and left == 0 and ch == h and cw == w:
        return data
    if p == 0 or ch == 0 or cw == 0:
        return b""
    key = ("c", p, h, w, u, ch, cw)
    s = _structs.get(key)
    if s is None:
        block = f"{cw * u}s{(w - cw) * u}x" * (ch - 1) + f"{cw * u}s"
        gap = (h * w - (ch - 1) * w - cw) * u
        s = _struct(key, (block + f"{gap}x") * (p - 1) + block)
    return b"".join(s.unpack_from(data, (top * w + left) * u))


def pad(
    data: Buffer,
    p: int,
    h: int,
    w: int,
    u: int,
    ltrb: tuple[int, int, int, int],
    fills: list[bytes],
) -> bytes:
    """Pad every plane by ``(left, top, right, bottom)`` pixels; plane ``i`` is padded with the
    pixel ``fills[i % len(fills)]`` (``u`` bytes)."""
    rows = rows_of(data, p, h, w, u) if h else ()
    return framed(rows, p, h, fills, ltrb, w + ltrb[0] + ltrb[2])


def framed(
    rows: Sequence[bytes],
    p: int,
    n: int,
    fills: list[bytes],
    ltrb: tuple[int, int, int, int],
    width: int,
) -> bytes:
    """``p`` planes of ``n`` rows each (``rows``, plane after plane) surrounded by fill:
    ``ltrb`` fill pixels on each side, ``width`` pixels per framed row. With no rows, each
    plane is all fill."""
    left, top, right, bottom = ltrb
    out = []
    for i in range(p):
        px = fills[i % len(fills)]
        if not rows:
            out.append(px * ((top + n + bottom) * width))
            continue
        lp, rp = px * left, px * right
        out.append(px * (top * width) + lp)
        out.append((rp + lp).join(rows[i * n : (i + 1) * n]))
        out.append(rp + px * (bottom * width))
    return b"".join(out)


def _geometry(
    h: int, w: int, ltrb: tuple[int, int, int, int], window: tuple[int, int, int, int]
) -> tuple[int, int, int, int, tuple[int, int, int, int]]:
    """Where the ``(top, left, height, width)`` window of an ``h`` x ``w`` image padded by
    ``ltrb`` falls: the first source column and row, how many columns and rows come from the
    source, and the fill on each side ``(left, top, right, bottom)``."""
    left, top = ltrb[0], ltrb[1]
    wt, wl, ch, cw = window
    c0, c1 = max(wl - left, 0), min(wl + cw - left, w)
    r0, r1 = max(wt - top, 0), min(wt + ch - top, h)
    sc, sr = max(c1 - c0, 0), max(r1 - r0, 0)
    lf, tf = min(max(left - wl, 0), cw), min(max(top - wt, 0), ch)
    return c0, r0, sc, sr, (lf, tf, cw - lf - sc, ch - tf - sr)


def pad_crop(
    data: Buffer,
    p: int,
    h: int,
    w: int,
    u: int,
    ltrb: tuple[int, int, int, int],
    window: tuple[int, int, int, int],
    fills: list[bytes],
) -> bytes:
    """The ``(top, left, height, width)`` window of the image padded by ``ltrb``, without
    building the padded image: source rows come from one struct call, fill is added around."""
    c0, r0, sc, sr, (lf, tf, rf, bf) = _geometry(h, w, ltrb, window)
    cw = window[3]
    rows: tuple[bytes, ...] = ()
    if sc and sr:
        key = ("c", p, h, w, u, sr, sc)
        s = _structs.get(key)
        if s is None:
            block = f"{sc * u}s{(w - sc) * u}x" * (sr - 1) + f"{sc * u}s"
            gap = (h * w - (sr - 1) * w - sc) * u
            s = _struct(key, (block + f"{gap}x") * (p - 1) + block)
        rows = s.unpack_from(data, (r0 * w + c0) * u)
    if p == 1 and rows:  # the hot path: one plane
        px = fills[0]
        lp, rp = px * lf, px * rf
        return b"".join((px * (tf * cw), lp, (rp + lp).join(rows), rp, px * (bf * cw)))
    return framed(rows, p, sr, fills, (lf, tf, rf, bf), cw)


def pad_crop_fn(
    p: int,
    h: int,
    w: int,
    u: int,
    ltrb: tuple[int, int, int, int],
    window: tuple[int, int, int, int],
    fills: list[bytes],
) -> Any:
    """:func:`pad_crop` for one geometry, prepared: a function of the source buffer. For one
    plane it is one struct call and one join; random crops keep one per window position."""
    c0, r0, sc, sr, (lf, tf, rf, bf) = _geometry(h, w, ltrb, window)
    if p != 1 or not (sc and sr):
        return lambda data: pad_crop(data, p, h, w, u, ltrb, window, fills)
    cw = window[3]
    px = fills[0]
    pre, post, sep = px * (tf * cw + lf), px * (rf + bf * cw), px * (rf + lf)
    fmt = f"{sc * u}s{(w - sc) * u}x" * (sr - 1) + f"{sc * u}s"
    unpack_from = _struct(("c", 1, h, w, u, sr, sc), fmt).unpack_from
    offset = (r0 * w + c0) * u
    if not (pre or post or sep):
        return lambda data: b"".join(unpack_from(data, offset))
    return lambda data: b"".join((pre, sep.join(unpack_from(data, offset)), post))


_CAST = {2: "H", 4: "I", 8: "Q"}


def hflip(data: Buffer, p: int, h: int, w: int, u: int) -> bytes:
    """Mirror every row: reverse the whole buffer (pixel order kept), then the row order."""
    if u == 1:
        rev = as_bytes(data)[::-1]
    elif u in _CAST:
        rev = memoryview(data).cast("B").cast(_CAST[u])[::-1].tobytes()  # type: ignore[call-overload]
    else:  # e.g. RGB: reverse the bytes, then put each pixel's bytes back in order
        raw = bytes(data)[::-1]
        fixed = bytearray(len(raw))
        for k in range(u):
            fixed[k::u] = raw[u - 1 - k :: u]
        rev = bytes(fixed)
    # `rev` holds the rows in reverse global order, each mirrored; restore the row order.
    return b"".join(rows_of(rev, p, h, w, u)[::-1])


def vflip(data: Buffer, p: int, h: int, w: int, u: int) -> bytes:
    """Reverse the row order of every plane."""
    rows = rows_of(data, p, h, w, u)
    if p == 1:
        return b"".join(rows[::-1])
    return b"".join([b"".join(rows[i * h : (i + 1) * h][::-1]) for i in range(p)])


# --- uint8 -> float32 by table ----------------------------------------------------------------


def float32_tables(values: list[float]) -> tuple[bytes, ...]:
    """Four 256-byte ``bytes.translate`` tables: table ``k`` maps a byte ``v`` to byte ``k`` of
    ``float32(values[v])`` (machine order)."""
    raw = array.array("f", values).tobytes()
    return tuple(raw[k::4] for k in range(4))


def translate_float32(src: bytes, tables: tuple[bytes, ...], out: bytearray, start: int) -> None:
    """Write ``float32(values[b])`` for each byte ``b`` of ``src`` into ``out`` at ``start``
    (in Pyodide by a WebAssembly kernel, NOTE [ WebAssembly kernels ])."""
    if lookup_float32(src, tables, out, start):
        return
    stop = start + 4 * len(src)
    for k in range(4):
        out[start + k : stop : 4] = src.translate(tables[k])


def uint8_planes(t: Tensor, batch: bool) -> tuple[list[bytes], int, int, int]:
    """The channel planes of an HWC/NHWC uint8 image: ``(planes, N, C, H*W)``, planes in NCHW
    order (a channel plane is a strided slice of the interleaved data)."""
    if t.dtype is not _dtype.uint8:
        raise DataTypeError(
            f"expected a uint8 image (H, W[, C]), got {t.dtype}; use ConvertDtype for other types"
        )
    n, h, w, _, c = layout(t, batch)
    data = t._data
    hw = h * w
    if c == 1:
        return [bytes(data)], n, 1, hw
    raw = bytes(data)  # a strided slice of bytes is one C loop; of a memoryview, far slower
    chans = [raw[k::c] for k in range(c)]
    if n == 1:
        return chans, 1, c, hw
    return [chans[k][i * hw : (i + 1) * hw] for i in range(n) for k in range(c)], n, c, hw


def chw_shape(t: Tensor, batch: bool, n: int, c: int) -> tuple[int, ...]:
    """The CHW (or NCHW) shape of an HWC (or NHWC) uint8 image ``t``."""
    _, h, w, _, _ = layout(t, batch)
    return (n, c, h, w) if batch else (c, h, w)


def pack_fill(fill: Any, dt: DType, channels: int) -> list[float | int]:
    """One fill value per channel, checked against ``dt``."""
    values = list(fill) if isinstance(fill, (list, tuple)) else [fill] * channels
    if len(values) == 1:
        values *= channels
    if len(values) != channels:
        raise DataValueError(f"fill has {len(values)} values for an image of {channels} channels")
    out: list[float | int] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise DataTypeError(f"fill values must be numbers, got {v!r}")
        if dt.kind != "f":
            if v != int(v):
                raise DataValueError(f"fill {v!r} is not an integer, as {dt} pixels need")
            lo, hi = dt.limits() or (0, 1)
            if not lo <= v <= hi:
                raise DataValueError(f"fill {v!r} is outside the range of {dt} ({lo}..{hi})")
            v = int(v)
        out.append(v)
    return out


def fill_pixels(fill: Any, t: Tensor, batch: bool) -> list[bytes]:
    """The pixel bytes each plane is padded with (see :func:`pad`)."""
    c = layout(t, batch)[4]
    values = pack_fill(fill, t.dtype, c)
    if t.dtype.kind == "f" and len(t.shape) - batch == 3:
        return [bytes(t.dtype.pack([v])) for v in values]
    return [bytes(t.dtype.pack(values))]


# --- images as per-channel value lists -------------------------------------------------------


def value_planes(t: Tensor) -> tuple[list[list[Any]], int, int]:
    """The channels of an image as lists of values: ``(planes, H, W)``, plane ``k`` holding
    channel ``k`` row by row (see NOTE [ Image layout ])."""
    _, h, w, _, c = layout(t)
    vals = t.dtype.unpack(t._data)
    if c == 1:
        return [vals], h, w
    if t.dtype.kind == "f":
        hw = h * w
        return [vals[k * hw : (k + 1) * hw] for k in range(c)], h, w
    return [vals[k::c] for k in range(c)], h, w


def from_value_planes(planes: list[list[Any]], like: Tensor) -> Tensor:
    """The inverse of :func:`value_planes`: a tensor of ``like``'s dtype, shape and layout.

    Float values are rounded to the dtype; integer values must already be in range."""
    dt, c = like.dtype, len(planes)
    if c == 1:
        flat = planes[0]
    elif dt.kind == "f":
        flat = [v for plane in planes for v in plane]
    else:
        flat = [0] * (len(planes[0]) * c)
        for k, plane in enumerate(planes):
            flat[k::c] = plane
    return Tensor._make(memoryview(dt.pack(flat)), dt, like.shape)


def value_bound(dt: DType) -> float:
    """The largest pixel value of a dtype: 1.0 for floats, the maximum for integers."""
    if dt.kind == "f":
        return 1.0
    if dt.kind == "b":
        raise DataTypeError("image transforms take integer or float images, not bool")
    return float((dt.limits() or (0, 1))[1])
