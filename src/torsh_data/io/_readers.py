"""Pick the incremental reader of a stream: by format name, file extension or content type.

:func:`reader_for` returns an :class:`~torsh_data.formats.IncrementalReader` (``feed(chunk)``
returns the records completed, ``close()`` the rest) for

=========  ======================================  =========================================
format     records                                 extensions / content types
=========  ======================================  =========================================
``csv``    dicts ``{column: value}`` (see below)   ``.csv``, ``.tsv`` / ``text/csv``
``jsonl``  one JSON value per line                 ``.jsonl``, ``.ndjson`` / ``*ndjson``
``json``   the items of a top-level JSON array     ``.json`` / ``application/json``
``text``   lines (``str``)                         ``.txt``, ``.text`` / ``text/plain``
``npy``    the rows (first axis) of an array       ``.npy``
``tar``    WebDataset samples (dicts)              ``.tar``, ``.tgz`` / ``application/x-tar``
=========  ======================================  =========================================

Gzip data (a ``.gz`` name, a ``gzip`` content type, or data starting with the gzip magic
bytes) is decompressed on the fly in pieces of at most 256 KiB, capped at ``max_bytes`` of
output (default :data:`~torsh_data.formats.DEFAULT_MAX_BYTES`), so a decompression bomb
raises :class:`~torsh_data.FormatError` instead of filling memory.

CSV records are dicts of the ``columns`` kept (default all): a column named in ``dtypes``
(``{column: "float32" | "int64" | "bool" | "str" | ...}``) has that type; any other value is
an ``int`` if it reads as one, else a ``float`` if it reads as one, else the ``str`` (decided
value by value, so every chunking gives the same records; ``read_csv`` decides per column).
``missing`` is as for :func:`~torsh_data.formats.read_csv`, except that a column is known to
be text only once it has held a text value: an empty field after that is ``""``, before it a
missing value (declare ``dtypes={column: "str"}`` when a text column may start empty). Other
options go to the format's reader (:class:`~torsh_data.formats.CsvReader`,
:class:`~torsh_data.formats.JsonlReader`, :class:`~torsh_data.formats.TextLineReader`,
:class:`~torsh_data.formats.NpyReader`, :class:`~torsh_data.formats.TarSampleReader`).

>>> r = reader_for(name="data.csv", dtypes={"y": "float32"})
>>> r.feed(b"x,y,s\\n1,2,a\\n3,") + r.feed(b"4.5,b") + r.close()
[{'x': 1, 'y': 2.0, 's': 'a'}, {'x': 3, 'y': 4.5, 's': 'b'}]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from .._errors import DataTypeError, DataValueError, FormatError
from ..formats._csvtypes import MissingPolicy, Table, missing_policy
from ..formats._source import DEFAULT_MAX_BYTES, GzipDecoder, IncrementalReader, is_gzip
from ..formats.csv import CsvReader
from ..formats.jsonfmt import DEFAULT_MAX_DEPTH, JsonlReader, read_json
from ..formats.npy import NpyReader
from ..formats.tar import TarSampleReader
from ..formats.text import TextLineReader

__all__ = ["FORMATS", "reader_for"]

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".txt": "text",
    ".text": "text",
    ".npy": "npy",
    ".tar": "tar",
    ".tgz": "tar",
}
_CONTENT_TYPES = {
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/x-ndjson": "jsonl",
    "application/ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/json": "json",
    "text/plain": "text",
    "application/x-tar": "tar",
}
_GZIP_TYPES = ("application/gzip", "application/x-gzip")
#: Most decompressed bytes produced at once, so one compressed chunk of a hostile stream
#: (deflate expands up to ~1032x) cannot balloon into a huge buffer or list of records.
_GZIP_STEP = 1 << 18


class GunzipReader(IncrementalReader[Any]):
    """Decompress a gzip stream in pieces of at most 256 KiB and feed them to another reader.

    With ``sniff=True`` data that does not start with the gzip magic bytes is passed through
    as it is; otherwise it raises :class:`~torsh_data.FormatError`. Empty data has no
    records. Concatenated gzip members are read one after the other.
    """

    def __init__(
        self, inner: IncrementalReader[Any], max_bytes: int = DEFAULT_MAX_BYTES, sniff: bool = False
    ) -> None:
        super().__init__(inner.name)
        self.inner, self.max_bytes, self.sniff = inner, max_bytes, sniff
        self._d: GzipDecoder | None = None
        self._plain = False
        self._head = b""

    def feed(self, chunk: bytes) -> list[Any]:
        out: list[Any] = []
        for records in self.feed_pieces(chunk):
            out += records
        return out

    def feed_pieces(self, chunk: bytes) -> Iterator[list[Any]]:
        """Like :meth:`feed`, but the records of each decompressed piece as soon as they are
        parsed, so the records of a highly compressed chunk are never all held at once."""
        if self._plain:
            yield self.inner.feed(chunk)
            return
        if self._d is None:
            self._head += bytes(chunk)
            if len(self._head) < 2:
                return
            chunk, self._head = self._head, b""
            if not is_gzip(chunk):
                if not self.sniff:
                    raise FormatError("not gzip data (no gzip magic bytes)", source=self.name)
                self._plain = True
                yield self.inner.feed(chunk)
                return
            self._d = GzipDecoder(self.name, self.max_bytes)
        piece = self._d.feed(bytes(chunk), _GZIP_STEP)
        while piece:
            yield self.inner.feed(piece)
            piece = self._d.feed(b"", _GZIP_STEP) if self._d.pending else b""

    def close(self) -> list[Any]:
        out: list[Any] = []
        if self._head:  # one byte: too short to be gzip
            if not self.sniff:
                raise FormatError("not gzip data (1 byte)", source=self.name)
            out = self.inner.feed(self._head)
        elif self._d is not None:
            tail = self._d.close()
            out = self.inner.feed(tail) if tail else []
        return out + self.inner.close()


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
    """CSV rows as dicts of typed values (see the module docstring)."""

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
        cells = list(map(itemgetter(j), table.rows))
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


FORMATS: dict[str, Callable[..., IncrementalReader[Any]]] = {
    "csv": CsvRecordReader,
    "jsonl": JsonlReader,
    "json": JsonArrayReader,
    "text": TextLineReader,
    "npy": NpyReader,
    "tar": TarSampleReader,
}
_ALIASES = {"ndjson": "jsonl", "txt": "text", "tsv": "csv"}


def _extension(name: str) -> tuple[str, bool]:
    base = name.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1].lower()
    gz = base.endswith(".gz")
    if gz:
        base = base[:-3]
    dot = base.rfind(".")
    return (base[dot:] if dot >= 0 else ""), gz


def _from_name(name: str) -> tuple[str | None, bool]:
    ext, gz = _extension(name)
    return _EXTENSIONS.get(ext), gz


def _is_tsv(name: str | None, content_type: str | None) -> bool:
    if name and _extension(name)[0] == ".tsv":
        return True
    return bool(content_type) and "tab-separated" in (content_type or "").lower()


def detect_format(
    format: str | None, name: str | None, content_type: str | None
) -> tuple[str, bool]:
    """``(format, gzipped)`` from an explicit format, else ``name``, else ``content_type``."""
    gz = False
    if format is None and name:
        format, gz = _from_name(name)
    if format is None and content_type:
        ctype = content_type.split(";", 1)[0].strip().lower()
        if ctype in _GZIP_TYPES:
            gz = True
        format = _CONTENT_TYPES.get(ctype)
    if format is None:
        raise DataValueError(
            f"cannot tell the format of {name or 'the source'}"
            f"{f' ({content_type})' if content_type else ''}; pass format= one of "
            f"{', '.join(sorted(FORMATS))}"
        )
    if not isinstance(format, str):
        raise DataTypeError(f"format must be a str, not {type(format).__name__}")
    fmt = format.lower()
    if fmt.endswith(".gz") or fmt.endswith("+gzip"):
        fmt, gz = fmt.rsplit(".gz" if fmt.endswith(".gz") else "+gzip", 1)[0], True
    fmt = _ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise DataValueError(
            f"unknown format {format!r}; known formats: {', '.join(sorted(FORMATS))} "
            "(add .gz for gzip)"
        )
    return fmt, gz


def reader_for(
    format: str | None = None,
    *,
    name: str | None = None,
    content_type: str | None = None,
    max_bytes: int | None = None,
    **options: Any,
) -> IncrementalReader[Any]:
    """The incremental reader of a format (see the module docstring for the table).

    Args:
        format: ``"csv"``, ``"jsonl"``, ``"json"``, ``"text"``, ``"npy"``, ``"tar"`` (add
            ``".gz"`` for gzip); default: from ``name``, else ``content_type``.
        name: the source's name (a path, URL or file name); errors name it too.
        content_type: a MIME type, used when neither format nor name tells.
        max_bytes: cap on decompressed bytes (gzip; a tar or npy reader's own cap).
        **options: the format reader's options (e.g. CSV ``columns``, ``dtypes``,
            ``missing``, ``delimiter``, ``header``; JSONL ``max_line_bytes``).

    Raises:
        DataValueError: unknown or undetectable format (the message lists the known ones).
        DataTypeError: an option the format's reader does not take.

    >>> reader_for("xml")
    Traceback (most recent call last):
    ...
    torsh_data.DataValueError: unknown format 'xml'; known formats: csv, json, jsonl, npy, tar, text (add .gz for gzip)
    """
    fmt, gz = detect_format(format, name, content_type)
    label = name or "<stream>"
    if fmt == "csv" and "delimiter" not in options and _is_tsv(name, content_type):
        options["delimiter"] = "\t"
    cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if fmt in ("tar", "npy") and max_bytes is not None:
        options["max_bytes"] = max_bytes
    try:
        reader = FORMATS[fmt](label, **options)
    except TypeError as exc:
        raise DataTypeError(f"format {fmt!r}: {exc}") from None
    return GunzipReader(reader, max_bytes=cap, sniff=not gz)
