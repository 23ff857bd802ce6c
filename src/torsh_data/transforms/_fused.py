"""Fused image steps: a random crop, a flip and ``ToTensor`` (+ ``Normalize``) as one step.

:class:`Compose` replaces adjacent ``RandomCrop``, ``RandomHorizontalFlip`` and
``ToTensor`` / ``ToTensor()+Normalize`` steps by one :class:`FusedImage` (NOTE [ Fusion ]).
Per sample it is the steps one after the other; its batch kernel builds the batch's cropped
and flipped images in one pass and feeds them straight to the lookup tables.

NOTE [ Strip crops ]: every batch-wise operation here is a C-level copy whose cost in
WebAssembly is close to native (strided slice copies; ``bytes.join`` of a few large slices),
avoiding what costs two to three times as much there (a Python object per image row, as the
struct-based crop makes). The batch is first written once into rows of the padded width
``pw`` (the fill columns around each row; ``W`` strided column copies for the whole batch).
Image ``i``'s window at ``(top, left)`` is then one contiguous slice: ``th`` rows of ``pw``
pixels starting at its first pixel, fill rows added above and below where the window leaves
the image. Only the first ``tw`` pixels of each of those rows belong to the window; ``tw``
strided column copies over all the strips keep them, and for the images drawn to be flipped
the same copies take the columns in reverse order (the flipped images' strips are kept
together, after the others, and the images are put back in order with one join).

In Pyodide the whole step is one WebAssembly call instead (NOTE [ WebAssembly kernels ]):
``draw_crop_flip`` draws every window and flip from the streams in lanes (``draw_windows``),
then writes the cropped, flipped images straight through the ``ToTensor`` tables into the
float32 batch (``crop_flip``; channels first, so images of three channels too). The strips
here are the reference they match byte for byte.

>>> import torsh_data as td
>>> from torsh_data.transforms import Compose, RandomCrop, RandomHorizontalFlip, ToTensor
>>> pipe = Compose([RandomCrop(2, padding=1), RandomHorizontalFlip(), ToTensor()])
>>> pipe._steps
[RandomCrop(size=(2, 2), padding=(1, 1, 1, 1), fill=0)+RandomHorizontalFlip(p=0.5)+ToTensor()]
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from typing import Any

from .. import _dtype
from .._streams import window_coin_lanes
from .._wasm import image as _wasm_image
from ..random import randbelow_each, random_each
from ..tensor import Tensor, stack
from . import _np_kernels as _np
from ._compose import Transform, run_steps
from ._geometry import RandomCrop, RandomHorizontalFlip, _plan_for
from ._image import Normalize, ToTensor, _ToTensorNormalize, _unit_tables
from ._pixels import as_bytes, layout, translate_float32

__all__ = ["FusedImage", "crop_flip"]

_TAILS = (ToTensor, _ToTensorNormalize)


class FusedImage(Transform):
    """``crop``, then ``flip``, then ``tail`` (each may be None): one step, the same draws and
    bytes as the steps one after the other (see NOTE [ Strip crops ])."""

    def __init__(self, crop: Any = None, flip: Any = None, tail: Any = None) -> None:
        self.crop, self.flip, self.tail = crop, flip, tail
        self.parts = [s for s in (crop, flip, tail) if s is not None]

    def __call__(self, img: Any) -> Any:
        for step in self.parts:
            img = step(img)
        return img

    def _fuse_next(self, nxt: Any) -> Any:
        if self.tail is not None:
            fused = self.tail._fuse_next(nxt) if type(nxt) is Normalize else None
            return None if fused is None else FusedImage(self.crop, self.flip, fused)
        if type(nxt) is RandomHorizontalFlip and self.flip is None:
            return FusedImage(self.crop, nxt, None)
        if type(nxt) in _TAILS:
            return FusedImage(self.crop, self.flip, nxt)
        return None

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """The fused batch kernel where it applies (one-plane images; uint8 before a
        ``ToTensor``; numpy not loaded, whose kernels the steps have), else each step's
        own kernel in turn."""
        out = self._strips(x, gens)
        if out is NotImplemented and (np := sys.modules.get("numpy")) is not None:
            out = self._numpy(np, x, gens)
        if out is NotImplemented:
            out = run_steps(self.parts, x, gens)
        return out if type(out) is Tensor else stack(out)

    def _numpy(self, np: Any, x: Tensor, gens: Sequence[Any]) -> Any:
        """A crop and a flip with numpy (NOTE [ numpy kernels ]): each stream's window and
        coin from one mixing of its next states (``window_coin_lanes``, the draws the two
        kernels make one after the other), the crops gathered and the chosen ones mirrored
        in place; then the tail's kernel. NotImplemented (nothing drawn) where the steps'
        own kernels apply."""
        crop, flip = self.crop, self.flip
        if type(crop) is not RandomCrop or flip is None or x.ndim not in (3, 4) or not x.shape[0]:
            return NotImplemented
        one = x[0]
        if not one.nbytes:
            return NotImplemented
        positions, (cols, ltrb), shape, _, _ = _plan_for(crop._plans, one, crop._plan)
        drawn = window_coin_lanes(np, gens, positions) if positions > 1 else None
        if drawn is None:
            return NotImplemented
        ks, coins = drawn
        geometry = (len(ks), *layout(one)[:4])
        fills = crop._fills(one, False)
        data = _np.crops(np, x._data, geometry, ltrb, crop.size, ks, cols, fills, coins < flip.p)
        out = Tensor._make(data, x.dtype, (len(ks), *shape))
        return out if self.tail is None else self.tail.kernel(out, gens)

    def _strips(self, x: Tensor, gens: Sequence[Any]) -> Any:
        if x.ndim not in (3, 4) or not x.shape[0] or sys.modules.get("numpy") is not None:
            return NotImplemented
        if self.tail is not None and x.dtype is not _dtype.uint8:
            return NotImplemented
        one = x[0]
        p, h, w, u, c = layout(one)
        if p != 1 or not one.nbytes:
            return NotImplemented
        n = x.shape[0]
        if self.crop is not None:
            positions, (cols, ltrb), shape, _, _ = _plan_for(self.crop._plans, one, self.crop._plan)
            th, tw = self.crop.size
            if tw > w:  # a window wider than the image: the crop's own kernel
                return NotImplemented
            fill = self.crop._fills(one, False)[0]
        else:
            ltrb, th, tw, fill, shape = (0, 0, 0, 0), h, w, b"", one.shape
            positions, cols = 1, 1
        p_flip = self.flip.p if self.flip else None
        tables = None
        if self.tail is not None:
            tail = self.tail
            make = _unit_tables if type(tail) is ToTensor else tail._channel_tables(c)
            tables = [make(k) for k in range(c)]
        geometry = ((n, h, w, u), ltrb, (th, tw))
        pixel = fill or bytes(u)
        # NOTE [ WebAssembly kernels ]: the draws and the crop in one call, the same numbers
        # and bytes as below
        found = _wasm_image.draw_crop_flip(
            gens, positions, p_flip, x._data, *geometry, cols, pixel, tables
        )
        ks: Sequence[int]
        flips: Sequence[int]
        if found is None:
            ks = randbelow_each(gens, positions) if positions > 1 else [0] * n
            flips = [v < self.flip.p for v in random_each(gens)] if self.flip else [False] * n
            found = _wasm_image.crop_flip(x._data, *geometry, cols, ks, flips, pixel, tables)
        if found is not None:
            if tables is None:
                return Tensor._make(memoryview(found), x.dtype, (n, *shape))
            return Tensor._make(memoryview(found), _dtype.float32, (n, c, th, tw))
        corners = [divmod(k, cols) for k in ks]
        data = crop_flip(x._data, *geometry, corners, flips, fill)
        out = Tensor._make(memoryview(data), x.dtype, (n, *shape))
        if self.tail is None:
            return out
        if tables is not None and c == 1:  # the hot path: one plane, four translates
            src = as_bytes(data)
            floats = bytearray(4 * len(src))
            translate_float32(src, tables[0], floats, 0)
            return Tensor._make(memoryview(floats), _dtype.float32, (n, 1, th, tw))
        return self.tail.kernel(out, gens)

    def __repr__(self) -> str:
        return "+".join(repr(s) for s in self.parts)


def crop_flip(
    data: Any,
    shape: tuple[int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    corners: Sequence[tuple[int, int]],
    flips: Sequence[int],
    fill: bytes,
) -> Any:
    """Image ``i`` of a batch of ``shape = (N, H, W, u)`` (``u`` bytes a pixel), padded by
    ``ltrb`` with the pixel ``fill``, cropped to ``size`` at ``corners[i] = (top, left)``
    (in padded coordinates) and mirrored left-right where ``flips[i]``: the images one after
    the other, as NOTE [ Strip crops ] describes. The crop may not be wider than ``W``.

    >>> crop_flip(b"abcdefghi", (1, 3, 3, 1), (1, 1, 1, 1), (2, 2), [(0, 0)], [True], b".")
    bytearray(b'..a.')
    """
    n, h, w, u = shape
    th, tw = size
    left, top, right, bottom = ltrb
    row, out_row = w * u, tw * u
    image = (h + top + bottom) * row
    src = memoryview(data).cast("B")
    fill_row = fill * w
    # the images with their fill rows between them (and room for the first and last strip)
    step = h * row
    framed = b"".join(
        [
            fill * left + fill_row * top,
            (fill_row * (top + bottom)).join([src[i : i + step] for i in range(0, n * step, step)]),
            fill_row * bottom + fill * (w + right),
        ]
    )
    # the images in groups of one (flip, column shift): contiguous in the strips below
    keys = [(f, c[1]) for f, c in zip(flips, corners, strict=True)]
    order = sorted(range(n), key=keys.__getitem__)
    size_in = th * row
    starts = [i * image + corners[i][0] * row + corners[i][1] * u for i in order]
    view = memoryview(framed)
    strips = bytearray().join([view[s : s + size_in] for s in starts])
    # columns that came from the neighbouring row (window beyond the image's sides): fill
    first = 0
    for (_, wl), run in itertools.groupby(keys[i] for i in order):
        count = len(list(run))
        dx = wl - left
        lo, hi = first * size_in, (first + count) * size_in
        for col in [*range(min(-dx, tw)), *range(max(w - dx, 0), tw)]:
            for b in range(u):
                strips[lo + col * u + b : hi : row] = fill[b : b + 1] * (count * th)
        first += count
    flipped = sum(flips)
    split_in, split_out = (n - flipped) * size_in, (n - flipped) * th * out_row
    if tw == w and not flipped:
        dense = strips
    elif tw == w:  # mirror the flipped images' columns in place
        for col in range(tw // 2):
            for b in range(u):
                a, z = split_in + col * u + b, split_in + (tw - 1 - col) * u + b
                strips[a::row], strips[z::row] = strips[z::row], strips[a::row]
        dense = strips
    else:
        dense = bytearray(n * th * out_row)
        for j in range(out_row if split_out else 0):
            dense[j:split_out:out_row] = strips[j:split_in:row]
        for col in range(tw if flipped else 0):
            mirrored = (tw - 1 - col) * u
            for b in range(u):
                dense[split_out + col * u + b :: out_row] = strips[split_in + mirrored + b :: row]
    if order == list(range(n)):
        return dense
    size_out = th * out_row
    view = memoryview(dense)
    where = [0] * n
    for pos, i in enumerate(order):
        where[i] = pos * size_out
    return b"".join([view[s : s + size_out] for s in where])
