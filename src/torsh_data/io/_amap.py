"""AsyncMapDataset: asynchronous per-sample work in a pipeline iterated with ``async for``."""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .._checks import check_int
from .._errors import DataValueError
from ..datasets import IterableDataset

__all__ = ["AsyncMapDataset"]


class AsyncMapDataset(IterableDataset[Any]):
    """``fn`` (async or not) applied to each sample of ``dataset`` under ``async for``.

    The one mechanism by which asynchronous per-sample work (browser image decoding,
    WebCrypto, fetches) joins a pipeline: wrap the dataset, iterate the DataLoader with
    ``async for``. ``dataset`` may be map-style (read in index order), iterable or async
    iterable. With ``concurrency=n``, up to ``n`` calls run at once (the browser decodes
    images on its own threads, fetches overlap); samples still come out in order.

    >>> import asyncio
    >>> async def double(x):
    ...     return 2 * x
    >>> async def collect(ds):
    ...     return [x async for x in ds]
    >>> asyncio.run(collect(AsyncMapDataset([1, 2, 3], double)))
    [2, 4, 6]
    """

    def __init__(
        self, dataset: Any, fn: Callable[[Any], Awaitable[Any] | Any], *, concurrency: int = 1
    ) -> None:
        if not callable(fn):
            raise DataValueError(f"fn must be callable, not {type(fn).__name__}")
        self.dataset, self.fn = dataset, fn
        self.concurrency = check_int("concurrency", concurrency, 1)

    async def _samples(self) -> AsyncIterator[Any]:
        source = self.dataset
        if hasattr(source, "__aiter__"):
            async for sample in source:
                yield sample
        elif hasattr(source, "__getitem__") and hasattr(source, "__len__"):
            for i in range(len(source)):
                yield source[i]
        else:
            for sample in source:
                yield sample

    async def __aiter__(self) -> AsyncIterator[Any]:
        if self.concurrency == 1:
            async for sample in self._samples():
                yield await self._apply(sample)
            return
        pending: deque[asyncio.Future[Any]] = deque()
        try:
            async for sample in self._samples():
                pending.append(asyncio.ensure_future(self._apply(sample)))
                if len(pending) >= self.concurrency:
                    yield await pending.popleft()
            while pending:
                yield await pending.popleft()
        finally:
            for fut in pending:  # the consumer stopped early, or a call failed
                fut.cancel()

    async def _apply(self, sample: Any) -> Any:
        result = self.fn(sample)
        return await result if inspect.isawaitable(result) else result

    def __repr__(self) -> str:
        fn = getattr(self.fn, "__name__", type(self.fn).__name__)
        return f"AsyncMapDataset({type(self.dataset).__name__}, {fn})"
