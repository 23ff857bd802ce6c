"""Native protocol tests of ``torsh_data.io.fetch`` against the misbehaving local server.

The same checks run in Chromium from ``tests/runtimes/io.test.mjs`` (scripts in
``tests/io/browser/``); Pyodide cannot start a server, so the server tests are native only.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import pickle
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from iodata import body, sha
from support import run

from torsh_data import DataTypeError, DataValueError, SourceError
from torsh_data.io import (
    Cache,
    CancelToken,
    FetchCancelledError,
    FetchTimeoutError,
    HTTPError,
    IntegrityError,
    NetworkError,
    fetch_bytes,
    iter_fetch,
)
from torsh_data.io._http import content_range, retry_after

NEEDS_SERVER = pytest.mark.native_only(
    reason="starts an HTTP server thread; Chromium and Node runs: tests/runtimes/io.test.mjs"
)
_ids = itertools.count()


def uid(prefix: str) -> str:
    return f"{prefix}{next(_ids)}-{time.monotonic_ns()}"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    from server import start

    server, url = start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def log(base: str, route: str, ident: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/log/{route}/{ident}", timeout=10) as r:
        return list(json.loads(r.read()))


async def collect(chunks: Any) -> list[bytes]:
    return [chunk async for chunk in chunks]


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    def monotonic(self) -> bool:
        done = [d for d, _ in self.calls]
        return done == sorted(done) and len(set(done)) == len(done)


# ------------------------------------------------------------------ happy paths


@NEEDS_SERVER
def test_ok_body_and_progress(base: str) -> None:
    p = Progress()
    data = run(fetch_bytes(f"{base}/ok/300000", progress=p))
    assert data == body(300000)
    assert p.monotonic() and p.calls[-1] == (300000, 300000)


@NEEDS_SERVER
def test_iter_fetch_chunks(base: str) -> None:
    async def go() -> list[bytes]:
        return [c async for c in iter_fetch(f"{base}/ok/10000", chunk_size=1000)]

    chunks = run(go())
    assert b"".join(chunks) == body(10000)
    assert all(0 < len(c) <= 1000 for c in chunks)


@NEEDS_SERVER
def test_empty_body(base: str) -> None:
    assert run(fetch_bytes(f"{base}/ok/0")) == b""


@NEEDS_SERVER
@pytest.mark.parametrize("route", ["ok", "norange"])
def test_byte_range(base: str, route: str) -> None:
    ident = 5000 + len(route)  # a distinct size per route, for the log
    data = run(fetch_bytes(f"{base}/{route}/{ident}", byte_range=(100, 1100)))
    assert data == body(ident)[100:1100]
    assert (
        run(fetch_bytes(f"{base}/{route}/{ident}", byte_range=(4000, None))) == body(ident)[4000:]
    )
    assert run(fetch_bytes(f"{base}/{route}/{ident}", byte_range=(7, 7))) == b""
    if route == "ok":
        assert log(base, route, str(ident))[0]["range"] == "bytes=100-1099"


@NEEDS_SERVER
@given(start=st.integers(0, 5000), length=st.one_of(st.none(), st.integers(0, 3000)))
def test_byte_range_any_span(base: str, start: int, length: int | None) -> None:
    end = None if length is None else start + length
    expected = body(4000)[start:end]
    assert run(fetch_bytes(f"{base}/ok/4000", byte_range=(start, end), retries=0)) == expected


# ----------------------------------------------------------------- errors, retries


@NEEDS_SERVER
def test_404_names_url_and_status_without_retry(base: str) -> None:
    url = f"{base}/status/404"
    with pytest.raises(HTTPError) as info:
        run(fetch_bytes(url, backoff=0))
    assert info.value.status == 404 and info.value.url == url
    assert url in str(info.value) and "404" in str(info.value)
    assert isinstance(info.value, SourceError)
    assert len(log(base, "status", "404")) == 1


@NEEDS_SERVER
def test_503_retry_after_is_honoured(base: str) -> None:
    ident = uid("ra")
    data = run(fetch_bytes(f"{base}/flaky/{ident}?status=503&fails=2&n=500&retry_after=1"))
    assert data == body(500)
    seen = log(base, "flaky", ident)
    assert len(seen) == 3
    assert seen[1]["t"] - seen[0]["t"] >= 0.9 and seen[2]["t"] - seen[1]["t"] >= 0.9


@NEEDS_SERVER
def test_429_exponential_backoff(base: str) -> None:
    ident = uid("bo")
    data = run(fetch_bytes(f"{base}/flaky/{ident}?status=429&fails=3&n=50", backoff=0.1))
    assert data == body(50)
    t = [e["t"] for e in log(base, "flaky", ident)]
    gaps = [b - a for a, b in itertools.pairwise(t)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.39


@NEEDS_SERVER
def test_retries_exhausted(base: str) -> None:
    ident = uid("ex")
    with pytest.raises(HTTPError) as info:
        run(fetch_bytes(f"{base}/flaky/{ident}?status=500&fails=9", retries=2, backoff=0))
    assert info.value.status == 500 and "after 3 attempts" in str(info.value)
    assert len(log(base, "flaky", ident)) == 3
    e = pickle.loads(pickle.dumps(info.value))
    assert (e.status, e.url, str(e)) == (500, info.value.url, str(info.value))


@NEEDS_SERVER
def test_dropped_connection_resumes_with_range(base: str) -> None:
    ident = uid("dr")
    p = Progress()
    data = run(fetch_bytes(f"{base}/drop/{ident}?n=100000&at=40000", progress=p, backoff=0))
    assert data == body(100000)
    assert p.monotonic() and p.calls[-1] == (100000, 100000)
    seen = log(base, "drop", ident)
    assert [e["range"] for e in seen] == [None, "bytes=40000-"]
    assert seen[1]["if_range"] == f'"drop-{100000}"'


@NEEDS_SERVER
def test_wrong_content_length(base: str) -> None:
    with pytest.raises(NetworkError, match=r"ended after 1000 of 1100 bytes \(after 2 attempts"):
        run(fetch_bytes(f"{base}/badlength/1000", retries=1, backoff=0))


@NEEDS_SERVER
def test_connection_refused_is_a_network_error() -> None:
    with pytest.raises(NetworkError, match=r"127\.0\.0\.1:9"):
        run(fetch_bytes("http://127.0.0.1:9/x", retries=1, backoff=0))


@NEEDS_SERVER
def test_sha256(base: str) -> None:
    good = sha(body(2000))
    assert run(fetch_bytes(f"{base}/ok/2000", sha256=good.upper())) == body(2000)
    with pytest.raises(IntegrityError, match="sha256 mismatch") as info:
        run(fetch_bytes(f"{base}/mismatch/2000", sha256=good))
    assert isinstance(info.value, SourceError) and f"{base}/mismatch/2000" in str(info.value)

    async def chunks() -> list[bytes]:
        return [c async for c in iter_fetch(f"{base}/mismatch/2000", sha256=good)]

    with pytest.raises(IntegrityError):
        run(chunks())


# ------------------------------------------------------------ timeout and cancel


@NEEDS_SERVER
def test_timeout_on_slow_trickle(base: str) -> None:
    p = Progress()
    with pytest.raises(FetchTimeoutError) as info:
        run(fetch_bytes(f"{base}/slow/5000?chunk=100&delay=0.05", timeout=0.5, progress=p))
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, SourceError)
    assert p.calls and p.monotonic() and p.calls[-1][0] < 5000
    assert all(total == 5000 for _, total in p.calls)


@NEEDS_SERVER
def test_slow_trickle_completes_with_progress(base: str) -> None:
    p = Progress()
    data = run(fetch_bytes(f"{base}/slow/1000?chunk=100&delay=0.02", timeout=20, progress=p))
    assert data == body(1000) and len(p.calls) >= 5 and p.monotonic()


@NEEDS_SERVER
@pytest.mark.parametrize("kind", ["token", "event"])
def test_cancel(base: str, kind: str) -> None:
    async def go() -> None:
        token: Any = CancelToken() if kind == "token" else asyncio.Event()
        cancel = token.cancel if kind == "token" else token.set

        def progress(done: int, total: int | None) -> None:
            if done >= 300:
                cancel()

        await fetch_bytes(f"{base}/slow/5000?chunk=100&delay=0.05", cancel=token, progress=progress)

    with pytest.raises(FetchCancelledError):  # the 5000-byte trickle did not run to its end
        run(go())


@NEEDS_SERVER
def test_cancel_during_retry_wait(base: str) -> None:
    token = CancelToken()

    async def go() -> None:
        asyncio.get_running_loop().call_later(0.3, token.cancel)
        ident = uid("cw")
        await fetch_bytes(f"{base}/flaky/{ident}?fails=5&retry_after=30", cancel=token)

    t0 = time.monotonic()
    with pytest.raises(FetchCancelledError):
        run(go())
    assert time.monotonic() - t0 < 20  # liveness: not the 30 s Retry-After


@NEEDS_SERVER
def test_retry_after_beyond_timeout_gives_up_early(base: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="HTTP 503"):
        run(fetch_bytes(f"{base}/flaky/{uid('rt')}?fails=5&retry_after=30", timeout=2))
    assert time.monotonic() - t0 < 1.9  # gave up before the 2 s timeout ran out


# --------------------------------------------------------------------- cache


@NEEDS_SERVER
def test_fetch_with_cache(base: str, tmp_path: Any) -> None:
    cache = Cache("fetch", root=tmp_path)
    ident = uid("c")
    url = f"{base}/flaky/{ident}?fails=0&n=3000"
    assert run(fetch_bytes(url, cache=cache)) == body(3000)
    p = Progress()
    assert run(fetch_bytes(url, cache=cache, progress=p)) == body(3000)
    assert p.calls == [(3000, 3000)]
    assert len(log(base, "flaky", ident)) == 1  # the second came from the cache
    # a cached entry whose sha256 is not the one asked for is fetched again
    with pytest.raises(IntegrityError):
        run(fetch_bytes(url, cache=cache, sha256="0" * 64))
    assert len(log(base, "flaky", ident)) == 2
    # spans are cached apart from the whole body
    assert run(fetch_bytes(url, cache=cache, byte_range=(10, 20))) == body(3000)[10:20]
    assert sorted(run(cache.keys())) == sorted([url, f"{url}#bytes=10-20"])

    async def chunks() -> bytes:
        return b"".join([c async for c in iter_fetch(url, cache=cache, chunk_size=700)])

    assert run(chunks()) == body(3000)


@NEEDS_SERVER
def test_info_gets_the_response_type_before_the_first_chunk_and_the_cache_keeps_it(
    base: str, tmp_path: Any
) -> None:
    # NOTE [ Format from the response ] (_jsapi/loader.py): the type comes with the download
    cache = Cache("typed", root=tmp_path)
    ident = uid("t")
    url = f"{base}/csv/{ident}?type=text/csv;%20charset=utf-8"

    async def first_chunk_and_type() -> tuple[Any, bytes]:
        info: dict[str, Any] = {}
        chunks = iter_fetch(url, cache=cache, info=info, chunk_size=8)
        first = await anext(chunks)
        seen = info.get("content_type")  # before the rest of the body is read
        rest = b"".join([c async for c in chunks])
        return seen, first + rest

    from server import CSV

    assert run(first_chunk_and_type()) == ("text/csv; charset=utf-8", CSV)
    assert run(first_chunk_and_type()) == ("text/csv; charset=utf-8", CSV)  # from the cache
    assert [e["method"] for e in log(base, "csv", ident)] == ["GET"]
    # without info nothing more is stored or read; a body cached without its type gives None
    other = f"{base}/csv/{uid('u')}"
    assert run(fetch_bytes(other, cache=cache)) == CSV
    assert sorted(run(cache.keys())) == sorted([url, f"{url}#content-type", other])
    info: dict[str, Any] = {"content_type": "stale"}
    assert run(collect(iter_fetch(other, cache=cache, info=info))) == [CSV]
    assert info == {"content_type": None}


@NEEDS_SERVER
def test_iter_fetch_miss_fills_cache(base: str, tmp_path: Any) -> None:
    cache = Cache("iter", root=tmp_path)
    url = f"{base}/ok/2500"

    async def go() -> bytes:
        return b"".join([c async for c in iter_fetch(url, cache=cache, chunk_size=1000)])

    assert run(go()) == body(2500)
    assert run(cache.get(url)) == body(2500)


@NEEDS_SERVER
def test_too_big_for_cache_still_downloads(base: str, tmp_path: Any) -> None:
    cache = Cache("small", max_bytes=100, root=tmp_path)
    assert run(fetch_bytes(f"{base}/ok/1000", cache=cache)) == body(1000)
    assert run(cache.keys()) == []


# ------------------------------------------------------- without a server


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"retries": -1}, DataValueError),
        ({"backoff": -1.0}, DataValueError),
        ({"sha256": "abc"}, DataValueError),
        ({"credentials": "always"}, DataValueError),
        ({"byte_range": (5, 2)}, DataValueError),
        ({"byte_range": (-1, None)}, DataValueError),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        run(fetch_bytes("http://127.0.0.1:9/x", **kwargs))


def test_bad_url_and_chunk_size() -> None:
    with pytest.raises(DataTypeError):
        run(fetch_bytes(b"http://x"))  # type: ignore[arg-type]

    async def go() -> None:
        async for _ in iter_fetch("http://127.0.0.1:9/x", chunk_size=0):
            pass

    with pytest.raises(DataValueError):
        run(go())


def test_errors_pickle() -> None:
    for e in (
        HTTPError("http://h/a", 503, "after 4 attempts"),
        IntegrityError("http://h/a", "sha256 mismatch"),
        FetchTimeoutError("http://h/a", "timed out"),
        NetworkError("http://h/a", "dropped"),
    ):
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is type(e) and str(e2) == str(e) and e2.url == "http://h/a"


def test_header_parsing() -> None:
    assert retry_after("0") == 0.0 and retry_after("100000") == 60.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after("") is None and retry_after("-3") is None
    assert content_range("bytes 0-9/10") == (0, 10, 10)
    assert content_range("bytes 9-0/10") is None and content_range(None) is None


@given(st.text(max_size=40))
def test_header_parsers_never_raise(text: str) -> None:
    r = retry_after(text)
    assert r is None or 0 <= r <= 60
    c = content_range(text)
    assert c is None or c[0] < c[1]


@NEEDS_SERVER
@pytest.mark.parametrize("enc", ["gzip", "deflate", "rawdeflate"])
def test_content_encoding_is_decoded_like_a_browser(base: str, enc: str) -> None:
    # issue 17 cause 7: a browser's fetch decodes a body the server compressed unasked
    # (tests/io/browser/fetch_checks.py); natively it is decoded too, and its compressed
    # Content-Length is not taken for the length of what arrives.
    progress = Progress()
    data = run(fetch_bytes(f"{base}/gzip/200000?enc={enc}", progress=progress))
    assert data == body(200000)
    assert progress.monotonic() and progress.calls[-1][0] == 200000
    chunks = run(collect(iter_fetch(f"{base}/gzip/300000?enc={enc}", chunk_size=1000)))
    assert b"".join(chunks) == body(300000) and max(map(len, chunks)) <= 1000


@NEEDS_SERVER
@pytest.mark.parametrize(
    ("enc", "match"),
    [
        ("br", "Content-Encoding 'br', which cannot be decoded here"),
        ("cut", "Content-Encoding gzip ended before the end of its compressed stream"),
        ("corrupt", "Content-Encoding gzip is not valid gzip data"),
    ],
)
def test_undecodable_content_encoding_names_the_url(base: str, enc: str, match: str) -> None:
    url = f"{base}/gzip/100000?enc={enc}"
    with pytest.raises(SourceError, match=match) as info:
        run(fetch_bytes(url, retries=0))
    assert str(info.value).startswith(url) and isinstance(info.value, OSError)


def test_decoded_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small bound stands in for MAX_DECODED_BYTES (4 GiB): decoding stops past it.
    import gzip

    from torsh_data.io import _fetch_native

    monkeypatch.setattr(_fetch_native, "MAX_DECODED_BYTES", 50_000)
    decoder = _fetch_native._Decoder("http://x.test/bomb", "gzip")
    bomb = gzip.compress(bytes(1 << 20))
    with pytest.raises(SourceError, match=r"http://x\.test/bomb: .* more than 50000 bytes"):
        for _ in range(1000):  # 1 MiB in steps of 16 KiB: the bound is passed long before
            decoder.decode(b"" if decoder.pending() else bomb, 1 << 14)
            bomb = b""


# --- an HTML page where data was expected (issue 17, cause 6) -----------------------------
@NEEDS_SERVER
@pytest.mark.parametrize(
    ("page", "facts"),
    [
        ("typed", ["Content-Type: text/html; charset=utf-8", "title 'Sign in - Example'"]),
        ("sniffed", ["the body starts with '<HTML'", "title '503 Service Unavailable'"]),
    ],
)
def test_an_html_page_is_not_data(base: str, page: str, facts: list[str]) -> None:
    from server import PAGES

    from torsh_data.io import HTMLResponseError, open_dataset

    url = f"{base}/page/{page}"
    for chunk_size in (1, 7, 1 << 16):  # the start of the body is gathered across chunks
        with pytest.raises(HTMLResponseError) as info:
            run(collect(iter_fetch(url, chunk_size=chunk_size, retries=0)))
        message = str(info.value)
        assert message.startswith(f"{url}: the server sent an HTML page (")
        assert all(fact in message for fact in facts) and "where data was expected" in message
        assert isinstance(info.value, SourceError) and isinstance(info.value, OSError)
    assert pickle.loads(pickle.dumps(info.value)).args == info.value.args
    assert run(fetch_bytes(url, expect=None)) == PAGES[page]  # on purpose: allowed

    async def records(fmt: str) -> list[Any]:
        return [r async for r in open_dataset(url, fmt, fetch={"retries": 0})]

    for fmt in ("csv", "json", "jsonl", "text", "tar"):  # no 0-record dataset, no "invalid JSON"
        with pytest.raises(HTMLResponseError, match=f"where {fmt} data was expected"):
            run(records(fmt))


@NEEDS_SERVER
def test_data_that_merely_mentions_html_passes(base: str) -> None:
    assert run(fetch_bytes(f"{base}/ok/5000")) == body(5000)
    # a 206 from the middle of a file is never taken for a page by its first bytes
    assert run(fetch_bytes(f"{base}/ok/5000", byte_range=(10, 20))) == body(5000)[10:20]
