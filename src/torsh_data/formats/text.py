"""Plain text, one record per line.

Line ends are ``\\n`` and ``\\r\\n``; a lone ``\\r`` is an ordinary character, not a line end
(as in JSON Lines and the Unix tools). A final line without a line end is a line; an empty
input has no lines. A UTF-8 byte order mark at the start is dropped. The encoding must store a
newline as the byte ``0x0A`` (UTF-8, ASCII, Latin-1, cp1252, ...; not UTF-16).

>>> read_text_lines(b"first\\r\\nsecond\\n\\nlast")
['first', 'second', '', 'last']
>>> read_text_lines(b"a\\n\\nb\\n", skip_empty=True, keep_ends=True)
['a\\n', 'b\\n']
"""

from __future__ import annotations

from itertools import repeat
from operator import add
from typing import Any

from ._source import IncrementalReader, Source, read_records, source_name
from ._textio import DEFAULT_MAX_LINE_BYTES, LineBuffer, RecordDataset

__all__ = ["TextLineReader", "read_text_lines", "text_lines_dataset"]


class TextLineReader(IncrementalReader[str]):
    """Incremental reader of text lines: ``feed(chunk)`` returns the lines it completes.

    Args:
        name: how errors name the source.
        encoding: the text encoding (default UTF-8, with or without a byte order mark).
        errors: ``"strict"`` raises :class:`~torsh_data.FormatError` naming the line and byte
            offset of invalid bytes; ``"replace"`` puts U+FFFD in their place; ``"ignore"``
            drops them.
        keep_ends: keep each line's ``"\\n"`` or ``"\\r\\n"``.
        skip_empty: leave out lines with no characters (a line of spaces is kept).
        max_line_bytes: a longer line raises :class:`~torsh_data.FormatError` instead of
            being buffered without end.

    >>> r = TextLineReader()
    >>> r.feed(b"one\\ntw"), r.feed(b"o\\nthr"), r.close()
    (['one'], ['two'], ['thr'])
    """

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        encoding: str = "utf-8",
        errors: str = "strict",
        keep_ends: bool = False,
        skip_empty: bool = False,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        super().__init__(name)
        self._lines = LineBuffer(name, encoding, errors, max_line_bytes)
        self.keep_ends = keep_ends
        self.skip_empty = skip_empty

    def feed(self, chunk: bytes) -> list[str]:
        text = self._lines.feed(chunk)
        return self._split(text, final=False) if text else []

    def close(self) -> list[str]:
        text = self._lines.close()
        return self._split(text, final=True) if text else []

    def _split(self, text: str, final: bool) -> list[str]:
        if not self.keep_ends:
            if "\r\n" in text:
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            if not final:
                lines.pop()  # the "" after the block's last line end
            return list(filter(None, lines)) if self.skip_empty else lines
        lines = text.split("\n")
        last = lines.pop()
        lines = list(map(add, lines, repeat("\n")))
        if final and last:
            lines.append(last)
        if self.skip_empty:
            lines = [line for line in lines if line != "\n" and line != "\r\n"]
        return lines


def read_text_lines(
    source: Source,
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    keep_ends: bool = False,
    skip_empty: bool = False,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    name: str | None = None,
) -> list[str]:
    """The lines of a text source (a path, a binary file or bytes) as a list of ``str``.

    Arguments are those of :class:`TextLineReader`. Invalid bytes under ``errors="strict"``
    raise :class:`~torsh_data.FormatError` naming the line and byte offset.

    >>> read_text_lines(b"\\xef\\xbb\\xbfcaf\\xc3\\xa9\\n")
    ['café']
    >>> read_text_lines(b"bad \\xff\\n", errors="replace")
    ['bad \\ufffd']
    """
    reader = TextLineReader(
        source_name(source, name),
        encoding=encoding,
        errors=errors,
        keep_ends=keep_ends,
        skip_empty=skip_empty,
        max_line_bytes=max_line_bytes,
    )
    return list(read_records(reader, source, chunk_size=1 << 20))


def text_lines_dataset(source: Source, **kwargs: Any) -> RecordDataset[str]:
    """A map-style dataset whose samples are the lines of ``source``.

    Keyword arguments are those of :func:`read_text_lines`.

    >>> ds = text_lines_dataset(b"a\\nb\\n")
    >>> len(ds), ds[1]
    (2, 'b')
    """
    return RecordDataset(read_text_lines(source, **kwargs))
