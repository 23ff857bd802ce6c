"""Executors run a fetcher over a stream of tasks and yield batches in order.

NOTE [ Executor seam ]: the loader decides *what* to load (the tasks, from its sampler) and
an executor decides *where* it runs. :class:`SerialExecutor` runs in the calling thread; the
parallel executors (worker processes natively, Web Workers in the browser) implement the same
two methods, receiving a picklable fetcher and the task stream.

NOTE [ A failed batch ]: an exception raised while loading one batch does not end the epoch:
executors yield a :class:`Failed` in its place, the loader's iterator raises its exception,
and the next ``next(it)`` goes on with the following batch (torch's behaviour, with and
without workers). Only the executor's own failures (a dead worker, a timeout, a failing
``worker_init_fn``) end the epoch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from .._runtime import IN_PYODIDE
from ._fetch import Exhausted, Fetcher

__all__ = ["Executor", "Failed", "SerialExecutor", "default_executor"]


class Failed:
    """In place of a batch: its task raised. The loader's iterator raises it to the caller
    and carries on with the next batch, as torch's does (NOTE [ A failed batch ])."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def reraise(self) -> None:
        raise self.exc


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
            except Exception as exc:
                batch = Failed(exc)
            yield batch

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        for task in tasks:
            try:
                batch = await fetcher.afetch(task)
            except Exhausted:
                return
            except Exception as exc:
                batch = Failed(exc)
            yield batch
            await asyncio.sleep(0)


def default_executor(
    num_workers: int, multiprocessing_context: Any = None, **options: Any
) -> Executor:
    """The executor ``DataLoader(num_workers=...)`` builds: the calling thread for 0 workers,
    else worker processes natively and Web Workers in Pyodide (NOTE [ Web Worker pool ] in
    ``_webworkers.py``), given ``options`` (``prefetch_factor``, ``persistent_workers``,
    ``timeout``, ``in_order``, ``worker_init_fn``); ``multiprocessing_context`` applies to
    processes only.

    >>> type(default_executor(0)).__name__
    'SerialExecutor'
    """
    if not num_workers:
        return SerialExecutor()
    if IN_PYODIDE:
        from ._webworkers import WebWorkerExecutor

        return WebWorkerExecutor(num_workers, **options)
    from ._workers import ProcessExecutor

    return ProcessExecutor(num_workers, multiprocessing_context=multiprocessing_context, **options)
