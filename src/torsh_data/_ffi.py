"""The JavaScript ↔ Python conversions torsh-data needs in Pyodide, in one place.

Pyodide hands JavaScript values to Python as ``JsProxy`` objects and takes Python values to
JavaScript through ``pyodide.ffi.to_js``. The same few conversions are needed wherever
browser code meets Python code; they live here so that each is written (and fixed) once:

- :func:`to_uint8array` / :func:`to_bytes`: bytes ↔ ``Uint8Array`` (a typed array, a
  ``DataView`` or an ``ArrayBuffer`` gives its bytes);
- :func:`to_js`, :func:`js_object`, :func:`js_array`: Python data → JavaScript, dicts as
  plain objects (``Object.fromEntries``) rather than ``Map``;
- :func:`is_js`, :func:`is_null`, :func:`js_exception`, :func:`create_proxy`: telling what a
  value is, catching a rejected promise, handing a Python callable to JavaScript;
- :func:`page_url` / :func:`resolve_url`: where the page is and a URL resolved against it.

A ``JsProxy`` promise is awaited directly (``await proxy``). Natively nothing here imports
``js`` or ``pyodide``: :func:`is_js` is False and the other helpers raise
:class:`~torsh_data.TorshDataError` through :func:`~torsh_data._runtime.js_module`.

>>> is_js(b"bytes"), is_null(None)
(False, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._runtime import IN_PYODIDE, js_module

__all__ = [
    "create_proxy",
    "is_js",
    "is_null",
    "js_array",
    "js_exception",
    "js_object",
    "page_url",
    "resolve_url",
    "to_bytes",
    "to_js",
    "to_uint8array",
]


def _loaded() -> Any:
    """``pyodide.ffi`` in Pyodide, None natively (the one runtime test of this module)."""
    if not IN_PYODIDE:
        return None
    import pyodide.ffi  # type: ignore[import-not-found,unused-ignore]

    return pyodide.ffi


def _pyffi() -> Any:
    ffi = _loaded()
    return js_module() if ffi is None else ffi  # natively js_module() raises the clear error


def is_js(value: Any) -> bool:
    """Whether ``value`` is a JavaScript object (a ``JsProxy``); always False natively."""
    ffi = _loaded()
    return ffi is not None and isinstance(value, ffi.JsProxy)


def is_null(value: Any) -> bool:
    """Whether ``value`` is JavaScript ``undefined`` (None in Python) or ``null``.

    Not by ``repr``: that of a large typed array is all its items as text.
    """
    ffi = _loaded()
    return value is None or (ffi is not None and value is ffi.jsnull)


def js_exception() -> type[BaseException]:
    """The exception a rejected promise or a throwing JavaScript call raises (``JsException``)."""
    return _pyffi().JsException


def to_uint8array(data: bytes | bytearray | memoryview) -> Any:
    """A fresh ``Uint8Array`` (over its own ``ArrayBuffer``) holding a copy of ``data``."""
    view = memoryview(data).cast("B")
    array = js_module().Uint8Array.new(view.nbytes)
    if view.nbytes:
        array.assign(view)
    return array


def to_bytes(value: Any) -> bytes:
    """The bytes of a JavaScript typed array, ``DataView`` or ``ArrayBuffer``."""
    return bytes(value.to_bytes())


def to_js(value: Any) -> Any:
    """``value`` converted deeply to JavaScript, dicts as plain objects (not ``Map``)."""
    return _pyffi().to_js(value, dict_converter=js_module().Object.fromEntries)


def js_object(**fields: Any) -> Any:
    """A plain JavaScript object of ``fields`` (options for ``fetch``, WebCrypto, ...)."""
    return to_js(fields)


def js_array(items: Iterable[Any]) -> Any:
    """A JavaScript ``Array`` of ``items``."""
    return _pyffi().to_js(list(items))


def create_proxy(fn: Callable[..., Any]) -> Any:
    """A JavaScript function calling ``fn``; call its ``destroy()`` when done with it."""
    return _pyffi().create_proxy(fn)


def page_url() -> str | None:
    """The URL of the page (or worker script) in a browser; None under Node.js or natively."""
    if _loaded() is None:
        return None
    location = getattr(js_module(), "location", None)
    href = getattr(location, "href", None) if location is not None else None
    return None if href is None else str(href)


def resolve_url(url: str, base: str) -> str:
    """``url`` resolved against ``base`` by the browser's own ``URL`` parser."""
    return str(js_module().URL.new(url, base).href)
