"""``torsh-data serve [DIR]``: a small static server for developing browser pages with Pyodide.

What a page running Pyodide needs from a server, and what ``python -m http.server`` lacks:

- MIME types: ``application/wasm`` (streaming compilation refuses anything else),
  ``text/javascript`` for ``.mjs`` (module scripts refuse anything else).
- A Content-Security-Policy that lets WebAssembly compile without ``'unsafe-eval'``:
  ``script-src 'self' 'wasm-unsafe-eval'`` (NOTE [ CSP for Pyodide ]).
- ``--coop-coep``: the Cross-Origin-Opener/Embedder-Policy headers that make the page
  cross-origin isolated, for ``SharedArrayBuffer``.
- ``Range`` requests (one range; ``206``/``416``), ``ETag`` revalidation (``304``), over HTTP/1.1
  (kept-alive connections): Chromium stores no ``fetch()`` response of an HTTP/1.0 server that
  must be revalidated, so a page's second visit downloaded Pyodide again.
- gzip (NOTE [ gzip responses ]: a file whose type compresses well is sent gzipped when the request's
``Accept-Encoding`` allows ``gzip`` and asks for no ``Range`` (a range is of the file's own
bytes); such responses carry ``Vary: Accept-Encoding`` and an ETag of their own (the file's
with ``-gz``), so a cache never confuses the two. The gzipped body is delimited by the end of
the connection, with no ``Content-Length``: browsers decode it before the page sees it, so a
length of the encoded bytes would not be the length of the bytes a page's ``fetch`` reads (and
a client trusting it would cut the body).

Only a file's first request compresses it (:class:`_GzipCache`): the gzipped bytes are kept
by path, size and mtime, least recently used dropped first past ``_GZ_CACHE_BYTES`` in all
(files over ``_GZ_MAX_FILE`` are sent as they are), and concurrent first requests of one file
wait for a single compression. A file gzip does not shrink by a tenth (a wheel of deflated
files, the precompiled standard library) is remembered as such and sent as it is. The level
trades the first request's wait against size (measured on Pyodide's 9.6 MB
``pyodide.asm.wasm``, 2 loaded cores: level 1 0.6 s -> 4.0 MB, 6 3.1 s -> 3.5 MB, 9 4.1 s ->
3.5 MB): level 6 up to ``_GZ_QUICK_FROM`` bytes, level 1 above, where 13 % more bytes cost a
few ms on the loopback a development server is used on, and 2.5 s of compression a first
visitor waits for. As nginx's ``gzip_static``, a sidecar ``FILE.gz`` (made with ``gzip -9k``,
say) that is no older than FILE is sent instead and nothing is compressed; its ETag follows
both files.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import errno
import gzip
import hashlib
import os
import posixpath
import re
import sys
import threading
import urllib.parse
from collections import OrderedDict
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

__all__ = [
    "COMPRESSIBLE",
    "CSP",
    "MIME_TYPES",
    "accepts_gzip",
    "csp_with_hashes",
    "importmap_hashes",
    "main",
    "make_server",
]

CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'"
)
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".ts": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".jsonl": "application/x-ndjson",
    ".webmanifest": "application/manifest+json",
}
#: Extensions of files sent gzipped to clients that accept it (NOTE [ gzip responses ]).
COMPRESSIBLE = frozenset(
    ".wasm .mjs .js .json .map .html .css .svg .whl .zip .tar .csv .tsv .txt .ts .jsonl "
    ".ndjson .webmanifest .xml .npy .py".split()
)
_GZ_MAX_FILE = 64 << 20
_GZ_CACHE_BYTES = 256 << 20
_GZ_QUICK_FROM = 4 << 20  # files this large are gzipped at level 1 (NOTE [ gzip responses ])
_REDIRECT = "\x00redirect"  # a directory asked for without its trailing slash
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
_IMPORTMAP = re.compile(
    rb"<script\b[^>]*?\btype\s*=\s*[\"']?importmap[\"']?[^>]*>(.*?)</script\s*>", re.I | re.S
)
_HTML_MAX = 4 << 20  # pages larger than this are served without hashing their import maps


def importmap_hashes(html: bytes) -> list[str]:
    """The CSP hash sources of a page's inline import maps (NOTE [ Import maps under the CSP ]).

    >>> importmap_hashes(b'<script type="importmap">{"imports": {}}</script><script>x</script>')
    ["'sha256-CJt/FpW3RQlGvqBeO/YK74xrTm1ctS6rLMJu1bV4fMc='"]
    """
    out = []
    for m in _IMPORTMAP.finditer(html):
        digest = base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()
        if f"'sha256-{digest}'" not in out:
            out.append(f"'sha256-{digest}'")
    return out


def csp_with_hashes(csp: str, hashes: list[str]) -> str:
    """``csp`` with ``hashes`` added to its ``script-src`` (made from ``default-src`` if absent).

    >>> csp_with_hashes("default-src 'self'; script-src 'self'", ["'sha256-AA=='"])
    "default-src 'self'; script-src 'self' 'sha256-AA=='"
    >>> csp_with_hashes("default-src 'self'", ["'sha256-AA=='"])
    "default-src 'self'; script-src 'self' 'sha256-AA=='"
    """
    if not hashes:
        return csp
    parts = [p.strip() for p in csp.split(";") if p.strip()]
    names = [p.split()[0].lower() for p in parts]
    if "script-src" in names:
        i = names.index("script-src")
        parts[i] = " ".join([parts[i], *hashes])
    else:
        default = parts[names.index("default-src")].split()[1:] if "default-src" in names else []
        parts.append(" ".join(["script-src", *default, *hashes]))
    return "; ".join(parts)


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``gzip`` or ``*`` with q > 0).

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("br;q=1, gzip;q=0"), accepts_gzip("*")
    (True, False, True)
    """
    found: dict[str, float] = {}
    for part in (header or "").split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found[token.strip().lower()] = q
    q = found.get("gzip", found.get("x-gzip", found.get("*", 0.0)))
    return q > 0


class _GzipCache:
    """The gzipped bytes of files by (path, size, mtime), least recently used dropped first;
    ``None`` for a file gzip does not shrink by a tenth (NOTE [ gzip responses ]).

    ``compressions`` counts the files compressed (a sidecar ``.gz`` or a kept result is none).
    """

    def __init__(self, limit: int = _GZ_CACHE_BYTES) -> None:
        self.limit, self.size, self.compressions = limit, 0, 0
        self.items: OrderedDict[tuple[str, int, int], bytes | None] = OrderedDict()
        self.lock = threading.Lock()
        self.busy: dict[tuple[str, int, int], threading.Lock] = {}  # compressions under way

    def get(self, path: str, st: os.stat_result) -> tuple[bytes, str] | None:
        """The gzipped bytes of ``path`` and an ETag suffix naming them, or None: send it raw."""
        side = _sidecar(path, st)
        if side is not None:
            return side
        key = (path, st.st_size, st.st_mtime_ns)
        with self.lock:
            busy = self.busy.setdefault(key, threading.Lock())
        with busy:  # a second first request waits for the first one's compression
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    data = self.items[key]
                    return None if data is None else (data, "gz")
            keep, data = self._compress(path, st)
            with self.lock:
                self.busy.pop(key, None)
                if keep:
                    self.items[key] = data
                    self.size += len(data or b"")
                    while self.size > self.limit and self.items:
                        self.size -= len(self.items.popitem(last=False)[1] or b"")
        return (data, "gz") if data else None

    def _compress(self, path: str, st: os.stat_result) -> tuple[bool, bytes | None]:
        """Whether to keep the result, and the gzip of the file (None: it does not shrink)."""
        with open(path, "rb") as f:
            raw = f.read(min(st.st_size, _GZ_MAX_FILE) + 1)
        if len(raw) != st.st_size or len(raw) > _GZ_MAX_FILE:
            return False, None  # changed since its stat, or too large: sent as it is, not kept
        level = 1 if len(raw) >= _GZ_QUICK_FROM else 6
        self.compressions += 1
        data = gzip.compress(raw, compresslevel=level, mtime=0)
        return True, (None if len(data) > 0.9 * len(raw) else data)


def _sidecar(path: str, st: os.stat_result) -> tuple[bytes, str] | None:
    """A ``path.gz`` beside the file, no older than it, and its ETag suffix (gzip_static)."""
    side = path + ".gz"
    try:
        real = os.path.realpath(side)
        sst = os.stat(real)
    except OSError:
        return None
    if (
        os.path.dirname(real) != os.path.dirname(os.path.realpath(path))  # a link elsewhere
        or sst.st_mtime_ns < st.st_mtime_ns
        or not 18 <= sst.st_size <= _GZ_MAX_FILE
    ):
        return None
    with open(real, "rb") as f:
        data = f.read(sst.st_size + 1)
    if len(data) != sst.st_size or data[:2] != b"\x1f\x8b":
        return None
    return data, "gzs" + hashlib.sha1(f"{sst.st_mtime_ns}-{sst.st_size}".encode()).hexdigest()[:8]


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = {  # noqa: RUF012 (an instance variable in http.server)
        **SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }
    server_version = "torsh-data-serve"
    config: ClassVar[dict[str, Any]] = {}
    #: The CSP hashes of the import maps of the page being sent (NOTE [ Import maps under the CSP ]).
    script_hashes: list[str]

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a page closed mid-response)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.config.get("quiet"):
            super().log_message(format, *args)

    # ------------------------------------------------------------------ headers
    def _common_headers(self, vary_encoding: bool = False) -> None:
        cfg = self.config
        if cfg.get("csp"):
            connect = " ".join(["'self'", *cfg.get("connect_src", [])])
            csp = csp_with_hashes(cfg["csp"], getattr(self, "script_hashes", []))
            self.send_header("Content-Security-Policy", f"{csp}; connect-src {connect}")
        if cfg.get("coop_coep"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        origin = self.headers.get("Origin")
        if origin and cfg.get("cors") and origin == cfg["cors"]:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header(
                "Access-Control-Expose-Headers",
                "Content-Length, Content-Range, ETag, Accept-Ranges",
            )
            if cfg.get("coop_coep"):
                self.send_header("Cross-Origin-Resource-Policy", "cross-origin")
        # Origin only where the answer depends on it (CORS): a cache keys its entry by the
        # request's Origin, and a page's fetch sends one where its service worker's does not,
        # so an entry the one stored would never serve the other
        vary = ["Origin"] if cfg.get("cors") else []
        vary += ["Accept-Encoding"] if vary_encoding else []
        if vary:
            self.send_header("Vary", ", ".join(vary))
        self.send_header("X-Content-Type-Options", "nosniff")

    def do_OPTIONS(self) -> None:
        self.script_hashes = []
        origin = self.headers.get("Origin")
        ok = bool(self.config.get("cors")) and origin == self.config["cors"]
        self.send_response(HTTPStatus.NO_CONTENT if ok else HTTPStatus.FORBIDDEN)
        if ok:
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Range, If-None-Match, If-Range")
            self.send_header("Access-Control-Max-Age", "600")
        self._common_headers()
        self.send_header("Content-Length", "0")
        self.end_headers()

    # ------------------------------------------------------------------ files
    def _resolve(self) -> str | None:
        """The file for the request path, or None when it is missing or outside the root."""
        raw = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path, errors="strict")
        if "\x00" in raw:
            return None
        rel = posixpath.normpath(raw).lstrip("/")
        if rel.startswith("..") or any(p.startswith(".") and p != "." for p in rel.split("/")):
            return None  # dotfiles (.git, .env) are never served
        root = os.path.realpath(self.directory)
        full = os.path.realpath(os.path.join(root, rel))
        if full != root and not full.startswith(root + os.sep):
            return None
        if os.path.isdir(full):
            if not raw.endswith("/"):
                return _REDIRECT
            full = os.path.join(full, "index.html")
        return full if os.path.isfile(full) else None

    def do_GET(self) -> None:
        self._send(body=True)

    def do_HEAD(self) -> None:
        self._send(body=False)

    def _send(self, body: bool) -> None:
        self.script_hashes = []  # this request's (a connection serves several)
        try:
            path = self._resolve()
        except UnicodeDecodeError:
            path = None
        if path is None:
            return self._error(HTTPStatus.NOT_FOUND, "not found")
        if path is _REDIRECT:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", urllib.parse.urlsplit(self.path).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        st = os.stat(path)
        size = st.st_size
        if self.config.get("csp") and path.endswith((".html", ".htm")) and size <= _HTML_MAX:
            with open(path, "rb") as f:
                self.script_hashes = importmap_hashes(f.read())
        etag = '"' + hashlib.sha1(f"{st.st_mtime_ns}-{size}".encode()).hexdigest()[:16] + '"'
        spec = self.headers.get("Range")
        vary = os.path.splitext(path)[1].lower() in COMPRESSIBLE and size <= _GZ_MAX_FILE
        gz = None
        if vary and not spec and accepts_gzip(self.headers.get("Accept-Encoding")):
            found = self.config["gzip"].get(path, st)
            if found is not None:
                gz, suffix = found
                etag = etag[:-1] + f'-{suffix}"'
        if etag in _etags(self.headers.get("If-None-Match")):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self._common_headers(vary)
            self.end_headers()
            return
        if gz is not None:
            return self._send_gzip(path, st, etag, gz, body)
        start, end = 0, size  # [start, end)
        status = HTTPStatus.OK
        if spec and self.headers.get("If-Range", etag) == etag:
            m = _RANGE.fullmatch(spec.strip())
            if m and (m.group(1) or m.group(2)):
                a, b = m.group(1), m.group(2)
                if a:
                    start, end = int(a), min(int(b) + 1, size) if b else size
                else:
                    start, end = max(size - int(b), 0), size
                if start >= size or start >= end:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self._common_headers()
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        # revalidate each time (edits show at once), as "no-cache" says; but Chromium kept no
        # module script answered "no-cache" for the next visit (each downloaded again, 200 not
        # 304): with this one they are revalidated (304), measured with bench/bench_js.mjs
        self.send_header("Cache-Control", "max-age=0, must-revalidate")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self._common_headers(vary)
        self.end_headers()
        if not body:
            return
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _send_gzip(self, path: str, st: os.stat_result, etag: str, data: bytes, body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        self.send_header("Cache-Control", "max-age=0, must-revalidate")
        self.send_header("Connection", "close")  # the body ends with the connection
        self.close_connection = True
        self._common_headers(True)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _error(self, status: HTTPStatus, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self._common_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _etags(header: str | None) -> list[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones compared as strong)."""
    return [t.strip().removeprefix("W/") for t in (header or "").split(",") if t.strip()]


def make_server(
    directory: str | os.PathLike[str] = ".",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    csp: str | None = CSP,
    coop_coep: bool = False,
    cors: str | None = None,
    connect_src: list[str] | None = None,
    quiet: bool = False,
) -> ThreadingHTTPServer:
    """A server for ``directory`` (not started: call ``serve_forever()``; port 0 picks one)."""
    root = os.path.realpath(os.fspath(directory))
    if not os.path.isdir(root):
        from ._errors import DataValueError

        raise DataValueError(f"not a directory: {directory}")
    config = {
        "csp": csp,
        "coop_coep": coop_coep,
        "cors": cors.rstrip("/") if cors else None,
        "connect_src": list(connect_src or []),
        "quiet": quiet,
        "gzip": _GzipCache(),
    }
    handler = type("Handler", (_Handler,), {"config": config})

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def finish_request(self, request: Any, client_address: Any) -> None:
            handler(request, client_address, self, directory=root)

    return Server((host, port), handler)


#: Default port, and how many ports from it ``torsh-data serve`` tries when it is taken.
DEFAULT_PORT, PORT_TRIES = 8000, 20


def _in_use(exc: OSError) -> bool:
    return exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1))


def _bind(args: argparse.Namespace, **options: Any) -> ThreadingHTTPServer | None:
    """A server on the requested port, or (no ``--port``) the first free one from 8000."""
    ports = [args.port] if args.port is not None else range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES)
    for port in ports:
        try:
            server = make_server(args.directory, host=args.host, port=port, **options)
        except OSError as exc:
            if not _in_use(exc):
                print(
                    f"torsh-data serve: cannot listen on {args.host}:{port}: {exc}", file=sys.stderr
                )
                return None
            continue
        if port != ports[0]:
            print(f"Port {ports[0]} is in use; using port {port} instead.", flush=True)
        return server
    tried = (
        f"port {args.port} is"
        if args.port is not None
        else (f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORT_TRIES - 1} are")
    )
    print(
        f"torsh-data serve: {tried} in use on {args.host} (another server?); pass "
        "--port N for another one, or --port 0 for any free one",
        file=sys.stderr,
    )
    return None


def main(argv: list[str] | None = None) -> int:
    """``torsh-data serve [DIR] [--host H] [--port N] [--coop-coep] [--cors ORIGIN] ...``."""
    p = argparse.ArgumentParser(prog="torsh-data serve", description=__doc__.split("\n")[0])
    p.add_argument("directory", nargs="?", default=".", help="what to serve (default: .)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None,
        help=f"port (default {DEFAULT_PORT}, or the next free one; 0: any free)",
    )  # fmt: skip
    p.add_argument(
        "--coop-coep", action="store_true", help="send COOP/COEP (cross-origin isolation)"
    )
    p.add_argument("--cors", metavar="ORIGIN", help="allow this origin to fetch (CORS)")
    p.add_argument("--connect-src", action="append", default=[], metavar="ORIGIN",
                   help="an origin pages may also fetch from (CSP connect-src); repeatable")  # fmt: skip
    p.add_argument("--no-csp", action="store_true", help="send no Content-Security-Policy")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    args = p.parse_args(argv)
    server = _bind(
        args,
        csp=None if args.no_csp else CSP,
        coop_coep=args.coop_coep,
        cors=args.cors,
        connect_src=args.connect_src,
        quiet=args.quiet,
    )
    if server is None:
        return 1
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving {os.path.abspath(args.directory)} at http://{shown}:{port}/", flush=True)
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
