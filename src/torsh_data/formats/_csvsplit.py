"""The simple case of CSV, split at C speed: no quote character anywhere.

NOTE [ CSV without quotes ]: when the text holds no quote character, no NUL, no lone ``\\r``
and every non-blank line has the same number of delimiters, the standard :mod:`csv` reader
(strict, RFC 4180) gives exactly ``line.split(delimiter)`` for every line and skips the blank
ones. So the whole text is cut into cells with one ``split`` of the joined lines, a flat list
in row-major order, and a column is the slice ``cells[j::width]``: no row lists at all. The
checks are all C-level (``in``, ``str.count`` mapped over the lines, ``max(map(len, ...))``).
Anything else (a quote anywhere, ragged rows, an undecodable byte, a line over the field or
line limit, a duplicate column name) returns ``None``, and the caller runs the full reader,
which also writes the precise error: both paths give the same cells, so the same tables.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from itertools import repeat
from typing import NamedTuple

__all__ = ["SplitCsv", "split_simple"]


class SplitCsv(NamedTuple):
    """Cells in row-major order, the width, the header and each row's start line."""

    cells: list[str]
    width: int
    header: list[str] | None
    lines: Sequence[int]


def split_simple(
    data: bytes,
    *,
    header: bool | Sequence[str],
    delimiter: str,
    quotechar: str,
    encoding: str,
    max_line_bytes: int,
) -> SplitCsv | None:
    """``data`` cut into cells when it is simple CSV (NOTE [ CSV without quotes ]), else None."""
    if encoding not in ("utf-8", "ascii"):
        return None
    if encoding == "utf-8" and data[:3] == codecs.BOM_UTF8:
        data = data[3:]
    if len(data) > max_line_bytes and max(map(len, data.split(b"\n"))) > max_line_bytes:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if quotechar in text or "\0" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    numbers: Sequence[int] = range(1, len(lines) + 1)
    if "" in lines:  # blank lines are skipped, as by the csv module
        numbers = [i for i, line in enumerate(lines, 1) if line]
        lines = list(filter(None, lines))
    if not lines or max(map(len, lines)) > csv.field_size_limit():
        return None
    names: list[str] | None = None
    if header is True:
        names = lines[0].split(delimiter)
        lines, numbers = lines[1:], numbers[1:]
    elif header is not False:
        names = list(header)
    width = len(names) if names is not None else lines[0].count(delimiter) + 1
    if names is not None and len(set(names)) != len(names):
        return None
    if lines and set(map(str.count, lines, repeat(delimiter))) != {width - 1}:
        return None
    cells = delimiter.join(lines).split(delimiter) if lines else []
    return SplitCsv(cells, width, names, numbers)
