"""Worker processes: the loader's tasks run in a pool of processes, batches come back in order.

The scheduling is :mod:`._pool`'s, shared with the Web Worker pool (NOTE [ Same batches with
workers ] there); here is only how processes start, take messages and reply. A batch crosses
the process boundary as a small pickled header, its Tensors' buffers through shared memory
(NOTE [ Shared batch slots ] in ``_shm.py``; a small batch is pickled whole, Tensors as one
buffer each, never element by element). A worker that raises sends its traceback and the
task; one that dies is reported with its exit code within ``poll`` seconds; workers exit by
themselves if the main process goes away.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import _worker_info
from .._errors import DataValueError
from .._runtime import IN_PYODIDE
from ._fetch import Fetcher
from ._pool import PoolExecutor, Reply, WorkerEnd, WorkerError, drive, epoch_spec

if TYPE_CHECKING:  # _shm imports multiprocessing.shared_memory, which Pyodide may lack
    from ._shm import Lender

__all__ = ["ProcessExecutor", "WorkerError"]

_POLL = 0.5  # seconds between liveness checks while waiting


def _worker_main(
    worker_id: int,
    num_workers: int,
    dataset: Any,
    collate_fn: Callable[[Any], Any],
    seed: int,
    init_fn: Callable[[int], None] | None,
    tasks: Any,
    results: Any,
    parent: int,
) -> None:
    end = WorkerEnd(worker_id, dataset, collate_fn)
    failed = end.setup(num_workers, seed, init_fn)
    if failed is not None:
        results.put(failed)
        return
    from ._shm import Writer

    writer = Writer(worker_id)
    try:
        while True:
            try:
                msg = tasks.get(timeout=_POLL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process is gone: do not linger
                    return
                continue
            if msg is None:
                return
            kind, payload, parcel = msg
            writer.take(parcel)
            if kind == "epoch":
                end.epoch(payload)
                continue
            task_id, task = payload
            assert end.fetcher is not None
            try:
                msg = writer.ship(end.reply(task_id, task, end.fetcher.fetch(task)))
            except BaseException as exc:  # the fetch raised, or its batch cannot be pickled
                msg = end.reply(task_id, task, exc=exc)
            results.put(msg)
    finally:
        writer.close()


class ProcessExecutor(PoolExecutor):
    """Run fetches in ``num_workers`` processes (see the module docstring)."""

    poll = _POLL

    def __init__(
        self,
        num_workers: int,
        prefetch_factor: int = 2,
        persistent_workers: bool = False,
        timeout: float = 0,
        in_order: bool = True,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
    ) -> None:
        super().__init__(
            num_workers, prefetch_factor, persistent_workers, timeout, in_order, worker_init_fn
        )
        if IN_PYODIDE:
            raise DataValueError(
                "Pyodide cannot start worker processes; use WebWorkerExecutor there (what "
                "DataLoader(num_workers=N) picks in Pyodide)"
            )
        ctx = multiprocessing_context
        self._ctx: Any = mp.get_context(ctx) if isinstance(ctx, str) or ctx is None else ctx
        self._pool: tuple[list[Any], list[Any], Any] | None = None
        self._pool_key: tuple[Any, ...] | None = None
        self._lender: Lender | None = None
        self._slot_size = 0  # the largest shared-memory slot an earlier pool needed

    # --- the pool --------------------------------------------------------------------------
    def _start(self, fetcher: Fetcher) -> tuple[list[Any], list[Any], Any]:
        key = (id(fetcher.dataset), id(fetcher.collate_fn), fetcher.seed)
        if (
            self._pool is not None
            and self._pool_key == key
            and all(p.is_alive() for p in self._pool[0])
        ):
            return self._pool
        self.shutdown()
        from ._shm import Lender, share_tracker

        share_tracker()
        self._lender = Lender(self.num_workers, self.prefetch_factor + 2, self._slot_size)
        results = self._ctx.Queue()
        procs, inboxes = [], []
        for wid in range(self.num_workers):
            inbox = self._ctx.Queue()
            args = (
                wid,
                self.num_workers,
                fetcher.dataset,
                fetcher.collate_fn,
                _worker_info.worker_base_seed(fetcher.seed, fetcher.epoch),
                self.worker_init_fn,
                inbox,
                results,
                os.getpid(),
            )
            p = self._ctx.Process(
                target=_worker_main, args=args, daemon=True, name=f"torsh-data-worker-{wid}"
            )
            p.start()
            procs.append(p)
            inboxes.append(inbox)
        self._pool, self._pool_key = (procs, inboxes, results), key
        return self._pool

    def shutdown(self) -> None:
        """Stop the workers (done after each epoch unless ``persistent_workers``)."""
        if self._pool is None:
            return
        procs, inboxes, results = self._pool
        self._pool = self._pool_key = None
        for inbox in inboxes:
            try:
                inbox.put(None)
            except (OSError, ValueError):
                pass
        for p in procs:
            p.join(timeout=2)
            if p.is_alive():
                p.terminate()
                p.join(timeout=2)
        for q in (*inboxes, results):
            q.cancel_join_thread()
            q.close()
        if self._lender is not None:  # after the workers exited: see NOTE [ Shared batch slots ]
            self._slot_size = self._lender.largest
            self._lender.close()
            self._lender = None

    def _send(self, wid: int, message: Any) -> None:
        assert self._pool is not None and self._lender is not None
        self._pool[1][wid].put((*message, self._lender.parcel(wid)))

    def _recv(self) -> Reply | None:
        assert self._pool is not None and self._lender is not None
        try:
            msg = self._pool[2].get(timeout=self.poll)
        except queue.Empty:
            return None
        reply: Reply = self._lender.receive(msg)
        return reply

    def _idle(self) -> bool:
        assert self._pool is not None
        for wid, p in enumerate(self._pool[0]):
            if not p.is_alive():
                code = p.exitcode
                self.shutdown()
                signal = f" (killed by signal {-code})" if code is not None and code < 0 else ""
                raise WorkerError(
                    f"DataLoader worker {wid} (pid {p.pid}) exited unexpectedly with exit code {code}{signal}"
                )
        return True

    # --- one epoch -------------------------------------------------------------------------
    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
        spec, sharded = epoch_spec(fetcher)
        self._start(fetcher)
        try:
            yield from drive(self._epoch(spec, sharded, tasks), self._recv)
        finally:
            if not self.persistent_workers:
                self.shutdown()

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        for batch in self.run(fetcher, tasks):
            yield batch
            await asyncio.sleep(0)
