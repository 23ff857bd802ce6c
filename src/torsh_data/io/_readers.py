"""Pick the incremental reader of a stream: by format name, file extension or content type.

:func:`reader_for` returns an :class:`~torsh_data.formats.IncrementalReader` (``feed(chunk)``
returns the records completed, ``close()`` the rest) of a format that has one (the table of
formats, their extensions and content types is ``torsh_data.formats._registry``):

=========  ======================================  =========================================
format     records                                 extensions / content types
=========  ======================================  =========================================
``csv``    dicts ``{column: value}`` (see below)   ``.csv`` / ``text/csv``
``tsv``    as ``csv``, tab-separated               ``.tsv`` / ``text/tab-separated-values``
``jsonl``  one JSON value per line                 ``.jsonl``, ``.ndjson`` / ``*ndjson``
``json``   the items of a top-level JSON array     ``.json`` / ``application/json``
``text``   lines (``str``)                         ``.txt``, ``.text`` / ``text/plain``
``npy``    the rows (first axis) of an array       ``.npy`` / ``application/x-npy``
``tar``    WebDataset samples (dicts)              ``.tar``, ``.tgz`` / ``application/x-tar``
=========  ======================================  =========================================

Gzip data (a ``.gz`` name, a ``gzip`` content type, or data starting with the gzip magic
bytes) is decompressed on the fly in pieces of at most 256 KiB, capped at ``max_bytes`` of
output (default :data:`~torsh_data.formats.DEFAULT_MAX_BYTES`), so a decompression bomb
raises :class:`~torsh_data.FormatError` instead of filling memory.

CSV records are those of :class:`~torsh_data.formats.CsvRecordReader`: dicts of the
``columns`` kept (default all), typed by ``dtypes`` or value by value, ``missing`` as for
:func:`~torsh_data.formats.read_csv`. Other options go to the format's reader
(:class:`~torsh_data.formats.CsvReader`, :class:`~torsh_data.formats.JsonlReader`,
:class:`~torsh_data.formats.TextLineReader`, :class:`~torsh_data.formats.NpyReader`,
:class:`~torsh_data.formats.TarSampleReader`).

>>> r = reader_for(name="data.csv", dtypes={"y": "float32"})
>>> r.feed(b"x,y,s\\n1,2,a\\n3,") + r.feed(b"4.5,b") + r.close()
[{'x': 1, 'y': 2.0, 's': 'a'}, {'x': 3, 'y': 4.5, 's': 'b'}]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._errors import DataTypeError, DataValueError, FormatError
from ..formats import DEFAULT_MAX_BYTES, Format, GzipDecoder, IncrementalReader, is_gzip
from ..formats import FORMATS as REGISTRY
from ..formats import lookup_format as lookup
from ..formats import sniff_format as sniff

__all__ = ["reader_for"]

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


def _known() -> str:
    return ", ".join(sorted(f.name for f in REGISTRY.values() if f.reader and f.records == f.name))


def _detect(format: str | None, name: str | None, content_type: str | None) -> tuple[Format, bool]:
    if format is None:
        found, gz = sniff(name, content_type, streamed=True)
        if found is None:
            raise DataValueError(
                f"cannot tell the format of {name or 'the source'}"
                f"{f' ({content_type})' if content_type else ''}; pass format= one of {_known()}"
            )
        return found, gz
    if not isinstance(format, str):
        raise DataTypeError(f"format must be a str, not {type(format).__name__}")
    fmt, gz = format.lower(), False
    for suffix in (".gz", "+gzip"):
        if fmt.endswith(suffix):
            fmt, gz = fmt[: -len(suffix)], True
            break
    found = lookup(fmt)
    if found is None or found.reader is None:
        raise DataValueError(
            f"unknown format {format!r}; known formats: {_known()} (add .gz for gzip)"
        )
    return found, gz


def detect_format(
    format: str | None, name: str | None, content_type: str | None
) -> tuple[str, bool]:
    """``(format, gzipped)`` from an explicit format, else ``name``, else ``content_type``."""
    found, gz = _detect(format, name, content_type)
    return found.records, gz


def _implied_options(found: Format, name: str | None, content_type: str | None) -> dict[str, Any]:
    """The reader options the format implies, and those a variant of the same records that
    the name or the content type tells implies (``data.tsv`` read as ``csv``: a tab)."""
    out: dict[str, Any] = {}
    told = (sniff(name)[0] if name else None, sniff(content_type=content_type)[0], found)
    for f in told:
        if f is not None and f.records == found.records:
            out.update(f.options)
    return out


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
        format: ``"csv"``, ``"tsv"``, ``"jsonl"``, ``"json"``, ``"text"``, ``"npy"``,
            ``"tar"`` (add ``".gz"`` for gzip); default: from ``name``, else
            ``content_type``.
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
    found, gz = _detect(format, name, content_type)
    label = name or "<stream>"
    options = {**_implied_options(found, name, content_type), **options}
    cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if found.max_bytes and max_bytes is not None:
        options["max_bytes"] = max_bytes
    assert found.reader is not None  # _detect gives formats with a reader
    try:
        reader = found.reader(label, **options)
    except TypeError as exc:
        raise DataTypeError(f"format {found.records!r}: {exc}") from None
    return GunzipReader(reader, max_bytes=cap, sniff=not gz)
