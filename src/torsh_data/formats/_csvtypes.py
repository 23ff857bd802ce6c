"""Typed columns of parsed CSV rows: inference, missing values, and C-level tensor building.

NOTE [ CSV fast path ]: the columnar path converts every selected cell with one C-level
chain ``array(code, list(map(float, cells)))`` and no Python bytecode per cell, the cells
gathered from the rows by ``chain.from_iterable(map(itemgetter(...), rows))`` or, for a
table split flat (NOTE [ CSV without quotes ] in ``_csvsplit.py``), by strided slices (a
simple table without ``dtypes`` is converted before this, chunk by chunk: NOTE [ CSV numeric
columns ]). Only when that fails (a missing value, a bad number, an integer out of range)
does the per-column path run, which handles missing values and names the first bad cell; it
yields the same values, so both paths give bit-identical tensors.

Letting the C parser convert fields itself (``csv.QUOTE_NONNUMERIC``) was measured and
dropped: about 10-20% faster natively but about 35% slower in Pyodide, and a file with one
empty field would be parsed twice.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from .. import _dtype
from .._dtype import DType
from .._errors import DataTypeError, DataValueError, FormatError
from ..tensor import Tensor

MissingPolicy = str | int | float | dict[str, Any]
Policy = tuple[str, str]  # ("error" | "nan" | "fill", fill text)

_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def missing_policy(missing: MissingPolicy) -> Policy:
    """Normalise the ``missing=`` argument of :func:`read_csv`."""
    if missing in ("error", "nan"):
        return str(missing), ""
    fill: Any = missing
    if isinstance(missing, str):
        fill = None  # only "error" and "nan" are names; a text fill goes in {"fill": ...}
    elif isinstance(missing, dict):
        if set(missing) != {"fill"}:
            raise DataValueError(f"missing as a dict must be {{'fill': value}}, not {missing!r}")
        fill = missing["fill"]
    if isinstance(fill, bool) or not isinstance(fill, (int, float, str)):
        raise DataValueError(
            f"missing must be 'error', 'nan', a number or {{'fill': value}}, not {missing!r}"
        )
    return "fill", fill if isinstance(fill, str) else repr(fill)


def _to_bool(cell: str) -> bool:
    return _BOOLS[cell.strip().lower()]


def _to_int(cell: str) -> int:
    """An integer, also written as an integral float (``"3.0"``, ``"1e3"``)."""
    try:
        return int(cell)
    except ValueError:
        value = float(cell)
        if not value.is_integer():
            raise
        return int(value)


_CONVERTERS: dict[str, Callable[[str], Any]] = {"f": float, "b": _to_bool}
_SLOW_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "f": float,
    "b": _to_bool,
    "i": _to_int,
    "u": _to_int,
}


def _is_missing(cell: str) -> bool:
    return not cell or cell.isspace()


def _has_missing(cells: list[str]) -> bool:
    return "" in cells or any(map(str.isspace, cells))


def gather(cells: list[Any], width: int, columns: list[int]) -> Any:
    """The cells of ``columns`` (at least one) from ``cells``, a flat row-major list of rows
    of ``width``: row by row, in the order of ``columns``, by C-level slices."""
    if columns == list(range(width)):
        return cells
    f = len(columns)
    if f == 1:
        return cells[columns[0] :: width]
    dropped = sorted(set(range(width)) - set(columns), reverse=True)
    if columns == sorted(columns) and len(dropped) <= f:
        out: list[Any] = cells[:]  # kept columns in order: delete the others, last first
        for j in dropped:
            del out[j::width]
            width -= 1
        return out
    out = [None] * (len(cells) // width * f)
    for k, j in enumerate(columns):
        out[k::f] = cells[j::width]
    return out


class Table:
    """Rows of strings, their column names and start lines, for typed column reads.

    ``rows`` is a list of rows, or with ``flat=True`` one flat list of the cells in row-major
    order (``len(names)`` per row).
    """

    def __init__(
        self,
        rows: list[list[str]] | list[str],
        names: list[Any],
        lines: Sequence[int],
        source: str,
        policy: Policy,
        flat: bool = False,
    ) -> None:
        self.rows, self.names, self.lines, self.source, self.policy = (
            rows,
            names,
            lines,
            source,
            policy,
        )
        self.flat = flat
        self.width = len(names)
        self.n = len(rows) // self.width if flat and self.width else len(rows)

    def cells(self, j: int) -> list[str]:
        """The cells of column ``j``, top to bottom."""
        if self.flat:
            return self.rows[j :: self.width]  # type: ignore[return-value]
        return list(map(itemgetter(j), self.rows))

    def _gather(self, columns: list[int]) -> Any:
        """The cells of ``columns``, row by row, as one iterable."""
        rows: Any = self.rows
        f = len(columns)
        if f == 0:
            return ()
        if f == 1:
            return self.cells(columns[0])
        if self.flat:
            return gather(rows, self.width, columns)
        if columns == list(range(columns[0], columns[0] + f)):
            return chain.from_iterable(map(itemgetter(slice(columns[0], columns[0] + f)), rows))
        return chain.from_iterable(map(itemgetter(*columns), rows))

    def index(self, column: Any) -> int:
        """The index of a column given by name or index."""
        n = len(self.names)
        if isinstance(column, bool) or not isinstance(column, (int, str)):
            raise DataTypeError(f"a column is a name or an index, not {column!r}")
        if isinstance(column, int):
            if not 0 <= column < n:
                raise FormatError(
                    f"column index {column} is out of range for {n} columns", source=self.source
                )
            return column
        if column in self.names:
            return self.names.index(column)
        have = ", ".join(repr(c) for c in self.names[:20]) or "none"
        raise FormatError(f"no column {column!r} (columns: {have})", source=self.source)

    def error(self, i: int, j: int, message: str) -> FormatError:
        line = self.lines[i] if i < len(self.lines) else "?"
        return FormatError(
            f"line {line}, column {self.names[j]!r}: {message}", source=self.source, record=i + 1
        )

    # --- Python values ------------------------------------------------------------------------
    def column(self, j: int, spec: Any) -> list[Any]:
        """Column ``j`` as Python values of the type ``spec`` (``None``: inferred)."""
        cells = self.cells(j)
        if spec is None:
            return self._infer(j, cells)
        if spec in ("str", str):
            return cells  # NOTE [ CSV text columns ]: an empty field is "", not missing
        dt = _dtype.dtype(spec)
        return self._fit(j, self._convert(j, cells, dt), dt)

    def _convert(self, j: int, cells: list[str], dt: DType) -> list[Any]:
        conv: Callable[[str], Any] = _CONVERTERS.get(dt.kind, int)
        try:
            return list(map(conv, cells))
        except (ValueError, KeyError):
            return self._slow(j, cells, _SLOW_CONVERTERS[dt.kind], dt.name, dt.kind == "f")

    def _slow(
        self, j: int, cells: list[str], conv: Callable[[str], Any], what: str, nan_ok: bool
    ) -> list[Any]:
        mode, fill = self.policy
        out: list[Any] = []
        append = out.append
        for i, cell in enumerate(cells):
            try:
                append(conv(cell))
                continue
            except (ValueError, KeyError):
                pass
            if not _is_missing(cell):
                shown = cell if len(cell) <= 40 else cell[:40] + "..."
                raise self.error(i, j, f"cannot read {shown!r} as {what}")
            if mode == "error":
                raise self.error(
                    i, j, "missing value; pass missing='nan' or missing={'fill': value}"
                )
            if mode == "nan":
                if not nan_ok:
                    raise self.error(
                        i,
                        j,
                        f"missing value in a {what} column, which cannot hold NaN; "
                        "pass missing={'fill': value}",
                    )
                append(math.nan)
                continue
            try:
                append(conv(fill))
            except (ValueError, KeyError):
                raise DataValueError(f"the fill value {fill!r} is not a valid {what}") from None
        return out

    def _fit(self, j: int, values: list[Any], dt: DType) -> list[Any]:
        """Check integers against ``dt``'s range; round floats to ``dt``'s precision."""
        if dt.kind in "iu":
            lo, hi = dt.limits()  # type: ignore[misc]
            if values and (min(values) < lo or max(values) > hi):
                i = next(i for i, v in enumerate(values) if not lo <= v <= hi)
                raise self.error(i, j, f"{values[i]} is out of range for {dt.name}")
        elif dt.kind == "f" and dt.itemsize != 8:
            try:
                return dt.unpack(memoryview(dt.pack(values)))
            except (DataValueError, DataTypeError):
                i = next(i for i, v in enumerate(values) if abs(v) > 65504.0)
                raise self.error(i, j, f"{values[i]} does not fit in {dt.name}") from None
        return values

    def _infer(self, j: int, cells: list[str]) -> list[Any]:
        for conv in (int, float):
            try:
                return list(map(conv, cells))
            except ValueError:
                pass
        if not _has_missing(cells):
            return cells
        # NOTE [ CSV text columns ]: only a numeric column (every present value a number)
        # has missing values; in a text column an empty field is the empty string, as
        # Python's csv module gives it, whatever ``missing`` says.
        present = [c for c in cells if not _is_missing(c)]
        for conv, what in ((int, "int"), (float, "float")):
            try:
                list(map(conv, present))
            except ValueError:
                continue
            mode, fill = self.policy
            if mode == "fill":
                filled = [fill if _is_missing(c) else c for c in cells]
                for conv_filled in (int, float):
                    try:
                        return list(map(conv_filled, filled))
                    except ValueError:
                        pass
                return filled
            if mode == "nan":
                conv, what = float, "float"
            return self._slow(j, cells, conv, what, conv is float)
        return cells

    # --- tensors -------------------------------------------------------------------------------
    def matrix(self, columns: list[int], dt: DType) -> Tensor:
        """Columns as one ``[N, len(columns)]`` tensor of type ``dt``."""
        n, f = self.n, len(columns)
        code = dt.memoryview_format
        if code not in ("b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"):
            code = None
        conv: Callable[[str], Any] = _CONVERTERS.get(dt.kind, int)
        try:
            values = list(map(conv, self._gather(columns)))
            data: Any = array(code, values) if code is not None else dt.pack(values)
        except (ValueError, KeyError, OverflowError, DataValueError, DataTypeError):
            # Slow path: per column, with missing values and a located error.
            cols = [self._fit(j, self._convert(j, self.cells(j), dt), dt) for j in columns]
            flat = list(chain.from_iterable(zip(*cols, strict=False)))
            data = array(code, flat) if code is not None else dt.pack(flat)
        return Tensor._make(memoryview(data).cast("B"), dt, (n, f))
