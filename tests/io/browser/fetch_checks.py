"""Fetch protocol checks run in Pyodide (Chromium) against ``tests/io/server.py``.

Usage: ``fetch_checks.py BASE_URL [DEAD_URL]``; prints one JSON object: for each check, the
facts the node test (``tests/runtimes/io.test.mjs``) asserts on. The server is a second
origin (another port) relative to the page, so every request here is cross-origin.
Runs natively too (``python fetch_checks.py http://127.0.0.1:PORT``), for comparison.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from iodata import body, sha

from torsh_data._runtime import IN_BROWSER, runtime_name
from torsh_data.io import Cache, CancelToken, fetch_bytes, iter_fetch

BASE = sys.argv[1].rstrip("/")
DEAD = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9/nothing"
RUN = str(time.time_ns())


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))

    def facts(self) -> dict[str, Any]:
        done = [d for d, _ in self.calls]
        return {
            "calls": len(done),
            "monotonic": done == sorted(done) and len(set(done)) == len(done),
            "last": list(self.calls[-1]) if self.calls else None,
        }


async def log(route: str, ident: str) -> list[dict[str, Any]]:
    return list(json.loads(await fetch_bytes(f"{BASE}/log/{route}/{ident}")))


def error_facts(e: BaseException) -> dict[str, Any]:
    return {
        "error": type(e).__name__,
        "message": str(e),
        "status": getattr(e, "status", None),
        "is_source_error": isinstance(e, OSError),
    }


async def expect_error(aw: Awaitable[Any]) -> dict[str, Any]:
    t0 = time.monotonic()
    try:
        await aw
    except Exception as e:  # the facts are asserted by the node test
        return {**error_facts(e), "seconds": time.monotonic() - t0}
    return {"error": None, "seconds": time.monotonic() - t0}


async def ok() -> dict[str, Any]:
    p = Progress()
    data = await fetch_bytes(f"{BASE}/ok/300000", progress=p)
    return {"equal": data == body(300000), **p.facts()}


async def chunks() -> dict[str, Any]:
    parts = [c async for c in iter_fetch(f"{BASE}/ok/10000", chunk_size=1000)]
    return {"equal": b"".join(parts) == body(10000), "max": max(len(c) for c in parts)}


async def gzipped() -> dict[str, Any]:
    # fetch decodes the body; Content-Length is the compressed size and must not cut it
    data = await fetch_bytes(f"{BASE}/gzip/200000")
    return {"equal": data == body(200000), "size": len(data)}


async def html_pages() -> dict[str, Any]:
    # issue 17 cause 6: a page with status 200 where data was expected
    from torsh_data.io import open_dataset

    async def records(url: str, fmt: str) -> list[Any]:
        return [r async for r in open_dataset(url, fmt, fetch={"retries": 0})]

    out = {}
    for kind in ("typed", "sniffed"):
        url = f"{BASE}/page/{kind}"
        out[kind] = {
            "fetch": await expect_error(fetch_bytes(url, retries=0)),
            "csv": await expect_error(records(url, "csv")),
            "json": await expect_error(records(url, "json")),
            "allowed": (await fetch_bytes(url, expect=None))
            .lstrip(b"\xef\xbb\xbf \r\n")[:5]
            .lower()
            == b"<!doc"[: 5 if kind == "typed" else 0] + b"<html"[: 0 if kind == "typed" else 5],
        }
    return out


async def ranges() -> dict[str, Any]:
    out = {}
    for route in ("ok", "norange"):
        a = await fetch_bytes(f"{BASE}/{route}/5000", byte_range=(100, 1100))
        b = await fetch_bytes(f"{BASE}/{route}/5000", byte_range=(4000, None))
        c = await fetch_bytes(f"{BASE}/{route}/5000", byte_range=(4500, 9000))
        out[route] = [a == body(5000)[100:1100], b == body(5000)[4000:], c == body(5000)[4500:]]
    return out


async def not_found() -> dict[str, Any]:
    return await expect_error(fetch_bytes(f"{BASE}/status/404", backoff=0))


async def retry_after() -> dict[str, Any]:
    ident = f"ra{RUN}"
    data = await fetch_bytes(f"{BASE}/flaky/{ident}?status=503&fails=2&n=500&retry_after=1")
    t = [e["t"] for e in await log("flaky", ident)]
    return {
        "equal": data == body(500),
        "requests": len(t),
        "gaps": [b - a for a, b in itertools.pairwise(t)],
    }


async def backoff() -> dict[str, Any]:
    ident = f"bo{RUN}"
    data = await fetch_bytes(f"{BASE}/flaky/{ident}?status=429&fails=3&n=50", backoff=0.1)
    t = [e["t"] for e in await log("flaky", ident)]
    return {"equal": data == body(50), "gaps": [b - a for a, b in itertools.pairwise(t)]}


async def exhausted() -> dict[str, Any]:
    url = f"{BASE}/flaky/ex{RUN}?status=500&fails=9"
    return await expect_error(fetch_bytes(url, retries=2, backoff=0))


async def resume() -> dict[str, Any]:
    ident = f"dr{RUN}"
    p = Progress()
    data = await fetch_bytes(f"{BASE}/drop/{ident}?n=100000&at=40000", progress=p, backoff=0)
    seen = await log("drop", ident)
    return {
        "equal": data == body(100000),
        **p.facts(),
        "ranges": [e["range"] for e in seen],
        "if_range": [e["if_range"] for e in seen],
    }


async def bad_length() -> dict[str, Any]:
    return await expect_error(fetch_bytes(f"{BASE}/badlength/1000", retries=1, backoff=0))


async def integrity() -> dict[str, Any]:
    good = sha(body(2000))
    fine = await fetch_bytes(f"{BASE}/ok/2000", sha256=good) == body(2000)
    return {"fine": fine, **await expect_error(fetch_bytes(f"{BASE}/mismatch/2000", sha256=good))}


async def timeout() -> dict[str, Any]:
    p = Progress()
    url = f"{BASE}/slow/5000?chunk=100&delay=0.05"
    return {**await expect_error(fetch_bytes(url, timeout=0.5, progress=p)), **p.facts()}


async def cancel() -> dict[str, Any]:
    token = CancelToken()

    def progress(done: int, total: int | None) -> None:
        if done >= 300:
            token.cancel()

    url = f"{BASE}/slow/5000?chunk=100&delay=0.05"
    return await expect_error(fetch_bytes(url, cancel=token, progress=progress))


async def cancel_event() -> dict[str, Any]:
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, event.set)
    url = f"{BASE}/slow/5000?chunk=100&delay=0.05"
    return await expect_error(fetch_bytes(url, cancel=event))


async def nocors() -> dict[str, Any]:
    return await expect_error(fetch_bytes(f"{BASE}/nocors/ok/100", retries=0))


async def dead() -> dict[str, Any]:
    return await expect_error(fetch_bytes(DEAD, retries=1, backoff=0))


async def cached() -> dict[str, Any]:
    cache = Cache(f"fetch{RUN}")
    ident = f"c{RUN}"
    url = f"{BASE}/flaky/{ident}?fails=0&n=3000"
    first = await fetch_bytes(url, cache=cache)
    second = await fetch_bytes(url, cache=cache)
    requests = len(await log("flaky", ident))
    keys = await cache.keys()
    await cache.clear()
    return {
        "backend": cache.backend,
        "equal": first == second == body(3000),
        "requests": requests,
        "keys": keys == [url],
    }


async def credentials() -> dict[str, Any]:
    """A cookie of the page's host (cookies ignore ports) goes cross-origin only if asked."""
    if not IN_BROWSER:
        return {"skipped": "no document.cookie here"}
    import js  # type: ignore[import-not-found]

    js.document.cookie = "torsh=secret; SameSite=Lax"
    out: dict[str, Any] = {}
    for mode in ("same-origin", "omit", "include"):
        ident = f"cr{mode}{RUN}"
        result = await expect_error(
            fetch_bytes(f"{BASE}/flaky/{ident}?fails=0&n=10", credentials=mode, retries=0)
        )
        out[mode] = {"cookies": [e["cookie"] for e in await log("flaky", ident)], **result}
    return out


CHECKS: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
    f.__name__: f
    for f in (
        ok,
        chunks,
        gzipped,
        html_pages,
        ranges,
        not_found,
        retry_after,
        backoff,
        exhausted,
        resume,
        bad_length,
        integrity,
        timeout,
        cancel,
        cancel_event,
        nocors,
        dead,
        cached,
        credentials,
    )
}


async def main() -> dict[str, Any]:
    out: dict[str, Any] = {"runtime": runtime_name()}
    for name, check in CHECKS.items():
        try:
            out[name] = await check()
        except Exception as e:  # reported, then asserted on by the node test
            out[name] = {"crashed": error_facts(e)}
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
