"""The pipes between the main process and its worker processes, written without threads.

NOTE [ Worker pipes ]: each worker has two one-way pipes, tasks in and replies out, each
written and read directly by the thread that uses it. (A ``multiprocessing.Queue`` hands every
message to a feeder thread, which then waits for the GIL, and all workers' replies share one
lock: about ten ``futex`` calls and two thread switches per batch, on a machine whose cores
the workers need.) Direct writes block when a pipe is full, so two rules keep the two
processes from each waiting on the other:

- The main process never blocks writing a task: :class:`Outbox` keeps the bytes sent to a
  worker and not yet answered under the pipe's capacity (a worker reads each task before it
  answers it, so what it has answered it has read). A task that does not fit waits in the
  outbox and goes when the worker answers an earlier one -- or at once, whatever its size,
  when the worker has nothing unanswered, since it is then reading.
- A worker's reply may block (a batch sent through the pipe, NOTE [ Shared batch slots ] in
  ``_shm.py``) until the main process reads it, which it does whenever it waits.

While batches come through shared memory, the main process sleeps only until the batch it
hands out next is in (:meth:`Waiter.ready`'s ``only``): a reply that comes early (a batch
later in the order, which in-order loading cannot hand out yet) waits in its pipe, a few
hundred bytes, and is read when its turn comes, without a wake-up of its own. On two cores
fully used by two workers, each wake-up of the main process takes a core from a worker for
a moment and refills the caches of both. Nothing waits on that early reply meanwhile: its
worker goes on with the tasks it holds, and the main process never blocks writing a task.
(A task held back in an :class:`Outbox` goes when the reply is read -- a late hand-out, not
a deadlock, and only for tasks of tens of kilobytes.) Once a batch comes through the pipe
instead (no slot was free: a caller keeping its batches, or no shared memory), the main
process again reads every reply as it comes, so that no worker sits blocked on a full pipe.

A worker's end of its reply pipe is the only one (the main process closes its copy once the
worker has started), so a worker that dies is seen at once, as the end of that pipe.
"""

from __future__ import annotations

import select
import sys
from collections import deque
from typing import Any

__all__ = ["Outbox", "Waiter"]

_FRAME = 16  # bytes a message takes in the pipe beyond its pickle (Connection's length prefix)
_SPARE = 256  # left free in every task pipe: the stop message always fits


def capacity(conn: Any) -> int:
    """The bytes the pipe of ``conn`` holds before a write blocks (Linux says; elsewhere one
    page, what every POSIX system and Windows' named pipes give at least)."""
    if sys.platform.startswith("linux"):
        import fcntl

        try:
            return int(fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ))
        except (AttributeError, OSError, ValueError):
            pass
    return 4096


class Outbox:
    """The main process's end of one worker's task pipe (NOTE [ Worker pipes ])."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.room = capacity(conn) - _SPARE  #: unanswered bytes allowed in the pipe
        self._unanswered: deque[tuple[int, int]] = deque()  # (task id, bytes), in send order
        self._bytes = 0  # their sum
        self._carry = 0  # bytes of messages that get no answer, counted with the next task's
        self._later: deque[tuple[int, bytes | memoryview]] = deque()  # waiting for room, in order

    def send(self, tid: int | None, data: bytes | memoryview) -> None:
        """Send ``data`` (a pickled message; ``tid``: the task it carries, None if the worker
        will not answer it), now if it fits, else once earlier tasks are answered."""
        if self._later or (self._unanswered and self._bytes + len(data) + _FRAME > self.room):
            self._later.append((-1 if tid is None else tid, data))
        else:
            self._write(-1 if tid is None else tid, data)

    def answered(self, tid: int) -> None:
        """The worker answered task ``tid``: it has read every message up to that one."""
        while self._unanswered and self._unanswered[0][0] <= tid:
            self._bytes -= self._unanswered.popleft()[1]
        while self._later and (
            not self._unanswered or self._bytes + len(self._later[0][1]) + _FRAME <= self.room
        ):
            self._write(*self._later.popleft())

    def stop(self) -> None:
        """Ask the worker to exit (fits: see ``_SPARE``); pending tasks are dropped."""
        self._later.clear()
        try:
            self.conn.send(None)
        except (OSError, ValueError):  # the worker is gone
            pass

    def _write(self, tid: int, data: bytes | memoryview) -> None:
        self.conn.send_bytes(data)
        self._bytes += len(data) + _FRAME
        if tid < 0:
            self._carry += len(data) + _FRAME
            return
        self._unanswered.append((tid, len(data) + _FRAME + self._carry))
        self._carry = 0


class Waiter:
    """Which of some connections can be read: ``select.poll`` sets made once where there is
    ``poll`` (each ``multiprocessing.connection.wait`` call builds a selector, ~30 µs)."""

    def __init__(self, conns: list[Any]) -> None:
        self.conns = conns
        self._polls: list[Any] = []  # one per connection, then the one for all of them
        if hasattr(select, "poll"):
            for group in [*([conn] for conn in conns), conns]:
                poll = select.poll()
                for conn in group:
                    poll.register(conn.fileno(), select.POLLIN)  # HUP and ERR come anyway
                self._polls.append(poll)
            self._by_fd = {conn.fileno(): conn for conn in conns}

    def ready(self, timeout: float, only: int | None = None) -> list[Any]:
        """The connections with a message or at their end, waiting up to ``timeout`` s; with
        ``only`` (an index into the connections), that connection alone is watched."""
        if not self._polls:
            from multiprocessing.connection import wait

            return list(wait(self.conns if only is None else [self.conns[only]], timeout))
        poll = self._polls[-1 if only is None else only]
        return [self._by_fd[fd] for fd, _ in poll.poll(timeout * 1000)]
