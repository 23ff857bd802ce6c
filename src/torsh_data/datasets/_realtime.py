"""RealTimeDataset: a bounded queue that producers push samples into and a loader reads.

Producers call :meth:`~RealTimeDataset.put` (waits for room), :meth:`~RealTimeDataset.try_put`
(never waits: ``False`` when full, so a sensor feed can drop) or ``await``
:meth:`~RealTimeDataset.aput`, then :meth:`~RealTimeDataset.close`. The consumer iterates with
``for`` or ``async for`` (directly or through a DataLoader) and the stream ends after
``close()`` once the queue is drained.

NOTE [ Real-time feeds without threads ]: in Pyodide there are no threads to produce while
the consumer waits, so a synchronous read of an empty open queue raises instead of waiting
forever; feed it from JavaScript callbacks or asyncio tasks and read it with ``async for``,
which yields to the event loop while the queue is empty. Natively a producer may be another
thread; both kinds of wait honour ``timeout``.

>>> feed = RealTimeDataset(maxsize=2)
>>> feed.try_put(1), feed.try_put(2), feed.try_put(3)
(True, True, False)
>>> feed.close()
>>> list(feed)
[1, 2]
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError, SourceError
from .._runtime import IN_PYODIDE, wait_for
from ._base import IterableDataset

__all__ = ["RealTimeDataset"]


class RealTimeDataset(IterableDataset[Any]):
    """A push-fed stream with room for ``maxsize`` samples.

    Args:
        maxsize: samples held before producers must wait (or ``try_put`` refuses).
        timeout: seconds a consumer or ``put`` waits at most before raising
            :class:`~torsh_data.SourceError` (``None``: until data, room or ``close()``).

    Counters: ``put_count`` (accepted), ``dropped`` (refused by ``try_put``), ``taken``.
    A RealTimeDataset lives in one process: read it with ``num_workers=0``.
    """

    def __init__(self, maxsize: int = 1024, timeout: float | None = None) -> None:
        self.maxsize = check_int("maxsize", maxsize, 1)
        if timeout is not None and (isinstance(timeout, bool) or not timeout >= 0):
            raise DataValueError(f"timeout must be None or >= 0 seconds, got {timeout!r}")
        self.timeout = timeout
        self._items: deque[Any] = deque()
        self._closed = False
        self._cond = threading.Condition()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.put_count = self.dropped = self.taken = 0

    # --- producing --------------------------------------------------------------------------
    def try_put(self, item: Any) -> bool:
        """Add ``item`` if there is room; ``False`` (and count a drop) if not."""
        with self._cond:
            self._check_open()
            if len(self._items) >= self.maxsize:
                self.dropped += 1
                return False
            self._items.append(item)
            self.put_count += 1
            self._wake()
        return True

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Add ``item``, waiting for room at most ``timeout`` seconds (default: the
        dataset's); in Pyodide a full queue raises at once (NOTE [ Real-time feeds ... ])."""
        wait = self.timeout if timeout is None else timeout
        with self._cond:
            self._check_open()
            if len(self._items) >= self.maxsize:
                if IN_PYODIDE:
                    raise SourceError(
                        "RealTimeDataset is full and no thread can drain it here; use try_put "
                        "or 'await aput(...)'"
                    )
                ok = self._cond.wait_for(
                    lambda: self._closed or len(self._items) < self.maxsize, wait
                )
                if not ok:
                    raise SourceError(f"RealTimeDataset stayed full for {wait} s")
                self._check_open()
            self._items.append(item)
            self.put_count += 1
            self._wake()

    async def aput(self, item: Any) -> None:
        """Add ``item``, yielding to the event loop while the queue is full."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while not self._offer(item):
            await self._await_change(deadline, "full")

    def _offer(self, item: Any) -> bool:
        """:meth:`try_put` without counting a refusal as a drop."""
        with self._cond:
            self._check_open()
            if len(self._items) >= self.maxsize:
                return False
            self._items.append(item)
            self.put_count += 1
            self._wake()
        return True

    def close(self) -> None:
        """No more samples: readers finish once the queue is drained."""
        with self._cond:
            self._closed = True
            self._wake()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        raise DataTypeError("a RealTimeDataset is a live stream and has no length")

    def qsize(self) -> int:
        """Samples waiting to be read."""
        return len(self._items)

    # --- consuming --------------------------------------------------------------------------
    def _take(self) -> tuple[bool, Any]:
        """``(True, item)``, or ``(False, None)`` when empty (caller holds the lock)."""
        if self._items:
            item = self._items.popleft()
            self.taken += 1
            self._wake()
            return True, item
        return False, None

    def __iter__(self) -> Iterator[Any]:
        while True:
            with self._cond:
                got, item = self._take()
                if not got:
                    if self._closed:
                        return
                    if IN_PYODIDE:
                        raise SourceError(
                            "RealTimeDataset is empty and no thread can fill it here; read it "
                            "with 'async for' (NOTE [ Real-time feeds without threads ])"
                        )
                    ok = self._cond.wait_for(
                        lambda: self._closed or bool(self._items), self.timeout
                    )
                    if not ok:
                        raise SourceError(f"RealTimeDataset received nothing for {self.timeout} s")
                    continue
            yield item

    async def __aiter__(self) -> AsyncIterator[Any]:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            with self._cond:
                got, item = self._take()
                closed = self._closed
            if got:
                yield item
                deadline = None if self.timeout is None else time.monotonic() + self.timeout
            elif closed:
                return
            else:
                await self._await_change(deadline, "empty")

    # --- waking -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise DataValueError("RealTimeDataset is closed; no more samples can be put")

    def _wake(self) -> None:
        """Wake every waiter: threads on the condition, coroutines through their loop."""
        self._cond.notify_all()
        waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, fut)
            except RuntimeError:  # that loop is closed
                pass

    async def _await_change(self, deadline: float | None, state: str) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._cond:
            self._waiters.append((loop, fut))
        # Re-check after registering: a change between the caller's check and now woke no one.
        with self._cond:
            changed = self._closed or (
                bool(self._items) if state == "empty" else len(self._items) < self.maxsize
            )
        if changed:
            return
        remaining = None if deadline is None else deadline - time.monotonic()
        try:
            await wait_for(fut, remaining)
        except asyncio.TimeoutError:
            raise SourceError(f"RealTimeDataset stayed {state} for {self.timeout} s") from None

    def __getstate__(self) -> Any:
        raise DataTypeError(
            "a RealTimeDataset lives in the process that feeds it; read it with num_workers=0"
        )


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
