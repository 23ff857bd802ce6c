"""The native HTTP transport: ``urllib`` in a worker thread (``asyncio.to_thread``).

One request gives a :class:`NativeResponse`; :mod:`torsh_data.io.fetch` holds the retry, resume,
progress and integrity logic common to both runtimes. Natively no cookies or other credentials
are sent unless the caller passes them in ``headers`` (``credentials`` is a browser setting).

NOTE [ Content-Encoding ]: the request asks for ``identity``, but a server may compress
anyway. A browser's ``fetch`` then hands over the decoded body, so natively a ``gzip`` or
``deflate`` body is decoded too, the same bytes on every runtime: in steps of at most the
bytes asked for (memory is what the caller holds), and at most :data:`MAX_DECODED_BYTES` in
all. Any other encoding raises :class:`~torsh_data.SourceError` naming it.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import urllib.error
import urllib.request
import zlib
from typing import Any

from .._errors import FormatError, SourceError
from ..formats import GzipDecoder
from ._http import NetworkError

__all__ = ["NativeResponse", "open_response"]

#: Socket timeout of one read when the request has no deadline (a dead server never hangs).
IDLE_TIMEOUT = 60.0
#: Most bytes a compressed body the server sent unasked may decode to (see the NOTE).
MAX_DECODED_BYTES = 1 << 32
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _Decoder:
    """Decode a ``Content-Encoding: gzip``/``deflate`` body in bounded steps."""

    def __init__(self, url: str, encoding: str) -> None:
        self.url, self.encoding = url, encoding
        self._d = GzipDecoder(url, MAX_DECODED_BYTES, _WBITS[encoding])
        self._raw = encoding == "deflate"  # some servers send raw deflate: retried once
        self._started = False

    @property
    def done(self) -> int:
        """Bytes decoded so far."""
        return self._d.size

    def decode(self, data: bytes, n: int) -> bytes:
        """Up to ``n`` decoded bytes from ``data`` and what is left over from earlier."""
        try:
            out = self._d.feed(data, n)
        except FormatError as e:
            if self._d.size > self._d.max_bytes:
                raise self._error(
                    f"decodes to more than {self._d.max_bytes} bytes (MAX_DECODED_BYTES)"
                ) from None
            if self._raw and not self._started:
                self._raw = False
                self._d = GzipDecoder(self.url, self._d.max_bytes, -zlib.MAX_WBITS)
                return self.decode(data, n)
            raise self._error(f"is not valid {self.encoding} data: {e.reason}") from None
        self._started = True
        return out

    def pending(self) -> bool:
        return self._d.pending

    def finish(self) -> None:
        try:  # not retried: a resumed range of an encoded body is no use
            self._d.close()
        except FormatError:
            raise self._error("ended before the end of its compressed stream") from None

    def _error(self, what: str) -> SourceError:
        return SourceError(
            f"{self.url}: the body the server sent with Content-Encoding {self.encoding} {what}"
        )


class NativeResponse:
    """A response whose body is read in chunks in a worker thread."""

    def __init__(self, url: str, resp: Any) -> None:
        self.url = url
        status = resp.status if hasattr(resp, "status") else resp.code
        self.status: int = 200 if status is None else status  # a data: URL has none
        self._resp = resp
        self._headers = resp.headers
        self._encoding = (self.header("Content-Encoding") or "identity").strip().lower()
        self._decoder = _Decoder(url, self._encoding) if self._encoding in _WBITS else None

    def header(self, name: str) -> str | None:
        """The value of a response header, or None."""
        value = self._headers.get(name) if self._headers is not None else None
        return None if value is None else str(value)

    def _read(self, n: int) -> bytes:
        decoder = self._decoder
        if decoder is None:
            if self._encoding not in ("identity", ""):
                raise SourceError(
                    f"{self.url}: the server sent Content-Encoding {self._encoding!r}, which "
                    f"cannot be decoded here (only {', '.join(_WBITS)}); serve it uncompressed"
                )
            return self._read_raw(n)
        while True:
            raw = b"" if decoder.pending() else self._read_raw(n)
            if not raw and not decoder.pending():
                decoder.finish()
                return b""
            out = decoder.decode(raw, n)
            if out:
                return out

    def _read_raw(self, n: int) -> bytes:
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
