"""Worker processes: the loader's tasks run in a pool of processes, batches come back in order.

The scheduling is :mod:`._pool`'s, shared with the Web Worker pool (NOTE [ Same batches with
workers ] there); here is only how processes start, take messages and reply. A batch crosses
the process boundary as a small pickled header, its Tensors' buffers through shared memory
(NOTE [ Shared batch slots ] in ``_shm.py``; a small batch is pickled whole, Tensors as one
buffer each, never element by element); tasks and replies through two pipes per worker, with
no thread in between (NOTE [ Worker pipes ] in ``_pipes.py``). A worker that raises sends its
traceback and the task; one that dies is reported with its exit code as soon as its pipe
ends; workers exit by themselves if the main process goes away.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import AsyncIterator, Callable, Iterator
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from .. import _worker_info
from .._errors import DataValueError
from .._runtime import IN_PYODIDE
from ._fetch import Fetcher
from ._pipes import Outbox, Waiter
from ._pool import (
    PoolExecutor,
    Reply,
    WorkerEnd,
    WorkerError,
    WorkerFailure,
    drive,
    epoch_spec,
)

if TYPE_CHECKING:  # _shm imports multiprocessing.shared_memory, which Pyodide may lack
    from ._shm import Lender

__all__ = ["ProcessExecutor", "WorkerError"]

_POLL = 0.5  # seconds between liveness checks while waiting


def _worker_main(*args: Any) -> None:
    """A worker process: :func:`_serve`, ending quietly if the main process stops listening."""
    try:
        _serve(*args)
    except (BrokenPipeError, EOFError):  # nothing left to tell anyone
        pass


def _serve(
    wid: int,
    num_workers: int,
    dataset: Any,
    collate_fn: Callable[[Any], Any],
    seed: int,
    init_fn: Callable[[int], None] | None,
    tasks: Any,
    replies: Any,
) -> None:
    end = WorkerEnd(wid, dataset, collate_fn)
    failed = end.setup(num_workers, seed, init_fn)
    if failed is not None:
        replies.send(failed)
        return
    from ._shm import Writer

    writer = Writer(wid)
    inbox = Waiter([tasks])
    parent = mp.parent_process()  # the main process (with forkserver, not os.getppid())
    try:
        while True:
            if not inbox.ready(_POLL):
                if parent is not None and not parent.is_alive():  # the main process is gone
                    return
                continue
            msg = tasks.recv()
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
            replies.send(msg)
    finally:
        writer.close()


def _last_failure(conn: Any, lender: Lender) -> WorkerFailure | None:
    """The failure among the replies a dead worker left unread in its pipe, if any."""
    try:
        while conn.poll(0):
            reply: Reply = lender.receive(conn.recv())
            if reply[2] is not None:
                return reply[2]
    except (EOFError, OSError):
        pass
    return None


class _Pool(NamedTuple):
    procs: list[Any]
    outboxes: list[Outbox]
    replies: list[Any]  # the main process's ends of the workers' reply pipes
    waiter: Waiter


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
        self._pool: _Pool | None = None
        self._pool_key: tuple[Any, ...] | None = None
        self._lender: Lender | None = None
        self._slot_size = 0  # the largest shared-memory slot an earlier pool needed

    # --- the pool --------------------------------------------------------------------------
    def _start(self, fetcher: Fetcher) -> _Pool:
        key = (id(fetcher.dataset), id(fetcher.collate_fn), fetcher.seed)
        if (
            self._pool is not None
            and self._pool_key == key
            and all(p.is_alive() for p in self._pool.procs)
        ):
            return self._pool
        self.shutdown()
        from ._shm import Lender, share_tracker

        share_tracker()
        self._lender = Lender(self.num_workers, self.prefetch_factor + 3, self._slot_size)
        procs, outboxes, readers = [], [], []
        for wid in range(self.num_workers):
            tasks, to_worker = self._ctx.Pipe(duplex=False)
            from_worker, replies = self._ctx.Pipe(duplex=False)
            args = (
                wid,
                self.num_workers,
                fetcher.dataset,
                fetcher.collate_fn,
                _worker_info.worker_base_seed(fetcher.seed, fetcher.epoch),
                self.worker_init_fn,
                tasks,
                replies,
            )
            p = self._ctx.Process(
                target=_worker_main, args=args, daemon=True, name=f"torsh-data-worker-{wid}"
            )
            p.start()
            tasks.close()  # the worker's ends: its exit then ends our reader (NOTE [ Worker pipes ])
            replies.close()
            procs.append(p)
            outboxes.append(Outbox(to_worker))
            readers.append(from_worker)
        self._pool, self._pool_key = _Pool(procs, outboxes, readers, Waiter(readers)), key
        return self._pool

    def shutdown(self) -> None:
        """Stop the workers (done after each epoch unless ``persistent_workers``)."""
        if self._pool is None:
            return
        pool, self._pool, self._pool_key = self._pool, None, None
        for outbox in pool.outboxes:
            outbox.stop()
        for p in pool.procs:
            p.join(timeout=2)
            if p.is_alive():
                p.terminate()
                p.join(timeout=2)
        for conn in (*(o.conn for o in pool.outboxes), *pool.replies):
            conn.close()
        if self._lender is not None:  # after the workers exited: see NOTE [ Shared batch slots ]
            self._slot_size = self._lender.largest
            self._lender.close()
            self._lender = None

    def _send(self, wid: int, message: Any) -> None:
        assert self._pool is not None and self._lender is not None
        kind, payload = message
        data = ForkingPickler.dumps((kind, payload, self._lender.parcel(wid)))
        try:
            self._pool.outboxes[wid].send(payload[0] if kind == "task" else None, data)
        except OSError:  # its pipe is closed: it died
            self._dead(wid)

    def _recv(self) -> Reply | None:
        assert self._pool is not None and self._lender is not None
        due = None if self._lender.piping else self.due  # NOTE [ Worker pipes ]
        ready = self._pool.waiter.ready(self.poll, due)
        if not ready:
            return None
        conn = ready[0]
        wid = self._pool.replies.index(conn)
        try:
            msg = conn.recv()
            reply: Reply = self._lender.receive(msg)
            if reply[0] >= 0:
                self._pool.outboxes[wid].answered(reply[0])  # may send tasks that waited
        except (EOFError, OSError):  # its pipe ended: it died
            self._dead(wid)
        return reply

    def _idle(self) -> bool:
        assert self._pool is not None
        for wid, p in enumerate(self._pool.procs):
            if not p.is_alive():
                self._dead(wid)
        return True

    def _dead(self, wid: int) -> NoReturn:
        """Report worker ``wid`` gone: the failure it sent before exiting if it sent one (a
        failing ``worker_init_fn`` replies and exits, and its exit may be seen first), else
        its exit code."""
        assert self._pool is not None and self._lender is not None
        p = self._pool.procs[wid]
        p.join(timeout=self.poll)  # its pipe closed as it exited: let it be reaped
        code = p.exitcode
        failure = _last_failure(self._pool.replies[wid], self._lender)
        self.shutdown()
        if failure is not None:
            failure.reraise()
        signal = f" (killed by signal {-code})" if code is not None and code < 0 else ""
        raise WorkerError(
            f"DataLoader worker {wid} (pid {p.pid}) exited unexpectedly with exit code {code}{signal}"
        )

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
