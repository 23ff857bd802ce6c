"""Compiled WebAssembly kernels: a few hot loops of the batch kernels, for Pyodide.

NOTE [ WebAssembly kernels ]: in Pyodide every Python-level step costs two to three times its
native cost, and even C-level bulk calls such as ``bytes.translate`` keep only about half
their native speed (BENCHMARKS.md), so no pure-Python batch kernel reaches the native rate
there. A few hot loops are therefore also written in WebAssembly text (the ``*.wat`` files
beside this module), assembled by ``wabt`` at development time (``node tools/wasm/build.mjs``)
into the ``*.wasm`` files the wheel ships; a test assembles them again and compares.

In Pyodide, :func:`kernels` compiles a module once and instantiates it on Pyodide's own
memory, where every Python object lives: a kernel reads its inputs and writes its output in
place, at the addresses of the Python buffers (:func:`addresses`), and nothing is copied. A
wrapper checks every size before the call, since a kernel's stray write would land in
Python's heap. The kernels are optional the way numpy is: natively, or where a module cannot
be compiled, :func:`kernels` returns None and the caller runs its pure-Python kernel. That
kernel is the reference: a WebAssembly kernel gives exactly its bytes (tests compare them on
random inputs in Pyodide), so results do not depend on which ran. :func:`disabled` turns
them off (the tests' way to get the reference on the same runtime); :func:`unavailable` says
why a module is not used.

>>> kernels("image") is None or kernels("image").name == "image"
True
>>> with disabled():
...     kernels("image") is None
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import resources
from typing import Any

from .._ffi import js_object, to_uint8array
from .._runtime import IN_PYODIDE, js_module

if IN_PYODIDE:  # _ctypes is built into Pyodide's interpreter: no import cost, no ctypes package
    from _ctypes import _SimpleCData
    from _ctypes import addressof as _addressof

    class _Char(_SimpleCData):
        _type_ = "c"

    class _CharP(_SimpleCData):
        _type_ = "z"

    class _VoidP(_SimpleCData):
        _type_ = "P"

else:  # the same names from ctypes, so addresses() is the same function natively (tests)
    from ctypes import addressof as _addressof
    from ctypes import c_char as _Char  # type: ignore[assignment]
    from ctypes import c_char_p as _CharP  # type: ignore[assignment]
    from ctypes import c_void_p as _VoidP  # type: ignore[assignment]


__all__ = ["Kernels", "addresses", "disabled", "kernels", "locatable", "unavailable"]

_loaded: dict[str, Kernels | None] = {}
_why: dict[str, str] = {}
_off = 0


class Kernels:
    """One instantiated module: its exported functions, called with integer arguments
    (addresses from :func:`addresses`, sizes, parameters)."""

    def __init__(self, name: str, instance: Any) -> None:
        self.name = name
        self._exports = instance.exports

    def __getattr__(self, export: str) -> Any:
        found = getattr(self._exports, export)
        setattr(self, export, found)  # once: a JavaScript attribute costs microseconds
        return found

    def __repr__(self) -> str:
        return f"Kernels({self.name!r})"


def addresses(*buffers: Any) -> list[int]:
    """Where each buffer's bytes start in Pyodide's memory (0 for an empty one). A buffer
    must be contiguous and stay alive, unresized, until the kernel has run. ``bytes`` and
    writable buffers are used in place; another read-only buffer (a slice of ``bytes``)
    cannot be located and raises ``TypeError``: pass ``bytes(view)``."""
    out = []
    for buf in buffers:
        if type(buf) is bytes:
            out.append(_VoidP.from_buffer(_CharP(buf)).value or 0 if buf else 0)
            continue
        if type(buf) is memoryview and not buf.readonly and buf.nbytes and buf.c_contiguous:
            out.append(_addressof(_Char.from_buffer(buf)))  # a collated batch's view: at once
            continue
        view = memoryview(buf).cast("B")
        if not view.nbytes:
            out.append(0)
        elif view.readonly:
            raise TypeError("a read-only buffer other than bytes cannot be located: pass bytes")
        else:
            out.append(_addressof(_Char.from_buffer(view)))
    return out


def locatable(data: Any) -> Any:
    """``data``'s bytes as a buffer :func:`addresses` can locate: ``data`` itself when it is
    ``bytes``, a view of it when writable, else the ``bytes`` object a read-only view covers
    whole, else a copy. Keep the result alive until the kernel has run.

    >>> b = b"abcd"
    >>> locatable(memoryview(b)) is b, locatable(memoryview(b)[1:])
    (True, b'bcd')
    """
    if type(data) is bytes:
        return data
    view = memoryview(data)
    if not view.readonly:
        return view
    whole = view.obj
    return whole if type(whole) is bytes and len(whole) == view.nbytes else view.tobytes()


def kernels(name: str) -> Kernels | None:
    """The module ``name`` (``_wasm/<name>.wasm``) ready to call, or None where WebAssembly
    kernels are not used (natively, inside :func:`disabled`, or when it cannot be loaded:
    :func:`unavailable` says why)."""
    if _off:
        return None
    if name not in _loaded:
        _loaded[name] = _load(name)
    return _loaded[name]


def unavailable(name: str) -> str | None:
    """Why :func:`kernels` gives None for ``name``, or None when it gives the module."""
    if kernels(name) is not None:
        return None
    return "turned off by disabled()" if _off else _why.get(name)


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Within the block every caller runs its pure-Python kernel."""
    global _off
    _off += 1
    try:
        yield
    finally:
        _off -= 1


def _load(name: str) -> Kernels | None:
    if not IN_PYODIDE:
        _why[name] = "WebAssembly kernels are used only where Python runs on WebAssembly"
        return None
    try:
        data = resources.files(__name__).joinpath(f"{name}.wasm").read_bytes()
    except OSError as exc:
        _why[name] = f"{name}.wasm is not in the package ({exc})"
        return None
    js = js_module()
    try:
        import pyodide_js  # type: ignore[import-not-found,unused-ignore]

        module = js.WebAssembly.Module.new(to_uint8array(data))
        imports = js_object(env=js_object(memory=pyodide_js._module.memory))
        return Kernels(name, js.WebAssembly.Instance.new(module, imports))
    except Exception as exc:  # a CSP without 'wasm-unsafe-eval', or an engine's refusal
        _why[name] = f"{name}.wasm could not be compiled here: {exc}"
        return None
