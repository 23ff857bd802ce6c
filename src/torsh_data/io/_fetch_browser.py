"""The Pyodide HTTP transport: the JavaScript ``fetch`` (browser page, worker or Node.js).

Imported only inside Pyodide (by :mod:`torsh_data.io.fetch`, through :mod:`torsh_data._runtime`).
Each request has its own ``AbortController``; timeouts and cancellation call ``abort()``.

A ``TypeError: Failed to fetch`` on a cross-origin URL is told apart: a second, ``no-cors``
request that succeeds proves the server answered and the browser withheld the response, so
the error is a :class:`CORSError` naming the header the server must send; otherwise it is a
:class:`NetworkError` (retried like any network failure).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from .._ffi import js_exception, js_object, to_bytes
from .._runtime import js_module
from ._http import CORSError, NetworkError

__all__ = ["BrowserResponse", "open_response"]


def _js_error_text(e: BaseException) -> str:
    name = getattr(e, "name", None) or type(e).__name__
    message = getattr(e, "message", None) or str(e)
    return f"{name}: {message}"


def _page_origin() -> str | None:
    location = getattr(js_module(), "location", None)
    origin = getattr(location, "origin", None) if location is not None else None
    return None if origin in (None, "null") else str(origin)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""


class BrowserResponse:
    """A ``Response`` whose body is read from its ``ReadableStream``."""

    def __init__(self, url: str, resp: Any, controller: Any) -> None:
        self.url = url
        self.status = int(resp.status)
        self._headers = resp.headers
        body = resp.body
        self._reader = body.getReader() if body is not None else None
        self._controller = controller
        # the chunk being handed out and how much of it has been (NOTE [ Large chunks ])
        self._pending = b""
        self._at = 0

    def header(self, name: str) -> str | None:
        """The value of a response header the browser lets us see (CORS), or None."""
        value = self._headers.get(name)  # a str, or JS null (Pyodide's jsnull, not None)
        return value if isinstance(value, str) else None

    async def read(self, n: int) -> bytes:
        """Up to ``n`` bytes of the body (at least one), or ``b""`` at its end.

        NOTE [ Large chunks ]: the browser hands the body over in chunks of whatever has
        arrived, up to 2 MiB when the page was busy between reads (measured in Chromium on a
        gzipped 12 MB CSV: 60 KiB chunks when read at once, 0.9-2 MiB when each read was
        followed by 20 ms of work). A load reads 32 KiB at a time, so a chunk is handed out
        as slices of it at an offset: slicing off the rest each time instead copied the
        remainder at every read, 64 MiB of copying for one 2 MiB chunk. An empty chunk is
        not the end of the body.
        """
        while self._at >= len(self._pending):
            if self._reader is None:
                return b""
            try:
                result = await self._reader.read()
            except js_exception() as e:
                self._reader = None  # errored: nothing to cancel
                raise NetworkError(
                    self.url, f"the connection failed while reading ({_js_error_text(e)})"
                ) from None
            if result.done:
                self._reader = None
                self._pending, self._at = b"", 0
                return b""
            self._pending, self._at = to_bytes(result.value), 0
        start = self._at
        self._at = min(start + n, len(self._pending))
        return self._pending[start : self._at]

    def abort(self) -> None:
        """Abort the request (``AbortController.abort()``)."""
        self._controller.abort()

    def close(self) -> None:
        """Stop reading the body."""
        if self._reader is not None:
            try:
                self._reader.cancel()
            except Exception:
                pass
            self._reader = None


async def _server_answers(url: str) -> bool:
    """True when an opaque ``no-cors`` request to ``url`` gets a response."""
    js = js_module()
    controller = js.AbortController.new()
    try:
        await js.fetch(url, js_object(mode="no-cors", credentials="omit", signal=controller.signal))
    except js_exception():
        return False
    finally:
        controller.abort()  # the body is not needed
    return True


async def open_response(
    url: str,
    headers: dict[str, str],
    *,
    credentials: str,
    timeout: float | None,
    abort_hook: list[Any],
) -> BrowserResponse:
    """Send a GET with ``fetch`` and return once the status and headers are in.

    ``abort_hook`` receives the controller's ``abort`` so that the caller can stop the
    request while it connects; ``timeout`` is enforced by the caller.
    """
    del timeout
    js = js_module()
    controller = js.AbortController.new()
    abort_hook.append(controller.abort)
    init = js_object(
        method="GET",
        headers=headers,
        credentials=credentials,
        mode="cors",
        signal=controller.signal,
    )
    try:
        resp = await js.fetch(url, init)
    except js_exception() as e:
        text = _js_error_text(e)
        page = _page_origin()
        if page is not None and _origin(url) not in ("", page) and await _server_answers(url):
            raise CORSError(
                url,
                f"the browser blocked the response ({text}): this is CORS. The server at "
                f"{_origin(url)} must send 'Access-Control-Allow-Origin: {page}' (or '*'), "
                "expose 'Content-Length, Content-Range' in 'Access-Control-Expose-Headers' "
                "and allow the 'Range' request header in its preflight "
                "('Access-Control-Allow-Headers')",
            ) from None
        hint = ""
        if page is not None and _origin(url) not in ("", page):
            hint = (
                "; the server did not answer, or the page's Content-Security-Policy "
                "(connect-src) forbids this origin"
            )
        raise NetworkError(url, f"the request failed ({text}){hint}") from None
    return BrowserResponse(url, resp, controller)
