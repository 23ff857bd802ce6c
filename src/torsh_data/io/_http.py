"""HTTP errors and header helpers shared by the native and the browser fetch.

The exceptions of :mod:`torsh_data.io` all derive from :class:`~torsh_data.SourceError` (and so
from ``OSError``)::

    SourceError
    ├── HTTPError             a final HTTP status (4xx, or 429/5xx after the retries)
    ├── NetworkError          the connection failed or dropped (after the retries)
    ├── CORSError             the browser blocked a cross-origin response
    ├── IntegrityError        the bytes do not have the expected sha256
    ├── FetchTimeoutError     the whole request took longer than ``timeout`` (also TimeoutError)
    ├── FetchCancelledError   the caller's ``cancel`` token was set
    └── HTMLResponseError     an HTML page came where data was expected

An integrity failure is a :class:`SourceError`, not a ``FormatError``: the bytes are not
malformed, they are not the ones asked for (a changed or tampered file, a broken transfer).
So is an HTML page in place of data (a sign-in page, a CDN's error page, a moved file's
"not found" page served with status 200): see :func:`html_page`.

>>> import pickle
>>> e = pickle.loads(pickle.dumps(HTTPError("https://x.test/a", 404)))
>>> (e.url, e.status, str(e))
('https://x.test/a', 404, 'https://x.test/a: HTTP 404 Not Found')
"""

from __future__ import annotations

import email.utils
import re
import time
from http import HTTPStatus

from .._errors import SourceError

__all__ = [
    "CORSError",
    "FetchCancelledError",
    "FetchTimeoutError",
    "HTMLResponseError",
    "HTTPError",
    "IntegrityError",
    "NetworkError",
    "content_range",
    "html_page",
    "is_retryable_status",
    "retry_after",
]

#: Longest wait a ``Retry-After`` header may impose, in seconds.
MAX_RETRY_AFTER = 60.0


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class HTTPError(SourceError):
    """An HTTP response with a status that is not a success.

    Attributes:
        url: the URL requested.
        status: the HTTP status code.
    """

    def __init__(self, url: str, status: int, detail: str = "") -> None:
        message = f"{url}: HTTP {status} {_reason(status)}".rstrip()
        super().__init__(f"{message} ({detail})" if detail else message)
        self.url, self.status, self.detail = url, status, detail

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.status, self.detail))


class _URLError(SourceError):
    """A :class:`SourceError` about one URL that pickles with its message and URL."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url, self.reason = url, message

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.reason))


class NetworkError(_URLError):
    """The connection failed, was refused or dropped before the whole body arrived."""


class CORSError(_URLError):
    """The browser refused a cross-origin response (the server sent no CORS headers)."""


class IntegrityError(_URLError):
    """Downloaded (or cached) bytes whose sha256 is not the expected one."""


class FetchTimeoutError(_URLError, TimeoutError):
    """The request (all attempts together) took longer than its ``timeout``."""


class FetchCancelledError(_URLError):
    """The request was cancelled through its ``cancel`` token."""


class HTMLResponseError(_URLError):
    """The server sent an HTML page where data was expected (see :func:`html_page`)."""


#: How many leading bytes of a body :func:`html_page` looks at, at most.
SNIFF_BYTES = 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_STARTS = (b"<!doctype html", b"<html")
_BOM = b"\xef\xbb\xbf"
_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})", re.IGNORECASE)


def html_page(content_type: str | None, head: bytes, complete: bool = True) -> bool | None:
    """Whether a response is an HTML page: its ``Content-Type`` is ``text/html`` (or XHTML),
    or its first bytes, after a byte order mark and white space, are ``<!doctype html`` or
    ``<html`` in any case. None: ``head`` is too short to tell and more of the body follows
    (``complete=False``).

    >>> html_page("text/html; charset=utf-8", b"a,b")
    True
    >>> html_page(None, b"\\xef\\xbb\\xbf\\n  <!DOCTYPE HTML><title>Sign in</title>")
    True
    >>> html_page("text/csv", b"x,y\\n1,2\\n"), html_page(None, b"  <!DOC", complete=False)
    (False, None)
    """
    if content_type and content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES:
        return True
    rest = head[:SNIFF_BYTES].removeprefix(_BOM)
    part_of_bom = _BOM.startswith(rest)  # b"\xef" of a BOM cut by the chunking
    rest = rest.lstrip(b" \t\r\n\f").lower()
    if rest.startswith(_HTML_STARTS):
        return True
    undecided = part_of_bom or any(start.startswith(rest) for start in _HTML_STARTS)
    return None if undecided and not complete and len(head) < SNIFF_BYTES else False


def html_error(url: str, content_type: str | None, head: bytes, expect: str) -> HTMLResponseError:
    """The :class:`HTMLResponseError` for an HTML page where ``expect`` was expected."""
    found = _TITLE.search(head[: SNIFF_BYTES * 2])
    facts = [f"Content-Type: {content_type or 'none'}"]
    if not html_page(content_type, b""):
        rest = head.removeprefix(_BOM).lstrip(b" \t\r\n\f")
        n = next((len(s) for s in _HTML_STARTS if rest.lower().startswith(s)), 14)
        facts.insert(0, f"the body starts with {rest[:n].decode('utf-8', 'replace')!r}")
    if found:
        facts.append(f"title {found.group(1).decode('utf-8', 'replace').strip()!r}")
    return HTMLResponseError(
        url,
        f"the server sent an HTML page ({'; '.join(facts)}) where {expect} was expected: a "
        "sign-in, error or 'not found' page? Check the URL (and that the file is public); pass "
        "expect=None to download a page on purpose",
    )


def is_retryable_status(status: int) -> bool:
    """True for statuses worth another try: 408, 429 and every 5xx except 501 and 505."""
    return status in (408, 429) or (500 <= status < 600 and status not in (501, 505))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date).

    >>> retry_after("2"), retry_after(None), retry_after("soon")
    (2.0, None, None)
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return min(max(0.0, when.timestamp() - time.time()), MAX_RETRY_AFTER)


_CONTENT_RANGE = re.compile(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE | re.ASCII)


def content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """Parse ``Content-Range: bytes first-last/total`` into ``(first, last + 1, total)``.

    >>> content_range("bytes 10-19/100"), content_range("bytes 0-0/*"), content_range("x")
    ((10, 20, 100), (0, 1, None), None)
    """
    m = _CONTENT_RANGE.match(value or "")
    if not m:
        return None
    first, last = int(m.group(1)), int(m.group(2))
    if last < first:
        return None
    return first, last + 1, None if m.group(3) == "*" else int(m.group(3))
