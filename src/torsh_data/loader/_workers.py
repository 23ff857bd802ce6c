"""Worker processes: the loader's tasks run in a pool of processes, batches come back in order.

NOTE [ Same batches with workers ]: the main process still decides every task (index lists
from the sampler, or batch numbers for an iterable dataset) and hands them out round-robin;
each sample draws from the random stream of ``(seed, epoch, index)``; results are put back in
task order. So any number of workers gives the batches of ``num_workers=0``, bit for bit.
For an iterable dataset each worker iterates its own copy and builds only the batches it is
given, passing over the samples of the others' batches -- unless the dataset splits the
stream itself with :func:`get_worker_info` (torch's recipe; NOTE [ Who splits an iterable
stream ] in ``_worker_info.py``): then each worker's batches are its own share, interleaved
round-robin as torch does, a worker whose share ends dropping out of the turn.

Batches cross the process boundary pickled, Tensors as one buffer each (never element by
element). A worker that raises sends its traceback and the task; one that dies is reported
with its exit code within ``_POLL`` seconds; workers exit by themselves if the main process
goes away.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing as mp
import os
import queue
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .. import _worker_info
from .._checks import check_int
from .._errors import DataValueError, TorshDataError
from .._runtime import IN_PYODIDE
from ._executor import Failed
from ._fetch import Exhausted, Fetcher, build_fetcher

__all__ = ["ProcessExecutor", "WorkerError"]

_POLL = 0.5  # seconds between liveness checks while waiting
_EXHAUSTED = "__torsh_exhausted__"


class WorkerError(TorshDataError, RuntimeError):
    """A loader worker failed: it raised (the message carries its traceback) or died."""


class _Failure(Failed):
    """An exception raised in a worker, carried to the main process as text."""

    def __init__(self, worker_id: int, task: Any, exc: BaseException) -> None:
        self.worker_id, self.task = worker_id, task
        self.type_name = type(exc).__name__
        self.exc_type = type(exc)
        self.text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def reraise(self) -> None:
        what = f"indices {self.task}" if isinstance(self.task, list) else f"task {self.task}"
        msg = (
            f"{self.type_name} in DataLoader worker {self.worker_id} while loading {what}.\n"
            f"Original traceback:\n{self.text}"
        )
        try:
            err = self.exc_type(msg)
        except Exception:
            err = WorkerError(msg)
        raise err

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_failure,
            (self.worker_id, self.task, self.type_name, self.exc_type, self.text),
        )


def _rebuild_failure(
    worker_id: int, task: Any, type_name: str, exc_type: type, text: str
) -> _Failure:
    f = object.__new__(_Failure)
    f.worker_id, f.task, f.type_name, f.exc_type, f.text = (
        worker_id,
        task,
        type_name,
        exc_type,
        text,
    )
    return f


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
    try:
        _worker_info.enter_worker(worker_id, num_workers, seed, dataset, init_fn)
    except BaseException as exc:
        results.put((-1, None, _Failure(worker_id, "worker_init_fn", exc), None))
        return
    fetcher: Fetcher | None = None
    while True:
        try:
            msg = tasks.get(timeout=_POLL)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone: do not linger
                return
            continue
        if msg is None:
            return
        kind, payload = msg
        if kind == "epoch":
            fetcher = build_fetcher(payload, dataset, collate_fn)
            continue
        task_id, task = payload
        assert fetcher is not None
        try:
            batch: Any = fetcher.fetch(task)
        except Exhausted:
            batch = _EXHAUSTED
        except BaseException as exc:
            results.put((task_id, None, _Failure(worker_id, task, exc), follows(fetcher)))
            continue
        results.put((task_id, batch, None, follows(fetcher)))


def follows(fetcher: Fetcher) -> bool | None:
    """Whether this worker's fetcher follows the tasks it is given (False: its dataset splits
    the stream itself; None: not known yet), reported with every result."""
    return getattr(fetcher, "follow_tasks", True)


def epoch_spec(fetcher: Fetcher) -> tuple[tuple[str, int, int, dict[str, Any]], bool | None]:
    """The fetcher's spec for the workers, and whether the stream is split by the dataset
    (None: each worker finds out; NOTE [ Who splits an iterable stream ])."""
    kind, seed, epoch, params = fetcher.spec()
    if kind != "iterable":
        return (kind, seed, epoch, params), False
    declared = getattr(fetcher.dataset, "worker_sharding", None)
    if declared not in (None, "dataset", "batches"):
        raise DataValueError(
            f"{type(fetcher.dataset).__name__}.worker_sharding must be 'dataset' (it splits "
            f"its stream itself) or 'batches' (the loader splits it), got {declared!r}"
        )
    follow = None if declared is None else declared == "batches"
    return (kind, seed, epoch, {**params, "follow_tasks": follow}), (
        None if follow is None else not follow
    )


NOTHING = object()  # Ledger.take(): no batch can be yielded yet


class Ledger:
    """One epoch's bookkeeping, shared by the parallel executors: which tasks are out and
    with which worker, which results are in, and which batch may be yielded next.

    ``executor`` gives ``num_workers``, ``prefetch_factor``, ``in_order`` and the
    ``_task_ids`` counter (task ids are unique across epochs, so a stale result of an
    abandoned epoch is recognised and dropped).
    """

    def __init__(self, executor: Any, tasks: Iterator[Any], sharded: bool | None) -> None:
        self.tasks = tasks
        self.sharded = sharded  # the dataset splits the stream (None: not known yet)
        self.task_ids: Iterator[int] = executor._task_ids
        self.in_order: bool = executor.in_order
        self.workers: int = executor.num_workers
        self.live = list(range(self.workers))
        self.window = self.workers * executor.prefetch_factor
        self.order: list[int] = []  # ids of tasks handed out, in task order, not yet yielded
        self.owner: dict[int, int] = {}  # task id -> worker, for tasks not yet answered
        self.ready: dict[int, Any] = {}
        self.end = False  # no more tasks to hand out
        self._turn = 0  # the next worker in the cycle, as torch's: dropped-out ones skipped

    def hand_out(self, send: Callable[[int, int, Any], None]) -> None:
        """Send tasks round-robin (``send(worker, task_id, task)``) until the window is full."""
        while not self.end and self.live and len(self.order) < self.window:
            try:
                task = next(self.tasks)
            except StopIteration:
                self.end = True
                return
            tid = next(self.task_ids)
            wid = next(
                w
                for w in ((self._turn + k) % self.workers for k in range(self.workers))
                if w in self.live
            )
            self._turn = wid + 1
            send(wid, tid, task)
            self.order.append(tid)
            self.owner[tid] = wid

    def take(self) -> Any:
        """The next batch to yield (in task order unless ``in_order`` is off), or NOTHING."""
        while self.order:
            if self.in_order:
                pick: int | None = self.order[0]
            else:
                pick = next((t for t in self.order if t in self.ready), None)
            if pick is None or pick not in self.ready:
                return NOTHING
            batch = self.ready.pop(pick)
            self.order.remove(pick)
            if batch is not _EXHAUSTED:
                return batch
        return NOTHING

    def accept(self, tid: int, batch: Any, follows: bool | None = None) -> None:
        """Record the result of task ``tid`` (a batch, a :class:`Failed`, or the end-of-stream
        marker) and whether the worker followed its tasks (see :func:`follows`)."""
        if tid not in self.owner:  # a result of an abandoned epoch
            return
        wid = self.owner.pop(tid)
        if follows is not None:
            self._learn(not follows)
        if isinstance(batch, str) and batch == _EXHAUSTED:
            batch = _EXHAUSTED
            if self.sharded:  # this worker's share of the stream is over
                if wid in self.live:
                    self.live.remove(wid)
            else:  # the stream ends before this batch: so it does for every later one
                self.end = True
                for later in [t for t in self.order if t > tid]:
                    self.order.remove(later)
                    self.ready.pop(later, None)
                    self.owner.pop(later, None)
        self.ready[tid] = batch

    def receive(self, tid: int, batch: Any, failure: _Failure | None, follows: bool | None) -> None:
        """Take one reply of a worker: a failed ``worker_init_fn`` (task id -1) raises, as
        does a worker that disagrees about who splits the stream; a failed task is kept in
        its batch's place (NOTE [ A failed batch ])."""
        if failure is not None and tid == -1:
            failure.reraise()
        self.accept(tid, batch if failure is None else failure, follows)

    def _learn(self, sharded: bool) -> None:
        if self.sharded is None:
            self.sharded = sharded
        elif self.sharded != sharded:
            raise WorkerError(
                "some DataLoader workers' datasets split the stream with get_worker_info() "
                "and some did not, so samples would be lost or repeated; read "
                "get_worker_info() in every worker, or set the dataset's worker_sharding to "
                "'dataset' or 'batches'"
            )


class ProcessExecutor:
    """Run fetches in ``num_workers`` processes (see the module docstring)."""

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
        check_int("num_workers", num_workers, 1)
        check_int("prefetch_factor", prefetch_factor, 1)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise DataValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        if IN_PYODIDE:
            raise DataValueError(
                "Pyodide cannot start worker processes; use WebWorkerExecutor there (what "
                "DataLoader(num_workers=N) picks in Pyodide)"
            )
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.timeout = timeout
        self.in_order = in_order
        self.worker_init_fn = worker_init_fn
        ctx = multiprocessing_context
        self._ctx: Any = mp.get_context(ctx) if isinstance(ctx, str) or ctx is None else ctx
        self._pool: tuple[list[Any], list[Any], Any] | None = None
        self._pool_key: tuple[Any, ...] | None = None
        self._task_ids = itertools.count()  # unique across epochs: stale results are dropped

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

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:
            pass

    # --- one epoch -------------------------------------------------------------------------
    def run(self, fetcher: Fetcher, tasks: Iterator[Any]) -> Iterator[Any]:
        spec, sharded = epoch_spec(fetcher)
        procs, inboxes, results = self._start(fetcher)
        for inbox in inboxes:
            inbox.put(("epoch", spec))
        try:
            yield from self._schedule(tasks, procs, inboxes, results, sharded)
        finally:
            if not self.persistent_workers:
                self.shutdown()

    def _schedule(
        self,
        tasks: Iterator[Any],
        procs: list[Any],
        inboxes: list[Any],
        results: Any,
        sharded: bool | None,
    ) -> Iterator[Any]:
        def send(wid: int, tid: int, task: Any) -> None:
            inboxes[wid].put(("task", (tid, task)))

        ledger = Ledger(self, tasks, sharded)
        ledger.hand_out(send)
        waited = 0.0
        while True:
            batch = ledger.take()
            if batch is not NOTHING:
                ledger.hand_out(send)
                yield batch
                continue
            if not ledger.order:
                return
            try:
                tid, batch, failure, follows_tasks = results.get(timeout=_POLL)
            except queue.Empty:
                waited += _POLL
                self._check_alive(procs)
                if self.timeout and waited >= self.timeout:
                    raise WorkerError(
                        f"DataLoader timed out after {self.timeout} seconds: no batch came "
                        "from the workers; raise timeout (0 waits forever)"
                    ) from None
                continue
            waited = 0.0
            try:
                ledger.receive(tid, batch, failure, follows_tasks)
            except BaseException:
                self.shutdown()
                raise
            ledger.hand_out(send)

    def _check_alive(self, procs: list[Any]) -> None:
        for wid, p in enumerate(procs):
            if not p.is_alive():
                code = p.exitcode
                self.shutdown()
                signal = f" (killed by signal {-code})" if code is not None and code < 0 else ""
                raise WorkerError(
                    f"DataLoader worker {wid} (pid {p.pid}) exited unexpectedly with exit code {code}{signal}"
                )

    async def arun(self, fetcher: Fetcher, tasks: Iterator[Any]) -> AsyncIterator[Any]:
        for batch in self.run(fetcher, tasks):
            yield batch
            await asyncio.sleep(0)
