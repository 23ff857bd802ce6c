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

>>> import asyncio
>>> async def chunks(src):
...     return [c async for c in iter_source(src, chunk_size=4)]
>>> asyncio.run(chunks([b"hello ", bytearray(b"world")]))
[b'hell', b'o ', b'worl', b'd']
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from .._errors import DataTypeError, DataValueError, SourceError
from .._runtime import IN_BROWSER, IN_PYODIDE
from ..formats._source import iter_chunks, source_name

__all__ = ["iter_source", "sync_chunks"]

T = TypeVar("T")
DEFAULT_CHUNK_SIZE = 1 << 18
#: Seconds to wait for the next chunk of a stream before giving up.
DEFAULT_CHUNK_TIMEOUT = 120.0
_URL = re.compile(r"(?i)(https?|blob|data):")
_MEMORY = (bytes, bytearray, memoryview)


def _js_proxy_type() -> type | None:
    if not IN_PYODIDE:
        return None
    from pyodide.ffi import JsProxy  # type: ignore[import-not-found,unused-ignore]

    return JsProxy  # type: ignore[no-any-return,unused-ignore]


def _is_js(source: Any) -> bool:
    proxy = _js_proxy_type()
    return proxy is not None and isinstance(source, proxy)


def is_url(source: Any) -> bool:
    """Whether ``source`` is a URL string (``http(s)``, ``blob:``, ``data:``, or in a browser
    page a path that is no file of Pyodide's file system, i.e. a URL relative to the page)."""
    if not isinstance(source, str):
        return False
    if _URL.match(source):
        return True
    return IN_BROWSER and bool(source) and not os.path.exists(source)


def is_one_shot(source: Any) -> bool:
    """Whether ``source`` can be read only once (a stream, an iterator, a generator)."""
    if _is_js(source):
        return hasattr(source, "getReader") or hasattr(source, "body")
    if isinstance(source, (str, os.PathLike, *_MEMORY)):
        return False
    if hasattr(source, "read"):
        return not _seekable(source)
    return hasattr(source, "__next__") or hasattr(source, "__anext__")


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
    to_bytes = getattr(value, "to_bytes", None) if _is_js(value) else None
    if to_bytes is not None:
        return bytes(to_bytes())
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
        return await asyncio.wait_for(inner(), timeout)
    except asyncio.TimeoutError:
        raise SourceError(f"{label}: no data for {timeout} s (chunk_timeout)") from None


def sync_chunks(source: Any, chunk_size: int, label: str) -> Iterator[bytes] | None:
    """The chunks of a synchronously readable ``source``, or None for an async-only one."""
    if isinstance(source, _MEMORY) or hasattr(source, "read"):
        return iter_chunks(source, chunk_size, name=label)
    if isinstance(source, (str, os.PathLike)):
        return None if is_url(source) else iter_chunks(source, chunk_size, name=label)
    if _is_js(source) or isinstance(source, (dict, str)):
        return None
    if hasattr(source, "__iter__"):
        return _sync_iterable(source, chunk_size, label)
    return None


def _sync_iterable(source: Any, chunk_size: int, label: str) -> Iterator[bytes]:
    for value in source:
        yield from _split(as_bytes(value, label), chunk_size)


async def _js_blob(blob: Any, chunk_size: int, label: str) -> AsyncGenerator[bytes, None]:
    size = int(blob.size)
    for start in range(0, size, chunk_size):
        end = min(size, start + chunk_size)
        try:
            buf = await blob.slice(start, end).arrayBuffer()
        except Exception as exc:  # a JsException: the file changed or became unreadable
            raise SourceError(f"{label}: reading bytes {start}-{end} failed: {exc}") from None
        chunk = buf.to_bytes()
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
    if fetch_options and not is_url(source):
        raise DataTypeError(
            f"{label}: {sorted(fetch_options)} apply to URLs only (iter_fetch options)"
        )
    if is_url(source):
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


def _total(source: Any) -> int | None:
    if isinstance(source, _MEMORY):
        return memoryview(source).nbytes
    if isinstance(source, (str, os.PathLike)):
        try:
            return os.path.getsize(source)
        except OSError:
            return None
    if _is_js(source) and hasattr(source, "arrayBuffer") and hasattr(source, "slice"):
        return int(source.size)
    return None


async def _chunks(
    source: Any, chunk_size: int, label: str, timeout: float | None
) -> AsyncGenerator[bytes, None]:
    if _is_js(source):
        if hasattr(source, "getReader"):
            gen = _js_stream(source, chunk_size, label, timeout)
        elif hasattr(source, "arrayBuffer") and hasattr(source, "slice"):
            gen = _js_blob(source, chunk_size, label)
        elif hasattr(source, "body") and hasattr(source, "headers"):
            if source.body is None:
                return
            gen = _js_stream(source.body, chunk_size, label, timeout)
        elif hasattr(source, "to_bytes"):  # a typed array or ArrayBuffer
            for chunk in _split(source.to_bytes(), chunk_size):
                yield chunk
            return
        else:
            raise DataTypeError(f"{label}: cannot read bytes from this JavaScript object")
        try:
            async for chunk in gen:
                yield chunk
        finally:
            await gen.aclose()
        return
    if hasattr(source, "__aiter__"):
        gen = _async_iterable(source, chunk_size, label, timeout)
        try:
            async for chunk in gen:
                yield chunk
        finally:
            await gen.aclose()
        return
    chunks = sync_chunks(source, chunk_size, label)
    if chunks is None:
        raise DataTypeError(
            f"cannot read bytes from a {type(source).__name__}; give a URL, a path, a binary "
            "file, bytes, a File/Blob/ReadableStream or an (async) iterable of bytes"
        )
    for chunk in chunks:
        yield chunk
