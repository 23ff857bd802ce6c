"""What a source string names: a URL, a URL relative to the browser page, or a local path.

One classifier for the manifest, the sources, fetch, the shards and the readers:

- **URL** (:func:`is_url`): an absolute URL that :func:`~torsh_data.io.iter_fetch` opens:
  ``http://`` or ``https://`` (the scheme in any case, as RFC 3986 allows: ``HTTPS://a/b``),
  ``blob:`` and ``data:``. The same on every runtime; a pure test of the string.
  ``http:x`` (no ``//``) is not a URL: it is a path (or, in a page, a relative URL).
- **HTTP URL** (:func:`is_http_url`): a URL of scheme ``http``/``https``; a manifest's shards
  and ``base_url`` must be these (a ``blob:``/``data:`` URL cannot be a base).
- **relative URL in a page** (:func:`is_page_relative`): only in a browser (a page or a Web
  Worker, not Node.js), a non-empty string that is no URL and no file or directory of
  Pyodide's file system, e.g. ``"data/train.csv"`` next to the page. Resolved against the
  page's address by :func:`absolute_url`. Natively and under Node.js there is no page, so
  such a string is a path.
- **local path** (:func:`is_local_path`): an ``os.PathLike``, or a string that is neither
  of the above (natively: every string that is no URL).

:func:`is_remote` is "fetched rather than opened": a URL or a relative URL in a page.

>>> is_url("https://example.org/a.csv"), is_url("HTTP://example.org/a"), is_url("data:,hi")
(True, True, True)
>>> is_url("http:relative"), is_url("train.csv"), is_url(b"https://x")
(False, False, False)
>>> is_http_url("blob:https://example.org/1f2e"), is_http_url("https://example.org")
(False, True)
"""

from __future__ import annotations

import os
import re
from typing import Any, TypeGuard

from .._ffi import page_url, resolve_url
from .._runtime import IN_BROWSER

__all__ = [
    "absolute_url",
    "is_http_url",
    "is_local_path",
    "is_page_relative",
    "is_remote",
    "is_url",
]

_URL = re.compile(r"(?i)(?:https?://|blob:|data:)")
_HTTP = re.compile(r"(?i)https?://")


def is_url(text: Any) -> TypeGuard[str]:
    """Whether ``text`` is an absolute URL string fetch opens (``http(s)://``, ``blob:``,
    ``data:``; the scheme in any case)."""
    return isinstance(text, str) and _URL.match(text) is not None


def is_http_url(text: Any) -> TypeGuard[str]:
    """Whether ``text`` is an ``http://`` or ``https://`` URL (the scheme in any case)."""
    return isinstance(text, str) and _HTTP.match(text) is not None


def is_page_relative(text: Any) -> TypeGuard[str]:
    """Whether ``text`` is a URL relative to the browser page: in a browser only, a non-empty
    string that is no URL and names nothing in Pyodide's file system."""
    return (
        IN_BROWSER
        and isinstance(text, str)
        and bool(text)
        and not is_url(text)
        and not os.path.exists(text)
    )


def is_remote(source: Any) -> TypeGuard[str]:
    """Whether ``source`` is fetched rather than opened: a URL or a relative URL in a page."""
    return is_url(source) or is_page_relative(source)


def is_local_path(source: Any) -> bool:
    """Whether ``source`` is a path of this machine (or of Pyodide's file system)."""
    return isinstance(source, os.PathLike) or (isinstance(source, str) and not is_remote(source))


def absolute_url(url: str) -> str:
    """``url`` made absolute: a relative URL in a page resolved against the page's address;
    anything else as it is."""
    if not is_page_relative(url):
        return url
    base = page_url()
    return url if base is None else resolve_url(url, base)
