"""Element types of :class:`~torsh_data.Tensor` and the C-level packing of Python values.

Values are stored in the machine's byte order (little-endian on every platform Pyodide and
the common CPUs run on). Packing and unpacking go through :mod:`array`, :mod:`struct` and
``memoryview.cast``, never an element-by-element Python loop where the standard library has a
bulk operation.
"""

from __future__ import annotations

import array
import struct
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import DataTypeError, DataValueError

__all__ = [
    "DType",
    "bool_",
    "dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
]

_ORDER = "<" if sys.byteorder == "little" else ">"


def _array_code(itemsize: int, signed: bool) -> str | None:
    for code in "bhilq" if signed else "BHILQ":
        if array.array(code).itemsize == itemsize:
            return code
    return None


class DType:
    """An element type: a name, a size in bytes and a kind (``b``, ``u``, ``i`` or ``f``).

    >>> float32.itemsize, float32.kind, str(float32)
    (4, 'f', 'float32')
    """

    __slots__ = ("_array_code", "char", "itemsize", "js_array", "kind", "name", "typestr")

    def __init__(self, name: str, char: str, kind: str, itemsize: int, js_array: str) -> None:
        self.name = name
        self.char = char  # struct format character
        self.kind = kind
        self.itemsize = itemsize
        self.js_array = js_array  # the JavaScript TypedArray holding this type
        self.typestr = ("|" if itemsize == 1 else _ORDER) + kind + str(itemsize)
        if kind == "f":
            self._array_code: str | None = {4: "f", 8: "d"}.get(itemsize)
        elif kind in "iu":
            self._array_code = _array_code(itemsize, kind == "i")
        else:
            self._array_code = None
        if kind == "b":
            self.typestr = "|b1"

    def __repr__(self) -> str:
        return f"torsh_data.{self.name}"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return "bool_" if self.name == "bool" else self.name

    @property
    def is_floating(self) -> bool:
        return self.kind == "f"

    @property
    def memoryview_format(self) -> str | None:
        """The ``memoryview.cast`` format for this type, or ``None`` where there is none."""
        if self.kind == "b":
            return "?"
        return self._array_code

    def limits(self) -> tuple[int, int] | None:
        """``(min, max)`` for integer types, ``None`` otherwise."""
        bits = self.itemsize * 8
        if self.kind == "u":
            return 0, (1 << bits) - 1
        if self.kind == "i":
            return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return None

    def pack(self, values: Sequence[Any]) -> bytearray:
        """Pack a flat sequence of Python numbers into a new buffer of this type."""
        try:
            if self._array_code is not None:
                return bytearray(array.array(self._array_code, values).tobytes())
            return bytearray(struct.pack(f"{_ORDER}{len(values)}{self.char}", *values))
        except OverflowError:
            raise DataValueError(
                f"a value does not fit in {self.name}{self._range_text()}; "
                "pick a wider dtype or clip the data"
            ) from None
        except (TypeError, struct.error) as exc:
            raise DataTypeError(
                f"cannot store these values as {self.name}: {exc}; "
                "convert them first or pick a matching dtype"
            ) from None

    def unpack(self, buf: memoryview) -> list[Any]:
        """Unpack a C-contiguous byte buffer of this type into a flat list."""
        fmt = self.memoryview_format
        if fmt is not None:
            return buf.cast("B").cast(fmt).tolist()  # type: ignore[call-overload]
        return list(struct.unpack(f"{_ORDER}{len(buf) // self.itemsize}{self.char}", buf))

    def _range_text(self) -> str:
        lim = self.limits()
        return f" (range {lim[0]}..{lim[1]})" if lim else ""


bool_ = DType("bool", "?", "b", 1, "Uint8Array")
uint8 = DType("uint8", "B", "u", 1, "Uint8Array")
uint16 = DType("uint16", "H", "u", 2, "Uint16Array")
uint32 = DType("uint32", "I", "u", 4, "Uint32Array")
uint64 = DType("uint64", "Q", "u", 8, "BigUint64Array")
int8 = DType("int8", "b", "i", 1, "Int8Array")
int16 = DType("int16", "h", "i", 2, "Int16Array")
int32 = DType("int32", "i", "i", 4, "Int32Array")
int64 = DType("int64", "q", "i", 8, "BigInt64Array")
float16 = DType("float16", "e", "f", 2, "Float16Array")
float32 = DType("float32", "f", "f", 4, "Float32Array")
float64 = DType("float64", "d", "f", 8, "Float64Array")

_ALL = (bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32, float64)
_BY_NAME: dict[str, DType] = {d.name: d for d in _ALL}
_BY_NAME.update(
    {
        "bool_": bool_,
        "half": float16,
        "float": float32,
        "double": float64,
        "long": int64,
        "int": int32,
        "short": int16,
        "byte": int8,
    }
)
_FLOAT_CHARS = {"e": float16, "f": float32, "d": float64}


def from_buffer_format(fmt: str) -> DType:
    """The dtype of a buffer-protocol format string such as ``'<f'``, ``'=q'`` or ``'B'``."""
    order, char = ("@", fmt)
    if fmt[:1] in ("@", "=", "<", ">", "!"):
        order, char = fmt[0], fmt[1:]
    if len(char) != 1 or char not in "?efdbBhHiIlLqQnN":
        raise DataTypeError(f"buffer format {fmt!r} has no torsh_data dtype")
    size = struct.calcsize(order + char)
    if char == "?":
        found = bool_
    elif char in _FLOAT_CHARS:
        found = _FLOAT_CHARS[char]
    else:
        found = _BY_NAME[("int" if char.islower() else "uint") + str(size * 8)]
    big = order in (">", "!")
    if size > 1 and big != (_ORDER == ">"):
        raise DataTypeError(
            f"buffer format {fmt!r} is not in this machine's byte order; byte-swap it first"
        )
    return found


def dtype(spec: Any) -> DType:
    """Resolve a dtype from a :class:`DType`, a name, a Python type, or a numpy/torch dtype.

    >>> dtype("float32") is float32, dtype(int) is int64, dtype(bool) is bool_
    (True, True, True)
    """
    if isinstance(spec, DType):
        return spec
    if spec is bool:
        return bool_
    if spec is int:
        return int64
    if spec is float:
        return float64
    if isinstance(spec, str):
        found = _BY_NAME.get(spec.removeprefix("torch.").removeprefix("torsh_data."))
        if found is not None:
            return found
        raise DataTypeError(f"unknown dtype {spec!r}; use one of {', '.join(_BY_NAME)}")
    name = getattr(spec, "name", None)  # numpy dtype, or a numpy scalar type via np.dtype
    if isinstance(name, str) and name in _BY_NAME and type(spec).__module__.startswith("numpy"):
        return _BY_NAME[name]
    if type(spec).__module__ == "torch":  # torch.float32 and friends
        return dtype(str(spec))
    if isinstance(spec, type) and spec.__module__ == "numpy":
        return dtype(spec.__name__)
    raise DataTypeError(f"cannot interpret {spec!r} as a dtype")


def infer(value: Any) -> DType:
    """The dtype torch would give a Python scalar: bool, int64 or float32."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return float32
    raise DataTypeError(
        f"cannot make a tensor element from {type(value).__name__} {value!r}; "
        "elements must be bool, int or float"
    )


def promote(a: DType, b: DType) -> DType:
    """The result type of mixing Python scalars of inferred types ``a`` and ``b``."""
    order = {"b": 0, "i": 1, "u": 1, "f": 2}
    return a if order[a.kind] >= order[b.kind] else b
