"""An HTML page where data was expected (issue 17, cause 6): ``data:`` URLs go through the
same fetch as ``http(s)`` ones (urllib natively, ``fetch`` in Pyodide), so these run natively
and in Pyodide under Node.js without a server. The server cases (status 200 pages from a real
HTTP server) are in test_fetch.py natively and in tests/io/browser/fetch_checks.py in Chromium
and Pyodide under Node.js (tests/runtimes/io.test.mjs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from support import run

from torsh_data import SourceError, TorshDataError
from torsh_data._runtime import runtime_name
from torsh_data.io import HTMLResponseError, StreamingDataset, fetch_bytes, open_dataset
from torsh_data.io._http import html_page

DATA_URLS = pytest.mark.skipif(
    runtime_name() == "pyodide-browser",
    reason="the Chromium harness page's CSP (connect-src 'self') refuses data: URLs; Chromium "
    "runs these checks against tests/io/server.py (tests/io/browser/fetch_checks.py)",
)
PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>form</body></html>"


def data_url(ctype: str, text: str) -> str:
    return f"data:{ctype},{quote(text)}"


async def records(source: Any, fmt: str) -> list[Any]:
    return [r async for r in StreamingDataset(source, format=fmt)]


@pytest.mark.needs_jspi(reason="fetches data: URLs with JavaScript's fetch")
@DATA_URLS
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "text", "npy"])
@pytest.mark.parametrize(
    ("ctype", "text", "fact"),
    [
        ("text/html", PAGE, "Content-Type: text/html"),
        ("text/html;charset=utf-8", "sign in please", "Content-Type: text/html"),
        ("text/csv", "\ufeff \r\n\t<!doctype HTML>" + PAGE[15:], "starts with '<!doctype HTML'"),
        ("application/octet-stream", "<HtMl><title>Sign in</title>", "starts with '<HtMl'"),
    ],
)
def test_streaming_dataset_says_html_not_the_format(
    fmt: str, ctype: str, text: str, fact: str
) -> None:
    url = data_url(ctype, text)
    with pytest.raises(HTMLResponseError) as info:
        run(records(url, fmt))
    message = str(info.value)
    assert message.startswith(f"{url}: the server sent an HTML page")
    assert fact in message and f"where {fmt} data was expected" in message
    assert isinstance(info.value, TorshDataError) and isinstance(info.value, OSError)


@pytest.mark.needs_jspi(reason="fetches data: URLs with JavaScript's fetch")
@DATA_URLS
def test_fetch_and_open_dataset_name_the_url() -> None:
    url = data_url("text/html", PAGE)
    with pytest.raises(SourceError, match=r"title 'Sign in'\).* where data was expected"):
        run(fetch_bytes(url))
    assert run(fetch_bytes(url, expect=None)) == PAGE.encode()

    async def first(fmt: str) -> list[Any]:
        return [r async for r in open_dataset(url, fmt)]

    with pytest.raises(HTMLResponseError, match="where jsonl data was expected"):
        run(first("jsonl"))


@pytest.mark.needs_jspi(reason="fetches data: URLs with JavaScript's fetch")
@DATA_URLS
@pytest.mark.parametrize(
    "text",
    ["a,b\n1,2\n", "html,x\n<html>,1\n", " \n\n", "", "<htm", "<!doctype", '{"html": 1}\n'],
)
def test_data_is_not_taken_for_a_page(text: str) -> None:
    url = data_url("text/csv", text)
    assert run(fetch_bytes(url)) == text.encode()


@pytest.mark.parametrize(
    ("ctype", "head", "complete", "verdict"),
    [
        ("TEXT/HTML ; q=1", b"", True, True),
        ("application/xhtml+xml", b"", True, True),
        (None, b"<!DOCTYPE html>", True, True),
        (None, b"\xef\xbb\xbf\n<html>", True, True),
        (None, b"   ", False, None),  # more may come
        (None, b"   ", True, False),
        (None, b" " * 2000, False, False),  # looked far enough
        (None, b"<!doctype htm", False, None),
        (None, b"<!doctype xml", False, False),
        (None, b"x,y", False, False),
    ],
)
def test_html_page_verdicts(ctype: str | None, head: bytes, complete: bool, verdict: Any) -> None:
    assert html_page(ctype, head, complete) is verdict
