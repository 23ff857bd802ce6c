"""JSON (a top-level array of records) and JSON Lines (one JSON value per line).

Both are UTF-8, with or without a byte order mark. JSON Lines: lines end with ``\\n`` or
``\\r\\n``; blank lines are skipped; a last line without a line end is read; an empty input has
no records. A bad line raises :class:`~torsh_data.FormatError` naming the line, the column
and what the JSON parser said. Parsing is the C parser of :mod:`json`, one call per line.
The extensions :mod:`json` accepts (``NaN``, ``Infinity``) are accepted.

>>> read_jsonl(b'{"x": 1}\\n\\n{"x": 2}\\n')
[{'x': 1}, {'x': 2}]
>>> read_json(b'[{"x": 1}, {"x": 2}]')
[{'x': 1}, {'x': 2}]
"""

from __future__ import annotations

import json
from itertools import repeat
from operator import add
from typing import Any

from .._errors import FormatError
from .._json import MAX_DEPTH, nesting_depth
from ._source import IncrementalReader, Source, read_bytes, read_records, source_name
from ._textio import DEFAULT_MAX_LINE_BYTES, LineBuffer, RecordDataset, describe

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "JsonArrayReader",
    "JsonlReader",
    "json_dataset",
    "jsonl_dataset",
    "read_json",
    "read_jsonl",
]

_loads = json.loads

#: Deepest nesting of arrays and objects accepted. NOTE [ JSON depth ]: the C parser
#: recurses per level; natively it raises RecursionError near 1000 levels, but in Pyodide a
#: deep enough document overflows the WebAssembly stack and kills the interpreter. So depth
#: is measured with C-level string operations before parsing, the same on every runtime.
DEFAULT_MAX_DEPTH = MAX_DEPTH


def _too_deep(text: str, limit: int) -> bool:
    """Whether parsing ``text`` could recurse more than ``limit`` levels."""
    return text.count("[") + text.count("{") > limit and nesting_depth(text) > limit


class JsonlReader(IncrementalReader[Any]):
    """Incremental JSON Lines reader: ``feed(chunk)`` returns the values of completed lines.

    Args:
        name: how errors name the source.
        max_line_bytes: a longer line raises :class:`~torsh_data.FormatError` (so a stream
            without newlines fails instead of growing without end).
        max_depth: deeper nesting of arrays and objects raises
            :class:`~torsh_data.FormatError` (before parsing, so it cannot exhaust the stack).

    >>> r = JsonlReader()
    >>> r.feed(b'[1, 2]\\n{"a"'), r.feed(b': null}'), r.close()
    ([[1, 2]], [], [{'a': None}])
    """

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ):
        super().__init__(name)
        self.max_depth = max_depth
        self._lines = LineBuffer(name, "utf-8", "strict", max_line_bytes)
        self.line = 0  # lines read
        self.records = 0  # values returned

    def feed(self, chunk: bytes) -> list[Any]:
        text = self._lines.feed(chunk)
        return self._parse(text, final=False) if text else []

    def close(self) -> list[Any]:
        text = self._lines.close()
        return self._parse(text, final=True) if text else []

    def _parse(self, text: str, final: bool) -> list[Any]:
        lines = text.split("\n")
        if not final:
            lines.pop()  # the "" after the block's last newline
        if text.count("[") + text.count("{") > self.max_depth:
            self._check_depth(lines, text)
        try:
            # NOTE [ JSONL fast path ]: one C-level map over the block; a blank line or an
            # error falls back to the per-line loop, which skips blanks and locates errors.
            out = list(map(_loads, lines))
        except (ValueError, RecursionError):
            out = self._slow(lines, text)
        self.line += len(lines)
        self.records += len(out)
        return out

    def _slow(self, lines: list[str], text: str) -> list[Any]:
        out: list[Any] = []
        for i, line in enumerate(lines):
            if not line.strip(" \t\r"):
                continue
            try:
                out.append(_loads(line))
            except json.JSONDecodeError as exc:
                where = f"line {self.line + i + 1}, column {exc.colno}"
                raise FormatError(
                    f"{where}: invalid JSON: {exc.msg}",
                    source=self.name,
                    record=self.records + len(out) + 1,
                    offset=self._offset(lines, i, text) + len(line[: exc.pos].encode()),
                ) from None
            except (ValueError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise FormatError(
                    f"line {self.line + i + 1}: invalid JSON: {reason}",
                    source=self.name,
                    record=self.records + len(out) + 1,
                    offset=self._offset(lines, i, text),
                ) from None
        return out

    def _check_depth(self, lines: list[str], text: str) -> None:
        limit = self.max_depth
        opens = map(add, map(str.count, lines, repeat("[")), map(str.count, lines, repeat("{")))
        if max(opens, default=0) <= limit:  # no line can nest deeper than it has openers
            return
        records = 0
        for i, line in enumerate(lines):
            if _too_deep(line, limit):
                raise FormatError(
                    f"line {self.line + i + 1}: JSON nested more than max_depth="
                    f"{self.max_depth} levels deep",
                    source=self.name,
                    record=self.records + records + 1,
                    offset=self._offset(lines, i, text),
                )
            records += bool(line.strip(" \t\r"))

    def _offset(self, lines: list[str], i: int, text: str) -> int:
        """Byte offset of the start of ``lines[i]`` (error path only)."""
        block_start = self._lines.offset - len(text.encode())
        return block_start + sum(len(line.encode()) + 1 for line in lines[:i])


class JsonArrayReader(IncrementalReader[Any]):
    """The items of a whole JSON document's top-level array, at ``close()`` (JSON has no
    record boundaries to stream on; the document is capped at ``max_bytes``)."""

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        max_bytes: int = 1 << 28,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        super().__init__(name)
        self.max_bytes, self.max_depth = max_bytes, max_depth
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[Any]:
        self._size += len(chunk)
        if self._size > self.max_bytes:
            raise FormatError(
                f"a JSON document larger than max_bytes={self.max_bytes}; use JSON Lines to "
                "stream large data",
                source=self.name,
            )
        self._parts.append(bytes(chunk))
        return []

    def close(self) -> list[Any]:
        data, self._parts = b"".join(self._parts), []
        return read_json(data, max_depth=self.max_depth, name=self.name)


def read_jsonl(
    source: Source,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    name: str | None = None,
) -> list[Any]:
    """The values of a JSON Lines source (a path, a binary file or bytes), one per line.

    >>> read_jsonl(b'1\\n"two"\\n[3]')
    [1, 'two', [3]]
    """
    reader = JsonlReader(
        source_name(source, name), max_line_bytes=max_line_bytes, max_depth=max_depth
    )
    return list(read_records(reader, source, chunk_size=1 << 20))


def read_json(
    source: Source,
    *,
    max_bytes: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    name: str | None = None,
) -> list[Any]:
    """The records of a JSON document whose top level is an array.

    Anything else (an object, a number, an empty input) raises
    :class:`~torsh_data.FormatError` saying what was found. ``max_bytes`` caps the input size;
    ``max_depth`` the nesting of arrays and objects.

    >>> read_json(b'{"data": []}')
    Traceback (most recent call last):
    ...
    torsh_data.FormatError: <bytes>: expected a JSON array of records at the top level, found an object (keys: 'data'); select the array first
    """
    label = source_name(source, name)
    data = read_bytes(source, label, max_bytes)
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = start + exc.start
        line = data.count(b"\n", 0, pos) + 1
        raise FormatError(
            f"line {line}: invalid UTF-8 ({exc.reason})",
            source=label,
            offset=pos,
        ) from None
    if not text.strip(" \t\r\n"):
        raise FormatError("empty input; expected a JSON array of records", source=label)
    if _too_deep(text, max_depth):
        raise FormatError(f"JSON nested more than max_depth={max_depth} levels deep", source=label)
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}",
            source=label,
            offset=start + len(text[: exc.pos].encode()),
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise FormatError(f"invalid JSON: {reason}", source=label) from None
    if not isinstance(value, list):
        hint = "; select the array first" if isinstance(value, dict) else ""
        raise FormatError(
            f"expected a JSON array of records at the top level, found {describe(value)}{hint}",
            source=label,
        )
    return value


def jsonl_dataset(source: Source, **kwargs: Any) -> RecordDataset[Any]:
    """A map-style dataset of the values of a JSON Lines source (see :func:`read_jsonl`).

    >>> jsonl_dataset(b'{"y": 0}\\n{"y": 1}\\n')[1]
    {'y': 1}
    """
    return RecordDataset(read_jsonl(source, **kwargs))


def json_dataset(source: Source, **kwargs: Any) -> RecordDataset[Any]:
    """A map-style dataset of the records of a JSON array (see :func:`read_json`).

    >>> len(json_dataset(b'[1, 2, 3]'))
    3
    """
    return RecordDataset(read_json(source, **kwargs))
