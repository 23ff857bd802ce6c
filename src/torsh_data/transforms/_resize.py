"""Resizing: :class:`Resize` and :class:`RandomResizedCrop` (torchvision's semantics).

NOTE [ Exact and fast resizing ]: by default (``exact=True``) both run the pure-Python
resampler of :mod:`._resample`: integer arithmetic for uint8 images, so the bytes are the same
on CPython, Pyodide under Node.js and in every browser, and they are the bytes torch's
``F.interpolate(..., mode="bilinear", align_corners=False, antialias=...)`` gives for uint8
(``nearest``: torch's ``mode="nearest"`` for every dtype). ``exact=False`` asks the runtime's
own scaler first (:func:`torsh_data.transforms._scale.fast_resize`: Pillow natively, the
browser's scaler in a page) for bilinear uint8 images and uses its result when there is one;
those bytes differ between runtimes and from torch by small amounts. It falls back to the
exact path when the runtime has no scaler.

The parameters and their defaults follow torchvision 0.28's documented ``v2.Resize`` and
``v2.RandomResizedCrop`` (docs.pytorch.org/vision/0.28/generated/torchvision.transforms.v2.Resize.html
and .../torchvision.transforms.v2.RandomResizedCrop.html): ``antialias=True`` by default, an
int size matches the smaller edge, ``max_size`` bounds the longer one; only ``Resize``'s
default interpolation differs (``nearest`` here, kept from earlier releases).

Both offer ``kernel(x, gens)`` (NOTE [ Batch kernels ] in :mod:`._compose`): ``Resize``
resizes a whole ``(N, ...)`` batch in one pass; ``RandomResizedCrop`` draws every sample's
crop from its stream, then resizes the crops one by one (their sizes differ).

>>> img = Tensor(bytes([0, 100, 200, 50]), shape=(2, 2))
>>> Resize((2, 4), "bilinear")(img).tolist()
[[0, 25, 75, 100], [200, 163, 88, 50]]
>>> from torsh_data import random as tdr
>>> with tdr.sample_scope(seed=0, epoch=0, index=0):
...     RandomResizedCrop(3)(Tensor(bytes(range(64)), shape=(8, 8))).shape
(3, 3)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..random import sample_generator
from ..tensor import Tensor
from . import _scale
from ._compose import Transform
from ._pixels import crop, layout, with_hw
from ._resample import resample

__all__ = ["InterpolationMode", "RandomResizedCrop", "Resize"]


class InterpolationMode(str, enum.Enum):
    """How :class:`Resize` and :func:`rotate` pick values between pixels (torchvision's
    names; the plain strings ``"nearest"`` and ``"bilinear"`` work as well)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _mode(interpolation: Any) -> str:
    if interpolation not in ("nearest", "bilinear"):
        raise DataValueError(
            f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}"
        )
    return InterpolationMode(interpolation).value


def _positive(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise DataValueError(f"{what} must be an integer >= 1, got {v!r}")
    return v


def _pair_size(size: Any) -> tuple[int, int]:
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if not isinstance(size, (list, tuple)) or len(size) not in (1, 2):
        raise DataValueError(f"size must be an int or (height, width), got {size!r}")
    if len(size) == 1:
        size = (size[0], size[0])
    return _positive(size[0], "height"), _positive(size[1], "width")


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _resize(
    t: Tensor, size: tuple[int, int], mode: str, antialias: bool, exact: bool, batch: bool
) -> Tensor:
    """``t`` (an image, or an ``(N, ...)`` batch) resized to ``size`` = ``(height, width)``."""
    if t.dtype.kind == "b":
        raise DataTypeError("Resize takes integer or float images, not bool")
    p, h, w, u, _ = layout(t, batch)
    oh, ow = size
    if (oh, ow) == (h, w):
        return t
    if h == 0 or w == 0:
        raise DataValueError(f"cannot resize an empty {h}x{w} image to {oh}x{ow}")
    if not exact and not batch and mode == "bilinear" and t.dtype.name == "uint8":
        fast = _scale.fast_resize(t, (oh, ow), antialias)
        if fast is not None:
            return fast
    data = resample(t._data, t.dtype, p, h, w, u, oh, ow, mode, antialias)
    return Tensor._make(memoryview(data), t.dtype, with_hw(t, oh, ow, batch))


class Resize(Transform):
    """Resize an image to ``size`` (torchvision's ``Resize`` for tensors).

    ``size`` is ``(height, width)``, or an int: the shorter side becomes ``size`` and the
    longer one ``int(size * long / short)``, then, with ``max_size``, both are scaled down
    so that the longer side is at most ``max_size``, as in torchvision. ``nearest`` picks
    exactly the pixels torch's ``mode="nearest"`` picks. ``bilinear`` is torch's
    ``align_corners=False`` interpolation; with ``antialias`` (the default, as in
    torchvision v2) downscaling averages over the whole footprint of an output pixel.
    uint8 images get torch's uint8 bytes exactly; float images are computed in float64 and
    rounded once (torch rounds each step to float32, so the last bit may differ); other
    integer types are rounded half up and clamped. See NOTE [ Exact and fast resizing ] for
    ``exact``; a batch kernel resizes ``(N, ...)`` batches at once.

    Args:
        size: ``(height, width)``, or the length of the shorter side.
        interpolation: ``"nearest"`` (the default here, unlike torchvision's bilinear) or
            ``"bilinear"``.
        max_size: the bound on the longer side when ``size`` is an int.
        antialias: filter when downscaling bilinearly (ignored for ``nearest``).
        exact: ``False`` lets the runtime's scaler do bilinear uint8 resizing (faster, not
            bit-identical across runtimes).

    >>> from torsh_data import Tensor
    >>> img = Tensor(bytes(range(32)), shape=(2, 16))
    >>> Resize(4)(img).shape, Resize(4, max_size=16)(img).shape
    ((4, 32), (2, 16))
    """

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: str = "nearest",
        max_size: int | None = None,
        antialias: bool = True,
        exact: bool = True,
    ) -> None:
        self.size: int | tuple[int, int] = (
            _positive(size, "size") if isinstance(size, int) else _pair_size(size)
        )
        self.interpolation = _mode(interpolation)
        if max_size is not None:
            if not isinstance(self.size, int):
                raise DataValueError("max_size applies when size is an int (the shorter side)")
            if _positive(max_size, "max_size") <= self.size:
                raise DataValueError(f"max_size ({max_size}) must be larger than size ({size})")
        self.max_size = max_size
        self.antialias = bool(antialias)
        self.exact = bool(exact)

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """The ``(height, width)`` an ``h x w`` image is resized to."""
        if isinstance(self.size, tuple):
            return self.size
        short, long = (w, h) if w <= h else (h, w)
        if short == 0:
            raise DataValueError(f"cannot resize an empty {h}x{w} image by its shorter side")
        new_short, new_long = self.size, int(self.size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)

    def __call__(self, img: Any) -> Tensor:
        t = _tensor(img)
        _, h, w, _, _ = layout(t)
        size = self.output_size(h, w)
        return _resize(t, size, self.interpolation, self.antialias, self.exact, False)

    def batch(self, imgs: Any) -> Tensor:
        """Resize every image of an ``(N, ...)`` batch (the exact path)."""
        t = _tensor(imgs)
        _, h, w, _, _ = layout(t, True)
        return _resize(t, self.output_size(h, w), self.interpolation, self.antialias, True, True)

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """NOTE [ Batch kernels ]: the whole batch in one pass (no draws). With
        ``exact=False`` the per-sample path decides per image, so this defers to it."""
        if not self.exact and self.interpolation == "bilinear":
            return NotImplemented
        return self.batch(x)

    def __repr__(self) -> str:
        return (
            f"Resize(size={self.size}, interpolation={self.interpolation!r}, "
            f"max_size={self.max_size}, antialias={self.antialias}, exact={self.exact})"
        )


def _range(v: Any, name: str, positive: bool) -> tuple[float, float]:
    if (
        not isinstance(v, (list, tuple))
        or len(v) != 2
        or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v
        )
    ):
        raise DataValueError(f"{name} must be a (min, max) pair of finite numbers, got {v!r}")
    lo, hi = float(v[0]), float(v[1])
    if lo > hi:
        raise DataValueError(f"{name} must be (min, max) with min <= max, got {v!r}")
    if lo < 0 or (positive and lo <= 0):
        raise DataValueError(f"{name} values must be {'> 0' if positive else '>= 0'}, got {v!r}")
    return lo, hi


class RandomResizedCrop(Transform):
    """Crop a random part of the image and resize it to ``size`` (torchvision's
    ``RandomResizedCrop``, the Inception-style augmentation).

    Per call, up to 10 attempts each draw an area fraction ``s = U(scale)`` and an aspect
    ratio ``r = exp(U(log ratio))`` (width / height) from the sample's stream; the crop is
    ``w = round(sqrt(s * A * r))`` by ``h = round(sqrt(s * A / r))`` and the first attempt
    with ``0 < w <= W`` and ``0 < h <= H`` is placed at ``top = randbelow(H - h + 1)``,
    ``left = randbelow(W - w + 1)``. If none fits, the central crop with the ratio clamped
    to ``ratio`` is used (at least one pixel wide, where torchvision would round a side of a
    tiny image to 0). The crop is then resized as :class:`Resize` does (same
    ``interpolation``, ``antialias`` and ``exact``; bilinear with antialias by default).

    Args:
        size: the output ``(height, width)``, or one int for a square.
        scale: the range of the crop's area as a fraction of the image's.
        ratio: the range of the crop's aspect ratio (width / height).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        antialias: filter when downscaling bilinearly.
        exact: see NOTE [ Exact and fast resizing ].

    >>> from torsh_data import random as tdr
    >>> t = RandomResizedCrop((4, 6), scale=(0.5, 0.5), ratio=(1.0, 1.0))
    >>> with tdr.sample_scope(seed=1, epoch=0, index=3):
    ...     top, left, h, w = t.get_params(10, 10)
    >>> (h, w), 0 <= top <= 10 - h and 0 <= left <= 10 - w
    ((7, 7), True)
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: str = "bilinear",
        antialias: bool = True,
        exact: bool = True,
    ) -> None:
        self.size = _pair_size(size)
        self.scale = _range(scale, "scale", False)
        self.ratio = _range(ratio, "ratio", True)
        self.interpolation = _mode(interpolation)
        self.antialias = bool(antialias)
        self.exact = bool(exact)

    def get_params(self, h: int, w: int, gen: Any = None) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of the crop of an ``h x w`` image, drawn from
        ``gen`` (default: :func:`~torsh_data.random.sample_generator`)."""
        gen = sample_generator() if gen is None else gen
        area = h * w
        (s0, s1), (r0, r1) = self.scale, self.ratio
        log0, log1 = math.log(r0), math.log(r1)
        for _ in range(10):
            target = area * (s0 + (s1 - s0) * gen.random())
            aspect = math.exp(log0 + (log1 - log0) * gen.random())
            cw = round(math.sqrt(target * aspect))
            ch = round(math.sqrt(target / aspect))
            if 0 < cw <= w and 0 < ch <= h:
                return gen.randbelow(h - ch + 1), gen.randbelow(w - cw + 1), ch, cw
        in_ratio = w / h if h else 0.0
        if in_ratio < r0:
            cw, ch = w, max(round(w / r0), 1)
        elif in_ratio > r1:
            ch, cw = h, max(round(h * r1), 1)
        else:
            ch, cw = h, w
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def _one(self, t: Tensor, gen: Any) -> Tensor:
        _, h, w, _, _ = layout(t)
        if h == 0 or w == 0:
            raise DataValueError(f"RandomResizedCrop cannot crop an empty {h}x{w} image")
        return self.resized_crop(t, self.get_params(h, w, gen))

    def resized_crop(self, img: Any, box: tuple[int, int, int, int]) -> Tensor:
        """The window ``box = (top, left, height, width)`` of ``img`` (as :meth:`get_params`
        gives it) resized to ``size``: this transform without its draws.

        >>> from torsh_data import Tensor
        >>> img = Tensor(bytes(range(16)), shape=(4, 4))
        >>> RandomResizedCrop(2, interpolation="nearest").resized_crop(img, (0, 2, 2, 2)).tolist()
        [[2, 3], [6, 7]]
        """
        t = _tensor(img)
        p, h, w, u, _ = layout(t)
        top, left, ch, cw = box
        if not (0 <= top and 0 <= left and 0 < ch <= h - top and 0 < cw <= w - left):
            raise DataValueError(f"the crop {box} (top, left, height, width) is not inside {h}x{w}")
        data = crop(t._data, p, h, w, u, top, left, ch, cw)
        part = Tensor._make(memoryview(data), t.dtype, with_hw(t, ch, cw))
        return _resize(part, self.size, self.interpolation, self.antialias, self.exact, False)

    def __call__(self, img: Any) -> Tensor:
        return self._one(_tensor(img), sample_generator())

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """NOTE [ Batch kernels ]: each sample's crop drawn from its own stream, each crop
        resized on its own (the crops differ in size, so their tables differ)."""
        if not self.exact and self.interpolation == "bilinear":
            return NotImplemented
        n = x.shape[0] if x.shape else 0
        if n != len(gens):
            raise DataValueError(f"RandomResizedCrop.kernel: {n} samples and {len(gens)} streams")
        layout(x, True)
        step = x.nbytes // n if n else 0
        one = x.shape[1:]
        view = memoryview(x._data).cast("B")
        parts = [
            self._one(Tensor._make(view[i * step : (i + 1) * step], x.dtype, one), gens[i])
            for i in range(n)
        ]
        out_shape = with_hw(x, *self.size, True)
        return Tensor._make(memoryview(b"".join(bytes(q._data) for q in parts)), x.dtype, out_shape)

    def __repr__(self) -> str:
        return (
            f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio}, "
            f"interpolation={self.interpolation!r}, antialias={self.antialias}, "
            f"exact={self.exact})"
        )
