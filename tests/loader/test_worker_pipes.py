"""The task pipes to worker processes (NOTE [ Worker pipes ] in ``loader/_pipes.py``): the main
process never has more unanswered bytes in a worker's pipe than it holds, every task goes, in
order; and a loader whose tasks are bigger than a pipe still gives the batches it should."""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import DataLoader, TensorDataset
from torsh_data.testing import batch_digest


class Conn:
    """A pipe's writing end that records what is written, and how many bytes it holds."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def fileno(self) -> int:
        return -1

    def send_bytes(self, data: Any) -> None:
        self.written.append(bytes(data))

    def send(self, obj: Any) -> None:
        self.written.append(b"stop")


def outbox(room: int) -> Any:
    from torsh_data.loader._pipes import Outbox

    box = Outbox(Conn())
    box.room = room
    return box


def test_tasks_wait_for_room_and_go_in_order() -> None:
    box = outbox(100)
    box.send(None, b"e" * 10)  # an epoch message: never answered itself
    box.send(0, b"a" * 30)
    box.send(1, b"b" * 30)  # 10+30+30 and a 16-byte frame each: 118 > 100, waits
    box.send(2, b"c" * 5)  # behind a waiting task: waits too, though it would fit
    assert box.conn.written == [b"e" * 10, b"a" * 30]
    box.answered(0)  # the epoch message and task 0 were read
    assert box.conn.written[2:] == [b"b" * 30, b"c" * 5]
    box.answered(2)
    box.send(3, b"d" * 500)  # bigger than the room: goes, since nothing is unanswered
    box.send(4, b"f")
    assert box.conn.written[4:] == [b"d" * 500]
    box.answered(3)
    box.stop()
    assert box.conn.written[5:] == [b"f", b"stop"]


@given(st.lists(st.tuples(st.integers(1, 80), st.integers(0, 3)), max_size=40))
def test_unanswered_bytes_stay_in_the_room(plan: list[tuple[int, int]]) -> None:
    """Tasks of random sizes, and after each a random number of answers, oldest first (as a
    worker answers): every task is written once and in order, and the bytes written but not
    answered never exceed the room, unless they are one task alone."""
    room, frame = 120, 16
    box = outbox(room)
    payloads = [bytes([tid % 256]) * size for tid, (size, _) in enumerate(plan)]
    answered = 0  # tasks 0 .. answered-1 are answered

    def check() -> None:
        written = box.conn.written
        assert written == payloads[: len(written)]
        unanswered = [len(d) + frame for d in written[answered:]]
        assert sum(unanswered) <= room or len(unanswered) == 1

    for tid, (_, answers) in enumerate(plan):
        box.send(tid, payloads[tid])
        check()
        for _ in range(answers):
            if answered < len(box.conn.written):
                box.answered(answered)
                answered += 1
                check()
    while answered < len(box.conn.written):
        box.answered(answered)
        answered += 1
        check()
    assert box.conn.written == payloads


@pytest.mark.native_only(reason="Pyodide cannot start processes")
def test_tasks_bigger_than_a_pipe() -> None:
    """Index lists of 40,000 (about 200 KB pickled, three times a Linux pipe) for two
    workers: the same batches as without workers, nothing stuck."""
    data = TensorDataset(list(range(200_000)))

    def digests(workers: int) -> list[str]:
        loader = DataLoader(data, batch_size=40_000, shuffle=True, seed=2, num_workers=workers)
        return [batch_digest(b) for b in loader]

    assert digests(2) == digests(0)


@pytest.mark.native_only(reason="Pyodide cannot start processes")
@pytest.mark.skipif(sys.platform == "win32", reason="forkserver is POSIX only")
def test_forkserver_workers_outlive_a_pause() -> None:
    """A forkserver worker's parent process is the server, not the loader's process: an idle
    worker must not take that for the loader having gone (it did, after each 0.5 s poll)."""
    loader = DataLoader(
        TensorDataset(list(range(40))),
        batch_size=8,
        num_workers=2,
        persistent_workers=True,
        multiprocessing_context="forkserver",
    )
    first = [b[0].tolist() for b in loader]
    pids = [p.pid for p in loader.executor._pool[0]]  # type: ignore[attr-defined]
    time.sleep(1.5)
    assert [b[0].tolist() for b in loader] == first
    assert [p.pid for p in loader.executor._pool[0]] == pids  # type: ignore[attr-defined]
    loader.executor.shutdown()  # type: ignore[attr-defined]
    assert not [p for p in mp.active_children() if p.pid in pids]


@pytest.mark.native_only(reason="pipes between processes: Pyodide has no worker processes")
def test_waiter_watches_only_the_connection_asked_for() -> None:
    """NOTE [ Worker pipes ]: the main process sleeps until the reply it needs next is in, so
    a message on another worker's pipe does not wake it; it is seen when asked for."""
    from torsh_data.loader._pipes import Waiter

    pairs = [mp.Pipe(duplex=False) for _ in range(3)]
    waiter = Waiter([r for r, _ in pairs])
    pairs[1][1].send("early")
    assert waiter.ready(0, only=0) == []
    assert waiter.ready(0, only=2) == []
    assert waiter.ready(0, only=1) == [pairs[1][0]]
    assert waiter.ready(0) == [pairs[1][0]]
    pairs[2][1].close()  # a pipe's end (a worker that died) is seen as ready too
    assert waiter.ready(0, only=2) == [pairs[2][0]]
    assert set(waiter.ready(0)) == {pairs[1][0], pairs[2][0]}
    for r, w in pairs:
        r.close()
        w.close()


class _Pool:
    """What a Ledger reads of its executor."""

    def __init__(self, workers: int, in_order: bool = True) -> None:
        self._task_ids = iter(range(1000))
        self.in_order, self.num_workers, self.prefetch_factor = in_order, workers, 2


def test_the_due_worker_owes_the_next_batch_in_order() -> None:
    from torsh_data.loader._pool import Ledger

    ledger = Ledger(_Pool(3), iter([[0], [1], [2], [3], [4]]), sharded=False)
    sent: list[tuple[int, int]] = []
    ledger.hand_out(lambda wid, tid, task: sent.append((wid, tid)))
    assert sent == [(0, 0), (1, 1), (2, 2), (0, 3), (1, 4)]
    assert ledger.due() == 0
    ledger.accept(1, "b1")  # a later batch came first: still task 0's worker is due
    ledger.accept(2, "b2")
    assert ledger.due() == 0
    ledger.accept(0, "b0")
    assert [ledger.take(), ledger.take(), ledger.take()] == ["b0", "b1", "b2"]
    assert ledger.due() == 0  # task 3 went to worker 0
    unordered = Ledger(_Pool(2, in_order=False), iter([[0], [1]]), sharded=False)
    unordered.hand_out(lambda *_: None)
    assert unordered.due() is None  # any reply may be handed out


class _DiesWhileTheOtherIsDue:
    def __getitem__(self, i: int) -> int:
        import os
        import signal

        if i == 0:  # worker 0's batch, due first, takes long
            time.sleep(5)
        if i == 2:  # worker 1 dies meanwhile
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    def __len__(self) -> int:
        return 8


@pytest.mark.native_only(reason="Pyodide cannot start processes")
def test_a_worker_that_dies_while_another_is_due_is_reported() -> None:
    """The main process waits on the due worker's pipe alone: a worker dying meanwhile is
    still found by the liveness check of each poll, not only when its batch is due."""
    import torsh_data as td

    loader = DataLoader(_DiesWhileTheOtherIsDue(), batch_size=2, num_workers=2)
    t0 = time.monotonic()
    with pytest.raises(td.WorkerError, match=r"worker 1 .* exit code -9"):
        list(loader)
    assert time.monotonic() - t0 < 4.5  # before worker 0's batch (5 s) came
