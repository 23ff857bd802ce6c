"""Colour jitter: brightness, contrast, saturation and hue, as torchvision defines them.

Each adjustment is a blend ``clamp(r * img + (1 - r) * other, 0, bound)`` (``bound`` is 1.0
for float images, the type's maximum for integer ones):

* brightness: ``other`` is black (0);
* contrast: ``other`` is the mean of the greyscale image;
* saturation: ``other`` is the greyscale image, ``0.2989 R + 0.587 G + 0.114 B`` (truncated
  for integer images, as torchvision's ``rgb_to_grayscale``);
* hue: the hue of HSV is shifted by ``f`` (a fraction of the circle, in [-0.5, 0.5]).

Arithmetic is in float64, rounded once: float images to their float type, integer images
truncated as torchvision's ``.to(uint8)``, except after the round trip through HSV of
:func:`adjust_hue`, which rounds to nearest (truncating turns 16 into 15 at a zero shift). uint8 brightness and contrast are one
``bytes.translate`` with a 256-entry table. Saturation and hue need RGB (3 channels); a
1-channel image is returned unchanged by them, as in torchvision.

>>> img = Tensor(bytes([0, 100, 200, 250]), shape=(2, 2))
>>> adjust_brightness(img, 1.5).tolist()
[[0, 150], [255, 255]]
>>> adjust_contrast(img, 0.0).tolist()
[[137, 137], [137, 137]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError, ShapeError
from ..random import sample_generator
from ..tensor import Tensor
from ._compose import Transform
from ._pixels import from_value_planes, layout, value_bound, value_planes

__all__ = [
    "ColorJitter",
    "RandomBrightness",
    "RandomContrast",
    "RandomHue",
    "RandomSaturation",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _finish(values: list[float], bound: float, integer: bool) -> list[Any]:
    if integer:
        return [int(min(max(v, 0.0), bound)) for v in values]
    return [min(max(v, 0.0), bound) for v in values]


def _blend_const(t: Tensor, r: float, const: float) -> Tensor:
    """``clamp(r * x + (1 - r) * const)`` element-wise; uint8 by one translate table."""
    bound, integer = value_bound(t.dtype), t.dtype.kind != "f"
    layout(t)
    if t.dtype.itemsize == 1 and t.dtype.name == "uint8":
        table = bytes(_finish([r * v + (1.0 - r) * const for v in range(256)], bound, True))
        return Tensor._make(memoryview(bytes(t._data).translate(table)), t.dtype, t.shape)
    vals = t.dtype.unpack(t._data)
    out = _finish([r * v + (1.0 - r) * const for v in vals], bound, integer)
    return Tensor._make(memoryview(t.dtype.pack(out)), t.dtype, t.shape)


_GRAY_TABLES = (
    [0.2989 * v for v in range(256)],
    [0.587 * v for v in range(256)],
    [0.114 * v for v in range(256)],
)


def _gray(planes: list[list[Any]], integer: bool, u8: bool = False) -> list[Any]:
    if len(planes) == 1:
        return planes[0]
    if len(planes) != 3:
        raise ShapeError(f"colour adjustments take 1- or 3-channel images, not {len(planes)}")
    r, g, b = planes
    if u8:  # the same products, looked up
        tr, tg, tb = _GRAY_TABLES
        return [int(tr[x] + tg[y] + tb[z]) for x, y, z in zip(r, g, b, strict=True)]
    gray = [0.2989 * x + 0.587 * y + 0.114 * z for x, y, z in zip(r, g, b, strict=True)]
    return [int(v) for v in gray] if integer else gray


def _factor(f: Any, name: str) -> float:
    if isinstance(f, bool) or not isinstance(f, (int, float)) or not f >= 0 or math.isinf(f):
        raise DataValueError(f"{name} factor must be a finite number >= 0, got {f!r}")
    return float(f)


def adjust_brightness(img: Any, factor: float) -> Tensor:
    """Multiply every value by ``factor`` (0: black, 1: unchanged), clamped to the range."""
    return _blend_const(_tensor(img), _factor(factor, "brightness"), 0.0)


def adjust_contrast(img: Any, factor: float) -> Tensor:
    """Blend with the mean grey level (0: flat grey, 1: unchanged)."""
    t = _tensor(img)
    r = _factor(factor, "contrast")
    planes, _, _ = value_planes(t)
    gray = _gray(planes, t.dtype.kind != "f", t.dtype.name == "uint8")
    mean = math.fsum(gray) / len(gray) if gray else 0.0
    return _blend_const(t, r, mean)


def adjust_saturation(img: Any, factor: float) -> Tensor:
    """Blend with the greyscale image (0: grey, 1: unchanged, 2: twice as saturated)."""
    t = _tensor(img)
    r = _factor(factor, "saturation")
    planes, _, _ = value_planes(t)
    if len(planes) == 1:
        return t
    integer = t.dtype.kind != "f"
    gray = _gray(planes, integer, t.dtype.name == "uint8")
    bound, q = value_bound(t.dtype), 1.0 - r
    if t.dtype.name == "uint8":  # the same products, looked up
        fv, qg = [r * v for v in range(256)], [q * v for v in range(256)]
        out = [
            [min(max(int(fv[v] + qg[g]), 0), 255) for v, g in zip(p, gray, strict=True)]
            for p in planes
        ]
        return from_value_planes(out, t)
    out = [
        _finish([r * v + q * g for v, g in zip(p, gray, strict=True)], bound, integer)
        for p in planes
    ]
    return from_value_planes(out, t)


def rgb_to_hsv(r: float, g: float, b: float) -> tuple[float, float, float]:
    """torchvision's ``_rgb2hsv`` for one pixel in [0, 1] (hue as a fraction of the circle)."""
    mx, mn = max(r, g, b), min(r, g, b)
    cr = mx - mn
    if cr == 0:
        return 0.0, 0.0, mx
    s = cr / mx
    rc, gc, bc = (mx - r) / cr, (mx - g) / cr, (mx - b) / cr
    if mx == r:
        h = bc - gc
    elif mx == g:
        h = 2.0 + rc - bc
    else:
        h = 4.0 + gc - rc
    return math.fmod(h / 6.0 + 1.0, 1.0), s, mx


def hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    """torchvision's ``_hsv2rgb`` for one pixel."""
    i = math.floor(h * 6.0)
    f = h * 6.0 - i
    p = min(max(v * (1.0 - s), 0.0), 1.0)
    q = min(max(v * (1.0 - s * f), 0.0), 1.0)
    t = min(max(v * (1.0 - s * (1.0 - f)), 0.0), 1.0)
    return ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))[i % 6]


def adjust_hue(img: Any, factor: float) -> Tensor:
    """Rotate the hue by ``factor`` of the colour circle (``-0.5 <= factor <= 0.5``)."""
    if (
        isinstance(factor, bool)
        or not isinstance(factor, (int, float))
        or not -0.5 <= factor <= 0.5
    ):
        raise DataValueError(f"hue factor must be in [-0.5, 0.5], got {factor!r}")
    t = _tensor(img)
    planes, _, _ = value_planes(t)
    if len(planes) == 1:
        return t
    if len(planes) != 3:
        raise ShapeError(f"adjust_hue takes 1- or 3-channel images, not {len(planes)}")
    integer = t.dtype.kind != "f"
    scale = value_bound(t.dtype)
    rs: list[Any] = []
    gs: list[Any] = []
    bs: list[Any] = []
    fmod, shift = math.fmod, factor + 1.0
    for r, g, b in zip(*planes, strict=True):
        h, s, v = rgb_to_hsv(r / scale, g / scale, b / scale)
        if s == 0.0 and 0.0 <= v <= 1.0:  # grey: no hue to turn (hsv_to_rgb gives v, v, v)
            x = round(v * scale) if integer else v
            rs.append(x)
            gs.append(x)
            bs.append(x)
            continue
        r2, g2, b2 = hsv_to_rgb(fmod(h + shift, 1.0), s, v)
        if integer:
            r2, g2, b2 = round(r2 * scale), round(g2 * scale), round(b2 * scale)
        rs.append(r2)
        gs.append(g2)
        bs.append(b2)
    outs = [rs, gs, bs]
    return from_value_planes(outs, t)


def _range(value: Any, name: str, center: float, bound: tuple[float, float]) -> tuple[float, float]:
    """torchvision's ``_check_input``: ``x`` means ``[center - x, center + x]`` (clipped)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise DataValueError(f"{name} must be a finite number >= 0, got {value!r}")
        lo, hi = center - value, center + value
        lo = max(lo, bound[0]) if center == 1.0 else lo
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = (float(v) for v in value)
    else:
        raise DataValueError(f"{name} must be a number or a (min, max) pair, got {value!r}")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise DataValueError(f"{name} range ({lo}, {hi}) must lie in [{bound[0]}, {bound[1]}]")
    return float(lo), float(hi)


_ADJUST = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue (torchvision's ``ColorJitter``).

    Each argument ``x`` gives a factor range: ``[max(0, 1 - x), 1 + x]`` for brightness,
    contrast and saturation, ``[-x, x]`` for hue (``x <= 0.5``), or an explicit
    ``(min, max)``; 0 disables that adjustment. Per call: one permutation of the four
    adjustments, then one uniform factor for each enabled one (brightness, contrast,
    saturation, hue), then the enabled ones in the permuted order.

    No batch kernel (NOTE [ Batch kernels ]): every sample has its own factors, and contrast
    needs the image's own mean, so each sample needs its own tables (uint8 brightness and
    contrast are already one ``bytes.translate`` per image); saturation and hue combine
    channels per pixel in float64, which no per-channel table reproduces exactly.

    >>> from torsh_data import Tensor, random as tdr
    >>> img = Tensor(bytes([10, 200, 30] * 4), shape=(2, 2, 3))
    >>> with tdr.sample_scope(seed=0, epoch=0, index=0):
    ...     ColorJitter(brightness=0.5, hue=0.1)(img).shape
    (2, 2, 3)
    """

    def __init__(
        self,
        brightness: float | Sequence[float] = 0,
        contrast: float | Sequence[float] = 0,
        saturation: float | Sequence[float] = 0,
        hue: float | Sequence[float] = 0,
    ) -> None:
        inf = (0.0, math.inf)
        self.brightness = _range(brightness, "brightness", 1.0, inf)
        self.contrast = _range(contrast, "contrast", 1.0, inf)
        self.saturation = _range(saturation, "saturation", 1.0, inf)
        self.hue = _range(hue, "hue", 0.0, (-0.5, 0.5))
        self._enabled = [
            (k, rng)
            for k, (rng, neutral) in enumerate(
                (
                    (self.brightness, 1.0),
                    (self.contrast, 1.0),
                    (self.saturation, 1.0),
                    (self.hue, 0.0),
                )
            )
            if rng != (neutral, neutral)
        ]

    def get_params(self) -> tuple[list[int], dict[int, float]]:
        """The draws of one call: the order of the four adjustments and each enabled factor."""
        gen = sample_generator()
        order = gen.permutation(4)
        factors = {k: lo + (hi - lo) * gen.random() for k, (lo, hi) in self._enabled}
        return order, factors

    def __call__(self, img: Any) -> Tensor:
        t = _tensor(img)
        if t.dtype.kind == "b":
            raise DataTypeError("ColorJitter takes integer or float images, not bool")
        order, factors = self.get_params()
        for k in order:
            if k in factors:
                t = _ADJUST[k](t, factors[k])
        return t

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


class RandomBrightness(ColorJitter):
    """Brightness factor drawn uniformly from ``[max(0, 1 - b), 1 + b]`` (or a pair)."""

    def __init__(self, brightness: float | Sequence[float] = 0.2) -> None:
        super().__init__(brightness=brightness)


class RandomContrast(ColorJitter):
    """Contrast factor drawn uniformly from ``[max(0, 1 - c), 1 + c]`` (or a pair)."""

    def __init__(self, contrast: float | Sequence[float] = 0.2) -> None:
        super().__init__(contrast=contrast)


class RandomSaturation(ColorJitter):
    """Saturation factor drawn uniformly from ``[max(0, 1 - s), 1 + s]`` (or a pair)."""

    def __init__(self, saturation: float | Sequence[float] = 0.2) -> None:
        super().__init__(saturation=saturation)


class RandomHue(ColorJitter):
    """Hue shift drawn uniformly from ``[-h, h]`` (``h <= 0.5``, or a pair)."""

    def __init__(self, hue: float | Sequence[float] = 0.1) -> None:
        super().__init__(hue=hue)
