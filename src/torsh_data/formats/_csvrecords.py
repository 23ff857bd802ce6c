"""CSV rows as dicts of typed values, fed incrementally: the records of the ``csv`` format
when it is streamed (see :func:`~torsh_data.io.reader_for`).

A column named in ``dtypes`` (``{column: "float32" | "int64" | "bool" | "str" | ...}``) has
that type; any other value is an ``int`` if it reads as one, else a ``float`` if it reads as
one, else the ``str`` (decided value by value, so every chunking gives the same records;
:func:`~torsh_data.formats.read_csv` decides per column). ``missing`` is as for
:func:`~torsh_data.formats.read_csv`, except that a column is known to be text only once it
has held a text value: an empty field after that is ``""``, before it a missing value
(declare ``dtypes={column: "str"}`` when a text column may start empty).

>>> r = CsvRecordReader("data.csv", dtypes={"y": "float32"})
>>> r.feed(b"x,y,s\\n1,2,a\\n3,") + r.feed(b"4.5,b") + r.close()
[{'x': 1, 'y': 2.0, 's': 'a'}, {'x': 3, 'y': 4.5, 's': 'b'}]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from .._errors import FormatError
from ._csvtypes import MissingPolicy, Table, missing_policy
from ._source import IncrementalReader
from .csv import CsvReader

__all__ = ["CsvRecordReader"]


#: What ``int()`` accepts (Unicode digits, an underscore between digits, spaces around).
_INT = re.compile(r"\s*[+-]?\d+(?:_\d+)*\s*")
#: A prefix every cell that ``float()`` accepts has.
_NUMBERISH = re.compile(r"\s*[+-]?(?:\d|\.\d|inf|nan)", re.IGNORECASE).match


def _guess(cell: str) -> Any:
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return cell


def _guess_all(cells: list[str]) -> list[Any]:
    """``[_guess(c) for c in cells]``, column-wise at C speed when the column is all ints or
    all floats none of which reads as an int."""
    try:
        return list(map(int, cells))
    except ValueError:
        pass
    try:
        floats = list(map(float, cells))
    except ValueError:
        return _guess_each(cells)
    return _guess_each(cells) if any(map(_INT.fullmatch, cells)) else floats


def _guess_each(cells: list[str]) -> list[Any]:
    # A cell not starting like a number stays a str without trying int() and float().
    return [_guess(c) if _NUMBERISH(c) else c for c in cells]


class CsvRecordReader(IncrementalReader[dict[Any, Any]]):
    """CSV rows as dicts of typed values (see the module docstring).

    Args:
        name: the source's name, for errors.
        columns: the columns kept, by name or index (default all).
        dtypes: ``{column: dtype}`` for columns not to be guessed.
        missing: ``"error"``, ``"nan"`` or ``{"fill": value}`` (as for ``read_csv``).
        **options: :class:`~torsh_data.formats.CsvReader`'s options (``delimiter``,
            ``header``, ...).
    """

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        columns: Sequence[str | int] | None = None,
        dtypes: dict[str | int, Any] | None = None,
        missing: MissingPolicy = "error",
        **options: Any,
    ) -> None:
        super().__init__(name)
        self.rows = CsvReader(name, track_lines=True, **options)
        self.policy = missing_policy(missing)
        self.columns, self.dtypes = columns, dict(dtypes or {})
        self._plan: tuple[list[Any], list[int], dict[int, Any]] | None = None
        self._text: set[int] = set()  # columns that have held a text value
        self.records = 0

    def feed(self, chunk: bytes) -> list[dict[Any, Any]]:
        return self._typed(self.rows.feed(chunk))

    def close(self) -> list[dict[Any, Any]]:
        return self._typed(self.rows.close())

    def _table(self, rows: list[list[str]]) -> Table:
        width = self.rows.width or 0
        names: list[Any] = self.rows.header if self.rows.header is not None else list(range(width))
        lines = self.rows.row_lines
        done = self.records
        return Table(
            rows, names, lines[done : done + len(rows)] if lines else [], self.name, self.policy
        )

    def _typed(self, rows: list[list[str]]) -> list[dict[Any, Any]]:
        if not rows:
            return []
        table = self._table(rows)
        if self._plan is None:
            keep = (
                list(range(len(table.names)))
                if self.columns is None
                else [table.index(c) for c in self.columns]
            )
            specs = {table.index(k): v for k, v in self.dtypes.items()}
            self._plan = ([table.names[j] for j in keep], keep, specs)
        keys, keep, specs = self._plan
        try:
            values = [
                table.column(j, specs[j]) if j in specs else self._guessed(table, j) for j in keep
            ]
        except FormatError as exc:
            if isinstance(exc.record, int):  # a record number within this batch
                raise FormatError(
                    exc.reason, source=exc.source, record=self.records + exc.record
                ) from None
            raise
        self.records += len(rows)
        return list(map(dict, map(zip, repeat(keys), zip(*values, strict=False))))

    def _guessed(self, table: Table, j: int) -> list[Any]:
        cells = table.cells(j)
        out = _guess_all(cells)
        if "" in cells or any(map(str.isspace, cells)):
            # NOTE [ CSV text columns ] (formats/_csvtypes.py), record by record: once a
            # column has held text, its empty fields are "" (as the csv module gives them).
            text_from = 0 if j in self._text else len(cells)
            mode, fill = self.policy
            for i, cell in enumerate(cells):
                if cell and not cell.isspace():
                    if i < text_from and type(out[i]) is str:
                        text_from = i
                    continue
                if i >= text_from:
                    continue
                if mode == "error":
                    raise table.error(
                        i,
                        j,
                        "missing value; pass missing='nan' or missing={'fill': value} (or "
                        f"dtypes={{{table.names[j]!r}: 'str'}} for a text column)",
                    )
                out[i] = math.nan if mode == "nan" else _guess(fill)
        if j not in self._text and str in map(type, out):
            self._text.add(j)
        return out
