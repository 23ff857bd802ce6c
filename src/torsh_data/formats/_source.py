"""What every reader shares: sources, incremental feeding, bounded decompression.

A *source* is a path (``str`` or ``os.PathLike``), a binary file object, or the bytes
themselves (``bytes``, ``bytearray``, ``memoryview``). Record-oriented readers are
:class:`IncrementalReader` subclasses: ``feed(chunk)`` returns the records completed by that
chunk and ``close()`` the rest (raising :class:`~torsh_data.FormatError` if the data stopped
mid-record), so a download or a user's file can be parsed as it arrives, in bounded memory.

>>> class Lines(IncrementalReader[bytes]):
...     def __init__(self, name="<bytes>"):
...         super().__init__(name)
...         self._buf = b""
...     def feed(self, chunk):
...         *done, self._buf = (self._buf + bytes(chunk)).split(b"\\n")
...         return done
...     def close(self):
...         return [self._buf] if self._buf else []
>>> list(read_records(Lines(), b"a\\nb\\nc"))
[b'a', b'b', b'c']
"""

from __future__ import annotations

import io
import os
import sys
import zlib
from collections.abc import Iterator
from typing import IO, Any, Generic, TypeVar, Union

from .._errors import DataTypeError, FormatError, SourceError
from .._ffi import is_js
from .._runtime import IN_PYODIDE

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DEFLATE_RATIO",
    "GzipDecoder",
    "GzipReader",
    "IncrementalReader",
    "Source",
    "inflated_bound",
    "iter_chunks",
    "read_bytes",
    "read_chunk",
    "read_records",
    "source_name",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
R = TypeVar("R")

CHUNK_SIZE = 1 << 16
#: Default cap on one array's size and on decompressed output, so a lying header or a
#: decompression bomb fails instead of filling memory: 4 GiB natively, 1 GiB in Pyodide, whose
#: WebAssembly heap is 2-4 GiB in all (every reader taking ``max_bytes`` can be given more).
DEFAULT_MAX_BYTES = 1 << 30 if IN_PYODIDE else 1 << 32
#: Most bytes deflate can give per compressed byte (zlib's own bound is about 1032:1).
MAX_DEFLATE_RATIO = 1032


def source_name(source: Any, name: str | None = None) -> str:
    """How errors name ``source``: the given ``name``, a path or URL, a file object's or a
    browser ``File``'s name, else ``<kind>`` (``<bytes>``, ``<Blob>``, ``<generator>``...).

    >>> source_name("data/a.csv"), source_name(b"x"), source_name(iter([b"x"]), "upload")
    ('data/a.csv', '<bytes>', 'upload')
    """
    if name is not None:
        return name
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    file_name = getattr(source, "name", None)
    if isinstance(file_name, str) and file_name:
        return file_name
    # A JavaScript object's kind is its constructor's name (Blob, ReadableStream, Response).
    js_kind = getattr(getattr(source, "constructor", None), "name", None) if is_js(source) else None
    return f"<{js_kind if isinstance(js_kind, str) else type(source).__name__}>"


def _open(source: Any, name: str) -> IO[bytes]:
    try:
        return open(source, "rb")
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{name}: is a directory, not a file") from None
    except PermissionError:
        raise SourceError(f"{name}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot open: {exc.strerror or exc}") from None


def iter_chunks(
    source: Source, chunk_size: int = CHUNK_SIZE, name: str | None = None
) -> Iterator[bytes]:
    """The bytes of ``source`` in chunks of at most ``chunk_size``."""
    label = source_name(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source).cast("B")
        for start in range(0, len(view), chunk_size):
            yield view[start : start + chunk_size].tobytes()
        return
    if isinstance(source, (str, os.PathLike)):
        with _open(source, label) as f:
            yield from _read_file(f, chunk_size, label)
        return
    if not hasattr(source, "read"):
        raise DataTypeError(
            f"cannot read from a {type(source).__name__}; give a path, a binary file or bytes"
        )
    yield from _read_file(source, chunk_size, label)


def read_chunk(f: IO[bytes], n: int, label: str) -> bytes:
    """``f.read(n)``, with a failed read a :class:`~torsh_data.SourceError` and a text-mode
    file a :class:`~torsh_data.DataTypeError` that says to open it with ``'rb'``."""
    try:
        chunk = f.read(n)
    except OSError as exc:
        raise SourceError(f"{label}: read failed: {exc}") from None
    if isinstance(chunk, str):
        raise DataTypeError(f"{label} is a text file object; open it in binary mode ('rb')")
    return chunk


def _read_file(f: IO[bytes], chunk_size: int, label: str) -> Iterator[bytes]:
    while chunk := read_chunk(f, chunk_size, label):
        yield chunk


def read_bytes(source: Source, name: str | None = None, max_bytes: int | None = None) -> bytes:
    """All of ``source`` as bytes (a path is read once; bytes are returned as they are)."""
    label = source_name(source, name)
    if isinstance(source, bytes) and max_bytes is None:
        return source
    out = io.BytesIO()
    for chunk in iter_chunks(source, name=label):
        out.write(chunk)
        if max_bytes is not None and out.tell() > max_bytes:
            raise FormatError(f"larger than the {max_bytes}-byte limit", source=label)
    return out.getvalue()


class IncrementalReader(Generic[R]):
    """Base of readers that parse a byte stream chunk by chunk."""

    def __init__(self, name: str = "<bytes>") -> None:
        self.name = name

    def feed(self, chunk: bytes) -> list[R]:
        """Take the next bytes; return the records they complete."""
        raise NotImplementedError

    def close(self) -> list[R]:
        """End of data: return the last records, or raise if the data stopped mid-record."""
        raise NotImplementedError


def read_records(
    reader: IncrementalReader[R], source: Source, chunk_size: int = CHUNK_SIZE
) -> Iterator[R]:
    """Feed ``source`` to ``reader`` chunk by chunk, yielding records as they complete."""
    for chunk in iter_chunks(source, chunk_size, name=reader.name):
        yield from reader.feed(chunk)
    yield from reader.close()


class GzipDecoder:
    """Incremental gzip (or zlib with ``wbits``) decompression with a cap on total output.

    ``feed(chunk)`` returns all the output of ``chunk``; ``feed(chunk, limit)`` at most
    ``limit`` bytes, keeping the rest of the input (:attr:`pending` says whether output is
    left; ``feed(b"", limit)`` continues), so a caller inflates only what it wants.

    >>> import gzip
    >>> d = GzipDecoder("x.gz", max_bytes=100)
    >>> d.feed(gzip.compress(b"hello"), 2), d.pending, d.feed(b"") + d.close()
    (b'he', True, b'llo')
    """

    def __init__(
        self, name: str, max_bytes: int = DEFAULT_MAX_BYTES, wbits: int = 16 + zlib.MAX_WBITS
    ) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self._d = zlib.decompressobj(wbits)
        self._out = 0
        self._in = 0
        self._tail = b""  # input kept back by a limited feed
        self._more = False  # a limited feed stopped with output possibly left in zlib

    @property
    def size(self) -> int:
        """Bytes of output so far."""
        return self._out

    @property
    def pending(self) -> bool:
        """Whether a limited :meth:`feed` left output to come from input already given."""
        return bool(self._tail) or self._more

    def feed(self, chunk: bytes, limit: int | None = None) -> bytes:
        parts = []
        data = self._tail + chunk if self._tail else chunk
        want = sys.maxsize if limit is None else limit
        got, more = 0, self._more
        while (data or more) and got < want:
            # NOTE [wasm32]: zlib's max_length is a C ssize_t, 2**31 - 1 in Pyodide.
            room = min(self.max_bytes - self._out + 1, want - got, sys.maxsize)
            try:
                part = self._d.decompress(data, room)
            except zlib.error as exc:
                raise FormatError(
                    f"corrupt compressed data ({exc})", source=self.name, offset=self._in
                ) from None
            self._account(part)
            parts.append(part)
            got += len(part)
            more = len(part) == room  # zlib may hold output back for want of room
            if self._d.eof:
                more = False
                rest = self._d.unused_data
                if rest.strip(b"\0"):
                    # Concatenated gzip members are legal: continue with a fresh decoder.
                    self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    continue
                data = b""
                break
            data = self._d.unconsumed_tail
        self._tail, self._more = data, more
        self._in += len(chunk)
        return b"".join(parts)

    def _account(self, part: bytes) -> None:
        self._out += len(part)
        if self._out > self.max_bytes:
            raise FormatError(
                f"decompresses to more than {self.max_bytes} bytes (a decompression bomb?); "
                "raise max_bytes if the data is genuine",
                source=self.name,
            )

    def close(self) -> bytes:
        out = self.feed(b"") if self.pending else b""
        tail = self._d.flush()
        self._account(tail)
        if not self._d.eof:
            raise FormatError("compressed data is truncated", source=self.name, offset=self._in)
        return out + tail if tail else out


class GzipReader:
    """A file-like ``read(n)`` over a gzip stream given as chunks, inflating only what is read.

    ``close()`` reads the rest of the input and checks the stream's end (CRC and length);
    ``read`` gives ``b""`` at the end of the input.

    >>> import gzip
    >>> r = GzipReader(iter([gzip.compress(b"abcdef")]), "x.gz")
    >>> r.read(2), r.read(10), r.read(1), r.close()
    (b'ab', b'cdef', b'', None)
    """

    def __init__(
        self, chunks: Iterator[bytes], name: str, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.name = name
        self._chunks = chunks
        self._d = GzipDecoder(name, max_bytes)
        self.exhausted = False  # the input has ended

    def read(self, n: int) -> bytes:
        d = self._d
        while True:
            if d.pending:
                out = d.feed(b"", n)
            else:
                chunk = next(self._chunks, None)
                if chunk is None:
                    self.exhausted = True
                    return b""
                out = d.feed(chunk, n)
            if out:
                return out

    def close(self) -> None:
        for chunk in self._chunks:
            if self._d.feed(chunk, 1):
                raise FormatError("trailing data after the expected content", source=self.name)
        if self._d.close():
            raise FormatError("trailing data after the expected content", source=self.name)


def inflated_bound(packed: int) -> int:
    """The most bytes ``packed`` bytes of deflate (gzip, zlib or a zip member) can give."""
    return MAX_DEFLATE_RATIO * packed + 64


def is_gzip(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a source) starts with gzip's magic number.

    >>> is_gzip(b"\\x1f\\x8b\\x08"), is_gzip(b"a,b\\n")
    (True, False)
    """
    return head[:2] == b"\x1f\x8b"
