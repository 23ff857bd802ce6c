"""Tabular transforms: scaling with fitted statistics, one-hot labels, missing values, columns.

:class:`Standardize` and :class:`MinMaxScale` are fitted once (``fit(data)``) and then frozen;
their statistics are float64, summed with :func:`math.fsum` (exactly rounded, so independent
of order and runtime), and survive ``state_dict()``/``to_json()``. Outputs are float32.

>>> scale = Standardize().fit([[1.0, 10.0], [3.0, 10.0]])
>>> scale.mean, scale.std
([2.0, 10.0], [1.0, 1.0])
>>> scale([3.0, 12.0]).tolist()
[1.0, 2.0]
>>> OneHot(3)(2).tolist()
[0.0, 0.0, 1.0]
>>> FillMissing({"age": 0})({"age": None, "name": "x"})
{'age': 0, 'name': 'x'}
>>> SelectColumns(["b", "a"])({"a": 1, "b": 2, "c": 3})
[2, 1]
"""

from __future__ import annotations

import array
import json
import math
import operator
import struct
import sys
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat, tee
from typing import Any, ClassVar

from .. import _dtype
from .._errors import DataIndexError, DataTypeError, DataValueError, ShapeError
from .._json import load_json
from ..tensor import Tensor

__all__ = ["FillMissing", "MinMaxScale", "OneHot", "SelectColumns", "Standardize"]

#: Rows scaled per chunk (NOTE [ Scaling in chunks ]).
_SCALE_ROWS = 256


class _Rowwise:
    """NOTE [ Row-wise transforms ]: a transform whose class says ``rowwise = True`` is
    deterministic, and given a whole ``[N, F]`` tensor it returns what it returns for each
    row, stacked; so a column of rows can be transformed in one call instead of N. That call
    is also its batch kernel (NOTE [ Batch kernels ] in ``_compose.py``): it draws nothing,
    so ``kernel(x, gens)`` is ``self(x)`` on the stacked samples."""

    rowwise: ClassVar[bool] = True
    _kernel_ndim: ClassVar[int] = 2  # the samples are rows [F], stacked [N, F]

    def kernel(self, x: Any, gens: Sequence[Any]) -> Any:
        """The transform of the stacked samples ``x`` at once (NOTE [ Batch kernels ])."""
        if not isinstance(x, Tensor) or x.ndim != self._kernel_ndim or x.shape[0] != len(gens):
            return NotImplemented
        return self(x)  # type: ignore[operator]


def _tensor_columns(data: Tensor) -> list[Any]:
    """The columns of a 2-D tensor, by C-level strided slicing of its values: for a float
    tensor, strided views (read as Python floats when iterated; no list of each column)."""
    if len(data.shape) != 2:
        raise ShapeError(f"fit() needs a 2-D [N, F] tensor, got shape {data.shape}")
    if data.dtype.kind == "b" or data.shape[0] == 0:
        raise DataValueError(
            f"fit() needs at least one row of numbers, got {data.dtype} {data.shape}"
        )
    f = data.shape[1]
    fmt = data.dtype.memoryview_format
    if fmt is not None:  # one strided view per column: no flat list of every value first
        typed = data._data.cast("B").cast(fmt)  # type: ignore[call-overload]
        cols: list[Any] = [typed[j::f] for j in range(f)]
        if data.dtype.kind == "f":
            return cols
    else:
        flat = data.dtype.unpack(data._data)
        cols = [flat[j::f] for j in range(f)]
    if data.dtype.kind != "f":
        cols = [list(map(float, c)) for c in cols]
    return cols


def _rows(data: Any, field: int | str | None) -> list[list[float]]:
    """Rows of numbers from an iterable of rows or a map-style dataset."""
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and not hasattr(data, "__iter__"):
        ds = data
        data = (ds[i] for i in range(len(ds)))
    out: list[list[float]] = []
    for i, item in enumerate(data):
        row = item[field] if field is not None else item
        if isinstance(row, Tensor):
            if len(row.shape) != 1:
                raise ShapeError(f"row {i} has shape {row.shape}; rows must be 1-D")
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise DataTypeError(f"row {i} is a {type(row).__name__}, not a sequence of numbers")
        vals = []
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise DataValueError(
                    f"row {i}, column {j}: {v!r} is not a number (use FillMissing first)"
                )
            vals.append(float(v))
        if out and len(vals) != len(out[0]):
            raise ShapeError(f"row {i} has {len(vals)} columns, row 0 has {len(out[0])}")
        out.append(vals)
    if not out:
        raise DataValueError("fit() needs at least one row")
    return out


def _columns(data: Any, field: int | str | None, check: bool = True) -> list[list[float]]:
    if isinstance(data, Tensor):
        cols = _tensor_columns(data)
    else:
        cols = [list(c) for c in zip(*_rows(data, field), strict=True)]
    if check:
        for j, col in enumerate(cols):
            if not all(map(math.isfinite, col)):
                _not_finite(j)
    return cols


def _not_finite(j: int) -> None:
    raise DataValueError(f"column {j} has NaN or infinite values (use FillMissing first)")


def _finite_sums(cols: list[list[float]]) -> list[float]:
    """``math.fsum`` of each column, which is finite exactly when every value is (a NaN or an
    infinity makes the sum NaN, infinite or a ValueError), so no separate pass checks them."""
    sums = []
    for j, col in enumerate(cols):
        try:
            total = math.fsum(col)
        except ValueError:  # inf and -inf in one column
            total = math.nan
        except OverflowError:  # finite values whose sum overflows, unless a column has others
            for k in range(j, len(cols)):
                if not all(map(math.isfinite, cols[k])):
                    _not_finite(k)
            raise
        if not math.isfinite(total):
            _not_finite(j)
        sums.append(total)
    return sums


def _numpy_moments(np: Any, data: Tensor) -> tuple[list[float], list[float]]:
    """Column means and variances with numpy doing the elementwise work and ``math.fsum``
    the sums: the same float64 operations as the pure path, so the same bits."""
    if len(data.shape) != 2 or data.dtype.kind == "b":
        _tensor_columns(data)  # raises the pure path's error
    a = np.asarray(data).astype(np.float64)
    if not np.isfinite(a).all():
        bad = int(np.flatnonzero(~np.isfinite(a).all(axis=0))[0])
        raise DataValueError(f"column {bad} has NaN or infinite values (use FillMissing first)")
    n = a.shape[0]
    means = [math.fsum(a[:, j].tolist()) / n for j in range(a.shape[1])]
    var = []
    for j, m in enumerate(means):
        d = a[:, j] - m
        var.append(math.fsum((d * d).tolist()) / n)
    return means, var


def _wasm_squares(data: Any, means: list[float]) -> list[Any] | None:
    """Each column's squared deviations from the WebAssembly kernel (Pyodide, float32
    tensors; the same products as :func:`_sum_of_squares` makes), else None."""
    if not (isinstance(data, Tensor) and data.dtype.memoryview_format == "f"):
        return None
    from .._wasm.scale import squares_f32

    return squares_f32(data._data, len(means), means)


def _sum_of_squares(d: Iterable[float]) -> float:
    """Exactly rounded sum of squares, at C speed (same bits on every runtime). ``d`` is
    read once, through ``tee`` in lockstep: no list of the differences is kept (Pyodide has
    no small-object allocator, so a float that outlives the float free list costs a malloc)."""
    return math.fsum(map(operator.mul, *tee(d)))


class _Fitted(_Rowwise):
    """Frozen per-column statistics ``shift`` and ``scale``: ``out = (x - shift) / scale``."""

    _kind = ""
    _stats: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.fitted = False

    def _check(self) -> None:
        if not self.fitted:
            raise DataValueError(
                f"{type(self).__name__} is not fitted yet; call .fit(data) or load a state_dict"
            )

    def _apply(
        self, values: Iterable[float], shift: list[float], scale: list[float]
    ) -> Iterable[float]:
        """``values`` (row-major) scaled: an iterator, consumed once into the output."""
        raise NotImplementedError

    def __call__(self, row: Any) -> Tensor:
        """Scale one row (``[F]``) or a batch (``[N, F]``); a Tensor or a list of numbers."""
        self._check()
        t = row if isinstance(row, Tensor) else Tensor(row, dtype=_dtype.float64)
        f = len(self._params()[0])
        if len(t.shape) not in (1, 2) or t.shape[-1] != f:
            raise ShapeError(f"{type(self).__name__} was fitted on {f} columns, got {t.shape}")
        if t.dtype.kind == "b":
            raise DataTypeError("cannot scale a bool tensor")
        shift, scale = self._params()
        np = sys.modules.get("numpy")
        if np is not None and t.numel() >= 4096:  # same IEEE float64 operations, in bulk
            x = np.asarray(t).astype(np.float64).reshape(-1, f)
            out64 = self._apply_numpy(np, x, np.array(shift), np.array(scale))
            return Tensor(out64.astype(np.float32).reshape(t.shape))
        n = t.numel() // f if f else 0
        fmt = t.dtype.memoryview_format
        vals: Iterable[float]
        if t.dtype.kind == "f" and fmt is not None:
            vals = t._data.cast("B").cast(fmt)  # type: ignore[call-overload]  # iterated in C
        else:
            vals = map(float, t.dtype.unpack(t._data))
        return Tensor._make(self._scaled(vals, n * f, shift, scale), _dtype.float32, t.shape)

    def _scaled(self, vals: Any, total: int, shift: list[float], scale: list[float]) -> Any:
        """NOTE [ Scaling in chunks ]: ``vals`` (``total`` values, row-major) scaled into a
        float32 buffer ``_SCALE_ROWS`` rows at a time, each chunk written by one
        ``struct.pack_into`` (``f`` rounds a double as ``array('f')`` does): the chunk's floats
        stay few and hot in cache, and no per-value ``array`` append runs."""
        out = memoryview(bytearray(4 * total))
        if not isinstance(vals, memoryview):
            vals = array.array("d", vals)
        f = len(shift)
        step = _SCALE_ROWS * f if f else 1
        shifts, scales = shift * _SCALE_ROWS, scale * _SCALE_ROWS
        for start in range(0, total, step):
            chunk = list(self._apply(vals[start : start + step], shifts, scales))
            struct.pack_into(f"{len(chunk)}f", out, 4 * start, *chunk)
        return out

    def _params(self) -> tuple[list[float], list[float]]:
        raise NotImplementedError

    def _apply_numpy(self, np: Any, x: Any, shift: Any, scale: Any) -> Any:
        return (x - shift) / scale

    def transform(self, data: Any) -> Tensor:
        """Scale ``[N, F]`` data (scikit-learn's name for calling the transform)."""
        return self(data)

    def fit_transform(self, data: Any) -> Tensor:
        """:meth:`fit` then :meth:`transform` the same data."""
        return self.fit(data)(data)  # type: ignore[attr-defined]

    def inverse_transform(self, data: Any) -> Tensor:
        """Undo the scaling: scaled ``[F]`` or ``[N, F]`` values back to the original units
        (float64 arithmetic, float32 out)."""
        self._check()
        t = data if isinstance(data, Tensor) else Tensor(data, dtype=_dtype.float64)
        shift, scale = self._params()
        if len(t.shape) not in (1, 2) or t.shape[-1] != len(shift):
            raise ShapeError(
                f"{type(self).__name__} was fitted on {len(shift)} columns, got {t.shape}"
            )
        n = t.numel() // len(shift) if shift else 0
        vals = list(map(float, t.dtype.unpack(t._data)))
        lo = getattr(self, "feature_range", (0.0, 1.0))[0] if isinstance(self, MinMaxScale) else 0.0
        out = list(
            map(
                operator.add,
                map(operator.mul, map(operator.sub, vals, repeat(lo)), scale * n),
                shift * n,
            )
        )
        return Tensor._make(
            memoryview(bytearray(array.array("f", out).tobytes())), _dtype.float32, t.shape
        )

    def state_dict(self) -> dict[str, Any]:
        """The fitted statistics as a JSON-compatible dict."""
        self._check()
        return {
            "type": type(self).__name__,
            **self._extra(),
            **{k: list(getattr(self, k)) for k in self._stats},
        }

    def _extra(self) -> dict[str, Any]:
        return {}

    def to_json(self) -> str:
        """:meth:`state_dict` as JSON (floats round-trip exactly)."""
        return json.dumps(self.state_dict())

    @classmethod
    def from_json(cls, text: str) -> Any:
        """Rebuild from :meth:`to_json`'s output."""
        return cls.from_state_dict(load_json(text, source=f"{cls.__name__}.from_json"))

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def _load(cls, state: Any) -> dict[str, list[float]]:
        if not isinstance(state, Mapping) or state.get("type") != cls.__name__:
            raise DataValueError(f"not a {cls.__name__} state: {state!r:.80}")
        out = {}
        for key in cls._stats:
            vals = state.get(key)
            if not isinstance(vals, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in vals
            ):
                raise DataValueError(
                    f"{cls.__name__} state: {key!r} must be a list of finite numbers"
                )
            out[key] = [float(v) for v in vals]
        if len({len(v) for v in out.values()}) != 1:
            raise DataValueError(f"{cls.__name__} state: statistics have different lengths")
        return out


class Standardize(_Fitted):
    """``(x - mean) / std`` per column, with mean and population std (ddof 0) from ``fit``.

    A column of zero variance gets ``std = 1``, so it maps to ``x - mean`` (0 on the fitted
    data). Arithmetic is float64 (``(x - mean) / std``), rounded once to float32.

    Args of ``fit``: a Tensor ``[N, F]``, an iterable of rows (lists or 1-D Tensors), or a
    map-style dataset; ``field`` picks ``sample[field]`` as the row (e.g. ``0`` for ``(x, y)``).
    """

    _stats = ("mean", "std")

    def __init__(self) -> None:
        super().__init__()
        self.mean: list[float] = []
        self.std: list[float] = []

    def fit(self, data: Any, field: int | str | None = None) -> Standardize:
        """Compute the statistics (once; a second fit replaces them)."""
        np = sys.modules.get("numpy")
        if np is not None and isinstance(data, Tensor) and data.numel() >= 4096:
            self.mean, var = _numpy_moments(np, data)
        else:
            cols = _columns(data, field, check=False)
            n = len(cols[0]) if cols else 0
            self.mean = [total / n for total in _finite_sums(cols)]
            squares = _wasm_squares(data, self.mean)
            var = (
                [math.fsum(sq) / n for sq in squares]
                if squares is not None
                else [
                    _sum_of_squares(map(operator.sub, c, repeat(m))) / n
                    for c, m in zip(cols, self.mean, strict=True)
                ]
            )
        self.std = [math.sqrt(v) if v > 0 else 1.0 for v in var]
        self.fitted = True
        return self

    def _params(self) -> tuple[list[float], list[float]]:
        return self.mean, self.std

    def _scaled(self, vals: Any, total: int, shift: list[float], scale: list[float]) -> Any:
        if isinstance(vals, memoryview) and vals.format == "f":  # Pyodide: in WebAssembly
            from .._wasm.scale import scale_f32

            out = scale_f32(vals, shift, scale)
            if out is not None:
                return memoryview(out)
        return super()._scaled(vals, total, shift, scale)

    def _apply(
        self, values: Iterable[float], shift: list[float], scale: list[float]
    ) -> Iterable[float]:
        return map(operator.truediv, map(operator.sub, values, shift), scale)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Standardize:
        """Rebuild a fitted scaler from :meth:`state_dict`."""
        stats = cls._load(state)
        if any(s <= 0 for s in stats["std"]):
            raise DataValueError("Standardize state: std values must be > 0")
        out = cls()
        out.mean, out.std, out.fitted = stats["mean"], stats["std"], True
        return out

    def __repr__(self) -> str:
        return f"Standardize(mean={self.mean}, std={self.std})" if self.fitted else "Standardize()"


class MinMaxScale(_Fitted):
    """``lo + (x - min) / ((max - min) / (hi - lo))`` per column, ``(lo, hi) = feature_range``.

    A constant column (``max == min``) uses a range of 1, so it maps to ``lo`` on the fitted
    data. Arithmetic is float64, rounded once to float32.
    """

    _stats = ("min", "max")

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        lo, hi = feature_range
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise DataValueError(
                f"feature_range must be finite (lo, hi) with lo < hi, got {feature_range}"
            )
        self.feature_range = (float(lo), float(hi))
        self.min: list[float] = []
        self.max: list[float] = []

    def fit(self, data: Any, field: int | str | None = None) -> MinMaxScale:
        """Compute per-column minimum and maximum (see :meth:`Standardize.fit` for ``data``)."""
        cols = _columns(data, field)
        self.min = [min(c) for c in cols]
        self.max = [max(c) for c in cols]
        self.fitted = True
        return self

    def _params(self) -> tuple[list[float], list[float]]:
        lo, hi = self.feature_range
        return self.min, [
            ((b - a) if b > a else 1.0) / (hi - lo) for a, b in zip(self.min, self.max, strict=True)
        ]

    def _apply_numpy(self, np: Any, x: Any, shift: Any, scale: Any) -> Any:
        return self.feature_range[0] + (x - shift) / scale

    def _apply(
        self, values: Iterable[float], shift: list[float], scale: list[float]
    ) -> Iterable[float]:
        lo = self.feature_range[0]
        scaled = map(operator.truediv, map(operator.sub, values, shift), scale)
        return map(operator.add, repeat(lo), scaled)

    def _extra(self) -> dict[str, Any]:
        return {"feature_range": list(self.feature_range)}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> MinMaxScale:
        """Rebuild a fitted scaler from :meth:`state_dict`."""
        stats = cls._load(state)
        rng = state.get("feature_range", [0.0, 1.0])
        if not isinstance(rng, list) or len(rng) != 2:
            raise DataValueError("MinMaxScale state: feature_range must be [lo, hi]")
        out = cls((rng[0], rng[1]))
        if any(a > b for a, b in zip(stats["min"], stats["max"], strict=True)):
            raise DataValueError("MinMaxScale state: a min is above its max")
        out.min, out.max, out.fitted = stats["min"], stats["max"], True
        return out

    def __repr__(self) -> str:
        return f"MinMaxScale(feature_range={self.feature_range})"


class OneHot(_Rowwise):
    """An integer label -> a float32 one-hot vector of ``num_classes``; a 1-D integer Tensor
    (or list) of labels -> ``[N, num_classes]``."""

    _kernel_ndim = 1  # the samples are labels, stacked [N]

    def __init__(self, num_classes: int) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise DataValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
        self.num_classes = num_classes
        one = array.array("f", [1.0]).tobytes()
        zero = bytes(4)
        self._rows = [zero * k + one + zero * (num_classes - k - 1) for k in range(num_classes)]

    def __call__(self, label: Any) -> Tensor:
        if isinstance(label, Tensor):
            if label.dtype.kind not in "iu":
                raise DataTypeError(f"OneHot needs integer labels, got a {label.dtype} tensor")
            if len(label.shape) > 1:
                raise ShapeError(
                    f"OneHot takes a label or a 1-D tensor of labels, got {label.shape}"
                )
            values = label.dtype.unpack(label._data)
            batch = bool(label.shape)
        elif isinstance(label, (list, tuple)):
            values, batch = list(label), True
        else:
            values, batch = [label], False
        for v in values:
            if isinstance(v, bool) or not hasattr(v, "__index__"):
                raise DataTypeError(f"OneHot needs integer labels, got {v!r}")
        if values:
            lo, hi = min(values), max(values)
            if lo < 0 or hi >= self.num_classes:
                bad = lo if lo < 0 else hi
                raise DataValueError(f"label {bad} is outside 0..{self.num_classes - 1}")
        data = b"".join(map(self._rows.__getitem__, map(int, values)))
        shape = (len(values), self.num_classes) if batch else (self.num_classes,)
        return Tensor._make(memoryview(bytearray(data)), _dtype.float32, shape)

    def __repr__(self) -> str:
        return f"OneHot({self.num_classes})"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


class FillMissing(_Rowwise):
    """Replace missing values (``None`` or NaN) with ``value``, or per column with
    ``{column: value}`` (column names for mapping rows, indices for sequences and Tensors);
    columns not in the mapping are left as they are. Rows keep their type."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def _fill_for(self, column: Any) -> tuple[bool, Any]:
        if isinstance(self.value, Mapping):
            return (column in self.value), self.value.get(column)
        return True, self.value

    def __call__(self, row: Any) -> Any:
        if isinstance(row, Mapping):
            out = dict(row)
            for k, v in out.items():
                ok, fill = self._fill_for(k)
                if ok and _missing(v):
                    out[k] = fill
            return out
        if isinstance(row, Tensor):
            if row.dtype.kind != "f":
                return row  # integer tensors cannot hold missing values
            width = row.shape[-1] if row.shape else 1
            vals = row.dtype.unpack(row._data)
            for i, v in enumerate(vals):
                if v != v:
                    ok, fill = self._fill_for(i % width)
                    if ok:
                        vals[i] = fill
            return Tensor._make(memoryview(row.dtype.pack(vals)), row.dtype, row.shape)
        if isinstance(row, (list, tuple)):
            vals = list(row)
            for i, v in enumerate(vals):
                if _missing(v):
                    ok, fill = self._fill_for(i)
                    if ok:
                        vals[i] = fill
            return type(row)(vals) if not hasattr(row, "_fields") else type(row)(*vals)
        ok, fill = self._fill_for(0)
        return fill if ok and _missing(row) else row

    def __repr__(self) -> str:
        return f"FillMissing({self.value!r})"


class SelectColumns(_Rowwise):
    """Keep ``columns`` in the given order: a mapping row gives a list of its values (a feature
    row); a sequence gives a list; a Tensor ``[F]`` or ``[N, F]`` gives the same columns."""

    def __init__(self, columns: Iterable[int | str]) -> None:
        self.columns = list(columns)
        if not self.columns:
            raise DataValueError("SelectColumns needs at least one column")

    def __call__(self, row: Any) -> Any:
        cols = self.columns
        if isinstance(row, Mapping):
            missing = [c for c in cols if c not in row]
            if missing:
                raise DataValueError(f"row has no column {missing[0]!r} (it has {list(row)})")
            return [row[c] for c in cols]
        if isinstance(row, Tensor):
            if len(row.shape) not in (1, 2):
                raise ShapeError(f"SelectColumns takes [F] or [N, F] tensors, got {row.shape}")
            width = row.shape[-1]
            idx = [self._index(c, width) for c in cols]
            size = row.dtype.itemsize
            data = row._data
            parts = [
                data[(r * width + i) * size : (r * width + i + 1) * size]
                for r in range(row.numel() // width if width else 0)
                for i in idx
            ]
            return Tensor._make(
                memoryview(bytearray().join(parts)), row.dtype, (*row.shape[:-1], len(idx))
            )
        if isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
            return [row[self._index(c, len(row))] for c in cols]
        raise DataTypeError(
            f"SelectColumns takes a mapping, sequence or Tensor, not {type(row).__name__}"
        )

    @staticmethod
    def _index(c: Any, width: int) -> int:
        if isinstance(c, bool) or not isinstance(c, int):
            raise DataTypeError(f"column {c!r} must be an integer index for a sequence row")
        if not -width <= c < width:
            raise DataIndexError(f"column {c} is out of range for a row of {width} columns")
        return c % width

    def __repr__(self) -> str:
        return f"SelectColumns({self.columns!r})"
