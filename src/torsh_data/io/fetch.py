"""Download bytes over HTTP(S), with the same API natively and in the browser.

:func:`fetch_bytes` returns the whole body; :func:`iter_fetch` yields it in chunks. Both are
``async``: natively the blocking ``urllib`` calls run in a worker thread
(``asyncio.to_thread``), in Pyodide the JavaScript ``fetch`` is awaited, so the same code runs
on both runtimes (the transport is chosen once, by :mod:`torsh_data._runtime`).

What both give:

- ``progress(done, total)`` after each chunk; ``done`` only grows; ``total`` is None until the
  size is known (``Content-Length`` or ``Content-Range``).
- ``timeout``: seconds for the whole request, every attempt and wait included
  (:class:`FetchTimeoutError`). For :func:`iter_fetch` the clock runs while the caller holds a
  chunk too.
- ``cancel``: any object with ``is_set()`` (``asyncio.Event``, ``threading.Event``,
  :class:`CancelToken`) or a ``cancelled`` attribute; when set, the request is aborted
  (``AbortController.abort()`` in the browser) and :class:`FetchCancelledError` raised.
- ``retries`` with exponential ``backoff`` (``backoff * 2**n`` seconds) on network errors and on
  408/429/5xx, honouring ``Retry-After`` (at most 60 s, never past the deadline).
- ``byte_range=(start, end)``: the half-open span ``[start, end)`` (``end=None``: to the end),
  sent as ``Range``; a server that ignores ranges is handled by slicing its full answer.
- Resume: when the connection drops mid-body the next attempt asks for ``Range:
  bytes=<got>-`` (with ``If-Range`` when the server gave a strong ``ETag`` or a
  ``Last-Modified``) and checks the ``206``'s ``Content-Range``.
- ``sha256``: the hex digest the body must have (:class:`IntegrityError`, a ``SourceError``;
  :func:`iter_fetch` raises it after the last chunk, so trust chunks only once it ends).
- ``cache``: a :class:`~torsh_data.io.Cache`; a hit (verified, and matching ``sha256`` when
  given) is returned without a request; a miss is stored after a verified download (a
  cache that cannot store it, e.g. an entry larger than its ``max_bytes``, is skipped).
- ``info`` (:func:`iter_fetch`): a dict given ``info["content_type"]``, the response's
  ``Content-Type`` (or None), once its headers are in, before the first chunk: a caller
  learns the type from the download itself, with no request of its own. With ``cache``, the
  type is stored beside the body and given back on a hit, so it holds offline too.
- ``credentials`` (browser): ``"same-origin"`` by default, so cookies and HTTP auth never go
  to another origin unless ``"include"``; natively nothing is sent but ``headers``.
- ``expect``: what the body should be, e.g. ``"csv data"`` (default ``"data"``). An HTML page
  instead (``Content-Type: text/html``, or a body starting with ``<!doctype html`` or
  ``<html``, any case, after a byte order mark and white space) raises
  :class:`HTMLResponseError` naming the URL, the type, the page's title and ``expect``: a
  sign-in page or a CDN's error page sent with status 200 never passes for data.
  ``expect=None`` downloads whatever comes. Every URL read by torsh-data (datasets, shards,
  manifests, the JavaScript package) comes through here.

>>> import asyncio
>>> asyncio.run(fetch_bytes("http://127.0.0.1:9/x", retries=0))  # nothing listens on port 9
Traceback (most recent call last):
...
torsh_data.io.NetworkError: http://127.0.0.1:9/x: the request failed: ...
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

from .._errors import DataTypeError, DataValueError, SourceError
from .._runtime import IN_PYODIDE
from ._http import (
    SNIFF_BYTES,
    FetchCancelledError,
    FetchTimeoutError,
    HTTPError,
    IntegrityError,
    NetworkError,
    content_range,
    html_error,
    html_page,
    is_retryable_status,
    retry_after,
)

__all__ = ["CancelToken", "fetch_bytes", "iter_fetch"]

T = TypeVar("T")
Progress = Callable[[int, "int | None"], Any]
#: How often a pending step looks at its cancel token, in seconds.
POLL = 0.05
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_CREDENTIALS = ("omit", "same-origin", "include")
_open_response: Any = None


def _transport() -> Any:
    global _open_response
    if _open_response is None:
        if IN_PYODIDE:
            from . import _fetch_browser as transport
        else:
            from . import _fetch_native as transport  # type: ignore[no-redef]
        _open_response = transport.open_response
    return _open_response


class CancelToken:
    """A flag that cancels the requests it is given to.

    >>> token = CancelToken()
    >>> token.cancel()
    >>> token.is_set()
    True
    """

    def __init__(self) -> None:
        self._set = False

    def cancel(self) -> None:
        """Cancel every request holding this token."""
        self._set = True

    def is_set(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._set


def _cancelled(cancel: Any) -> bool:
    is_set = getattr(cancel, "is_set", None)
    if callable(is_set):
        return bool(is_set())
    return bool(getattr(cancel, "cancelled", False))


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # abandoned after a timeout or cancel: nobody else will look


class _Request:
    """One logical request: its deadline, cancel token and what aborts it."""

    def __init__(self, url: str, timeout: float | None, cancel: Any) -> None:
        self.url, self.timeout, self.cancel = url, timeout, cancel
        self.loop = asyncio.get_running_loop()
        self.deadline = None if timeout is None else self.loop.time() + timeout
        self.aborts: list[Callable[[], Any]] = []

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.loop.time()

    def _abort(self) -> None:
        for abort in self.aborts:
            try:
                abort()
            except Exception:
                pass

    async def guard(self, aw: Awaitable[T]) -> T:
        """Await ``aw`` unless the deadline passes or the token is set first."""
        if self.deadline is None and self.cancel is None:
            return await aw
        task = asyncio.ensure_future(aw)
        try:
            while True:
                if self.cancel is not None and _cancelled(self.cancel):
                    raise FetchCancelledError(self.url, "cancelled")
                left = self.remaining()
                if left is not None and left <= 0:
                    raise FetchTimeoutError(self.url, f"timed out after {self.timeout} s")
                step = POLL if self.cancel is not None else left
                if left is not None and step is not None:
                    step = min(step, left)
                done, _ = await asyncio.wait({task}, timeout=step)
                if done:
                    return task.result()
        finally:
            if not task.done():
                self._abort()
                task.cancel()
                task.add_done_callback(_consume)


class _Retry(Exception):
    def __init__(self, error: SourceError, wait: float | None) -> None:
        self.error, self.wait = error, wait


def _check_args(
    url: str, retries: int, backoff: float, byte_range: Any, sha256: str | None, credentials: str
) -> tuple[int, int | None]:
    if not isinstance(url, str) or not url:
        raise DataTypeError(f"url must be a non-empty str, not {url!r}")
    if not isinstance(retries, int) or retries < 0:
        raise DataValueError(f"retries must be an int >= 0, not {retries!r}")
    if backoff < 0:
        raise DataValueError(f"backoff must be >= 0, not {backoff!r}")
    if sha256 is not None and not _SHA256.fullmatch(sha256):
        raise DataValueError(f"sha256 must be 64 hex digits, not {sha256!r}")
    if credentials not in _CREDENTIALS:
        raise DataValueError(f"credentials must be one of {_CREDENTIALS}, not {credentials!r}")
    if byte_range is None:
        return 0, None
    start, end = byte_range
    if start < 0 or (end is not None and end < start):
        raise DataValueError(
            f"byte_range must be (start, end) with 0 <= start <= end: {byte_range}"
        )
    return int(start), None if end is None else int(end)


async def _stream(
    url: str,
    headers: Mapping[str, str] | None,
    timeout: float | None,
    retries: int,
    backoff: float,
    progress: Progress | None,
    cancel: Any,
    span: tuple[int, int | None],
    sha256: str | None,
    credentials: str,
    chunk_size: int,
    expect: str | None,
    info: dict[str, Any] | None = None,
) -> AsyncGenerator[bytes, None]:
    """The body of ``url`` (or of its span) in chunks, with retries and resume."""
    req = _Request(url, timeout, cancel)
    open_response = _transport()
    start, end = span
    total = None if end is None else end - start
    got, failures, validator = 0, 0, None
    digest = hashlib.sha256()
    if total == 0:
        return
    while True:
        pos = start + got
        hdrs = {"Accept-Encoding": "identity", **(headers or {})}
        if pos or end is not None:
            hdrs["Range"] = f"bytes={pos}-{'' if end is None else end - 1}"
            if got and validator:
                hdrs["If-Range"] = validator
        req.aborts = []
        resp = None
        try:
            left = req.remaining()
            resp = await req.guard(
                open_response(
                    url, hdrs, credentials=credentials, timeout=left, abort_hook=req.aborts
                )
            )
            req.aborts.append(resp.abort)
            status = resp.status
            if is_retryable_status(status):
                raise _Retry(HTTPError(url, status), retry_after(resp.header("Retry-After")))
            if status == 206:
                cr = content_range(resp.header("Content-Range"))
                if cr is None or cr[0] != pos:
                    raise HTTPError(
                        url,
                        206,
                        f"Content-Range {resp.header('Content-Range')!r} "
                        f"does not start at byte {pos}",
                    )
                skip = 0
                if cr[2] is not None:  # a span past the end is cut, like a slice
                    total = cr[2] - start if total is None else min(total, cr[2] - start)
            elif status == 200:
                tag = resp.header("ETag") or resp.header("Last-Modified")
                if got and validator and tag != validator:
                    raise SourceError(f"{url}: the resource changed while it was downloading")
                skip = pos
                length = resp.header("Content-Length")
                encoding = (resp.header("Content-Encoding") or "identity").strip().lower()
                if encoding != "identity":
                    # a browser cannot refuse compression (Accept-Encoding is not ours to
                    # set) and hands over the decoded body: the length is the compressed one
                    length = None
                if length is not None and length.isascii() and length.isdigit():
                    size = max(0, int(length) - start)
                    total = size if total is None else min(total, size)
            elif status == 416 and _past_end(resp.header("Content-Range"), pos):
                break  # the span starts at or past the end: nothing more, like a slice
            else:
                raise HTTPError(url, status)
            if validator is None:
                tag = resp.header("ETag")
                validator = (tag if tag and not tag.startswith("W/") else None) or resp.header(
                    "Last-Modified"
                )
            if info is not None:
                info["content_type"] = resp.header("Content-Type")
            # the body is looked at only where it starts at the resource's first byte
            body_start = status == 200 or pos == 0
            head = [] if expect is None else await _sniff(req, resp, chunk_size, expect, body_start)
            while total is None or got < total:
                chunk = head.pop(0) if head else await req.guard(resp.read(chunk_size))
                if not chunk:
                    break
                if skip:
                    dropped = min(skip, len(chunk))
                    chunk, skip = chunk[dropped:], skip - dropped
                if total is not None:
                    chunk = chunk[: total - got]
                if chunk:
                    got += len(chunk)
                    digest.update(chunk)
                    if progress is not None:
                        progress(got, total)
                    yield chunk
            if total is not None and got < total:
                raise NetworkError(url, f"the body ended after {got} of {total} bytes")
            break
        except (_Retry, NetworkError) as e:
            error, wait = (e.error, e.wait) if isinstance(e, _Retry) else (e, None)
            if failures >= retries:
                raise (_after(error, failures + 1) if retries else error) from None
            failures += 1
            wait = backoff * 2 ** (failures - 1) if wait is None else wait
            left = req.remaining()
            if left is not None and wait >= left:
                raise FetchTimeoutError(
                    url, f"timed out after {timeout} s (last error: {error})"
                ) from None
            await req.guard(asyncio.sleep(wait))
        finally:
            if resp is not None:
                resp.close()
    if sha256 is not None and digest.hexdigest() != sha256.lower():
        raise IntegrityError(
            url, f"sha256 mismatch: expected {sha256.lower()}, got {digest.hexdigest()}"
        )


async def _sniff(
    req: _Request, resp: Any, chunk_size: int, expect: str, body_start: bool
) -> list[bytes]:
    """The first chunks of ``resp``'s body, read until :func:`html_page` can tell (only its
    ``Content-Type`` unless ``body_start``); raises :class:`HTMLResponseError` for a page."""
    ctype = resp.header("Content-Type")
    chunks: list[bytes] = []
    head = b""
    verdict = html_page(ctype, head, complete=not body_start)
    while verdict is None:
        chunk = await req.guard(resp.read(chunk_size))
        if chunk:
            chunks.append(chunk)
            head += chunk[:SNIFF_BYTES]
        verdict = html_page(ctype, head, complete=not chunk)
    if verdict:
        while len(head) < SNIFF_BYTES:  # a little more, for the page's title
            chunk = await req.guard(resp.read(SNIFF_BYTES))
            if not chunk:
                break
            head += chunk
        raise html_error(req.url, ctype, head, expect)
    return chunks


def _after(error: SourceError, attempts: int) -> SourceError:
    """The same error, its message saying how many attempts were made."""
    note = f"after {attempts} attempts"
    if isinstance(error, HTTPError):
        detail = f"{error.detail}; {note}" if error.detail else note
        return HTTPError(error.url, error.status, detail)
    if isinstance(error, NetworkError):
        return NetworkError(error.url, f"{error.reason} ({note})")
    return error


def _past_end(value: str | None, pos: int) -> bool:
    m = re.fullmatch(r"\s*bytes\s+\*/(\d+)\s*", value or "", re.ASCII)
    return m is not None and pos >= int(m.group(1))


def _cache_key(url: str, span: tuple[int, int | None]) -> str:
    if span == (0, None):
        return url
    return f"{url}#bytes={span[0]}-{'' if span[1] is None else span[1]}"


def _type_key(key: str) -> str:
    """The cache key of the ``Content-Type`` of the body stored under ``key``."""
    return f"{key}#content-type"


async def _cached(cache: Any, key: str, sha256: str | None) -> bytes | None:
    if cache is None:
        return None
    data: bytes | None = await cache.get(key)
    if (
        data is not None
        and sha256 is not None
        and hashlib.sha256(data).hexdigest() != sha256.lower()
    ):
        return None
    return data


async def _store(cache: Any, key: str, data: bytes) -> None:
    if cache is not None:
        try:
            await cache.put(key, data)
        except SourceError:
            pass  # a cache that cannot hold it does not fail the download


async def iter_fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    progress: Progress | None = None,
    cancel: Any = None,
    byte_range: tuple[int, int | None] | None = None,
    sha256: str | None = None,
    cache: Any = None,
    credentials: str = "same-origin",
    chunk_size: int = 1 << 16,
    expect: str | None = "data",
    info: dict[str, Any] | None = None,
) -> AsyncIterator[bytes]:
    """Yield the body of ``url`` in chunks of at most ``chunk_size`` bytes.

    Arguments are those of :func:`fetch_bytes` (see the module docstring). With ``cache``, the
    chunks are also kept in memory to store the whole body once it is verified. ``info``: a
    dict that receives ``"content_type"`` before the first chunk (from the cache on a hit).

    Raises:
        HTTPError, NetworkError, CORSError, IntegrityError, FetchTimeoutError,
        FetchCancelledError, HTMLResponseError: all subclasses of
        :class:`~torsh_data.SourceError`.
    """
    if chunk_size <= 0:
        raise DataValueError(f"chunk_size must be > 0, not {chunk_size}")
    if expect is not None and not isinstance(expect, str):
        raise DataTypeError(f"expect must be a str or None, not {expect!r}")
    span = _check_args(url, retries, backoff, byte_range, sha256, credentials)
    key = _cache_key(url, span)
    hit = await _cached(cache, key, sha256)
    if hit is not None and expect is not None and not span[0] and html_page(None, hit):
        raise html_error(url, "none (a cached copy)", hit, expect)
    if hit is not None:
        if info is not None:
            stored = await cache.get(_type_key(key))
            info["content_type"] = stored.decode("utf-8", "replace") if stored else None
        if progress is not None:
            progress(len(hit), len(hit))
        for i in range(0, len(hit), chunk_size):
            yield hit[i : i + chunk_size]
        return
    kept: list[bytes] | None = [] if cache is not None else None
    stream = _stream(
        url,
        headers,
        timeout,
        retries,
        backoff,
        progress,
        cancel,
        span,
        sha256,
        credentials,
        chunk_size,
        expect,
        info,
    )
    try:
        async for chunk in stream:
            if kept is not None:
                kept.append(chunk)
            yield chunk
    finally:
        await stream.aclose()
    if kept is not None:
        ctype = None if info is None else info.get("content_type")
        if ctype:  # before the body: a body stored is never without its type
            await _store(cache, _type_key(key), ctype.encode())
        await _store(cache, key, b"".join(kept))


async def fetch_bytes(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    progress: Progress | None = None,
    cancel: Any = None,
    byte_range: tuple[int, int | None] | None = None,
    sha256: str | None = None,
    cache: Any = None,
    credentials: str = "same-origin",
    expect: str | None = "data",
) -> bytes:
    """Download ``url`` (or the span ``byte_range`` of it) and return its bytes.

    Args:
        url: an ``http(s)`` URL (in the browser, also a URL relative to the page).
        headers: extra request headers.
        timeout: seconds for the whole request, retries included; None for no limit.
        retries: further attempts after a network error or a 408/429/5xx.
        backoff: first wait between attempts, doubled each time (``Retry-After`` wins).
        progress: called as ``progress(done, total_or_None)`` after each chunk.
        cancel: an ``asyncio.Event``-like token (``is_set()``) or a :class:`CancelToken`.
        byte_range: ``(start, end)``, the half-open span ``[start, end)``; ``end`` may be None.
        sha256: hex digest the bytes must have, else :class:`IntegrityError`.
        cache: a :class:`~torsh_data.io.Cache` to read first and to fill.
        credentials: browser ``fetch`` credentials mode: ``"omit"``, ``"same-origin"``
            (default) or ``"include"``.
        expect: what the body should be, for the message of :class:`HTMLResponseError`
            when an HTML page comes instead; None: accept anything, pages included.

    Returns:
        The body (the span for a ``byte_range``).

    Raises:
        HTTPError: a final non-success status (``.url``, ``.status``).
        NetworkError: the connection failed on every attempt.
        CORSError: (browser) a cross-origin server sent no CORS headers.
        IntegrityError: the sha256 differs.
        FetchTimeoutError: ``timeout`` passed.
        FetchCancelledError: ``cancel`` was set.
        HTMLResponseError: an HTML page came where ``expect`` was expected.
    """
    chunks = iter_fetch(
        url,
        headers=headers,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        progress=progress,
        cancel=cancel,
        byte_range=byte_range,
        sha256=sha256,
        cache=cache,
        credentials=credentials,
        chunk_size=1 << 18,
        expect=expect,
    )
    return b"".join([chunk async for chunk in chunks])
