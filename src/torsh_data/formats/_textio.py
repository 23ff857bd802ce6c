"""What the text readers share: cutting a byte stream at line ends, and a list dataset.

:class:`LineBuffer` holds back the bytes after the last line end and hands out the complete
lines before it as one decoded block, so a multibyte character split across two chunks is
decoded whole (in an ASCII-compatible encoding no byte of a multibyte character is a
newline byte). Decoding a block at a time keeps the work in C, and errors can name exact byte
offsets and line numbers. A UTF-8 byte order mark at the start of the stream is dropped.

>>> lb = LineBuffer("<bytes>")
>>> lb.feed("añ\\nb".encode()[:3]), lb.feed("añ\\nb".encode()[3:]), lb.close()
('', 'añ\\n', 'b')
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any, TypeVar

from .._errors import DataIndexError, DataValueError, FormatError
from ..datasets import Dataset

__all__ = ["DEFAULT_MAX_LINE_BYTES", "LineBuffer", "RecordDataset"]

T = TypeVar("T")

#: Default cap on one line (or one CSV record) held while waiting for its end.
DEFAULT_MAX_LINE_BYTES = 64 << 20
_BOM = codecs.BOM_UTF8


def check_encoding(encoding: str, errors: str = "strict") -> str:
    """The codec name for ``encoding``, if its newline is the byte ``b"\\n"``."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise DataValueError(f"unknown text encoding {encoding!r}") from None
    if errors not in ("strict", "replace", "ignore"):
        raise DataValueError(f"errors must be 'strict', 'replace' or 'ignore', not {errors!r}")
    if "\n\r,".encode(info.name) != b"\n\r,":
        raise DataValueError(
            f"encoding {encoding!r} does not store a newline as the byte 0x0A; "
            "decode the data first (e.g. to UTF-8)"
        )
    return "utf-8" if info.name == "utf-8-sig" else info.name


class LineBuffer:
    """Split a byte stream into blocks of whole lines and decode each block at once.

    Args:
        name: the source name errors give.
        encoding: an ASCII-compatible encoding (UTF-8, Latin-1, cp1252, ...).
        errors: ``"strict"`` (invalid bytes raise :class:`FormatError`), ``"replace"`` or
            ``"ignore"``.
        max_line_bytes: longest incomplete line held while waiting for its end.
        cr: also cut after a lone ``\\r`` (old Mac line ends, as CSV allows).
    """

    def __init__(
        self,
        name: str,
        encoding: str = "utf-8",
        errors: str = "strict",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        cr: bool = False,
    ) -> None:
        self.name = name
        self.encoding = check_encoding(encoding, errors)
        self.errors = errors
        if max_line_bytes < 1:
            raise DataValueError(f"max_line_bytes must be positive, got {max_line_bytes}")
        self.max_line_bytes = max_line_bytes
        self.cr = cr
        self.offset = 0  # bytes handed out before the pending ones
        self.lines = 0  # newline bytes handed out
        self._parts: list[bytes] = []
        self._pending = 0
        self._start = self.encoding == "utf-8"

    def feed(self, chunk: bytes) -> str:
        """Take bytes; return the decoded text of the lines they complete (maybe ``""``)."""
        chunk = bytes(chunk)
        cut = chunk.rfind(b"\n")
        if self.cr:
            cut = max(cut, chunk.rfind(b"\r", 0, len(chunk) - 1))
        if cut < 0:
            if chunk:
                self._parts.append(chunk)
                self._pending += len(chunk)
                self._check_pending()
            return ""
        cut += 1
        head = chunk[:cut]
        block = b"".join([*self._parts, head]) if self._parts else head
        rest = chunk[cut:]
        self._parts = [rest] if rest else []
        self._pending = len(rest)
        if len(block) > self.max_line_bytes:
            self._check_lines(block)
        text = self._decode(block, final=False)
        self._check_pending()
        return text

    def close(self) -> str:
        """The decoded text after the last line end (raises on a truncated character)."""
        block = b"".join(self._parts)
        self._parts, self._pending = [], 0
        return self._decode(block, final=True) if block else ""

    def _check_pending(self) -> None:
        if self._pending > self.max_line_bytes:
            raise FormatError(
                f"line {self.lines + 1} is longer than max_line_bytes={self.max_line_bytes} "
                "(no line end found); raise max_line_bytes if the data is genuine",
                source=self.name,
                offset=self.offset,
            )

    def _check_lines(self, block: bytes) -> None:
        start = 0
        for i, line in enumerate(block.split(b"\n")):
            if len(line) > self.max_line_bytes:
                raise FormatError(
                    f"line {self.lines + i + 1} is longer than "
                    f"max_line_bytes={self.max_line_bytes}; raise it if the data is genuine",
                    source=self.name,
                    offset=self.offset + start,
                )
            start += len(line) + 1

    def _decode(self, block: bytes, final: bool) -> str:
        if self._start:
            self._start = False
            if block[:3] == _BOM:
                block = block[3:]
                self.offset += 3
        try:
            text = block.decode(self.encoding, self.errors)
        except UnicodeDecodeError as exc:
            line = self.lines + block.count(b"\n", 0, exc.start) + 1
            what = "truncated character at the end" if final and exc.end == len(block) else "bytes"
            raise FormatError(
                f"line {line}: invalid {self.encoding} {what} ({exc.reason}); "
                "check the encoding= argument",
                source=self.name,
                offset=self.offset + exc.start,
            ) from None
        self.offset += len(block)
        self.lines += block.count(b"\n")
        return text


class RecordDataset(Dataset[T]):
    """A map-style dataset over a list of records (rows, JSON objects, lines).

    >>> ds = RecordDataset([{"a": 1}, {"a": 2}])
    >>> len(ds), ds[-1]
    (2, {'a': 2})
    """

    def __init__(self, records: Sequence[T]) -> None:
        self.records = records

    def __getitem__(self, index: int) -> T:
        try:
            return self.records[index]
        except IndexError:
            raise DataIndexError(
                f"index {index} is out of range for a dataset of {len(self.records)} records"
            ) from None

    def __getitems__(self, indices: Sequence[int]) -> list[T]:
        records = self.records
        return [records[i] for i in indices]

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.records)} records)"


def describe(value: Any) -> str:
    """A short phrase for what a JSON value is, for error messages."""
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:5])
        return f"an object (keys: {keys}{', ...' if len(value) > 5 else ''})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__
