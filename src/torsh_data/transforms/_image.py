"""Pixel-value transforms: :class:`ToTensor`, :class:`Normalize`, :class:`ConvertDtype`.

Values are computed as torch computes them in float32 (each operation rounded to the tensor's
float type), so results are bit-identical to ``torchvision.transforms`` on the same input.
uint8 input goes through 256-entry lookup tables applied with ``bytes.translate``, four
translates per channel instead of a Python loop per pixel. Inside :class:`Compose`,
``ToTensor()`` followed by ``Normalize(...)`` becomes one table per channel,
``float32((float32(v / 255) - mean) / std)``, the same bits as the two steps.

All three have a batch kernel (NOTE [ Batch kernels ]) and ``.batch(images)`` for a collated
``(N, H, W[, C])`` uint8 or ``(N, C, H, W)`` float batch: one bulk operation over the whole
buffer (for uint8 input four ``translate`` calls per channel plane, whatever ``N``).

>>> img = Tensor(bytes([0, 51, 255, 102]), shape=(2, 2))
>>> ToTensor()(img).tolist()
[[[0.0, 0.20000000298023224], [1.0, 0.4000000059604645]]]
>>> Normalize(0.5, 0.5)(ToTensor()(img)).tolist()
[[[-1.0, -0.6000000238418579], [1.0, -0.19999998807907104]]]
>>> ConvertDtype("uint8")(ToTensor()(img)).tolist()
[[[0, 51], [255, 102]]]
"""

from __future__ import annotations

import array
import math
import sys
from collections.abc import Sequence
from typing import Any

from .. import _dtype
from .._dtype import DType
from .._errors import DataTypeError, DataValueError, ShapeError
from ..tensor import Tensor
from . import _np_kernels as _np
from ._compose import Transform
from ._pixels import as_bytes, chw_shape, float32_tables, layout, translate_float32, uint8_planes

__all__ = ["ConvertDtype", "Normalize", "ToTensor"]

_UNIT = [v / 255 for v in range(256)]  # == float32(v) / float32(255) once rounded to float32
_UNIT_TABLES = float32_tables(_UNIT)


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _uint8_to_float32(t: Tensor, batch: bool, tables: Any, stats: Any = None) -> Tensor:
    """HWC (NHWC) uint8 -> CHW (NCHW) float32 through per-channel tables ``tables(c)``
    (``stats(c)``: the tables' ``(mean, std)``, see ``_np_kernels.lookup``)."""
    shape = t.shape
    if not batch and len(shape) == 2 and t.dtype is _dtype.uint8:  # the hot path: one plane
        src = as_bytes(t._data)
        t0, t1, t2, t3 = tables(0)
        out = bytearray(4 * len(src))
        out[0::4] = src.translate(t0)
        out[1::4] = src.translate(t1)
        out[2::4] = src.translate(t2)
        out[3::4] = src.translate(t3)
        return Tensor._make(memoryview(out), _dtype.float32, (1, *shape))
    np = sys.modules.get("numpy")
    if batch and np is not None and t.dtype is _dtype.uint8 and t.nbytes:  # NOTE [ numpy kernels ]
        n, h, w, _, c = layout(t, True)
        found = _np.lookup(np, t._data, (n, h, w, c), tables, stats)
        return Tensor._make(found, _dtype.float32, chw_shape(t, True, n, c))
    planes, n, c, _ = uint8_planes(t, batch)
    out = bytearray(4 * t.nbytes)
    pos = 0
    for i, plane in enumerate(planes):
        translate_float32(plane, tables(i % c), out, pos)
        pos += 4 * len(plane)
    return Tensor._make(memoryview(out), _dtype.float32, chw_shape(t, batch, n, c))


class ToTensor(Transform):
    """uint8 ``(H, W, C)`` (or ``(H, W)``) image -> float32 ``(C, H, W)`` in [0, 1].

    Like ``torchvision.transforms.ToTensor`` for uint8 data: each value is
    ``float32(v) / 255``. Other dtypes raise :class:`~torsh_data.DataTypeError` (use
    :class:`ConvertDtype`). ``batch`` takes ``(N, H, W[, C])`` and gives ``(N, C, H, W)``.
    """

    deterministic = True

    def __call__(self, img: Any) -> Tensor:
        return _uint8_to_float32(_tensor(img), False, _unit_tables)

    def kernel(self, x: Tensor, gens: Any) -> Any:
        """The whole ``(N, H, W[, C])`` uint8 batch through the tables at once."""
        if x.ndim not in (3, 4):
            return NotImplemented
        return _uint8_to_float32(x, True, _unit_tables, _unit_stats)

    def _fuse_next(self, nxt: Any) -> Any:
        if type(nxt) is Normalize:
            return _ToTensorNormalize(nxt)
        return None

    def __repr__(self) -> str:
        return "ToTensor()"


def _unit_tables(c: int) -> Any:
    return _UNIT_TABLES


def _unit_stats(c: int) -> tuple[float, float]:
    return 0.0, 1.0


def _floats(value: Any, name: str) -> list[float]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise DataValueError(f"{name} needs at least one value")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DataValueError(f"{name} values must be finite numbers, got {v!r}")
    return [float(v) for v in values]


def _round(dt: DType, values: list[float]) -> list[float]:
    """``values`` rounded to the float type ``dt`` (overflow gives infinities, as in torch)."""
    code = dt._array_code
    if code is not None:
        return array.array(code, values).tolist()
    return [v if math.isnan(v) else _round_half(v) for v in values]


def _round_half(v: float) -> float:
    try:
        return float(_dtype.float16.unpack(memoryview(_dtype.float16.pack([v])))[0])
    except DataValueError:
        return math.copysign(math.inf, v)


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel of a float ``(C, H, W)`` image.

    Like ``torchvision.transforms.Normalize``: mean and std are rounded to the image's float
    type and each step is rounded as torch does it. One value of each applies to every channel.
    ``batch`` takes ``(N, C, H, W)``. When numpy is already imported it does the arithmetic
    (the same IEEE operations, so the same bits).

    Args:
        mean: one value per channel, or one value.
        std: one value per channel, or one value; none may be 0.
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = _floats(mean, "mean")
        self.std = _floats(std, "std")
        if 0.0 in self.std:
            raise DataValueError(f"std must not be 0 (got {self.std}); it divides the values")
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise DataValueError(
                f"mean has {len(self.mean)} values and std {len(self.std)}; give one per channel"
            )

    def channel_stats(self, channels: int) -> tuple[list[float], list[float]]:
        """``(mean, std)`` with one value per channel (a single value is repeated)."""
        mean, std = self.mean, self.std
        if len(mean) == 1:
            mean = mean * channels
        if len(std) == 1:
            std = std * channels
        if len(mean) != channels or len(std) != channels:
            raise ShapeError(
                f"Normalize has {max(len(self.mean), len(self.std))} values per statistic and "
                f"the image has {channels} channels"
            )
        return mean, std

    deterministic = True

    def __call__(self, img: Any) -> Tensor:
        return self._apply(_tensor(img), False)

    def kernel(self, x: Tensor, gens: Any) -> Any:
        """A whole ``(N, C, H, W)`` float batch at once (with numpy: one array operation;
        without, the same float arithmetic per value as the per-sample path)."""
        if x.ndim not in (3, 4):
            return NotImplemented
        return self._apply(x, True)

    def _apply(self, t: Tensor, batch: bool) -> Tensor:
        if t.dtype.kind != "f":
            raise DataTypeError(
                f"Normalize needs a float (C, H, W) image, got {t.dtype}; apply ToTensor or "
                "ConvertDtype first"
            )
        p, h, w, _, c = layout(t, batch)
        dt = t.dtype
        mean, std = self.channel_stats(c)
        mean, std = _round(dt, mean), _round(dt, std)
        hw = h * w
        np = sys.modules.get("numpy")
        if np is not None and dt._array_code is not None and hw:
            x = np.frombuffer(t._data, dtype=dt.typestr).reshape(p, hw)
            m = np.array([mean[i % c] for i in range(p)], dtype=dt.typestr).reshape(p, 1)
            s = np.array([std[i % c] for i in range(p)], dtype=dt.typestr).reshape(p, 1)
            with np.errstate(all="ignore"):
                y = np.ascontiguousarray((x - m) / s)
            return Tensor._make(memoryview(y.tobytes()), dt, t.shape)
        values = dt.unpack(t._data)
        parts = []
        for i in range(p):
            m, s = mean[i % c], std[i % c]
            d = _round(dt, [v - m for v in values[i * hw : (i + 1) * hw]])
            parts.append(dt.pack([v / s for v in d]))
        return Tensor._make(memoryview(bytearray().join(parts)), dt, t.shape)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class _ToTensorNormalize(Transform):
    """``ToTensor()`` then ``Normalize(...)`` as one lookup table per channel (same bits)."""

    deterministic = True

    def __init__(self, normalize: Normalize) -> None:
        self.normalize = normalize
        self._tables: dict[tuple[int, int], Any] = {}

    def _channel_tables(self, channels: int) -> Any:
        def tables(c: int) -> Any:
            key = (channels, c)
            found = self._tables.get(key)
            if found is None:
                mean, std = self.normalize.channel_stats(channels)
                m, s = _round(_dtype.float32, [mean[c], std[c]])
                d = _round(_dtype.float32, [v - m for v in _round(_dtype.float32, _UNIT)])
                found = self._tables[key] = float32_tables([v / s for v in d])
            return found

        return tables

    def __call__(self, img: Any) -> Tensor:
        t = img if type(img) is Tensor else _tensor(img)
        if len(t.shape) == 2:
            one = self._tables.get((1, 0))
            if one is not None:
                return _uint8_to_float32(t, False, lambda c: one)
        return _uint8_to_float32(t, False, self._channel_tables(layout(t)[4]))

    def kernel(self, x: Tensor, gens: Any) -> Any:
        if x.ndim not in (3, 4):
            return NotImplemented
        c = layout(x, True)[4]
        return _uint8_to_float32(x, True, self._channel_tables(c), self._stats(c))

    def _stats(self, channels: int) -> Any:
        """``(mean, std)`` of channel ``c`` rounded to float32, as the tables use them."""
        mean, std = self.normalize.channel_stats(channels)
        return lambda c: tuple(_round(_dtype.float32, [mean[c], std[c]]))

    def __repr__(self) -> str:
        return f"ToTensor()+{self.normalize!r}"


class ConvertDtype(Transform):
    """Convert an image's dtype, scaling values like torchvision's ``convert_image_dtype``.

    * int -> float: ``float(v) / max_of_int_type`` (uint8: the same bits as :class:`ToTensor`,
      but the layout is kept: HWC stays HWC).
    * float -> int: ``trunc(x * (max + 1 - 0.001))``, the product rounded to the float type;
      results outside the integer range are clamped (torch leaves them undefined), NaN raises
      :class:`~torsh_data.DataValueError`. float32 -> int32/int64 and float64 -> int64 raise,
      as in torchvision (not exact).
    * int -> int: floor division or multiplication by ``(max_in + 1) // (max_out + 1)``.
    * float -> float: plain rounding.

    It works element-wise, so its kernel is the same operation on a whole batch.
    """

    deterministic = True

    def __init__(self, dtype: Any) -> None:
        self.dtype = _dtype.dtype(dtype)
        if self.dtype.kind == "b":
            raise DataTypeError("ConvertDtype converts to integer or float types, not bool")

    def __call__(self, img: Any) -> Tensor:
        t = _tensor(img)
        src, to = t.dtype, self.dtype
        if src is to:
            return t
        if src.kind == "b":
            raise DataTypeError("ConvertDtype takes integer or float images, not bool")
        if src.kind != "f" and to.kind == "f":
            if src is _dtype.uint8 and to is _dtype.float32:
                out = bytearray(4 * t.nbytes)
                translate_float32(bytes(t._data), _UNIT_TABLES, out, 0)
                return Tensor._make(memoryview(out), to, t.shape)
            top = float((src.limits() or (0, 1))[1])
            vals = _round(to, [float(v) for v in src.unpack(t._data)])
            (mx,) = _round(to, [top])
            return Tensor._make(memoryview(to.pack([v / mx for v in vals])), to, t.shape)
        if src.kind == "f" and to.kind == "f":
            return Tensor._make(memoryview(to.pack(_round(to, src.unpack(t._data)))), to, t.shape)
        lo, hi = to.limits() or (0, 1)
        if src.kind == "f":
            if (src is _dtype.float32 and to.itemsize >= 4) or (
                src is _dtype.float64 and to.itemsize >= 8
            ):
                raise DataValueError(f"the cast from {src} to {to} cannot be performed safely")
            (factor,) = _round(src, [hi + 1.0 - 1e-3])
            prods = _round(src, [v * factor for v in src.unpack(t._data)])
            try:
                ints = [min(max(int(v), lo), hi) for v in prods]
            except (ValueError, OverflowError):
                if any(math.isnan(v) for v in prods):
                    raise DataValueError(f"cannot convert NaN to {to}") from None
                ints = [
                    (lo if v < 0 else hi) if math.isinf(v) else min(max(int(v), lo), hi)
                    for v in prods
                ]
            return Tensor._make(memoryview(to.pack(ints)), to, t.shape)
        in_hi = (src.limits() or (0, 1))[1]
        ivals: list[int] = src.unpack(t._data)
        if in_hi > hi:
            factor = (in_hi + 1) // (hi + 1)
            ints = [v // factor for v in ivals]
        else:
            factor = (hi + 1) // (in_hi + 1)
            ints = [v * factor for v in ivals]
        return Tensor._make(memoryview(to.pack(ints)), to, t.shape)

    def kernel(self, x: Tensor, gens: Any) -> Tensor:
        """The same element-wise conversion on a whole batch."""
        return self(x)

    def __repr__(self) -> str:
        return f"ConvertDtype({self.dtype.name})"
