"""``torsh-data serve``: a real server on a real socket, checked with http.client."""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import os
import random
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from torsh_data import DataValueError
from torsh_data._cli import main as cli_main
from torsh_data._serve import accepts_gzip, make_server

pytestmark = pytest.mark.native_only(reason="binds a socket and serves it from a thread")

BODY = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>x</title>")
    (root / "m.mjs").write_text("export const a = 1;")
    (root / "a.wasm").write_bytes(b"\0asm\1\0\0\0")
    (root / "data.bin").write_bytes(BODY)
    (root / "sub" / "index.html").write_text("sub")
    (root / ".env").write_text("SECRET=1")
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", root / "link.txt")
    return root


def serve(root: Path, **kwargs: object) -> Iterator[tuple[str, int]]:
    server = make_server(root, port=0, quiet=True, **kwargs)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def addr(site: Path) -> Iterator[tuple[str, int]]:
    yield from serve(site)


def request(
    addr: tuple[str, int], path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_binds_loopback_by_default(addr: tuple[str, int]) -> None:
    assert addr[0] == "127.0.0.1"


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/a.wasm", "application/wasm"),
        ("/m.mjs", "text/javascript"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/data.bin", "application/octet-stream"),
    ],
)
def test_mime_types(addr: tuple[str, int], path: str, mime: str) -> None:
    status, headers, _ = request(addr, path)
    assert status == 200
    assert headers["content-type"] == mime
    assert headers["x-content-type-options"] == "nosniff"


def test_csp_allows_wasm_without_unsafe_eval(addr: tuple[str, int]) -> None:
    _, headers, _ = request(addr, "/")
    csp = headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert "'wasm-unsafe-eval'" in directives["script-src"]
    assert "'unsafe-eval'" not in csp.split()
    assert directives["connect-src"] == ["'self'"]
    assert "cross-origin-opener-policy" not in headers


def test_no_csp_and_coop_coep(site: Path) -> None:
    for addr in serve(site, csp=None, coop_coep=True):
        _, headers, _ = request(addr, "/")
        assert "content-security-policy" not in headers
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert headers["cross-origin-embedder-policy"] == "require-corp"


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [("bytes=0-99", 0, 100), ("bytes=10000-", 10000, 10240), ("bytes=-40", 10200, 10240),
     ("bytes=10200-99999", 10200, 10240)],
)  # fmt: skip
def test_range(addr: tuple[str, int], spec: str, start: int, end: int) -> None:
    status, headers, body = request(addr, "/data.bin", Range=spec)
    assert status == 206
    assert body == BODY[start:end]
    assert headers["content-range"] == f"bytes {start}-{end - 1}/{len(BODY)}"
    assert headers["content-length"] == str(end - start)


@pytest.mark.parametrize("spec", ["bytes=10240-", "bytes=50-10"])
def test_range_not_satisfiable(addr: tuple[str, int], spec: str) -> None:
    status, headers, _ = request(addr, "/data.bin", Range=spec)
    assert status == 416
    assert headers["content-range"] == f"bytes */{len(BODY)}"


def test_malformed_or_multi_range_sends_everything(addr: tuple[str, int]) -> None:
    for spec in ("bytes=0-1,5-6", "items=0-3", "bytes=-"):
        status, _, body = request(addr, "/data.bin", Range=spec)
        assert (status, body) == (200, BODY)


def test_if_range_with_an_old_etag_sends_everything(addr: tuple[str, int]) -> None:
    status, _, body = request(addr, "/data.bin", Range="bytes=0-9", If_Range='"old"')
    assert (status, body) == (200, BODY)


def test_etag_revalidation_and_head(addr: tuple[str, int]) -> None:
    _, headers, _ = request(addr, "/data.bin")
    status, _, body = request(addr, "/data.bin", If_None_Match=headers["etag"])
    assert (status, body) == (304, b"")
    status, headers, body = request(addr, "/data.bin", "HEAD")
    assert (status, headers["content-length"], body) == (200, str(len(BODY)), b"")


def test_http_1_1_keeps_the_connection_for_the_next_request(addr: tuple[str, int]) -> None:
    # Chromium stores no fetch() response of an HTTP/1.0 server that must be revalidated (no
    # If-None-Match on the next visit): the server speaks HTTP/1.1, one connection serving
    # several requests (a 304, a HEAD, a 404, a redirect), each delimited by its length
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.request("GET", "/data.bin")
        r = conn.getresponse()
        etag = r.getheader("ETag")
        assert (r.version, r.status, r.read()) == (11, 200, BODY)
        for method, path, headers, want in [
            ("GET", "/data.bin", {"If-None-Match": etag}, (304, b"")),
            ("HEAD", "/data.bin", {}, (200, b"")),
            ("GET", "/missing", {}, (404, None)),
            ("GET", "/sub", {}, (301, None)),
            ("GET", "/m.mjs", {}, (200, b"export const a = 1;")),
        ]:
            conn.request(method, path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            assert (r.status, body if want[1] is not None else None) == want, path
            assert not r.will_close, path
    finally:
        conn.close()


def test_vary_names_origin_only_for_cors(site: Path) -> None:
    # a page's fetch sends Origin where its service worker's does not: a Vary on Origin would
    # keep the one's cache entry from serving the other
    for addr in serve(site):
        assert "Origin" not in request(addr, "/data.bin", Origin="http://x.example")[1].get(
            "vary", ""
        )
    for addr in serve(site, cors="http://localhost:5173"):
        assert "Origin" in request(addr, "/data.bin", Origin="http://x.example")[1]["vary"]


@pytest.mark.parametrize(
    "path",
    ["/../outside.txt", "/%2e%2e/outside.txt", "/sub/../../outside.txt", "/link.txt", "/.env",
     "/missing", "/%00", "/%ff"],
)  # fmt: skip
def test_nothing_outside_the_root(addr: tuple[str, int], path: str) -> None:
    status, _, body = request(addr, path)
    assert status == 404
    assert b"secret" not in body and b"SECRET" not in body


def test_directory_redirects_to_slash(addr: tuple[str, int]) -> None:
    status, headers, _ = request(addr, "/sub")
    assert (status, headers["location"]) == (301, "/sub/")
    assert request(addr, "/sub/")[2] == b"sub"


def test_cors_for_one_origin(site: Path) -> None:
    ok, other = "http://localhost:5173", "http://evil.example"
    for addr in serve(site, cors=ok):
        _, headers, _ = request(addr, "/data.bin", Origin=ok)
        assert headers["access-control-allow-origin"] == ok
        assert "Content-Range" in headers["access-control-expose-headers"]
        _, headers, _ = request(addr, "/data.bin", Origin=other)
        assert "access-control-allow-origin" not in headers
        status, headers, _ = request(addr, "/data.bin", "OPTIONS", Origin=ok)
        assert status == 204 and "Range" in headers["access-control-allow-headers"]
        assert request(addr, "/data.bin", "OPTIONS", Origin=other)[0] == 403


def test_connect_src(site: Path) -> None:
    for addr in serve(site, connect_src=["http://127.0.0.1:9"]):
        csp = request(addr, "/")[1]["content-security-policy"]
        assert "connect-src 'self' http://127.0.0.1:9" in csp


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(DataValueError, match="not a directory"):
        make_server(tmp_path / "nope", port=0)


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli_main(["serve", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--coop-coep" in out and "--cors" in out


@pytest.fixture
def taken() -> Iterator[int]:
    """A real loopback port with a listening socket on it."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def test_a_taken_default_port_moves_to_the_next_free_one(
    site: Path, taken: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # issue 17 cause 7: `./dev demo` died with a raw "Address already in use" traceback
    import argparse

    from torsh_data import _serve

    monkeypatch.setattr(_serve, "DEFAULT_PORT", taken)
    args = argparse.Namespace(directory=str(site), host="127.0.0.1", port=None)
    server = _serve._bind(args, quiet=True)
    assert server is not None
    try:
        port = int(server.server_address[1])
        assert taken < port < taken + _serve.PORT_TRIES
        assert f"Port {taken} is in use; using port {port} instead." in capsys.readouterr().out
    finally:
        server.server_close()


def test_a_taken_explicit_port_fails_with_a_message(
    site: Path, taken: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["serve", str(site), "--port", str(taken), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"port {taken} is in use on 127.0.0.1" in err and "--port 0" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ gzip


def gz_site(root: Path) -> dict[str, bytes]:
    files = {
        "app.mjs": b"export const greeting = 'hello';\n" * 200,
        "m.wasm": b"\0asm\1\0\0\0" + bytes(range(64)) * 100,
        "d.csv": b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (i, i * i, i % 3) for i in range(500)),
        "noise.whl": zlib.compress(random.Random(0).randbytes(6000), 9),  # like deflated files
        "img.png": b"\x89PNG" + b"\0" * 4000,  # not a compressible type
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return files


@pytest.mark.parametrize("name", ["app.mjs", "m.wasm", "d.csv"])
def test_gzip_when_accepted(site: Path, name: str) -> None:
    files = gz_site(site)
    for addr in serve(site):
        status, headers, body = request(addr, f"/{name}", Accept_Encoding="br, gzip;q=0.8")
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in headers["vary"]
        assert gzip.decompress(body) == files[name]  # the standard library's reader
        assert len(body) < len(files[name]) / 2
        gz_tag = headers["etag"]
        status, plain, raw = request(addr, f"/{name}")  # no Accept-Encoding: as it is
        assert status == 200 and raw == files[name] and "content-encoding" not in plain
        assert "Accept-Encoding" in plain["vary"] and plain["etag"] != gz_tag
        assert plain["content-length"] == str(len(files[name]))
        # each variant revalidates with its own tag, never the other's
        assert request(addr, f"/{name}", Accept_Encoding="gzip", If_None_Match=gz_tag)[0] == 304
        assert request(addr, f"/{name}", If_None_Match=plain["etag"])[0] == 304
        status, _, again = request(addr, f"/{name}", If_None_Match=gz_tag)
        assert (status, again) == (200, files[name])
        status, _, again = request(
            addr, f"/{name}", Accept_Encoding="gzip", If_None_Match=plain["etag"]
        )
        assert status == 200 and gzip.decompress(again) == files[name]
        status, headers, head = request(addr, f"/{name}", "HEAD", Accept_Encoding="gzip")
        assert (status, headers["content-encoding"], head) == (200, "gzip", b"")


def test_no_gzip_for_ranges_refusals_and_incompressible(site: Path) -> None:
    files = gz_site(site)
    for addr in serve(site):
        status, headers, body = request(addr, "/d.csv", Accept_Encoding="gzip", Range="bytes=0-9")
        assert (status, body, headers.get("content-encoding")) == (206, files["d.csv"][:10], None)
        for refusal in ("gzip;q=0", "identity", "br", "*;q=0", ""):
            _, headers, body = request(addr, "/d.csv", Accept_Encoding=refusal)
            assert body == files["d.csv"] and "content-encoding" not in headers
        for name in ("noise.whl", "img.png"):  # gzip would not help
            _, headers, body = request(addr, f"/{name}", Accept_Encoding="gzip")
            assert body == files[name] and "content-encoding" not in headers
        assert "Accept-Encoding" not in request(addr, "/img.png")[1].get("vary", "")


def test_gzip_follows_the_file(site: Path) -> None:
    gz_site(site)
    for addr in serve(site):
        h1 = request(addr, "/app.mjs", Accept_Encoding="gzip")[1]
        (site / "app.mjs").write_bytes(b"export const changed = 1;\n" * 100)
        os.utime(site / "app.mjs", ns=(1, 10**18))
        status, h2, b2 = request(addr, "/app.mjs", Accept_Encoding="gzip", If_None_Match=h1["etag"])
        assert status == 200 and h2["etag"] != h1["etag"]
        assert gzip.decompress(b2) == b"export const changed = 1;\n" * 100


@pytest.mark.parametrize(
    ("header", "ok"),
    [("gzip", True), ("GZIP;q=0.5", True), ("deflate, *", True), ("gzip;q=0, *", False),
     ("*;q=0", False), ("br", False), (None, False), ("gzip;q=x", False)],
)  # fmt: skip
def test_accepts_gzip(header: str | None, ok: bool) -> None:
    assert accepts_gzip(header) is ok


def test_gzip_cache_refuses_a_file_that_changed_since_its_stat(tmp_path: Path) -> None:
    # The compressed bytes are kept under (path, size, mtime): bytes read after the file grew
    # (or shrank) would be kept under the old key, so they are sent as they are, uncached.
    from torsh_data._serve import _GzipCache

    path = tmp_path / "a.txt"
    path.write_bytes(b"a" * 5000)
    st = os.stat(path)
    cache = _GzipCache()
    path.write_bytes(b"a" * 6000)
    assert cache.get(str(path), st) is None and not cache.items
    fresh = cache.get(str(path), os.stat(path))
    assert fresh is not None and gzip.decompress(fresh[0]) == b"a" * 6000


def _compressions(server: object) -> int:
    return server.RequestHandlerClass.config["gzip"].compressions  # type: ignore[attr-defined, no-any-return]


def serve_with(root: Path) -> Iterator[tuple[tuple[str, int], object]]:
    server = make_server(root, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield (str(host), int(port)), server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_only_the_first_request_compresses(site: Path) -> None:
    # NOTE [ gzip responses ]: later responses are the kept bytes, byte for byte, and a
    # changed file is compressed again.
    files = gz_site(site)
    for addr, server in serve_with(site):
        first = request(addr, "/app.mjs", Accept_Encoding="gzip")
        assert _compressions(server) == 1
        for _ in range(3):
            again = request(addr, "/app.mjs", Accept_Encoding="gzip")
            assert again[2] == first[2] and again[1]["etag"] == first[1]["etag"]
        assert _compressions(server) == 1 and gzip.decompress(first[2]) == files["app.mjs"]
        request(addr, "/noise.whl", Accept_Encoding="gzip")  # does not shrink: remembered
        request(addr, "/noise.whl", Accept_Encoding="gzip")
        assert _compressions(server) == 2
        (site / "app.mjs").write_bytes(b"export const changed = 2;\n" * 100)
        os.utime(site / "app.mjs", ns=(1, 10**18))
        assert gzip.decompress(request(addr, "/app.mjs", Accept_Encoding="gzip")[2]) == (
            b"export const changed = 2;\n" * 100
        )
        assert _compressions(server) == 3


def test_concurrent_first_requests_compress_once(site: Path) -> None:
    # Six first requests of a file that takes a while to compress: one compression.
    data = b"".join(b"%d,%d,%d\n" % (i, i * 7919 % 10007, i % 3) for i in range(200_000))
    (site / "big.csv").write_bytes(data)
    for addr, server in serve_with(site):
        bodies: list[bytes] = []

        def fetch(addr: tuple[str, int] = addr, bodies: list[bytes] = bodies) -> None:
            bodies.append(request(addr, "/big.csv", Accept_Encoding="gzip")[2])

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(bodies) == 6 and len(set(bodies)) == 1
        assert gzip.decompress(bodies[0]) == data and _compressions(server) == 1


def test_large_files_gzip_at_the_quick_level(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The gzip header's XFL byte says the level: 4 for the fastest (1), 0 for the default (6).
    import torsh_data._serve as serve_module

    gz_site(site)
    monkeypatch.setattr(serve_module, "_GZ_QUICK_FROM", 4000)
    for addr in serve(site):
        assert request(addr, "/app.mjs", Accept_Encoding="gzip")[2][8] == 4  # 6600 bytes
        assert request(addr, "/m.wasm", Accept_Encoding="gzip")[2][8] == 4  # 6408
        (site / "small.js").write_bytes(b"let x = 1;\n" * 300)  # 3300
        assert request(addr, "/small.js", Accept_Encoding="gzip")[2][8] == 0


def test_a_sidecar_gz_is_sent_as_it_is(site: Path) -> None:
    # As nginx's gzip_static: FILE.gz no older than FILE is the gzipped response, with nothing
    # compressed; an older one, or one that is not gzip, is ignored.
    files = gz_site(site)
    side = gzip.compress(files["d.csv"], compresslevel=9, mtime=0)
    (site / "d.csv.gz").write_bytes(side)
    os.utime(site / "d.csv", ns=(1, 10**18))
    os.utime(site / "d.csv.gz", ns=(1, 10**18 + 1))
    for addr, server in serve_with(site):
        _, headers, body = request(addr, "/d.csv", Accept_Encoding="gzip")
        assert body == side and headers["content-encoding"] == "gzip"
        assert _compressions(server) == 0
        assert (
            request(addr, "/d.csv", Accept_Encoding="gzip", If_None_Match=headers["etag"])[0] == 304
        )
        assert request(addr, "/d.csv")[2] == files["d.csv"]  # no gzip asked: the file
        (site / "d.csv.gz").write_bytes(gzip.compress(files["d.csv"], compresslevel=1, mtime=0))
        os.utime(site / "d.csv.gz", ns=(1, 10**18 + 2))
        status, h2, _ = request(
            addr, "/d.csv", Accept_Encoding="gzip", If_None_Match=headers["etag"]
        )
        assert status == 200 and h2["etag"] != headers["etag"]  # the tag follows the sidecar
        os.utime(site / "d.csv.gz", ns=(1, 10**18 - 1))  # older than the file: stale
        _, _, body = request(addr, "/d.csv", Accept_Encoding="gzip")
        assert body != side and gzip.decompress(body) == files["d.csv"]
        assert _compressions(server) == 1
        (site / "app.mjs.gz").write_bytes(b"not gzip at all, twenty bytes+")
        request(addr, "/app.mjs", Accept_Encoding="gzip")
        assert _compressions(server) == 2


IMPORT_MAP = '\n{"imports": {"torsh-data": "./node_modules/torsh-data/index.mjs"}}\n'


def _script_src(headers: dict[str, str]) -> list[str]:
    csp = headers["content-security-policy"]
    return next(d.split()[1:] for d in csp.split("; ") if d.startswith("script-src "))


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_csp_allows_the_pages_import_maps_by_hash(site: Path) -> None:
    # NOTE [ Import maps under the CSP ]: the map's hash is allowed, the page's other inline
    # script is not, and a connection's next response does not inherit the page's hashes.
    (site / "map.html").write_text(
        f"<!doctype html><SCRIPT Type='importmap'>{IMPORT_MAP}</SCRIPT>"
        "<script>alert(1)</script><script type=module src=m.mjs></script>"
    )
    for addr in serve(site):
        conn = http.client.HTTPConnection(*addr, timeout=10)
        try:
            conn.request("GET", "/map.html")
            r = conn.getresponse()
            page = {k.lower(): v for k, v in r.getheaders()}
            r.read()
            assert _script_src(page) == ["'self'", "'wasm-unsafe-eval'", _sha256_source(IMPORT_MAP)]
            assert _sha256_source("alert(1)") not in page["content-security-policy"]
            if r.will_close:  # gzipped responses end with their connection
                conn.close()
                conn = http.client.HTTPConnection(*addr, timeout=10)
            conn.request("GET", "/index.html", headers={"Accept-Encoding": "identity"})
            r = conn.getresponse()
            other = {k.lower(): v for k, v in r.getheaders()}
            r.read()
            assert _script_src(other) == ["'self'", "'wasm-unsafe-eval'"]
        finally:
            conn.close()
        status, revalidated, _ = request(addr, "/map.html", If_None_Match=page["etag"])
        assert status == 304
        assert _sha256_source(IMPORT_MAP) in _script_src(revalidated)
