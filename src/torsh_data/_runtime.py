"""Which runtime torsh-data runs in, decided once.

``IN_PYODIDE`` is true inside Pyodide (CPython compiled to WebAssembly), whether the host is
a browser page, a Web Worker or Node.js. ``IN_BROWSER`` is true only when a DOM-less or DOM
browser global scope is reachable (page or worker), false under Node.js. Browser-only code
imports ``js`` and ``pyodide`` through :func:`js_module` so that nothing at import time touches
them natively.
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["IN_BROWSER", "IN_PYODIDE", "js_module", "runtime_name"]

IN_PYODIDE: bool = sys.platform == "emscripten"


def _detect_browser() -> bool:
    if not IN_PYODIDE:
        return False
    import js  # type: ignore[import-not-found, unused-ignore]  # (the repo's js/ folder looks like a package)

    # Node.js has a `process` global with `versions.node`; browsers and workers do not.
    process = getattr(js, "process", None)
    versions = getattr(process, "versions", None) if process is not None else None
    return getattr(versions, "node", None) is None


IN_BROWSER: bool = _detect_browser()


def runtime_name() -> str:
    """Return ``"cpython"``, ``"pyodide-node"`` or ``"pyodide-browser"``."""
    if not IN_PYODIDE:
        return "cpython"
    return "pyodide-browser" if IN_BROWSER else "pyodide-node"


def js_module() -> ModuleType:
    """Return Pyodide's ``js`` module; raise a clear error outside Pyodide."""
    if not IN_PYODIDE:
        from ._errors import TorshDataError

        raise TorshDataError("this feature needs the Pyodide runtime (a browser or Node.js)")
    import js

    return js
