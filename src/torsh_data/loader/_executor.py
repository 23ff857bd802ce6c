"""Executors run a fetcher over a stream of tasks and yield batches in order.

NOTE [ Executor seam ]: the loader decides *what* to load (the tasks, from its sampler) and
an executor decides *where* it runs. :class:`SerialExecutor` runs in the calling thread; the
parallel executors (worker processes natively, Web Workers in the browser) implement the same
two methods, receiving a picklable fetcher and the task stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from ._fetch import Exhausted, Fetcher

__all__ = ["Executor", "SerialExecutor"]


class Executor(Protocol):
    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]: ...

    def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]: ...


class SerialExecutor:
    """Load every batch in the calling thread; between batches, async iteration yields to the
    event loop so a browser page stays responsive."""

    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
        for task in tasks:
            try:
                batch = fetcher.fetch(task)
            except Exhausted:
                return
            yield batch

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        for task in tasks:
            try:
                batch = await fetcher.afetch(task)
            except Exhausted:
                return
            yield batch
            await asyncio.sleep(0)
