"""One chunk iterator for every byte source: URLs, paths, files, Blobs, streams, iterables.

:func:`iter_source` yields ``bytes`` chunks of at most ``chunk_size`` bytes from

- a URL string (``http(s)://``; in a browser page also a relative URL): through
  :func:`~torsh_data.io.iter_fetch`, whose options (``timeout``, ``retries``, ``cache``,
  ``sha256``, ``headers``, ...) it passes on;
- a local path (``str`` or ``os.PathLike``), a binary file object, or bytes in memory;
- in Pyodide, a browser ``File``/``Blob`` (read one ``blob.slice(a, b).arrayBuffer()`` at a
  time, so a file larger than memory streams), a JavaScript ``ReadableStream`` (its reader;
  cancelled when the consumer stops early) or a ``Response`` (its body);
- any async or sync iterable of bytes-like chunks (``bytes``, ``bytearray``, ``memoryview``,
  a JavaScript ``Uint8Array``/``ArrayBuffer``).

Waiting for the next chunk of a stream or async iterable is bounded by ``chunk_timeout``
seconds (:class:`~torsh_data.SourceError` after it), so a stalled producer cannot hang the
consumer. :func:`sync_chunks` gives the chunks of the sources that can be read synchronously.

Each kind of source is one entry of :data:`SOURCE_KINDS` (webdataset's ``{scheme: opener}``
table): how to recognise it, how to read it (async, and sync when it can be), its size when
known and whether it can be read only once. A new kind of source is one more entry.

>>> import asyncio
>>> async def chunks(src):
...     return [c async for c in iter_source(src, chunk_size=4)]
>>> asyncio.run(chunks([b"hello ", bytearray(b"world")]))
[b'hell', b'o ', b'worl', b'd']
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import aclosing
from typing import Any, NamedTuple, TypeVar

from .._errors import DataTypeError, DataValueError, SourceError
from .._ffi import is_js as _is_js
from .._ffi import to_bytes
from .._runtime import wait_for
from ..formats import iter_chunks, source_name
from ._urls import is_remote

__all__ = ["iter_source", "sync_chunks"]

T = TypeVar("T")
DEFAULT_CHUNK_SIZE = 1 << 18
#: Seconds to wait for the next chunk of a stream before giving up.
DEFAULT_CHUNK_TIMEOUT = 120.0
_MEMORY = (bytes, bytearray, memoryview)


def is_one_shot(source: Any) -> bool:
    """Whether ``source`` can be read only once (a stream, an iterator, a generator)."""
    kind = source_kind(source)
    return kind is not None and kind.one_shot(source)


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable())
    except Exception:
        return False


def as_bytes(value: Any, label: str) -> bytes:
    """A chunk as ``bytes``: bytes-like values and JavaScript typed arrays/ArrayBuffers."""
    if type(value) is bytes:
        return value
    if isinstance(value, _MEMORY):
        try:
            return memoryview(value).cast("B").tobytes()
        except TypeError:
            return bytes(value)
    if _is_js(value) and hasattr(value, "to_bytes"):
        return to_bytes(value)
    what = "str (encode text first)" if isinstance(value, str) else type(value).__name__
    raise DataTypeError(f"{label}: a chunk must be bytes-like, not {what}")


def _split(chunk: bytes, size: int) -> Iterator[bytes]:
    if len(chunk) <= size:
        if chunk:
            yield chunk
        return
    view = memoryview(chunk)
    for i in range(0, len(chunk), size):
        yield view[i : i + size].tobytes()


async def _wait(aw: Awaitable[T], timeout: float | None, label: str) -> T:
    if timeout is None:
        return await aw

    async def inner() -> T:
        return await aw

    try:
        return await wait_for(inner(), timeout)
    except asyncio.TimeoutError:
        raise SourceError(f"{label}: no data for {timeout} s (chunk_timeout)") from None


def sync_chunks(source: Any, chunk_size: int, label: str) -> Iterator[bytes] | None:
    """The chunks of a synchronously readable ``source``, or None for an async-only one."""
    kind = source_kind(source)
    return None if kind is None or kind.sync is None else kind.sync(source, chunk_size, label)


def _sync_iterable(source: Any, chunk_size: int, label: str) -> Iterator[bytes]:
    for value in source:
        yield from _split(as_bytes(value, label), chunk_size)


async def _js_blob(
    blob: Any, chunk_size: int, label: str, _timeout: float | None = None
) -> AsyncGenerator[bytes, None]:
    size = int(blob.size)
    for start in range(0, size, chunk_size):
        end = min(size, start + chunk_size)
        try:
            buf = await blob.slice(start, end).arrayBuffer()
        except Exception as exc:  # a JsException: the file changed or became unreadable
            raise SourceError(f"{label}: reading bytes {start}-{end} failed: {exc}") from None
        chunk = to_bytes(buf)
        if len(chunk) != end - start:
            raise SourceError(f"{label}: the file changed while it was read")
        yield chunk


async def _js_stream(
    stream: Any, chunk_size: int, label: str, timeout: float | None
) -> AsyncGenerator[bytes, None]:
    try:
        reader = stream.getReader()
    except Exception as exc:
        raise SourceError(
            f"{label}: cannot read the stream ({exc}); a ReadableStream can be read only once"
        ) from None
    done = False
    try:
        while True:
            try:
                result = await _wait(reader.read(), timeout, label)
            except SourceError:
                raise
            except Exception as exc:
                raise SourceError(f"{label}: the stream failed: {exc}") from None
            if result.done:
                done = True
                return
            for chunk in _split(as_bytes(result.value, label), chunk_size):
                yield chunk
    finally:
        if not done:
            try:
                await _wait(reader.cancel(), 5.0, label)
            except Exception:
                pass
        try:
            reader.releaseLock()
        except Exception:
            pass


async def _async_iterable(
    source: Any, chunk_size: int, label: str, timeout: float | None
) -> AsyncGenerator[bytes, None]:
    it = source.__aiter__()
    try:
        while True:
            try:
                value = await _wait(it.__anext__(), timeout, label)
            except StopAsyncIteration:
                return
            for chunk in _split(as_bytes(value, label), chunk_size):
                yield chunk
    finally:
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            await aclose()


async def iter_source(
    source: Any,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_timeout: float | None = DEFAULT_CHUNK_TIMEOUT,
    progress: Callable[[int, int | None], Any] | None = None,
    name: str | None = None,
    **fetch_options: Any,
) -> AsyncGenerator[bytes, None]:
    """Yield the bytes of ``source`` in chunks of at most ``chunk_size`` bytes.

    Args:
        source: a URL, a path, a binary file object, bytes, a browser ``File``/``Blob``,
            ``ReadableStream`` or ``Response``, or an (async) iterable of bytes-like chunks.
        chunk_size: the largest chunk yielded (larger chunks of a stream are cut).
        chunk_timeout: seconds to wait for each chunk of a stream or async iterable (None:
            no limit); URLs use ``timeout=`` of :func:`~torsh_data.io.iter_fetch` instead.
        progress: called as ``progress(done, total_or_None)`` after each chunk.
        name: how errors name the source (default: :func:`~torsh_data.formats.source_name`).
        **fetch_options: for a URL, passed to :func:`~torsh_data.io.iter_fetch`.

    Raises:
        SourceError: the source cannot be read, a stream failed or stalled.
        DataTypeError: ``source`` is none of the above, or a chunk is not bytes-like.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise DataValueError(f"chunk_size must be an int > 0, not {chunk_size!r}")
    label = source_name(source, name)
    remote = is_remote(source)
    if fetch_options and not remote:
        raise DataTypeError(
            f"{label}: {sorted(fetch_options)} apply to URLs only (iter_fetch options)"
        )
    if remote:
        from .fetch import iter_fetch

        fetched = iter_fetch(source, chunk_size=chunk_size, progress=progress, **fetch_options)
        try:
            async for chunk in fetched:
                yield chunk
        finally:
            await fetched.aclose()  # type: ignore[attr-defined,unused-ignore]
        return
    total = _total(source)
    done = 0
    # NOTE [ Closing async generators ]: every inner generator is closed explicitly when
    # the consumer stops early, so a stream's reader is cancelled and released at once;
    # Pyodide's event loop does not finalise abandoned async generators as asyncio.run does.
    chunks = _chunks(source, chunk_size, label, chunk_timeout)
    try:
        async for chunk in chunks:
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            yield chunk
    finally:
        await chunks.aclose()


async def _chunks(
    source: Any, chunk_size: int, label: str, timeout: float | None
) -> AsyncGenerator[bytes, None]:
    kind = source_kind(source)
    if kind is None or kind.read is None:
        raise DataTypeError(
            f"cannot read bytes from a {type(source).__name__}; give a URL, a path, a binary "
            "file, bytes, a File/Blob/ReadableStream or an (async) iterable of bytes"
        )
    async with aclosing(kind.read(source, chunk_size, label, timeout)) as chunks:
        async for chunk in chunks:
            yield chunk


def _total(source: Any) -> int | None:
    kind = source_kind(source)
    return None if kind is None else kind.total(source)


# --- the table of byte sources ------------------------------------------------------------
Opener = Callable[[Any, int, str, "float | None"], AsyncGenerator[bytes, None]]
SyncOpener = Callable[[Any, int, str], Iterator[bytes]]


def _unknown_size(_source: Any) -> int | None:
    return None


def _never(_source: Any) -> bool:
    return False


def _always(_source: Any) -> bool:
    return True


class SourceKind(NamedTuple):
    """One kind of byte source: how to recognise it and how to read it.

    Attributes:
        kind: what it is called (``"path"``, ``"ReadableStream"``, ...).
        test: whether a source is of this kind (the first matching entry wins).
        read: ``read(source, chunk_size, label, chunk_timeout)``, an async iterator of
            chunks; None for a URL, which :func:`iter_source` hands to ``iter_fetch``.
        sync: ``sync(source, chunk_size, label)``, an iterator of chunks, for a source read
            synchronously; None for one that can only be read asynchronously.
        total: its size in bytes when known up front, else None.
        one_shot: whether it can be read only once.
    """

    kind: str
    test: Callable[[Any], bool]
    read: Opener | None
    sync: SyncOpener | None = None
    total: Callable[[Any], int | None] = _unknown_size
    one_shot: Callable[[Any], bool] = _never


def _file_chunks(source: Any, chunk_size: int, label: str) -> Iterator[bytes]:
    return iter_chunks(source, chunk_size, name=label)


def _read_sync(sync: SyncOpener) -> Opener:
    async def read(
        source: Any, chunk_size: int, label: str, _timeout: float | None
    ) -> AsyncGenerator[bytes, None]:
        for chunk in sync(source, chunk_size, label):
            yield chunk

    return read


def _path_size(source: Any) -> int | None:
    try:
        return os.path.getsize(source)
    except OSError:
        return None


async def _js_response(
    response: Any, chunk_size: int, label: str, timeout: float | None
) -> AsyncGenerator[bytes, None]:
    if response.body is None:
        return
    async with aclosing(_js_stream(response.body, chunk_size, label, timeout)) as chunks:
        async for chunk in chunks:
            yield chunk


async def _js_buffer(
    buffer: Any, chunk_size: int, _label: str, _timeout: float | None
) -> AsyncGenerator[bytes, None]:
    for chunk in _split(to_bytes(buffer), chunk_size):
        yield chunk


async def _js_unknown(
    _source: Any, _chunk_size: int, label: str, _timeout: float | None
) -> AsyncGenerator[bytes, None]:
    raise DataTypeError(f"{label}: cannot read bytes from this JavaScript object")
    yield b""  # pragma: no cover  (makes this an async generator)


def _is_blob(source: Any) -> bool:
    return _is_js(source) and hasattr(source, "arrayBuffer") and hasattr(source, "slice")


def _is_file_object(source: Any) -> bool:
    return hasattr(source, "read")


def _is_sync_iterable(source: Any) -> bool:
    return hasattr(source, "__iter__") and not isinstance(source, (dict, str))


#: The kinds of byte source, tried in order: JavaScript objects before the Python protocols
#: (a ``JsProxy`` may also look iterable), async iteration before ``read`` (an async stream
#: may have both), a binary file before iteration (a file iterates over lines).
SOURCE_KINDS: tuple[SourceKind, ...] = (
    SourceKind(
        "bytes",
        lambda s: isinstance(s, _MEMORY),
        _read_sync(_file_chunks),
        _file_chunks,
        total=lambda s: memoryview(s).nbytes,
    ),
    SourceKind("URL", is_remote, None),
    SourceKind(
        "path",
        lambda s: isinstance(s, (str, os.PathLike)),
        _read_sync(_file_chunks),
        _file_chunks,
        total=_path_size,
    ),
    SourceKind(
        "ReadableStream",
        lambda s: _is_js(s) and hasattr(s, "getReader"),
        _js_stream,
        one_shot=_always,
    ),
    SourceKind("Blob", _is_blob, _js_blob, total=lambda s: int(s.size)),
    SourceKind(
        "Response",
        lambda s: _is_js(s) and hasattr(s, "body") and hasattr(s, "headers"),
        _js_response,
        one_shot=_always,
    ),
    SourceKind("ArrayBuffer", lambda s: _is_js(s) and hasattr(s, "to_bytes"), _js_buffer),
    SourceKind("JavaScript object", _is_js, _js_unknown),
    SourceKind(
        "async iterable",
        lambda s: hasattr(s, "__aiter__"),
        _async_iterable,
        one_shot=lambda s: hasattr(s, "__anext__"),
    ),
    SourceKind(
        "file",
        _is_file_object,
        _read_sync(_file_chunks),
        _file_chunks,
        one_shot=lambda s: not _seekable(s),
    ),
    SourceKind(
        "iterable",
        _is_sync_iterable,
        _read_sync(_sync_iterable),
        _sync_iterable,
        one_shot=lambda s: hasattr(s, "__next__"),
    ),
)


def source_kind(source: Any) -> SourceKind | None:
    """The first entry of :data:`SOURCE_KINDS` that ``source`` is, or None."""
    for kind in SOURCE_KINDS:
        if kind.test(source):
            return kind
    return None
