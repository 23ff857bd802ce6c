"""Which runtime torsh-data runs in, and whether it may block on asynchronous work.

``IN_PYODIDE`` is true inside Pyodide (CPython compiled to WebAssembly), whether the host is
a browser page, a Web Worker or Node.js. ``IN_BROWSER`` is true only when a DOM-less or DOM
browser global scope is reachable (page or worker), false under Node.js. Browser-only code
imports ``js`` and ``pyodide`` through :func:`js_module` so that nothing at import time touches
them natively.

NOTE [ Blocking on a promise ]: a synchronous entry point (``for batch in loader``, ``len(ds)``
of a remote manifest, ...) that needs asynchronous work done goes through :func:`run_blocking`,
the one place that waits for a coroutine. Natively that is :func:`asyncio.run`. In Pyodide
Python can only wait for a JavaScript promise through JSPI (WebAssembly JavaScript Promise
Integration: Chromium, Firefox, Node.js with ``--experimental-wasm-stack-switching``; not
WebKit/Safari) and only when JavaScript entered Python through a promising call; elsewhere
:func:`run_blocking` raises :class:`~torsh_data.CannotBlockError` naming the ``async`` call to
use instead, rather than Pyodide's "WebAssembly stack switching not supported".
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterator
from types import ModuleType
from typing import Any, TypeVar

__all__ = [
    "IN_BROWSER",
    "IN_PYODIDE",
    "can_block",
    "has_jspi",
    "iterate_blocking",
    "js_module",
    "run_blocking",
    "runtime_name",
    "wait_for",
]

T = TypeVar("T")
R = TypeVar("R")

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


async def wait_for(aw: Awaitable[T], timeout: float | None) -> T:
    """:func:`asyncio.wait_for` whose timer goes when the wait ends.

    Pyodide's event loop schedules ``call_later`` with ``setTimeout`` and never clears it when
    the handle is cancelled, so under Node.js every finished :func:`asyncio.wait_for` kept the
    process alive until its timeout (120 s after a stream's last chunk). Here the timer is a
    ``setTimeout`` cleared as soon as ``aw`` settles.

    >>> asyncio.run(wait_for(asyncio.sleep(0, "done"), 1.0))
    'done'
    """
    if not IN_PYODIDE or timeout is None:
        return await asyncio.wait_for(aw, timeout)
    from pyodide.ffi import create_proxy  # type: ignore[import-not-found, unused-ignore]
    from pyodide.webloop import WebLoop  # type: ignore[import-not-found, unused-ignore]

    if not isinstance(asyncio.get_running_loop(), WebLoop):  # a Python-only loop: its timers
        return await asyncio.wait_for(aw, timeout)
    js = js_module()

    task = asyncio.ensure_future(aw)
    fired = False

    def expire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    callback = create_proxy(expire)
    timer = js.setTimeout(callback, max(0.0, timeout) * 1000)
    try:
        return await task
    except asyncio.CancelledError:
        if fired:
            raise asyncio.TimeoutError from None
        raise
    finally:
        js.clearTimeout(timer)
        callback.destroy()


def js_module() -> ModuleType:
    """Return Pyodide's ``js`` module; raise a clear error outside Pyodide."""
    if not IN_PYODIDE:
        from ._errors import TorshDataError

        raise TorshDataError("this feature needs the Pyodide runtime (a browser or Node.js)")
    import js

    return js


def has_jspi() -> bool:
    """True when the JavaScript engine has JSPI (``WebAssembly.Suspending``, or the older
    ``WebAssembly.Suspender`` of Node.js 20 with ``--experimental-wasm-stack-switching``);
    always false natively, where no promise is involved."""
    if not IN_PYODIDE:
        return False
    js = js_module()
    wasm = getattr(js.globalThis, "WebAssembly", None)
    return wasm is not None and any(
        bool(js.Reflect.has(wasm, name)) for name in ("Suspending", "Suspender")
    )


def can_block() -> bool:
    """True where a synchronous call may wait for a coroutine to finish (NOTE [ Blocking on a
    promise ]): natively outside a running event loop; in Pyodide where JSPI is there and
    JavaScript entered Python through a promising call (``pyodide.ffi.can_run_sync()``).

    >>> can_block()  # natively, no event loop is running here
    True
    """
    if IN_PYODIDE:
        from pyodide.ffi import can_run_sync  # type: ignore[import-not-found, unused-ignore]

        return bool(can_run_sync())
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def require_blocking(operation: str, alternative: str) -> None:
    """Raise :class:`~torsh_data.CannotBlockError` unless :func:`can_block`: ``operation``
    would have to wait for asynchronous work, ``alternative`` is the ``async`` call to use."""
    if can_block():
        return
    from ._errors import CannotBlockError

    if not IN_PYODIDE:
        why = "an event loop is running in this thread, and blocking would stall it"
    elif not has_jspi():
        why = (
            "this JavaScript engine has no JSPI (WebAssembly JavaScript Promise Integration: "
            "WebKit/Safari, Node.js without --experimental-wasm-stack-switching), so Python "
            "cannot wait for a promise"
        )
    else:
        why = (
            "JavaScript called Python synchronously, so Python cannot wait for a promise "
            "(call it with runPythonAsync or callPromising)"
        )
    raise CannotBlockError(
        f"{operation} has to wait for asynchronous work, but {why}; use {alternative} instead"
    )


def run_blocking(coro: Coroutine[Any, Any, T], *, operation: str, alternative: str) -> T:
    """Run ``coro`` to completion and return its result, from synchronous code.

    Raises :class:`~torsh_data.CannotBlockError` (a ``RuntimeError``) naming ``operation`` and
    the ``alternative`` to use where the runtime cannot block (NOTE [ Blocking on a promise ]);
    the coroutine is then closed without running.

    >>> async def answer() -> int:
    ...     return 42
    >>> run_blocking(answer(), operation="answering", alternative="'await answer()'")
    42
    """
    try:
        require_blocking(operation, alternative)
    except BaseException:
        coro.close()
        raise
    return asyncio.run(coro)


def iterate_blocking(items: AsyncIterator[T], *, operation: str, alternative: str) -> Iterator[T]:
    """Iterate an asynchronous iterator from synchronous code, waiting for each item with
    :func:`run_blocking`. Refuses at once (before the first ``next``) where the runtime cannot
    block; an iteration abandoned early closes ``items`` (``aclose``) where it still can.
    """
    require_blocking(operation, alternative)
    return _iterate(items, operation, alternative)


def _iterate(items: AsyncIterator[T], operation: str, alternative: str) -> Iterator[T]:
    # Natively one event loop serves the whole iteration (asyncio.run would finalise the
    # asynchronous generator after its first item); Pyodide's WebLoop is the page's.
    loop = None if IN_PYODIDE else asyncio.new_event_loop()

    def wait(coro: Coroutine[Any, Any, R]) -> R:
        if loop is None:
            return run_blocking(coro, operation=operation, alternative=alternative)
        return loop.run_until_complete(coro)

    async def step() -> tuple[bool, Any]:
        try:
            return True, await items.__anext__()
        except StopAsyncIteration:
            return False, None

    finished = False
    try:
        while True:
            more, item = wait(step())
            if not more:
                finished = True
                return
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if not finished and aclose is not None and (loop is not None or can_block()):
            wait(aclose())
        if loop is not None:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
