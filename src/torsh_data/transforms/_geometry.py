"""Geometric image transforms: pad, crop, flip, resize.

They work on integer ``(H, W[, C])`` images (as decoded) and on float ``(C, H, W)`` images
(after :class:`ToTensor`), and keep the layout and dtype; a 2-D tensor is ``(H, W)``. The rule
is the dtype: integer data is channels-last, floating data channels-first. Rows are moved as
byte slices (see :mod:`._pixels`), so the cost is a few C calls per image, not per pixel.

Random transforms draw from :func:`torsh_data.random.sample_generator`, so inside a
:class:`~torsh_data.DataLoader` the result depends only on ``(seed, epoch, index)``.
Pad, crops and flips have batch kernels (NOTE [ Batch kernels ]): a few C calls per image
of the batch, the random parameters drawn first from each image's stream; ``Pad`` and
``CenterCrop`` (which draw nothing) also have ``.batch(images)`` for ``(N, ...)`` batches.

>>> img = Tensor(bytes(range(9)), shape=(3, 3))
>>> Pad(1)(img).shape, CenterCrop(1)(img).tolist()
((5, 5), [[4]])
>>> RandomHorizontalFlip(p=1.0)(img).tolist()
[[2, 1, 0], [5, 4, 3], [8, 7, 6]]
>>> Resize((2, 2))(img).tolist()
[[0, 1], [3, 4]]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from .._dtype import DType
from .._errors import DataTypeError, DataValueError
from ..random import randbelow_each, random_each, sample_generator
from ..tensor import Tensor
from . import _np_kernels as _np
from ._compose import Transform
from ._pixels import (
    crop,
    fill_pixels,
    hflip,
    layout,
    pad,
    pad_crop_fn,
    vflip,
    with_hw,
)

__all__ = [
    "CenterCrop",
    "InterpolationMode",
    "Pad",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Resize",
]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _int(v: Any, what: str, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise DataValueError(f"{what} must be an integer >= {minimum}, got {v!r}")
    return v


def _size(size: Any) -> tuple[int, int]:
    if isinstance(size, int):
        size = (size, size)
    if not isinstance(size, (list, tuple)) or len(size) not in (1, 2):
        raise DataValueError(f"size must be an int or (height, width), got {size!r}")
    if len(size) == 1:
        size = (size[0], size[0])
    return _int(size[0], "height", 1), _int(size[1], "width", 1)


def _ltrb(padding: Any) -> tuple[int, int, int, int]:
    """torchvision's padding spellings: n, (left/right, top/bottom), (l, t, r, b)."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        padding = (padding,)
    if not isinstance(padding, (list, tuple)) or len(padding) not in (1, 2, 4):
        raise DataValueError(f"padding must be an int or a sequence of 1, 2 or 4, got {padding!r}")
    vals = [_int(v, "padding", 0) for v in padding]
    if len(vals) == 1:
        return vals[0], vals[0], vals[0], vals[0]
    if len(vals) == 2:
        return vals[0], vals[1], vals[0], vals[1]
    return vals[0], vals[1], vals[2], vals[3]


def _check_fill(fill: Any) -> Any:
    ok = isinstance(fill, (int, float)) and not isinstance(fill, bool)
    if not ok and not (
        isinstance(fill, (list, tuple))
        and fill
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in fill)
    ):
        raise DataTypeError(f"fill must be a number or one number per channel, got {fill!r}")
    return fill


class _Filler(Transform):
    """Pad with a fill value; the per-plane pixel bytes are cached per dtype and layout."""

    def __init__(self, padding: Any, fill: Any) -> None:
        self.padding = _ltrb(padding)
        self.fill = _check_fill(fill)
        self._pixels: dict[tuple[DType, int, int], list[bytes]] = {}  # fill bytes by layout

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for a worker) without the per-shape plans, which hold local functions."""
        return {**self.__dict__, "_plans": {}}

    def _fills(self, t: Tensor, batch: bool) -> list[bytes]:
        key = (t.dtype, len(t.shape) - batch, layout(t, batch)[4])
        px = self._pixels.get(key)
        if px is None:
            px = self._pixels[key] = fill_pixels(self.fill, t, batch)
        return px

    def _pad(self, t: Tensor, ltrb: tuple[int, int, int, int], batch: bool) -> Tensor:
        p, h, w, u, _ = layout(t, batch)
        data = pad(t._data, p, h, w, u, ltrb, self._fills(t, batch))
        nh, nw = h + ltrb[1] + ltrb[3], w + ltrb[0] + ltrb[2]
        return Tensor._make(memoryview(data), t.dtype, with_hw(t, nh, nw, batch))


def _plan_for(plans: dict[tuple[Any, ...], Any], t: Tensor, make: Callable[[Tensor], Any]) -> Any:
    """The plan ``make(t)`` for ``t``'s shape and dtype, kept in ``plans`` (at most 65 kept:
    a stream of ever new sizes starts over rather than grow without end)."""
    key = (t.shape, t.dtype)
    plan = plans.get(key)
    if plan is None:
        if len(plans) > 64:
            plans.clear()
        plan = plans[key] = make(t)
    return plan


class Pad(_Filler):
    """Pad the border of an image with ``fill``.

    Args:
        padding: ``n`` for every side, ``(left/right, top/bottom)``, or
            ``(left, top, right, bottom)``.
        fill: the pad value, or one value per channel; it must fit the image's dtype.
    """

    def __init__(self, padding: int | Sequence[int], fill: float | Sequence[float] = 0) -> None:
        super().__init__(padding, fill)
        self._plans: dict[tuple[Any, ...], Any] = {}

    def __call__(self, img: Any) -> Tensor:
        t = img if type(img) is Tensor else _tensor(img)
        fn, shape = _plan_for(self._plans, t, self._plan)
        return Tensor._make(memoryview(fn(t._data)), t.dtype, shape)

    def _plan(self, t: Tensor) -> tuple[Any, tuple[int, ...]]:
        p, h, w, u, _ = layout(t)
        lf, tp, rt, bt = self.padding
        window = (0, 0, h + tp + bt, w + lf + rt)
        fn = pad_crop_fn(p, h, w, u, self.padding, window, self._fills(t, False))
        return fn, with_hw(t, window[2], window[3])

    def _fuse_next(self, nxt: Any) -> Any:
        """``Pad`` then ``RandomCrop`` is one ``RandomCrop`` with the summed padding (same
        draws, same bytes) when the fills agree or the crop does not pad itself."""
        if type(nxt) is not RandomCrop or (any(nxt.padding) and nxt.fill != self.fill):
            return None
        padding = tuple(a + b for a, b in zip(self.padding, nxt.padding, strict=True))
        return RandomCrop(nxt.size, padding, self.fill, nxt.pad_if_needed)

    deterministic = True

    def kernel(self, x: Tensor, gens: Any) -> Any:
        """Pad every image of an ``(N, ...)`` batch (one frame join for the batch)."""
        if x.ndim not in (3, 4):
            return NotImplemented
        return self._pad(x, self.padding, True)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill!r})"


class RandomCrop(_Filler):
    """Crop a random ``size`` window, optionally after padding (torchvision's ``RandomCrop``).

    The window is one uniform draw ``k = randbelow(rows * cols)`` over the valid positions
    (none when there is one), ``top, left = divmod(k, cols)``.

    Args:
        size: ``n`` or ``(height, width)``.
        padding: padded first, as :class:`Pad` takes it (``None``: no padding).
        fill: the pad value.
        pad_if_needed: pad an image smaller than ``size`` (by the missing amount on both
            sides, as torchvision does) instead of raising.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        fill: float | Sequence[float] = 0,
        pad_if_needed: bool = False,
    ) -> None:
        super().__init__(0 if padding is None else padding, fill)
        self.size = _size(size)
        self.pad_if_needed = bool(pad_if_needed)
        self._plans: dict[tuple[Any, ...], Any] = {}

    def _plan(
        self, t: Tensor
    ) -> tuple[int, tuple[int, tuple[int, int, int, int]], tuple[int, ...], dict[int, Any], Any]:
        """Per input shape: (positions, (columns, padding), output shape, window functions,
        factory)."""
        p, h, w, u, _ = layout(t)
        ltrb = self.padding
        th, tw = self.size
        ph, pw = h + ltrb[1] + ltrb[3], w + ltrb[0] + ltrb[2]
        if self.pad_if_needed and (ph < th or pw < tw):
            dw, dh = max(tw - pw, 0), max(th - ph, 0)
            ltrb = (ltrb[0] + dw, ltrb[1] + dh, ltrb[2] + dw, ltrb[3] + dh)
            ph, pw = ph + 2 * dh, pw + 2 * dw
        if ph < th or pw < tw:
            raise DataValueError(
                f"RandomCrop of {th}x{tw} does not fit an image of {ph}x{pw} (after padding); "
                "pass padding= or pad_if_needed=True"
            )
        cols = pw - tw + 1
        fills = self._fills(t, False)

        def make(k: int) -> Any:
            top, left = divmod(k, cols)
            if ltrb == (0, 0, 0, 0):
                return lambda data: crop(data, p, h, w, u, top, left, th, tw)
            return pad_crop_fn(p, h, w, u, ltrb, (top, left, th, tw), fills)

        return (ph - th + 1) * cols, (cols, ltrb), with_hw(t, th, tw), {}, make

    def _fuse_next(self, nxt: Any) -> Any:
        """With a following flip or ``ToTensor``: one :class:`FusedImage` (NOTE [ Strip crops ])."""
        from ._fused import FusedImage

        return FusedImage(self)._fuse_next(nxt)

    def __call__(self, img: Any) -> Tensor:
        t = img if type(img) is Tensor else _tensor(img)
        positions, _, shape, windows, make = _plan_for(self._plans, t, self._plan)
        k = sample_generator().randbelow(positions) if positions > 1 else 0
        fn = windows.get(k)
        if fn is None:
            if len(windows) >= 4096:  # big images have many positions: bound the cache
                windows.clear()
            fn = windows[k] = make(k)
        return Tensor._make(memoryview(fn(t._data)), t.dtype, shape)

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """Every sample's window drawn from its stream, then one prepared struct call and
        join per image (the window functions are kept per position, as per sample)."""
        if x.ndim not in (3, 4) or not x.shape[0]:
            return NotImplemented
        one = x[0]
        positions, (cols, ltrb), shape, windows, make = _plan_for(self._plans, one, self._plan)
        ks = randbelow_each(gens, positions) if positions > 1 else [0] * len(gens)
        np = sys.modules.get("numpy")
        if np is not None and one.nbytes:  # NOTE [ numpy kernels ]
            geometry = (len(ks), *layout(one)[:4])
            cropped = _np.crops(
                np, x._data, geometry, ltrb, self.size, ks, cols, self._fills(one, False)
            )
            return Tensor._make(cropped, x.dtype, (len(ks), *shape))
        if len(windows) + len(ks) > 4096:
            windows.clear()
        for k in set(ks).difference(windows):
            windows[k] = make(k)
        step, data = one.nbytes, x._data
        parts = [
            windows[k](data[i : i + step])
            for i, k in zip(range(0, x.nbytes, step), ks, strict=True)
        ]
        return Tensor._make(memoryview(b"".join(parts)), x.dtype, (len(ks), *shape))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill!r})"


class CenterCrop(_Filler):
    """Crop the central ``size`` window; an image smaller than that is padded with 0 first.

    The offset is ``round((H - height) / 2)`` (Python rounding), as in torchvision.
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__(0, 0)
        self.size = _size(size)

    def _apply(self, t: Tensor, batch: bool) -> Tensor:
        p, h, w, u, _ = layout(t, batch)
        th, tw = self.size
        if th > h or tw > w:
            dl, dt = max(tw - w, 0) // 2, max(th - h, 0) // 2
            dr, db = (max(tw - w, 0) + 1) // 2, (max(th - h, 0) + 1) // 2
            t = self._pad(t, (dl, dt, dr, db), batch)
            p, h, w, u, _ = layout(t, batch)
        top, left = round((h - th) / 2.0), round((w - tw) / 2.0)
        data = crop(t._data, p, h, w, u, top, left, th, tw)
        return Tensor._make(memoryview(data), t.dtype, with_hw(t, th, tw, batch))

    deterministic = True

    def __call__(self, img: Any) -> Tensor:
        return self._apply(_tensor(img), False)

    def kernel(self, x: Tensor, gens: Any) -> Any:
        """Crop the centre of every image of an ``(N, ...)`` batch (one struct call)."""
        if x.ndim not in (3, 4):
            return NotImplemented
        return self._apply(x, True)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise DataValueError(f"p must be a probability in [0, 1], got {p!r}")
    return float(p)


class _RandomFlip(Transform):
    """Flip with probability ``p`` (one draw per call); subclasses name the flip."""

    _flip: Any = staticmethod(hflip)

    def __init__(self, p: float = 0.5) -> None:
        self.p = _probability(p)
        self._geometry: dict[tuple[int, ...], Any] = {}

    def __call__(self, img: Any) -> Tensor:
        t = img if type(img) is Tensor else _tensor(img)
        geom = self._geometry.get(t.shape)
        if geom is None or geom[0] is not t.dtype:
            if len(self._geometry) > 64:
                self._geometry.clear()
            geom = self._geometry[t.shape] = (t.dtype, *layout(t)[:4])
        if sample_generator().random() < self.p:
            return Tensor._make(memoryview(self._flip(t._data, *geom[1:])), t.dtype, t.shape)
        return t

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """Each sample's draw first; then the drawn samples are flipped together, as one
        buffer of their planes (one flip call), and put back between the others."""
        if x.ndim not in (3, 4) or not x.shape[0]:
            return NotImplemented
        p = self.p
        flips = [u < p for u in random_each(gens)]
        if not any(flips):
            return x
        n, step, data = len(flips), x.nbytes // len(flips), x._data
        planes, h, w, u, _ = layout(x[0])
        np = sys.modules.get("numpy")
        if np is not None and step:  # NOTE [ numpy kernels ]
            done = _np.flips(np, data, (n, planes, h, w, u), flips, 3 if self._flip is hflip else 2)
            return Tensor._make(done, x.dtype, x.shape)
        if all(flips):
            return Tensor._make(memoryview(self._flip(data, n * planes, h, w, u)), x.dtype, x.shape)
        rows = [data[i : i + step] for i in range(0, n * step, step)]
        chosen = [r for r, f in zip(rows, flips, strict=True) if f]
        done = self._flip(b"".join(chosen), len(chosen) * planes, h, w, u)
        flipped = iter([done[i : i + step] for i in range(0, len(done), step)])
        parts = [next(flipped) if f else r for r, f in zip(rows, flips, strict=True)]
        return Tensor._make(memoryview(b"".join(parts)), x.dtype, x.shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror the image left-right with probability ``p`` (one draw per call)."""

    _flip = staticmethod(hflip)

    def _fuse_next(self, nxt: Any) -> Any:
        """With a following ``ToTensor``: one :class:`FusedImage` (NOTE [ Strip crops ])."""
        from ._fused import FusedImage

        return FusedImage(None, self)._fuse_next(nxt)


class RandomVerticalFlip(_RandomFlip):
    """Flip the image upside down with probability ``p`` (one draw per call)."""

    _flip = staticmethod(vflip)


# Resize and InterpolationMode live in ._resize (its resampler in ._resample).
from ._resize import InterpolationMode, Resize  # noqa: E402
