"""The simple case of CSV, split at C speed: no quote character anywhere.

NOTE [ CSV without quotes ]: when the text holds no quote character, no NUL, no lone ``\\r``
and every non-blank line has the same number of delimiters, the standard :mod:`csv` reader
(strict, RFC 4180) gives exactly ``line.split(delimiter)`` for every line and skips the blank
ones. So the whole text is cut into cells with one ``split`` of the joined lines, a flat list
in row-major order, and a column is the slice ``cells[j::width]``: no row lists at all. The
checks are all C-level (``in``, ``count`` mapped over the lines, ``max(map(len, ...))``).
Anything else (a quote anywhere, ragged rows, an undecodable byte, a line over the field or
line limit, a duplicate column name) returns ``None``, and the caller runs the full reader,
which also writes the precise error: both paths give the same cells, so the same tables.

ASCII data (the usual case, checked by one C call) is split as ``bytes`` without decoding:
an ASCII byte string splits, counts and measures exactly as its text does, and ``float()``
and ``int()`` read an ASCII ``bytes`` cell exactly as they read the same ``str``.

NOTE [ CSV numeric columns ]: columnar output of such a table (:func:`numeric_columns`) is
converted ``CHUNK_LINES`` lines at a time: each chunk's cells are split, the label's cells
read by ``int`` and the features' by ``float`` (``list(map(...))``, no bytecode per cell),
and appended to two growing arrays. The same C calls as converting the whole table at once,
so the same values; but neither the cells of the whole file nor a float object per value
are alive at once (a few MB instead of a few hundred), which saves the time the whole-file
lists spend in allocation and cache misses. Any conversion error gives ``None``: the caller
then reads the table the exact way, which names the record, line and column.
"""

from __future__ import annotations

import codecs
import csv
from array import array
from collections.abc import Sequence
from itertools import repeat
from typing import Any, NamedTuple

__all__ = ["CHUNK_LINES", "SimpleLines", "SplitCsv", "numeric_columns", "simple_lines"]

#: Lines converted at a time by :func:`numeric_columns`.
CHUNK_LINES = 4096


class SimpleLines(NamedTuple):
    """The non-blank data lines of a simple CSV (``bytes`` when the data is ASCII, else
    ``str``), their delimiter (of the same type), the width, the header and each line's
    number in the source."""

    lines: list[Any]
    delimiter: Any
    width: int
    header: list[str] | None
    numbers: Sequence[int]


class SplitCsv(NamedTuple):
    """Cells in row-major order, the width, the header and each row's start line."""

    cells: list[str]
    width: int
    header: list[str] | None
    lines: Sequence[int]


def simple_lines(
    data: bytes,
    *,
    header: bool | Sequence[str],
    delimiter: str,
    quotechar: str,
    encoding: str,
    max_line_bytes: int,
) -> SimpleLines | None:
    """``data`` cut into lines when it is simple CSV (NOTE [ CSV without quotes ]), else None."""
    if encoding not in ("utf-8", "ascii"):
        return None
    if encoding == "utf-8" and data[:3] == codecs.BOM_UTF8:
        data = data[3:]
    if len(data) > max_line_bytes and max(map(len, data.split(b"\n"))) > max_line_bytes:
        return None
    text: Any = data
    delim: Any = delimiter
    marks: tuple[Any, ...] = (quotechar, "\0", "\r", "\r\n", "\n")
    if data.isascii():
        marks = tuple(m.encode() for m in marks)
        delim = delimiter.encode()
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            return None
    quote, nul, cr, crlf, nl = marks
    if quote in text or nul in text:
        return None
    if cr in text:
        text = text.replace(crlf, nl)
        if cr in text:
            return None
    lines = text.split(nl)
    if lines and not lines[-1]:
        lines.pop()
    numbers: Sequence[int] = range(1, len(lines) + 1)
    if text[:0] in lines:  # blank lines are skipped, as by the csv module
        numbers = [i for i, line in enumerate(lines, 1) if line]
        lines = list(filter(None, lines))
    if not lines or max(map(len, lines)) > csv.field_size_limit():
        return None
    names: list[str] | None = None
    if header is True:
        first = lines[0]
        names = (first if isinstance(first, str) else first.decode()).split(delimiter)
        lines, numbers = lines[1:], numbers[1:]
    elif header is not False:
        names = list(header)
    width = len(names) if names is not None else lines[0].count(delim) + 1
    if names is not None and len(set(names)) != len(names):
        return None
    if lines and set(map(type(text).count, lines, repeat(delim))) != {width - 1}:
        return None
    return SimpleLines(lines, delim, width, names, numbers)


def split_cells(simple: SimpleLines) -> SplitCsv:
    """The cells of every line, one flat list of ``str`` in row-major order."""
    lines, delim = simple.lines, simple.delimiter
    if not lines:
        cells: list[str] = []
    elif isinstance(delim, bytes):
        cells = delim.join(lines).decode("ascii").split(delim.decode("ascii"))
    else:
        cells = delim.join(lines).split(delim)
    return SplitCsv(cells, simple.width, simple.header, simple.numbers)


def numeric_columns(
    simple: SimpleLines, features: list[int], feature_code: str, label: int | None
) -> tuple[array[Any], array[int] | None] | None:
    """The ``features`` columns as one row-major array of typecode ``feature_code`` (read by
    ``float``) and the ``label`` column as int64 (read by ``int``), chunk by chunk (NOTE
    [ CSV numeric columns ]); ``None`` if a cell does not convert."""
    from ._csvtypes import gather

    lines, delim, width = simple.lines, simple.delimiter, simple.width
    x: array[Any] = array(feature_code)
    y = None if label is None else array("q")
    step = CHUNK_LINES
    try:
        for start in range(0, len(lines), step):
            cells = delim.join(lines[start : start + step]).split(delim)
            if y is not None:
                y.fromlist(list(map(int, cells[label::width])))
            x.fromlist(list(map(float, gather(cells, width, features))))
    except (ValueError, OverflowError):
        return None
    return x, y
