"""Rotation by an angle: :func:`rotate` and :class:`RandomRotation`.

The geometry is torchvision's (``expand=False``): the output pixel ``(x, y)`` takes the value
at ``R(-angle) (x - cx, y - cy) + (cx, cy)`` of the input, where ``(cx, cy)`` is the centre
``((W - 1) / 2, (H - 1) / 2)`` in pixel units, so a positive angle turns the picture
counter-clockwise as displayed. ``nearest`` rounds the source position half to even (as
``grid_sample``); ``bilinear`` blends the four neighbours. Positions outside the input take
``fill``: for ``bilinear`` every outside neighbour counts as ``fill`` (torchvision blends
the fill in with a mask instead, which differs near the border). Values that are not finite
(inf, NaN) spread to their neighbours in bilinear mode.

>>> img = Tensor(bytes(range(9)), shape=(3, 3))
>>> rotate(img, 90).tolist()
[[2, 5, 8], [1, 4, 7], [0, 3, 6]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._errors import DataValueError
from ..random import sample_generator
from ..tensor import Tensor
from ._compose import Transform
from ._geometry import InterpolationMode
from ._pixels import fill_pixels, from_value_planes, layout, pack_fill, value_planes

__all__ = ["RandomRotation", "rotate"]


def _source_positions(
    h: int, w: int, angle: float, center: Sequence[float] | None
) -> tuple[list[float], list[float]]:
    """The input position ``(sx, sy)`` of every output pixel, row by row."""
    quarter = angle / 90.0
    if quarter == int(quarter):  # exact right angles: no cos(90) = 6e-17 residue
        cos, sin = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[int(quarter) % 4]
    else:
        rad = math.radians(angle)
        cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = (
        ((w - 1) * 0.5, (h - 1) * 0.5) if center is None else (center[0] - 0.5, center[1] - 0.5)
    )
    xs, ys = [], []
    for y in range(h):
        dy = y - cy
        for x in range(w):
            dx = x - cx
            xs.append(cos * dx - sin * dy + cx)
            ys.append(sin * dx + cos * dy + cy)
    return xs, ys


def rotate(
    img: Any,
    angle: float,
    interpolation: str = "nearest",
    center: Sequence[float] | None = None,
    fill: float | Sequence[float] = 0,
) -> Tensor:
    """Rotate an image by ``angle`` degrees counter-clockwise, keeping its size.

    Args:
        img: an integer ``(H, W[, C])`` or float ``(C, H, W)`` image.
        angle: degrees, counter-clockwise.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        center: ``(x, y)`` in pixel coordinates (default: the image centre).
        fill: the value of pixels that come from outside the input (one, or one per channel).
    """
    t = img if isinstance(img, Tensor) else Tensor(img)
    if interpolation not in ("nearest", "bilinear"):
        raise DataValueError(
            f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
        )
    if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not math.isfinite(angle):
        raise DataValueError(f"angle must be a finite number of degrees, got {angle!r}")
    p, h, w, u, c = layout(t)
    xs, ys = _source_positions(h, w, float(angle), center)
    if interpolation == "nearest":
        fills = fill_pixels(fill, t, False)
        idx = [
            iy * w + ix if 0 <= ix < w and 0 <= iy < h else -1
            for ix, iy in zip(map(round, xs), map(round, ys), strict=True)
        ]
        raw = bytes(t._data)
        out = []
        for i in range(p):
            base, px = i * h * w * u, fills[i % len(fills)]
            out.append(
                b"".join([raw[base + k * u : base + k * u + u] if k >= 0 else px for k in idx])
            )
        return Tensor._make(memoryview(b"".join(out)), t.dtype, t.shape)
    fills_v = pack_fill(fill, t.dtype, c)
    planes, _, _ = value_planes(t)
    # NOTE [ Bilinear rotation ]: each plane is framed by one pixel of fill, so every source
    # position whose four neighbours touch the image indexes the framed plane directly; a
    # position entirely outside reads one fill pixel with weight 1. One expression per pixel.
    wp = w + 2
    idx, w00, w10, w01, w11 = [], [], [], [], []
    floor = math.floor
    for sx, sy in zip(xs, ys, strict=True):
        x0, y0 = floor(sx + 1e-9), floor(sy + 1e-9)  # 2.9999999999 is pixel 3
        if -1 <= x0 < w and -1 <= y0 < h:
            fx, fy = max(sx - x0, 0.0), max(sy - y0, 0.0)
            gx, gy = 1.0 - fx, 1.0 - fy
            idx.append((y0 + 1) * wp + x0 + 1)
            w00.append(gx * gy)
            w10.append(fx * gy)
            w01.append(gx * fy)
            w11.append(fx * fy)
        else:
            idx.append(0)
            w00.append(1.0)
            w10.append(0.0)
            w01.append(0.0)
            w11.append(0.0)
    integer = t.dtype.kind != "f"
    lo, hi = t.dtype.limits() or (0, 1)
    outs = []
    for k, plane in enumerate(planes):
        fv = fills_v[k]
        edge = [fv] * wp
        framed = edge + [v for y in range(h) for v in (fv, *plane[y * w : (y + 1) * w], fv)] + edge
        vals = [
            a * framed[i] + b * framed[i + 1] + cc * framed[i + wp] + d * framed[i + wp + 1]
            for i, a, b, cc, d in zip(idx, w00, w10, w01, w11, strict=True)
        ]
        outs.append([min(max(round(v), lo), hi) for v in vals] if integer else vals)
    return from_value_planes(outs, t)


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``[-degrees, degrees]`` (or ``(min, max)``).

    One uniform draw per call. See :func:`rotate` for the geometry, ``interpolation`` and
    ``fill``; the size is kept (``expand=False``).

    No batch kernel (NOTE [ Batch kernels ]): the source map depends on the angle, a fresh
    float per sample, so no map can be shared by two samples or precomputed; a batch form
    would build one map per sample exactly as the per-sample path does.

    >>> from torsh_data import Tensor, random as tdr
    >>> img = Tensor(bytes(range(16)), shape=(4, 4))
    >>> with tdr.sample_scope(seed=0, epoch=0, index=0):
    ...     RandomRotation(30)(img).shape
    (4, 4)
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: str = "nearest",
        center: Sequence[float] | None = None,
        fill: float | Sequence[float] = 0,
    ) -> None:
        if isinstance(degrees, (int, float)) and not isinstance(degrees, bool):
            if degrees < 0:
                raise DataValueError(f"degrees must be >= 0 when a single number, got {degrees}")
            degrees = (-degrees, degrees)
        if (
            not isinstance(degrees, (list, tuple))
            or len(degrees) != 2
            or not all(isinstance(d, (int, float)) and math.isfinite(d) for d in degrees)
            or degrees[0] > degrees[1]
        ):
            raise DataValueError(f"degrees must be a number or a (min, max) pair, got {degrees!r}")
        if interpolation not in ("nearest", "bilinear"):
            raise DataValueError(
                f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
            )
        if center is not None and (not isinstance(center, (list, tuple)) or len(center) != 2):
            raise DataValueError(f"center must be (x, y), got {center!r}")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.center, self.fill = (
            InterpolationMode(interpolation).value,
            center,
            fill,
        )

    def __call__(self, img: Any) -> Tensor:
        lo, hi = self.degrees
        angle = lo + (hi - lo) * sample_generator().random()
        return rotate(img, angle, self.interpolation, self.center, self.fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation!r})"
