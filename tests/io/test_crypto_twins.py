"""The two sets of cache-encryption primitives are twins: the same API, one chosen per
runtime (like fetch's ``_fetch_native``/``_fetch_browser``)."""

from __future__ import annotations

import inspect

from torsh_data._runtime import IN_PYODIDE
from torsh_data.io import _crypto, _crypto_native, _crypto_web


def test_the_twins_have_the_same_api() -> None:
    assert _crypto_native.__all__ == _crypto_web.__all__ == ["Aead", "check_available", "pbkdf2"]
    for name in ("check_available", "pbkdf2"):
        native, web = getattr(_crypto_native, name), getattr(_crypto_web, name)
        assert inspect.signature(native) == inspect.signature(web)
        assert inspect.iscoroutinefunction(native) == inspect.iscoroutinefunction(web)
    for method in ("__init__", "encrypt", "decrypt"):
        native, web = getattr(_crypto_native.Aead, method), getattr(_crypto_web.Aead, method)
        assert inspect.signature(native) == inspect.signature(web)


def test_the_runtime_picks_its_twin() -> None:
    assert _crypto._twin() is (_crypto_web if IN_PYODIDE else _crypto_native)
    assert _crypto._twin() is _crypto._twin()  # chosen once
