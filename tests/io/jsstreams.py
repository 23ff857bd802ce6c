"""JavaScript ``ReadableStream``s for the Pyodide tests, built without ``eval`` (the Chromium
harness page's Content-Security-Policy forbids it): the underlying source's callbacks are
Python functions behind ``create_proxy``."""

from __future__ import annotations

from typing import Any


def _obj(**kw: Any) -> Any:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    return to_js(kw, dict_converter=js.Object.fromEntries)


def u8(data: bytes) -> Any:
    """``data`` as a JavaScript ``Uint8Array``."""
    from pyodide.ffi import to_js

    return to_js(data)


def make_stream(pull: Any, cancel: Any = None) -> Any:
    """A ``ReadableStream`` whose ``pull(controller)`` is the Python ``pull``."""
    import js
    from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

    source = {"pull": create_proxy(pull)}
    if cancel is not None:
        source["cancel"] = create_proxy(cancel)
    return js.ReadableStream.new(_obj(**source), _obj(highWaterMark=0))


class Parts:
    """A stream of the given byte strings, one per pull; ``cancelled`` records a cancel."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts, self.i, self.cancelled = list(parts), 0, False
        self.stream = make_stream(self._pull, self._cancel)

    def _pull(self, controller: Any) -> None:
        if self.i < len(self.parts):
            controller.enqueue(u8(self.parts[self.i]))
            self.i += 1
        else:
            controller.close()

    def _cancel(self, *reason: Any) -> None:
        self.cancelled = True


def failing() -> Any:
    """A stream that errors on its first pull."""
    import js

    return make_stream(lambda c: c.error(js.Error.new("producer broke")))


def stalled() -> Any:
    """A stream whose first pull never settles."""
    import js
    from pyodide.ffi import create_proxy

    return make_stream(lambda c: js.Promise.new(create_proxy(lambda resolve, reject: None)))


def strings() -> Any:
    """A stream whose chunk is a JavaScript string, not bytes."""

    def pull(c: Any) -> None:
        c.enqueue("text")
        c.close()

    return make_stream(pull)
