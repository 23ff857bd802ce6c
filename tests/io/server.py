"""A small, misbehaving HTTP server for the fetch and cache tests (loopback only).

Natively the tests import :func:`start` (a ``ThreadingHTTPServer`` in a daemon thread); the
browser tests run it as a script, ``python server.py [--port N] [--lifetime S]``, which
prints ``PORT <n>`` and serves until the lifetime (default 300 s) ends.

Routes (``<n>`` is a body size; bodies are ``iodata.body(n)``; ``<id>`` names a per-path
request counter, so each test uses a fresh id):

- ``/ok/<n>``: 200 with ``Content-Length``, a strong ``ETag``; ``Range`` gives a 206.
- ``/norange/<n>``: like ``/ok`` but ignores ``Range`` (always 200).
- ``/status/<code>``: that status, always.
- ``/flaky/<id>?status=503&fails=2&n=100&retry_after=1``: ``status`` (with ``Retry-After``
  when given) for the first ``fails`` requests, then like ``/ok/<n>``.
- ``/drop/<id>?n=1000&at=400&pause=0.3``: the first request sends ``at`` bytes of a full-length
  body, waits ``pause`` seconds and closes the connection; later ones are like ``/ok/<n>`` (``Range`` supported).
- ``/slow/<n>?chunk=100&delay=0.05``: ``chunk`` bytes every ``delay`` seconds.
- ``/badlength/<n>``: claims 100 more bytes than it sends, then closes.
- ``/gzip/<n>?enc=gzip``: ``body(n)`` compressed whatever was asked, with that
  ``Content-Encoding``: ``enc`` is ``gzip``, ``deflate`` (zlib), ``rawdeflate`` (sent as
  ``deflate``), ``br`` (gzip bytes labelled ``br``), ``cut`` or ``corrupt`` (a damaged gzip).
- ``/page/typed``, ``/page/sniffed``: an HTML page with status 200, sent as ``text/html``, or
  as ``text/csv`` but starting (after a BOM and white space) with ``<HTML``.
- ``/mismatch/<n>``: ``body(n)`` with its last byte changed.
- ``/csv/<id>?type=text/csv``: :data:`CSV` (no extension tells the format) sent as ``type``.
- ``/log/<route>/<id>``: JSON list of the requests seen: ``{"t", "method", "range", "if_range",
  "cookie"}``; a ``HEAD`` is logged too (and answered 405).
- ``/nocors/<route>``: ``<route>`` without any CORS header (preflights fail too).

Every other route sends ``Access-Control-Allow-Origin: *``, exposes ``Content-Length``,
``Content-Range``, ``ETag``, ``Retry-After`` and allows ``Range``/``If-Range`` in preflights.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from iodata import body

MAX_BODY = 64 << 20
PAGES = {
    "typed": b"<!DOCTYPE html>\n<html><head><title>Sign in - Example</title></head><body>x</body>",
    "sniffed": b'\xef\xbb\xbf\r\n  <HTML lang="en"><title>503 Service Unavailable</title>',
}
MAX_SLOW_SECONDS = 30.0
#: What ``/csv/<id>`` sends: 5 rows, 2 features and a label.
CSV = b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (i, i * i, i % 2) for i in range(5))


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: dict[str, list[dict[str, object]]] = {}

    def record(self, key: str, entry: dict[str, object]) -> int:
        with self.lock:
            seen = self.log.setdefault(key, [])
            seen.append(entry)
            return len(seen)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "torsh-io-test/1"
    state: _State

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    # ----------------------------------------------------------- helpers

    def _cors(self) -> None:
        if not self.cors:
            return
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header(
            "Access-Control-Expose-Headers",
            "Content-Length, Content-Range, ETag, Retry-After, Content-Encoding",
        )

    def _head(self, status: int, headers: dict[str, object]) -> None:
        self.send_response(status)
        self._cors()
        self.send_header("Cache-Control", "no-store")
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.end_headers()

    def _simple(self, status: int, text: str, **headers: object) -> None:
        data = text.encode()
        self._head(status, {"Content-Type": "text/plain", "Content-Length": len(data), **headers})
        self.wfile.write(data)

    def _serve(self, data: bytes, ranges: bool = True, etag: str | None = None) -> None:
        common = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        if etag:
            common["ETag"] = f'"{etag}"'
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if ranges and m:
            first = int(m.group(1))
            last = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
            if first > last:
                self._simple(416, "bad range", **{"Content-Range": f"bytes */{len(data)}"})
                return
            part = data[first : last + 1]
            self._head(
                206,
                {
                    **common,
                    "Content-Length": len(part),
                    "Content-Range": f"bytes {first}-{last}/{len(data)}",
                },
            )
            self.wfile.write(part)
            return
        self._head(200, {**common, "Content-Length": len(data)})
        self.wfile.write(data)

    def _close_now(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------ routes

    def do_OPTIONS(self) -> None:
        self.cors = not self.path.startswith("/nocors/")
        headers: dict[str, object] = {"Content-Length": 0}
        if self.cors:
            headers.update(
                {
                    "Access-Control-Allow-Methods": "GET, OPTIONS",
                    "Access-Control-Allow-Headers": "Range, If-Range, Accept-Encoding, X-Test",
                    "Access-Control-Max-Age": "0",
                }
            )
        self._head(204, headers)

    def do_HEAD(self) -> None:
        path = urlsplit(self.path).path.strip("/").split("/")
        self.state.record("/".join(path[:2]), {"t": time.time(), "method": "HEAD"})
        self._head(405, {"Content-Length": 0})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        self.cors = True
        if path.startswith("/nocors/"):
            self.cors, path = False, path[len("/nocors") :]
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = path.strip("/").split("/")
        route, args = parts[0], parts[1:]
        try:
            n = min(int(q.get("n", args[0] if args and args[0].isdigit() else 0)), MAX_BODY)
        except ValueError:
            n = 0
        key = f"{route}/{args[0]}" if args else route
        count = self.state.record(
            key,
            {
                "t": time.time(),
                "method": "GET",
                "range": self.headers.get("Range"),
                "if_range": self.headers.get("If-Range"),
                "cookie": self.headers.get("Cookie"),
            },
        )
        if route == "ok":
            self._serve(body(n), etag=f"ok-{n}")
        elif route == "norange":
            self._serve(body(n), ranges=False)
        elif route == "status":
            self._simple(int(args[0]), f"status {args[0]}")
        elif route == "flaky":
            if count <= int(q.get("fails", 2)):
                extra = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
                self._simple(int(q.get("status", 503)), "try again", **extra)
            else:
                self._serve(body(n), etag=f"flaky-{n}")
        elif route == "drop":
            data = body(n)
            if count == 1:
                at = min(int(q.get("at", n // 2)), n)
                self._head(200, {"Content-Length": n, "ETag": f'"drop-{n}"'})
                self.wfile.write(data[:at])
                self.wfile.flush()
                # let the client see those bytes before the drop (a browser may otherwise
                # report the error before delivering them)
                time.sleep(min(float(q.get("pause", 0.3)), 5.0))
                self._close_now()
            else:
                self._serve(data, etag=f"drop-{n}")
        elif route == "slow":
            chunk, delay = int(q.get("chunk", 100)), float(q.get("delay", 0.05))
            data = body(n)
            self._head(200, {"Content-Length": n})
            end = time.monotonic() + MAX_SLOW_SECONDS
            try:
                for i in range(0, n, max(1, chunk)):
                    if time.monotonic() > end:
                        break
                    self.wfile.write(data[i : i + chunk])
                    self.wfile.flush()
                    time.sleep(delay)
            except OSError:
                pass
            self._close_now()
        elif route == "badlength":
            self._head(200, {"Content-Length": n + 100})
            self.wfile.write(body(n))
            self._close_now()
        elif route == "gzip":  # compressed whatever the client asked (browsers cannot refuse)
            how = q.get("enc", "gzip")
            if how == "deflate":
                data = zlib.compress(body(n))
            elif how == "rawdeflate":
                co = zlib.compressobj(wbits=-15)
                data = co.compress(body(n)) + co.flush()
            else:
                data = gzip.compress(body(n), mtime=0)
            if how == "cut":  # a gzip stream without its end (and a length that says so)
                data = data[: len(data) // 2]
            elif how == "corrupt":
                data = data[:20] + bytes(200) + data[220:]
            name = {"rawdeflate": "deflate", "cut": "gzip", "corrupt": "gzip"}.get(how, how)
            self._head(200, {"Content-Length": len(data), "Content-Encoding": name})
            self.wfile.write(data)
        elif route == "page":  # an HTML page with status 200 where data was expected
            data = PAGES[args[0] if args else "typed"]
            ctype = "text/html; charset=utf-8" if args[:1] == ["typed"] else "text/csv"
            self._head(200, {"Content-Type": ctype, "Content-Length": len(data)})
            self.wfile.write(data)
        elif route == "csv":
            self._head(200, {"Content-Type": q.get("type", "text/csv"), "Content-Length": len(CSV)})
            self.wfile.write(CSV)
        elif route == "mismatch":
            bad = bytearray(body(n))
            if bad:
                bad[-1] ^= 0xFF
            self._serve(bytes(bad))
        elif route == "log":
            with self.state.lock:
                seen = list(self.state.log.get("/".join(args[:2]), []))
            self._simple(200, json.dumps(seen), **{"Content-Type": "application/json"})
        else:
            self._simple(404, "no such route")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hang up: expected
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def make_server(port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (``port`` 0: a free one) with its own request log."""
    handler = type("BoundHandler", (Handler,), {"state": _State()})
    server = Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def start(port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start a server in a daemon thread; return it and its base URL. Stop: ``shutdown()``."""
    server = make_server(port)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds, then exit")
    args = parser.parse_args()
    server = make_server(args.port)
    print(f"PORT {server.server_address[1]}", flush=True)
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
