"""The native HTTP transport: ``urllib`` in a worker thread (``asyncio.to_thread``).

One request gives a :class:`NativeResponse`; :mod:`torsh_data.io.fetch` holds the retry, resume,
progress and integrity logic common to both runtimes. Natively no cookies or other credentials
are sent unless the caller passes them in ``headers`` (``credentials`` is a browser setting).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import urllib.error
import urllib.request
from typing import Any

from ._http import NetworkError

__all__ = ["NativeResponse", "open_response"]

#: Socket timeout of one read when the request has no deadline (a dead server never hangs).
IDLE_TIMEOUT = 60.0


class NativeResponse:
    """A response whose body is read in chunks in a worker thread."""

    def __init__(self, url: str, resp: Any) -> None:
        self.url = url
        self.status: int = resp.status if hasattr(resp, "status") else resp.code
        self._resp = resp
        self._headers = resp.headers

    def header(self, name: str) -> str | None:
        """The value of a response header, or None."""
        value = self._headers.get(name) if self._headers is not None else None
        return None if value is None else str(value)

    def _read(self, n: int) -> bytes:
        read1 = getattr(self._resp, "read1", None)
        try:
            return bytes(read1(n) if read1 is not None else self._resp.read(n))
        except http.client.IncompleteRead as e:
            if e.partial:
                return bytes(e.partial)
            raise NetworkError(self.url, "the connection closed before the whole body") from e
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise NetworkError(self.url, f"the connection failed while reading: {e}") from e

    async def read(self, n: int) -> bytes:
        """Up to ``n`` bytes of the body (at least one), or ``b""`` at its end."""
        return await asyncio.to_thread(self._read, n)

    def abort(self) -> None:
        """Stop a read under way in the worker thread (best effort) and close."""
        with contextlib.suppress(Exception):
            sock = self._resp.fp.raw._sock
            sock.shutdown(socket.SHUT_RDWR)
        self.close()

    def close(self) -> None:
        """Release the connection."""
        with contextlib.suppress(Exception):
            self._resp.close()


def _open(url: str, headers: dict[str, str], timeout: float | None) -> NativeResponse:
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        resp = urllib.request.urlopen(request, timeout=timeout or IDLE_TIMEOUT)
    except urllib.error.HTTPError as e:  # a status: the caller decides what it means
        return NativeResponse(url, e)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise NetworkError(url, f"the request failed: {reason}") from e
    return NativeResponse(url, resp)


async def open_response(
    url: str,
    headers: dict[str, str],
    *,
    credentials: str,
    timeout: float | None,
    abort_hook: list[Any],
) -> NativeResponse:
    """Send a GET and return once the status and headers are in.

    ``timeout`` bounds each socket operation (the caller enforces the whole-request deadline);
    ``credentials`` is ignored natively. ``abort_hook`` receives nothing here: a request
    that is still connecting cannot be stopped from outside its thread.
    """
    del credentials, abort_hook
    return await asyncio.to_thread(_open, url, headers, timeout)
