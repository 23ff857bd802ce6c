"""Progress over long work: a tqdm bar natively when installed, events everywhere.

>>> seen = []
>>> with ProgressTracker(total=3, callback=seen.append, bar=False) as p:
...     for _ in range(3):
...         p.update()
>>> [(e["done"], e["finished"]) for e in seen]
[(1, False), (2, False), (3, False), (3, True)]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .._checks import check_int
from .._errors import DataTypeError, DataValueError
from .._runtime import IN_PYODIDE

__all__ = ["ProgressTracker", "track"]

T = TypeVar("T")


class ProgressTracker:
    """Counts work done and reports it.

    Args:
        total: the amount of work, if known.
        desc: a label for the bar and the events.
        callback: called with an event dict ``{"desc", "done", "total", "fraction",
            "elapsed", "rate", "finished"}`` after each update and at the end; in a page, hand
            it a JavaScript function (through ``pyodide.ffi.create_proxy``) to drive a
            progress element.
        bar: ``True`` shows a tqdm bar (needs tqdm), ``False`` none, ``None`` (default) a bar
            when tqdm is importable, no callback is given and we are not in Pyodide.
        min_interval: least seconds between two callback events (the last is always sent).
        **tqdm_kwargs: passed to ``tqdm`` (``file=``, ``unit=``, ...).
    """

    def __init__(
        self,
        total: int | None = None,
        desc: str = "",
        callback: Callable[[dict[str, Any]], Any] | None = None,
        bar: bool | None = None,
        min_interval: float = 0.0,
        **tqdm_kwargs: Any,
    ) -> None:
        if total is not None:
            check_int("total", total, 0)
        if callback is not None and not callable(callback):
            raise DataTypeError(f"callback must be callable, got {type(callback).__name__}")
        if min_interval < 0:
            raise DataValueError(f"min_interval must be >= 0, got {min_interval!r}")
        self.total, self.desc, self.callback = total, desc, callback
        self.min_interval = min_interval
        self.done = 0
        self.finished = False
        self._start = time.perf_counter()
        self._last_event = -float("inf")
        self._bar: Any = None
        if bar is None:
            bar = callback is None and not IN_PYODIDE and _tqdm_class() is not None
        if bar:
            tqdm = _tqdm_class()
            if tqdm is None:
                from .._errors import MissingExtraError

                raise MissingExtraError("tqdm", "tqdm", "ProgressTracker(bar=True)")
            self._bar = tqdm(total=total, desc=desc or None, **tqdm_kwargs)

    def event(self) -> dict[str, Any]:
        """The current state as an event dict (what the callback receives)."""
        elapsed = time.perf_counter() - self._start
        return {
            "desc": self.desc,
            "done": self.done,
            "total": self.total,
            "fraction": (self.done / self.total if self.total else None),
            "elapsed": elapsed,
            "rate": self.done / elapsed if elapsed > 0 else None,
            "finished": self.finished,
        }

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units of work done."""
        check_int("n", n, 0)
        if self.finished:
            raise DataValueError(f"progress {self.desc!r} is closed; start a new tracker")
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.callback is not None:
            now = time.perf_counter()
            if now - self._last_event >= self.min_interval or self.done == self.total:
                self._last_event = now
                self.callback(self.event())

    def close(self) -> None:
        """Finish: close the bar and send a last event with ``finished=True``."""
        if self.finished:
            return
        self.finished = True
        if self._bar is not None:
            self._bar.close()
        if self.callback is not None:
            self.callback(self.event())

    def wrap(self, iterable: Iterable[T]) -> Iterator[T]:
        """Yield from ``iterable``, counting one unit per item, and close at the end."""
        try:
            for item in iterable:
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self) -> ProgressTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    callback: Callable[[dict[str, Any]], Any] | None = None,
    **kwargs: Any,
) -> Iterator[T]:
    """``for x in track(loader):`` - iterate with a :class:`ProgressTracker` (``total``
    defaults to ``len(iterable)`` when it has one)."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    return ProgressTracker(total, desc, callback, **kwargs).wrap(iterable)


def _tqdm_class() -> Any:
    import importlib

    try:
        return importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        return None
