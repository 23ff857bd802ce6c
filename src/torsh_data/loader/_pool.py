"""What both worker pools share: failures, one epoch's ledger, the scheduling loop, a worker's end.

NOTE [ Same batches with workers ]: the main runtime still decides every task (index lists
from the sampler, or batch numbers for an iterable dataset) and hands them out round-robin;
each sample draws from the random stream of ``(seed, epoch, index)``; results are put back in
task order. So any number of workers gives the batches of ``num_workers=0``, bit for bit.
For an iterable dataset each worker iterates its own copy and builds only the batches it is
given, passing over the samples of the others' batches -- unless the dataset splits the
stream itself with :func:`~torsh_data.get_worker_info` (torch's recipe; NOTE [ Who splits an
iterable stream ] in ``torsh_data/_worker_info.py``): then each worker's batches are its own
share, interleaved round-robin as torch does, a worker whose share ends dropping out of the
turn.

:class:`PoolExecutor` holds this once; a pool (:class:`~torsh_data.loader.ProcessExecutor`
natively, :class:`~torsh_data.loader.WebWorkerExecutor` in Pyodide) adds only how it starts
workers, sends them a message, receives a reply within a poll, and notices a worker that died
or did not start. Its scheduling loop, ``PoolExecutor._epoch``, is written once without
I/O: it yields batches, and :data:`WAIT` when it needs a reply, which :func:`drive` (blocking)
or :func:`adrive` (``await``) gets from the pool and sends back in.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any

from .. import _worker_info
from .._checks import check_int
from .._errors import DataValueError, TorshDataError
from ._executor import Failed
from ._fetch import Exhausted, Fetcher, build_fetcher

__all__ = [
    "EXHAUSTED",
    "NOTHING",
    "WAIT",
    "Ledger",
    "PoolExecutor",
    "WorkerEnd",
    "WorkerError",
    "WorkerFailure",
    "adrive",
    "drive",
    "epoch_spec",
]

EXHAUSTED = "__torsh_exhausted__"  # a worker's reply: the stream has no such batch
NOTHING = object()  # Ledger.take(): no batch can be yielded yet
WAIT = object()  # PoolExecutor._epoch(): send me the next reply (None: a poll passed without)
_DONE = object()

#: A worker's reply: ``(task id, batch, failure, follows)`` (task id -1: worker_init_fn failed).
Reply = tuple[int, Any, "WorkerFailure | None", "bool | None"]


class WorkerError(TorshDataError, RuntimeError):
    """A loader worker failed: it raised (the message carries its traceback) or died."""


class WorkerFailure(Failed):
    """An exception raised in a worker, carried to the main runtime as text."""

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
) -> WorkerFailure:
    f = object.__new__(WorkerFailure)
    f.worker_id, f.task, f.type_name, f.exc_type, f.text = (
        worker_id,
        task,
        type_name,
        exc_type,
        text,
    )
    return f


# --- a worker's end ---------------------------------------------------------------------------
class WorkerEnd:
    """What a worker (a process or a Web Worker) keeps and answers: set up as worker ``wid``,
    each epoch's fetcher, and the reply to a task."""

    def __init__(self, wid: int, dataset: Any, collate_fn: Callable[[Any], Any]) -> None:
        self.wid, self.dataset, self.collate_fn = wid, dataset, collate_fn
        self.fetcher: Fetcher | None = None

    def setup(
        self, num_workers: int, base_seed: int, init_fn: Callable[[int], None] | None
    ) -> Reply | None:
        """Enter the worker (:func:`~torsh_data._worker_info.enter_worker`); the reply that
        reports a failing ``worker_init_fn``, or None."""
        try:
            _worker_info.enter_worker(self.wid, num_workers, base_seed, self.dataset, init_fn)
        except BaseException as exc:
            return (-1, None, WorkerFailure(self.wid, "worker_init_fn", exc), None)
        return None

    def epoch(self, spec: Any) -> None:
        self.fetcher = build_fetcher(spec, self.dataset, self.collate_fn)

    def reply(
        self, tid: int, task: Any, batch: Any = None, exc: BaseException | None = None
    ) -> Reply:
        """The reply to task ``tid``: its batch, the end of the stream, or its failure."""
        failure = None
        if isinstance(exc, Exhausted):
            batch = EXHAUSTED
        elif exc is not None:
            failure = WorkerFailure(self.wid, task, exc)
        return (tid, batch, failure, follows(self.fetcher))


def follows(fetcher: Fetcher | None) -> bool | None:
    """Whether this worker's fetcher follows the tasks it is given (False: its dataset splits
    the stream itself; None: not known yet), reported with every result."""
    return None if fetcher is None else getattr(fetcher, "follow_tasks", True)


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


# --- the main runtime's end ---------------------------------------------------------------------
class Ledger:
    """One epoch's bookkeeping: which tasks are out and with which worker, which results are
    in, and which batch may be yielded next.

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
            if batch is not EXHAUSTED:
                return batch
        return NOTHING

    def due(self) -> int | None:
        """The worker whose reply is needed before any batch can be handed out (None: any
        reply may be, as when ``in_order`` is off)."""
        if not self.in_order or not self.order:
            return None
        return self.owner.get(self.order[0])

    def accept(self, tid: int, batch: Any, follows: bool | None = None) -> None:
        """Record the result of task ``tid`` (a batch, a :class:`Failed`, or the end-of-stream
        marker) and whether the worker followed its tasks (see :func:`follows`)."""
        if tid not in self.owner:  # a result of an abandoned epoch
            return
        wid = self.owner.pop(tid)
        if follows is not None:
            self._learn(not follows)
        if isinstance(batch, str) and batch == EXHAUSTED:
            batch = EXHAUSTED
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

    def receive(self, reply: Reply) -> None:
        """Take one reply of a worker: a failed ``worker_init_fn`` (task id -1) raises, as
        does a worker that disagrees about who splits the stream; a failed task is kept in
        its batch's place (NOTE [ A failed batch ] in ``_executor.py``)."""
        tid, batch, failure, follows = reply
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


class PoolExecutor:
    """Base of the executors that load in a pool of workers (see the module docstring).

    A pool sets :attr:`poll` and implements ``_send(worker, message)``, ``_idle()`` and
    :meth:`shutdown`, and receives replies (``None`` when a poll passes without one); while
    it waits, :attr:`due` is the worker whose reply is needed next (None: any).
    """

    poll = 0.5  #: seconds between checks while waiting for a reply

    def __init__(
        self,
        num_workers: int,
        prefetch_factor: int,
        persistent_workers: bool,
        timeout: float,
        in_order: bool,
        worker_init_fn: Callable[[int], None] | None,
    ) -> None:
        check_int("num_workers", num_workers, 1)
        check_int("prefetch_factor", prefetch_factor, 1)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise DataValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.timeout = timeout
        self.in_order = in_order
        self.worker_init_fn = worker_init_fn
        self._task_ids = itertools.count()  # unique across epochs: stale results are dropped
        self.due: int | None = None  #: while waiting: the worker whose reply is needed next

    def _send(self, wid: int, message: Any) -> None:
        raise NotImplementedError

    def _idle(self) -> bool:
        """A poll passed without a reply: raise (after :meth:`shutdown`) if a worker died or
        did not start in time; whether the workers are up, so the batch timeout runs."""
        raise NotImplementedError

    def shutdown(self) -> None:
        raise NotImplementedError

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:
            pass

    def _epoch(
        self, spec: Any, sharded: bool | None, tasks: Iterator[Any]
    ) -> Generator[Any, Any, None]:
        """One epoch (``spec, sharded``: :func:`epoch_spec`) on a started pool: yields
        batches (or :class:`Failed`), and WAIT when it needs the next reply, to be sent back
        in (None: a poll passed without one)."""
        for wid in range(self.num_workers):
            self._send(wid, ("epoch", spec))

        def send(wid: int, tid: int, task: Any) -> None:
            self._send(wid, ("task", (tid, task)))

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
            self.due = ledger.due()
            reply = yield WAIT
            if reply is None:
                waited = waited + self.poll if self._idle() else 0.0
                if self.timeout and waited >= self.timeout:
                    self.shutdown()
                    raise WorkerError(
                        f"DataLoader timed out after {self.timeout} seconds: no batch came "
                        "from the workers; raise timeout (0 waits forever)"
                    )
                continue
            waited = 0.0
            try:
                ledger.receive(reply)
            except BaseException:
                self.shutdown()
                raise
            ledger.hand_out(send)


def _resume(loop: Generator[Any, Any, None], reply: Any) -> Any:
    try:
        return loop.send(reply)
    except StopIteration:
        return _DONE


def drive(loop: Generator[Any, Any, None], recv: Callable[[], Reply | None]) -> Iterator[Any]:
    """The batches of :meth:`PoolExecutor._epoch`, replies got with a blocking ``recv()``."""
    item = _resume(loop, None)
    while item is not _DONE:
        item = _resume(loop, recv() if item is WAIT else (yield item))


async def adrive(
    loop: Generator[Any, Any, None], recv: Callable[[], Awaitable[Reply | None]]
) -> AsyncIterator[Any]:
    """:func:`drive` for a pool whose replies are awaited (``await recv()``)."""
    item = _resume(loop, None)
    while item is not _DONE:
        item = _resume(loop, await recv() if item is WAIT else (yield item))
