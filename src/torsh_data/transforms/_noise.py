"""Pixel-level random augmentations: :class:`GaussianNoise` and :class:`RandomErasing`.

Normal draws come from the sample's stream through a table of normal quantiles (see NOTE
[ Normal draws ]), so they are the same on every runtime and worker.

>>> from torsh_data import random as tdr
>>> img = Tensor([[[0.5, 0.5], [0.5, 0.5]]])
>>> with tdr.sample_scope(seed=0, epoch=0, index=0):
...     RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1.0, 1.0))(img).tolist()
[[[0.5, 0.5], [0.5, 0.0]]]
"""

from __future__ import annotations

import array
import math
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..random import _GOLDEN, _MASK64, SampleGenerator, sample_generator
from ..tensor import Tensor
from ._compose import Transform, _probability
from ._pixels import from_value_planes, layout, pack_fill, value_bound, value_planes

__all__ = ["GaussianNoise", "RandomErasing", "normals"]


_LEVELS = 1 << 16
_table: list[float] = []


def _normal_table() -> list[float]:
    """The standard normal quantiles at the midpoints of ``2**16`` equal probability steps."""
    if not _table:
        inv = statistics.NormalDist().inv_cdf
        _table.extend(inv((k + 0.5) / _LEVELS) for k in range(_LEVELS))
    return _table


def _words16(gen: Any, n: int) -> array.array[int]:
    """``n`` uniform 16-bit integers: four per 64-bit draw of a per-sample stream (the
    generator's state advances as ``ceil(n / 4)`` calls of ``next64``), else ``gen.bytes``."""
    if type(gen) is SampleGenerator:
        s, words = gen._state, list[int]()
        append, golden, mask = words.append, _GOLDEN, _MASK64
        for _ in range((n + 3) // 4):
            s = (s + golden) & mask
            z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            append(z ^ (z >> 31))
        gen._state = s
        raw = array.array("Q", words).tobytes()
    else:
        raw = gen.bytes(2 * n)
    out = array.array("H", raw[: 2 * n])
    if sys.byteorder != "little":
        out.byteswap()
    return out


def normals(gen: Any, n: int, mean: float = 0.0, std: float = 1.0) -> list[float]:
    """``n`` draws of ``N(mean, std^2)`` from ``gen``.

    NOTE [ Normal draws ]: each draw is a 16-bit uniform integer ``k`` mapped to the normal
    quantile at ``(k + 0.5) / 2**16`` (tails cut at 4.33 sigma): four draws per 64-bit word
    and one C-level table lookup each, instead of Box-Muller's logarithm and cosine in
    Python per pair. The variance is 0.9997 of ``std^2``.
    """
    z = list(map(_normal_table().__getitem__, _words16(gen, n)))
    if mean == 0.0 and std == 1.0:
        return z
    return [mean + std * v for v in z]


def _number(v: Any, name: str, minimum: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise DataValueError(f"{name} must be a finite number, got {v!r}")
    if minimum is not None and v < minimum:
        raise DataValueError(f"{name} must be >= {minimum}, got {v!r}")
    return float(v)


class GaussianNoise(Transform):
    """Add ``N(mean, sigma^2)`` noise to every value of an image (or any tensor).

    Float tensors get the noise in their own units and, with ``clip``, are clamped to
    [0, 1] (torchvision's ``GaussianNoise``). Integer tensors get it in pixel units, rounded
    half to even and clamped to the dtype's range.

    No batch kernel (NOTE [ Batch kernels ]): each value gets its own normal draw and its
    own rounding, so the batch form would be the same per-value work as the per-sample one;
    a lookup table is exact only per (value, draw) pair, 256 x 65536 entries for uint8.

    Args:
        mean: the noise mean.
        sigma: the noise standard deviation (>= 0).
        clip: clamp float results to [0, 1].
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean = _number(mean, "mean")
        self.sigma = _number(sigma, "sigma", 0.0)
        self.clip = bool(clip)

    def __call__(self, x: Any) -> Tensor:
        t = x if isinstance(x, Tensor) else Tensor(x)
        dt = t.dtype
        if dt.kind == "b":
            raise DataTypeError("GaussianNoise takes integer or float tensors, not bool")
        vals = dt.unpack(t._data)
        noise = normals(sample_generator(), len(vals), self.mean, self.sigma)
        if dt.kind == "f":
            out = [v + z for v, z in zip(vals, noise, strict=True)]
            if self.clip:
                out = [min(max(v, 0.0), 1.0) for v in out]
        else:
            lo, hi = dt.limits() or (0, 1)
            out = [min(max(round(v + z), lo), hi) for v, z in zip(vals, noise, strict=True)]
        return Tensor._make(memoryview(dt.pack(out)), dt, t.shape)

    def __repr__(self) -> str:
        return f"GaussianNoise(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


def _pair(v: Any, name: str, positive: bool) -> tuple[float, float]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise DataValueError(f"{name} must be a (min, max) pair, got {v!r}")
    lo, hi = _number(v[0], name), _number(v[1], name)
    if lo > hi or (positive and lo <= 0):
        raise DataValueError(f"{name} must be (min, max) with 0 < min <= max, got {v!r}")
    return lo, hi


class RandomErasing(Transform):
    """Erase a random rectangle (torchvision's ``RandomErasing``, Zhong et al. 2017).

    With probability ``p``: up to 10 attempts draw an area ``A * U(scale)`` and an aspect
    ratio ``exp(U(log ratio))``; the rectangle ``h = round(sqrt(area * r))``,
    ``w = round(sqrt(area / r))`` is used by the first attempt where it fits
    (``h < H`` and ``w < W``), at a uniform position. If none fits the image is unchanged.

    Args:
        p: probability of erasing.
        scale: range of the erased fraction of the area.
        ratio: range of the aspect ratio (height / width).
        value: the fill (one number, one per channel) or ``"random"``: standard normal
            values for float images, uniform values over the range for integer ones.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float | Sequence[float] | str = 0,
    ) -> None:
        self.p = _probability(p)
        self.scale = _pair(scale, "scale", False)
        if not 0 <= self.scale[0] <= self.scale[1] <= 1:
            raise DataValueError(f"scale must lie in [0, 1], got {scale!r}")
        self.ratio = _pair(ratio, "ratio", True)
        if isinstance(value, str) and value != "random":
            raise DataValueError(f"value must be a number, a sequence or 'random', got {value!r}")
        self.value = value

    def get_params(self, h: int, w: int, gen: Any = None) -> tuple[int, int, int, int] | None:
        """``(top, left, height, width)`` of the rectangle to erase, or None (same draws as
        a call; the ``p`` draw is not included), drawn from ``gen`` (default: the sample's
        stream)."""
        gen = sample_generator() if gen is None else gen
        area = h * w
        log_lo, log_hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        for _ in range(10):
            erase = area * (self.scale[0] + (self.scale[1] - self.scale[0]) * gen.random())
            r = math.exp(log_lo + (log_hi - log_lo) * gen.random())
            eh, ew = round(math.sqrt(erase * r)), round(math.sqrt(erase / r))
            if not (eh < h and ew < w):
                continue
            return gen.randbelow(h - eh + 1), gen.randbelow(w - ew + 1), eh, ew
        return None

    def __call__(self, img: Any) -> Tensor:
        t = img if isinstance(img, Tensor) else Tensor(img)
        planes, h, w = value_planes(t)
        if sample_generator().random() >= self.p:
            return t
        box = self.get_params(h, w)
        if box is None:
            return t
        top, left, eh, ew = box
        dt, c = t.dtype, len(planes)
        fills = self._fills(dt, c, eh * ew, sample_generator())
        for k in range(c):
            plane = planes[k]
            for r in range(eh):
                start = (top + r) * w + left
                plane[start : start + ew] = fills[k][r * ew : (r + 1) * ew]
        return from_value_planes(planes, t)

    def _fills(self, dt: Any, c: int, n: int, gen: Any) -> list[list[Any]]:
        """The ``n`` values of each of the ``c`` channels written into the rectangle."""
        if self.value == "random":
            if dt.kind == "f":
                return [normals(gen, n) for _ in range(c)]
            hi = int(value_bound(dt))
            return [[gen.randbelow(hi + 1) for _ in range(n)] for _ in range(c)]
        return [[v] * n for v in pack_fill(self.value, dt, c)]

    def kernel(self, x: Tensor, gens: Sequence[Any]) -> Any:
        """NOTE [ Batch kernels ]: every sample's draws from its own stream, then each
        rectangle written into a copy of the batch, one slice assignment per rectangle row
        (per channel plane of a float ``(C, H, W)`` image)."""
        _, h, w, u, c = layout(x, True)
        dt = x.dtype
        n = x.shape[0]
        if dt.kind == "b" or dt._array_code is None or len(gens) != n:
            return NotImplemented
        out = bytearray(x._data)
        planar = dt.kind == "f" and len(x.shape) == 4  # (N, C, H, W): one plane per channel
        size, row = h * w * u, w * u
        for i, gen in enumerate(gens):
            if gen.random() >= self.p:
                continue
            box = self.get_params(h, w, gen)
            if box is None:
                continue
            top, left, eh, ew = box
            fills = self._fills(dt, c, eh * ew, gen)
            if planar:
                for k in range(c):
                    packed = bytes(dt.pack(fills[k]))
                    base = (i * c + k) * size + top * row + left * u
                    for r in range(eh):
                        out[base + r * row : base + r * row + ew * u] = packed[
                            r * ew * u : (r + 1) * ew * u
                        ]
                continue
            flat: list[Any] = [0] * (eh * ew * c)
            for k in range(c):
                flat[k::c] = fills[k]
            packed = bytes(dt.pack(flat))
            base = i * size + top * row + left * u
            for r in range(eh):
                out[base + r * row : base + r * row + ew * u] = packed[
                    r * ew * u : (r + 1) * ew * u
                ]
        return Tensor._make(memoryview(out), dt, x.shape)

    def __repr__(self) -> str:
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio})"
