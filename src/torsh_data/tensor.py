"""Tensor: one contiguous buffer, a shape and a dtype.

A :class:`Tensor` is what the loader hands out: small, dependency-free, and shareable without a
copy. ``numpy.asarray(t)`` and ``t.torch()`` see the same memory; in Pyodide ``t.to_js()`` gives
a JavaScript typed array. Indexing and slicing along the first axis return views.

>>> t = Tensor([[1, 2, 3], [4, 5, 6]])
>>> t.shape, t.dtype
((2, 3), torsh_data.int64)
>>> t[1].tolist(), t[0:1].shape
([4, 5, 6], (1, 3))
>>> stack([t[0], t[1]]).equal(t)
True
"""

from __future__ import annotations

import array
import math
import operator
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from . import _dtype
from ._dtype import DType
from ._errors import DataIndexError, DataTypeError, DataValueError, ShapeError
from ._interop import tensor_to_js, tensor_to_numpy, tensor_to_torch, torch_contents
from ._wasm.gather import gather_rows

__all__ = ["Tensor", "arange", "full", "stack", "tensor", "zeros"]


class Tensor:
    """A contiguous n-dimensional array.

    Args:
        data: nested lists or tuples of numbers, a Python number, a ``Tensor``, raw bytes
            (``bytes``/``bytearray``/``memoryview``, read as ``dtype``, default uint8), or any
            object with the buffer protocol (a numpy array, an ``array.array``) or a torch tensor.
        dtype: element type (a :class:`DType`, a name such as ``"float32"``, or a numpy/torch
            dtype). Inferred when omitted: bool, int64 or float32 for Python values, the
            buffer's own type for buffers.
        shape: with raw bytes, the shape to read them as (default: one dimension).

    Raw bytes and contiguous buffers are shared, not copied.
    """

    __slots__ = ("__weakref__", "_data", "dtype", "shape")

    _data: memoryview  # 1-D, format "B", exactly nbytes long
    dtype: DType
    shape: tuple[int, ...]

    def __init__(self, data: Any, dtype: Any = None, shape: Sequence[int] | None = None) -> None:
        want = None if dtype is None else _dtype.dtype(dtype)
        if isinstance(data, (list, tuple)):
            src = _from_python(data, want)
            want = None
        elif isinstance(data, Tensor):
            src = data
        elif isinstance(data, (bytes, bytearray)) or (
            isinstance(data, memoryview) and data.format in ("B", "b", "c") and data.ndim == 1
        ):
            src = _from_raw(memoryview(data), want or _dtype.uint8, shape)
            want = None
        elif type(data).__module__ == "torch":
            values, name = torch_contents(data)
            src = Tensor(values, dtype=name)
        elif _has_buffer(data):
            src = _from_buffer(memoryview(data))
        else:
            src = _from_python(data, want)
            want = None
        if shape is not None and src.shape != tuple(shape):
            src = src.reshape(*shape)
        if want is not None and want is not src.dtype:
            src = src.astype(want)
        self._data, self.dtype, self.shape = src._data, src.dtype, src.shape

    @classmethod
    def _make(cls, data: memoryview, dtype: DType, shape: tuple[int, ...]) -> Tensor:
        t = object.__new__(cls)
        t._data, t.dtype, t.shape = data, dtype, shape
        return t

    # --- size ----------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return len(self._data)

    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise DataTypeError("len() of a 0-d tensor; use .item()")
        return self.shape[0]

    # --- indexing (first axis) -------------------------------------------------------------
    def _row_bytes(self) -> int:
        return math.prod(self.shape[1:]) * self.dtype.itemsize

    def __getitem__(self, index: Any) -> Tensor:
        shape = self.shape
        if not shape:
            raise DataIndexError("a 0-d tensor cannot be indexed; use .item()")
        n = shape[0]
        if type(index) is not int:
            if isinstance(index, slice):
                return self._slice(index)
            if isinstance(index, (list, range, Tensor)):
                return self.take(index.tolist() if isinstance(index, Tensor) else index)
            if isinstance(index, tuple):
                raise DataIndexError(
                    "Tensor indexing takes one index along the first axis; index twice "
                    "(t[i][j]) or use numpy.asarray(t) for advanced indexing"
                )
            try:
                index = index.__index__()
            except AttributeError:
                raise DataTypeError(
                    f"tensor indices must be integers or slices, not {type(index).__name__}"
                ) from None
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise DataIndexError(
                f"index {index if index >= 0 else index - n} is out of range for a first axis of size {n}"
            )
        row = len(self._data) // n
        return Tensor._make(self._data[index * row : (index + 1) * row], self.dtype, shape[1:])

    def _slice(self, index: slice) -> Tensor:
        start, stop, step = index.indices(self.shape[0])
        if step != 1:
            return self.take(range(start, stop, step))
        row = self._row_bytes()
        stop = max(start, stop)
        return Tensor._make(
            self._data[start * row : stop * row], self.dtype, (stop - start, *self.shape[1:])
        )

    def take(self, indices: Sequence[int]) -> Tensor:
        """A new tensor of the rows at ``indices`` along the first axis (a copy).

        Bounds are checked once (``min``/``max``), then one join of the rows' memoryview
        slices. (Building the slices with ``map(slice, ...)`` and ``operator.itemgetter``
        measured slower than this comprehension: 20 against 13 us for 64 rows.) With numpy
        in use and enough indices, numpy gathers the rows (the same bytes); in Pyodide, a
        compiled kernel (:func:`torsh_data._wasm.gather.gather_rows`, the same bytes).
        """
        n, row, data = len(self), self._row_bytes(), self._data
        np = sys.modules.get("numpy")
        if np is not None and len(indices) >= 32 and self.dtype.name != "float16" and row:
            idx = np.asarray(indices)
            if idx.dtype.kind in "iu" and idx.ndim == 1:
                rows = np.frombuffer(data, dtype=np.uint8).reshape(n, row)  # rows of bytes
                try:  # numpy checks the bounds (-n <= i < n) as it gathers
                    gathered = rows.take(idx, axis=0)
                except IndexError:
                    bad = next(i for i in indices if not -n <= i < n)
                    raise DataIndexError(
                        f"index {bad} is out of range for a first axis of size {n}"
                    ) from None
                shape = (len(idx), *self.shape[1:])
                return Tensor._make(memoryview(gathered).cast("B"), self.dtype, shape)
        idx = indices if isinstance(indices, list) else list(indices)
        joined = gather_rows(data, n, row, idx)  # in Pyodide, a compiled kernel
        if joined is not None:
            return Tensor._make(memoryview(joined), self.dtype, (len(idx), *self.shape[1:]))
        if idx:
            lo, hi = min(idx), max(idx)
            if lo < -n or hi >= n:
                bad = next(i for i in idx if not -n <= i < n)
                raise DataIndexError(f"index {bad} is out of range for a first axis of size {n}")
            if lo < 0:
                idx = [i % n for i in idx]
        code = self.dtype.memoryview_format
        if len(self.shape) == 1 and len(idx) > 1 and code in _ARRAY_CODES:
            # one integer per index: gathered by one itemgetter over a typed view, in C
            out = array.array(code, operator.itemgetter(*idx)(data.cast(code)))  # type: ignore[call-overload]
            return Tensor._make(memoryview(out).cast("B"), self.dtype, (len(idx),))
        return Tensor._make(
            memoryview(bytearray().join([data[i * row : (i + 1) * row] for i in idx])),
            self.dtype,
            (len(idx), *self.shape[1:]),
        )

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # --- shape and type --------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """A view with another shape of the same number of elements; one size may be -1."""
        spec = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        dims = [operator.index(d) for d in spec]  # type: ignore[arg-type]
        n = self.numel()
        if dims.count(-1) > 1 or any(d < -1 for d in dims):
            raise ShapeError(f"invalid shape {tuple(dims)}: sizes must be >= 0 with at most one -1")
        if -1 in dims:
            known = math.prod(d for d in dims if d != -1)
            if known == 0 or n % known:
                raise ShapeError(f"cannot reshape a tensor of {n} elements to {tuple(dims)}")
            dims[dims.index(-1)] = n // known
        if math.prod(dims) != n:
            raise ShapeError(
                f"cannot reshape shape {self.shape} ({n} elements) to {tuple(dims)} "
                f"({math.prod(dims)} elements)"
            )
        return Tensor._make(self._data, self.dtype, tuple(dims))

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype``; floats become integers by truncation toward zero."""
        to = _dtype.dtype(dtype)
        values = self.dtype.unpack(self._data)
        if to.kind == "b":
            values = [v != 0 for v in values]
        elif to.kind in "iu" and self.dtype.kind == "f":
            try:
                values = [int(v) for v in values]
            except (ValueError, OverflowError):
                raise DataValueError(
                    f"cannot convert NaN or infinity from {self.dtype} to {to}"
                ) from None
        return Tensor._make(memoryview(to.pack(values)), to, self.shape)

    def tolist(self) -> Any:
        """Nested Python lists (a Python number for a 0-d tensor)."""
        flat = self.dtype.unpack(self._data)
        if not self.shape:
            return flat[0]
        if 0 in self.shape:
            return _empty_nested(self.shape)
        for size in reversed(self.shape[1:]):
            flat = [flat[i : i + size] for i in range(0, len(flat), size)]
        return flat

    def item(self) -> Any:
        """The single element as a Python number."""
        if self.numel() != 1:
            raise DataValueError(
                f"item() needs a tensor of one element, this one has shape {self.shape}"
            )
        return self.dtype.unpack(self._data)[0]

    def tobytes(self) -> bytes:
        return self._data.tobytes()

    def equal(self, other: Tensor) -> bool:
        """True when ``other`` has the same shape, dtype and bytes."""
        return (
            isinstance(other, Tensor)
            and self.shape == other.shape
            and self.dtype is other.dtype
            and self._data == other._data
        )

    # --- interop ---------------------------------------------------------------------------
    @property
    def __array_interface__(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "typestr": self.dtype.typestr,
            "data": self._data,
            "version": 3,
        }

    def __buffer__(self, flags: int) -> memoryview:
        fmt = self.dtype.memoryview_format
        if fmt is None or 0 in self.shape:
            return self._data
        return self._data.cast(fmt, self.shape)  # type: ignore[call-overload]

    def numpy(self) -> Any:
        """A numpy array sharing this tensor's memory (needs ``torsh-data[numpy]``)."""
        return tensor_to_numpy(self)

    def torch(self) -> Any:
        """A torch tensor sharing this tensor's memory (a copy if it is read-only).

        Needs ``torsh-data[torch]``.
        """
        return tensor_to_torch(self)

    def to_js(self) -> Any:
        """In Pyodide: a JavaScript ``{data: TypedArray, shape: [...], dtype: "float32"}``."""
        return tensor_to_js(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._data.tobytes(), self.dtype.name, self.shape))

    def __repr__(self) -> str:
        body = repr(self.tolist()) if self.numel() <= 64 else f"<{self.numel()} elements>"
        return f"tensor({body}, dtype={self.dtype.name}, shape={self.shape})"


def _rebuild(data: bytes, dtype: str, shape: tuple[int, ...]) -> Tensor:
    return Tensor._make(memoryview(bytearray(data)), _dtype.dtype(dtype), shape)


def _empty_nested(shape: tuple[int, ...]) -> Any:
    if len(shape) == 1:
        return []
    return [_empty_nested(shape[1:]) for _ in range(shape[0])]


def _has_buffer(obj: Any) -> bool:
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


# Integer formats memoryview and array.array share: their values round-trip through Python
# ints bit for bit (floats may not: a float32 signalling NaN comes back quiet).
_ARRAY_CODES = frozenset("bBhHiIlLqQ")


def _from_raw(mv: memoryview, dtype: DType, shape: Sequence[int] | None) -> Tensor:
    if not mv.c_contiguous:
        mv = memoryview(mv.tobytes())
    mv = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
    if len(mv) % dtype.itemsize:
        raise DataValueError(
            f"{len(mv)} bytes is not a whole number of {dtype} elements "
            f"({dtype.itemsize} bytes each)"
        )
    t = Tensor._make(mv, dtype, (len(mv) // dtype.itemsize,))
    return t.reshape(*shape) if shape is not None else t


def _from_buffer(mv: memoryview) -> Tensor:
    dt = _dtype.from_buffer_format(mv.format)
    if mv.itemsize != dt.itemsize:
        raise DataTypeError(
            f"buffer format {mv.format!r} has itemsize {mv.itemsize}, expected {dt.itemsize}"
        )
    shape = tuple(mv.shape or ())
    if not mv.c_contiguous:
        mv = memoryview(mv.tobytes())
    raw = mv.cast("B") if mv.nbytes else memoryview(b"")
    return Tensor._make(raw, dt, shape)


def _from_python(data: Any, want: DType | None) -> Tensor:
    if isinstance(data, (list, tuple)) and data and all(isinstance(x, Tensor) for x in data):
        out = stack(list(data))
        return out.astype(want) if want is not None and want is not out.dtype else out
    shape: list[int] = []
    level: list[Any] = [data]
    kinds = {type(data)}
    while kinds and all(issubclass(k, (list, tuple)) for k in kinds):
        size = len(level[0])
        if len(set(map(len, level))) != 1:
            bad = next(x for x in level if len(x) != size)
            raise ShapeError(
                f"ragged nested sequence: at depth {len(shape)} an element has {len(bad)} items "
                f"where {size} were expected; pad the data to one length"
            )
        shape.append(size)
        level = [y for x in level for y in x]
        kinds = set(map(type, level))
    if any(issubclass(k, (list, tuple)) for k in kinds):
        raise ShapeError(
            f"ragged nested sequence: at depth {len(shape)} lists and numbers are mixed; "
            "pad the data to one shape"
        )
    dt = want or _infer(level, kinds)
    if dt.kind == "b" and not kinds <= {bool}:
        level = [bool(v) for v in level]
    elif dt.kind in "iu" and float in kinds:
        raise DataTypeError(f"cannot store float values in {dt} without an explicit astype()")
    return Tensor._make(memoryview(dt.pack(level)), dt, tuple(shape))


def _describe(x: Any) -> str:
    return f"{len(x)} items" if isinstance(x, (list, tuple)) else f"a {type(x).__name__}"


def _infer(values: list[Any], kinds: set[type]) -> DType:
    if not values:
        return _dtype.float32
    if kinds <= {bool}:
        return _dtype.bool_
    if kinds <= {bool, int}:
        return _dtype.int64
    if kinds <= {bool, int, float}:
        return _dtype.float32
    result = _dtype.bool_
    for kind in kinds:
        sample = next(v for v in values if type(v) is kind)
        if hasattr(sample, "__index__") and not isinstance(sample, bool):
            found = _dtype.int64
        elif isinstance(sample, float) or hasattr(sample, "__float__"):
            found = _dtype.float32
        else:
            found = _dtype.infer(sample)  # raises a clear error
        result = _dtype.promote(result, found)
    return result


def tensor(data: Any, dtype: Any = None) -> Tensor:
    """Make a :class:`Tensor` (``torch.tensor``-style spelling of the constructor)."""
    return Tensor(data, dtype=dtype)


def stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors of one shape and dtype along a new first axis, by buffer concatenation.

    >>> stack([Tensor([1, 2]), Tensor([3, 4])]).tolist()
    [[1, 2], [3, 4]]
    """
    if not tensors:
        raise DataValueError("stack() needs at least one tensor")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise DataTypeError(f"stack() element {i} is a {type(t).__name__}, not a Tensor")
        if t.shape != first.shape or t.dtype is not first.dtype:
            raise ShapeError(
                f"stack() needs equal shapes and dtypes: element 0 is {first.shape} {first.dtype}, "
                f"element {i} is {t.shape} {t.dtype}"
            )
    data = bytearray().join([t._data for t in tensors])
    return Tensor._make(memoryview(data), first.dtype, (len(tensors), *first.shape))


def full(shape: Sequence[int], value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``value``.

    >>> full((2, 2), 7).tolist()
    [[7, 7], [7, 7]]
    """
    dt = _dtype.infer(value) if dtype is None else _dtype.dtype(dtype)
    shape = tuple(shape)
    one = Tensor([value], dtype=dt)._data.tobytes()
    return Tensor._make(memoryview(bytearray(one * math.prod(shape))), dt, shape)


def zeros(shape: Sequence[int], dtype: Any = "float32") -> Tensor:
    """A tensor of zeros."""
    dt = _dtype.dtype(dtype)
    shape = tuple(shape)
    return Tensor._make(memoryview(bytearray(math.prod(shape) * dt.itemsize)), dt, shape)


def arange(start: int, stop: int | None = None, step: int = 1, dtype: Any = "int64") -> Tensor:
    """Evenly spaced integers, as ``range`` gives them.

    >>> arange(3).tolist()
    [0, 1, 2]
    """
    r = range(start) if stop is None else range(start, stop, step)
    return Tensor(list(r), dtype=dtype)
