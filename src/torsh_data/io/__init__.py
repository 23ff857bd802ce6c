"""Fetching and caching bytes: the same API natively and in the browser (Pyodide).

- :func:`fetch_bytes` / :func:`iter_fetch`: HTTP(S) downloads with progress, timeout,
  cancellation, retries with backoff, ``Range`` spans and resume, sha256 checks and a cache.
  ``urllib`` in a worker thread natively; the JavaScript ``fetch`` in Pyodide.
- :class:`Cache`: a verified, size-bounded byte cache; a directory natively, IndexedDB in a
  browser.

The errors are :class:`~torsh_data.SourceError` subclasses (see :mod:`torsh_data.io._http`).
"""

from __future__ import annotations

from ._http import (
    CORSError,
    FetchCancelledError,
    FetchTimeoutError,
    HTTPError,
    IntegrityError,
    NetworkError,
)
from .cache import Cache
from .fetch import CancelToken, fetch_bytes, iter_fetch

__all__ = [
    "CORSError",
    "Cache",
    "CancelToken",
    "FetchCancelledError",
    "FetchTimeoutError",
    "HTTPError",
    "IntegrityError",
    "NetworkError",
    "fetch_bytes",
    "iter_fetch",
]
