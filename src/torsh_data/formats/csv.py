"""CSV: rows of typed values, or a feature tensor and a label tensor.

Parsing is the C parser of the standard :mod:`csv` module in strict mode (RFC 4180 quoting:
a quote inside a quoted field is doubled); a quote after the closing quote of a field, an
unterminated quoted field, a NUL character, a field over :func:`csv.field_size_limit`
(128 KiB by default), a row with the wrong number of fields and invalid bytes of the encoding
raise :class:`~torsh_data.FormatError` naming the source, the line, and where it can the
record (1-based data row) and the column. Line ends are ``\\n``, ``\\r\\n`` or ``\\r``; blank
lines are skipped; a UTF-8 byte order mark is dropped. An empty input has no rows (and no
columns unless ``header`` lists them).

A *missing* value is an empty field or one of only spaces in a numeric column.
``missing="error"`` (the default) raises on it; ``missing="nan"`` makes it NaN in a float
column (an integer column with a missing value becomes a float column); ``missing=0`` or
``missing={"fill": 0}`` puts the fill value in its place. A text column (one with a value that
is not a number, or ``dtypes={column: "str"}``) has no missing values: its empty field is
``""``, as Python's :mod:`csv` gives it, whatever ``missing`` says.

>>> data = b"x1,x2,y\\n0.5,1,0\\n1.5,,1\\n"
>>> read_csv(data, missing="nan")
[{'x1': 0.5, 'x2': 1.0, 'y': 0}, {'x1': 1.5, 'x2': nan, 'y': 1}]
>>> x, y = read_csv(data, label="y", output="columnar", missing=0)
>>> x.shape, x.tolist(), y.tolist()
((2, 2), [[0.5, 1.0], [1.5, 0.0]], [0, 1])
"""

from __future__ import annotations

import csv as _csv
import io
from array import array
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from .. import _dtype
from .._errors import DataTypeError, DataValueError, FormatError
from ..datasets import TensorDataset
from ..tensor import Tensor
from ._csv_pandas import pandas_columnar
from ._csvsplit import SimpleLines, numeric_columns, simple_lines, split_cells
from ._csvtypes import MissingPolicy, Policy, Table, missing_policy
from ._source import IncrementalReader, Source, iter_chunks, read_bytes, source_name
from ._textio import DEFAULT_MAX_LINE_BYTES, LineBuffer, RecordDataset

__all__ = ["CsvReader", "csv_dataset", "read_csv"]

_BREAKS = "\x0b\x0c\x1c\x1d\x1e"  # str.splitlines breaks that are not CSV line ends
_BREAKS_U = _BREAKS + "\x85\u2028\u2029"


def split_lines(text: str) -> list[str]:
    """``text`` cut after each ``\\n``, ``\\r\\n`` and lone ``\\r`` (ends kept)."""
    for c in _BREAKS if text.isascii() else _BREAKS_U:
        if c in text:
            return io.StringIO(text, newline="").readlines()
    return text.splitlines(True)


Column = str | int
CsvResult = list[dict[Any, Any]] | Tensor | tuple[Tensor, Tensor]


class CsvReader(IncrementalReader[list[str]]):
    """Incremental CSV reader: ``feed(chunk)`` returns the rows (lists of ``str``) it completes.

    Chunks may end anywhere: inside a quoted field with embedded newlines, or inside a
    multibyte character. ``close()`` raises :class:`~torsh_data.FormatError` on an
    unterminated quoted field. Every data row has the width of the header (or of the first
    row); :attr:`header` holds the column names once read.

    Args:
        name: how errors name the source.
        header: ``True`` if the first row names the columns, ``False`` if there is no header,
            or the list of names (the data then has no header row).
        delimiter: the one-character field separator.
        quotechar: the one-character quote.
        encoding: an encoding that stores a newline as the byte ``0x0A`` (default UTF-8).
        max_line_bytes: longest line or record held while waiting for its end.
        track_lines: record in :attr:`row_lines` the line on which each data row starts.

    >>> r = CsvReader()
    >>> r.feed(b'a,b\\n1,"x\\n'), r.feed(b'y"\\n2,z'), r.close(), r.header
    ([], [['1', 'x\\ny']], [['2', 'z']], ['a', 'b'])
    """

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        header: bool | Sequence[str] = True,
        delimiter: str = ",",
        quotechar: str = '"',
        encoding: str = "utf-8",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        track_lines: bool = False,
    ) -> None:
        super().__init__(name)
        for arg, value in (("delimiter", delimiter), ("quotechar", quotechar)):
            if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
                raise DataValueError(f"{arg} must be one character other than a newline")
        if delimiter == quotechar:
            raise DataValueError("delimiter and quotechar must differ")
        self._fmt: dict[str, Any] = {
            "delimiter": delimiter,
            "quotechar": quotechar,
            "doublequote": True,
            "strict": True,
        }
        self._lines = LineBuffer(name, encoding, "strict", max_line_bytes, cr=True)
        self._quote = quotechar
        self._want_header = header is True
        self.header: list[str] | None = None
        self.width: int | None = None
        if not isinstance(header, bool):
            if isinstance(header, str) or not all(isinstance(h, str) for h in header):
                raise DataTypeError("header must be True, False or a list of column names")
            self._set_header(list(header), None)
        self.line = 0  # lines parsed
        self.records = 0  # data rows returned
        self.row_lines: array[int] | None = array("q") if track_lines else None
        self._pending = ""  # the lines of a record whose quoted field is still open

    def feed(self, chunk: bytes) -> list[list[str]]:
        text = self._lines.feed(chunk)
        if not text:
            return []
        if self._pending:
            if self._quote not in text:  # still inside the open quoted field
                self._pending += text
                self._check_pending()
                return []
            text = self._pending + text
        return self._parse(text, final=False)

    def close(self) -> list[list[str]]:
        text = self._pending + self._lines.close()
        self._pending = ""
        return self._parse(text, final=True) if text else []

    def _parse(self, text: str, final: bool) -> list[list[str]]:
        if "\0" in text:
            line = self.line + text.count("\n", 0, text.index("\0")) + 1
            raise FormatError(f"line {line}: NUL character in CSV text", source=self.name)
        lines = split_lines(text)
        out = self._parse_block(lines)
        return self._parse_loop(lines, final) if out is None else out

    def _parse_block(self, lines: list[str]) -> list[list[str]] | None:
        """The common case at C speed: one line per record, every row of the right width.

        Returns ``None`` (changing nothing) for anything else, which :meth:`_parse_loop`
        then handles record by record: errors, multi-line records, an open quoted field.
        """
        got: list[list[str]] = []
        try:
            got.extend(_csv.reader(lines, **self._fmt))
        except _csv.Error:
            return None
        if len(got) != len(lines):
            return None  # a record spans lines
        start, width, header = 0, self.width, None
        if width is None:
            first = next((i for i, row in enumerate(got) if row), None)
            if first is None:
                self.line += len(lines)
                return []
            width = len(got[first])
            if self._want_header:
                header, start = got[first], first + 1
            else:
                start = first
        rows = got[start:] if start else got
        out = list(filter(None, rows))
        if out and set(map(len, out)) != {width}:
            return None
        if header is not None:
            if len(set(header)) != len(header):
                return None
            self._set_header(header, None)
        self.width = width
        if self.row_lines is not None:
            first_line = self.line + start + 1
            if len(out) == len(rows):
                self.row_lines.extend(range(first_line, first_line + len(out)))
            else:
                self.row_lines.extend(first_line + i for i, row in enumerate(rows) if row)
        self.line += len(lines)
        self.records += len(out)
        self._pending = ""
        return out

    def _parse_loop(self, lines: list[str], final: bool) -> list[list[str]]:
        reader = _csv.reader(lines, **self._fmt)
        out: list[list[str]] = []
        append = out.append
        track = None if self.row_lines is None else self.row_lines.append
        width = self.width
        end = 0  # lines consumed by complete records
        try:
            for row in reader:
                if row:
                    if len(row) != width:
                        keep = self._odd_row(row, self.line + end + 1, len(out))
                        width = self.width
                        if not keep:
                            end = reader.line_num
                            continue
                    append(row)
                    if track is not None:
                        track(self.line + end + 1)
                end = reader.line_num
        except _csv.Error as exc:
            if final or reader.line_num != len(lines):
                raise self._csv_error(exc, end, reader.line_num, final) from None
            # The block ends inside a quoted field: keep that record's lines for later.
            self._pending = "".join(lines[end:])
            self._check_pending()
        else:
            self._pending = ""
            end = len(lines)
        self.line += end
        self.records += len(out)
        return out

    def _odd_row(self, row: list[str], line: int, done: int) -> bool:
        """A row of unexpected width: the header, the first row, or an error."""
        if self.width is None:
            if self._want_header:
                self._set_header(row, line)
                return False
            self.width = len(row)
            return True
        width = self.width
        if len(row) < width:
            missing = self.header[len(row)] if self.header else len(row)
            what = f"the field for column {missing!r} is missing"
        else:
            what = "it has extra fields"
        raise FormatError(
            f"line {line}: expected {width} fields, found {len(row)} ({what})",
            source=self.name,
            record=self.records + done + 1,
        )

    def _set_header(self, names: list[str], line: int | None) -> None:
        seen: set[str] = set()
        for n in names:
            if n in seen:
                where = f"line {line}: " if line else ""
                raise FormatError(f"{where}duplicate column name {n!r}", source=self.name)
            seen.add(n)
        self.header, self.width = names, len(names)

    def _check_pending(self) -> None:
        if len(self._pending) > self._lines.max_line_bytes:
            raise FormatError(
                f"the record starting at line {self.line + 1} is longer than "
                f"max_line_bytes={self._lines.max_line_bytes} (an unterminated quote?)",
                source=self.name,
            )

    def _csv_error(self, exc: _csv.Error, end: int, at: int, final: bool) -> FormatError:
        start = self.line + end + 1
        reason = str(exc)
        if final and "end of data" in reason:
            reason = f"unterminated quoted field in the record starting at line {start}"
        elif "field limit" in reason:
            reason += " (see csv.field_size_limit)"
        return FormatError(f"line {self.line + at}: malformed CSV: {reason}", source=self.name)


def read_csv(
    source: Source,
    *,
    header: bool | Sequence[str] = True,
    delimiter: str = ",",
    quotechar: str = '"',
    columns: Sequence[Column] | None = None,
    label: Column | None = None,
    dtypes: dict[Column, Any] | None = None,
    missing: MissingPolicy = "error",
    output: str = "rows",
    encoding: str = "utf-8",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    name: str | None = None,
    engine: str = "auto",
) -> CsvResult:
    """Read a CSV source (a path, a binary file or bytes).

    Args:
        source: the CSV data.
        header: ``True`` (the first row names the columns), ``False`` (columns are named by
            their indices 0, 1, ...) or a list of names for data without a header row.
        delimiter, quotechar: one character each.
        columns: the columns to keep (names or indices), in this order; default all.
        label: the label column (name or index); kept in rows, split off in columnar output.
        dtypes: ``{column: dtype}`` with dtype a name such as ``"float32"``, ``"int64"``,
            ``"bool"`` or ``"str"``. Columns not given are inferred in rows output (int if
            every value is an integer, else float if every value is a number, else str) and
            are float32 features / an int64 label in columnar output. An integer column
            also accepts integral floats (``"3.0"``, ``"1e3"``).
        missing: ``"error"``, ``"nan"``, a number or ``{"fill": value}`` (see the module).
        output: ``"rows"``: a list of dicts of typed values. ``"columnar"``: a ``[N, F]``
            feature tensor, and with ``label`` a tuple ``(features, labels)``.
        encoding: an encoding storing a newline as the byte ``0x0A`` (default UTF-8).
        max_line_bytes: longest line or record held while waiting for its end.
        name: how errors name the source.
        engine: ``"python"`` (the standard library), or ``"auto"``: columnar output of clean
            numeric data of 1 MiB or more is parsed by pandas when it is installed
            (``pip install pandas``), with the same result bit for bit (NOTE [ CSV engines ]).

    Raises:
        FormatError: malformed CSV, a wrong number of fields, a value that does not parse
            as its column's type, a missing value under ``missing="error"``.

    >>> read_csv(b"a;b\\n1;x\\n", delimiter=";", dtypes={"a": "float64"})
    [{'a': 1.0, 'b': 'x'}]
    >>> read_csv(b"1,2\\n3,4\\n", header=False, output="columnar").tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if output not in ("rows", "columnar"):
        raise DataValueError(f"output must be 'rows' or 'columnar', not {output!r}")
    if engine not in ("auto", "python"):
        raise DataValueError(f"engine must be 'auto' or 'python', not {engine!r}")
    policy = missing_policy(missing)
    label_name = source_name(source, name)
    reader = CsvReader(
        label_name,
        header=header,
        delimiter=delimiter,
        quotechar=quotechar,
        encoding=encoding,
        max_line_bytes=max_line_bytes,
        track_lines=True,
    )
    data = read_bytes(source, name=label_name)
    if (
        engine == "auto"
        and output == "columnar"
        and missing == "error"
        and not dtypes
        and quotechar == '"'
        and encoding.lower().replace("-", "") in ("utf8", "ascii")
    ):
        fast = pandas_columnar(data, header, delimiter, columns, label)
        if fast is not None:
            return fast
    simple = simple_lines(
        data,
        header=header,
        delimiter=delimiter,
        quotechar=quotechar,
        encoding=reader._lines.encoding,
        max_line_bytes=max_line_bytes,
    )
    if simple is not None and output == "columnar" and not dtypes:
        found = _numeric(simple, label_name, policy, columns, label)
        if found is not None:
            return found
    table = _table(reader, data, policy, simple)
    names = table.names
    keep, li, specs = _select(table, columns, label, dtypes)
    if output == "rows":
        if li is not None and li not in keep:
            keep.append(li)
        if not keep:
            return [{} for _ in range(table.n)]
        values = [table.column(j, specs.get(j)) for j in keep]
        keys = [names[j] for j in keep]
        return list(map(dict, map(zip, repeat(keys), zip(*values, strict=False))))
    features = [j for j in keep if j != li]
    x = table.matrix(features, _feature_dtype(features, specs))
    if li is None:
        return x
    y = table.matrix([li], _dtype.dtype(specs.get(li, "int64")))
    return x, y.reshape(table.n)


def _numeric(
    simple: SimpleLines,
    name: str,
    policy: Policy,
    columns: Sequence[Column] | None,
    label: Column | None,
) -> Tensor | tuple[Tensor, Tensor] | None:
    """Columnar output of a simple table read chunk by chunk (NOTE [ CSV numeric columns ]),
    or ``None`` when a cell does not read as its column's number (the caller then reads the
    table the exact way, which names it)."""
    heads: list[Any] = simple.header if simple.header is not None else list(range(simple.width))
    keep, li, _ = _select(Table([], heads, (), name, policy), columns, label, None)
    features = [j for j in keep if j != li]
    found = numeric_columns(simple, features, "f", li)
    if found is None:
        return None
    x, y = found
    n = len(simple.lines)
    features_t = Tensor._make(memoryview(x).cast("B"), _dtype.float32, (n, len(features)))
    if y is None:
        return features_t
    return features_t, Tensor._make(memoryview(y).cast("B"), _dtype.int64, (n,))


def _table(reader: CsvReader, data: bytes, policy: Policy, simple: SimpleLines | None) -> Table:
    """The cells of ``data``: split flat when it is simple (NOTE [ CSV without quotes ]),
    else row by row by ``reader``."""
    name = reader.name
    if simple is not None:
        split = split_cells(simple)
        heads: list[Any] = split.header if split.header is not None else list(range(split.width))
        return Table(split.cells, heads, split.lines, name, policy, flat=True)
    rows: list[list[str]] = []
    for chunk in iter_chunks(data, 1 << 20, name=name):
        rows += reader.feed(chunk)
    rows += reader.close()
    width = reader.width or 0
    cols: list[Any] = reader.header if reader.header is not None else list(range(width))
    return Table(rows, cols, reader.row_lines or array("q"), name, policy)


def _select(
    table: Table, columns: Sequence[Column] | None, label: Column | None, dtypes: Any
) -> tuple[list[int], int | None, dict[int, Any]]:
    """Indices of the kept columns and of the label, and dtypes by column index."""
    keep = list(range(len(table.names))) if columns is None else [table.index(c) for c in columns]
    if len(set(keep)) != len(keep):
        raise DataValueError(f"columns lists a column twice: {list(columns or [])}")
    li = None if label is None else table.index(label)
    specs = {table.index(k): v for k, v in (dtypes or {}).items()}
    return keep, li, specs


def _feature_dtype(features: list[int], specs: dict[int, Any]) -> _dtype.DType:
    kinds = {
        _dtype.dtype(specs[j]) for j in features if j in specs and specs[j] not in ("str", str)
    }
    if any(specs.get(j) in ("str", str) for j in features) or len(kinds) > 1:
        raise DataValueError(
            "columnar output puts the features in one tensor: give the feature columns one "
            "numeric dtype (or leave them out of dtypes for float32)"
        )
    return kinds.pop() if kinds else _dtype.float32


def csv_dataset(
    source: Source, *, label: Column | None = None, output: str = "columnar", **kwargs: Any
) -> TensorDataset | RecordDataset[dict[Any, Any]]:
    """A dataset of a CSV source: ``TensorDataset(features, labels)`` (columnar) or a
    :class:`RecordDataset` of dict rows (``output="rows"``). Arguments as :func:`read_csv`.

    >>> ds = csv_dataset(b"a,b,y\\n1,2,0\\n3,4,1\\n", label="y")
    >>> x, y = ds[1]
    >>> x.tolist(), y.item()
    ([3.0, 4.0], 1)
    """
    result = read_csv(source, label=label, output=output, **kwargs)
    if output == "rows":
        return RecordDataset(result)  # type: ignore[arg-type]
    if isinstance(result, tuple):
        return TensorDataset(*result)
    return TensorDataset(result)
