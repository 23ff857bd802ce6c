"""How a worker process's batch reaches the main process: through a shared-memory slot.

NOTE [ Shared batch slots ]: a worker pickles its batch with each Tensor's buffer left out
(:func:`~torsh_data.loader._transfer.pack`; other objects as the queue would pickle them, so
torch tensors still travel as torch's shared-memory pickling has them). If the buffers come to
at least :data:`MIN_BYTES`, it writes them into a *slot* -- a shared-memory segment the main
process created and lent to it -- and sends through the pipe only the pickled structure, the
slot and where each buffer lies; smaller ones go through the pipe beside the structure. The main process copies each buffer out at
once, one ``memcpy`` per Tensor, into memory of its own, and lends the slot back with its next
message to that worker. Pickling a 1 MiB batch into the pipe and out again cost 4-5 ms of the
two processes' time for a batch that took 7 ms to make; this costs about 0.2 ms.

Ownership, so that nothing is left in ``/dev/shm`` on any exit path:

- The main process (:class:`Lender`) creates every segment, so it knows every name. It
  unlinks a segment's name as soon as the worker has used it (both have it mapped then; the
  memory lives until both unmap it), and in :meth:`Lender.close` every name not yet unlinked.
  The executor closes its lender after its workers have exited: at the end of each epoch
  (without ``persistent_workers``), on ``shutdown()`` -- which also runs when a worker died,
  timed out, failed in ``worker_init_fn``, and when the executor is garbage-collected. A
  worker (:class:`Writer`) only maps and unmaps, never unlinks. If the main process is killed,
  only names lent but not used yet remain; its resource tracker, which the workers share
  (:func:`share_tracker`), unlinks those when the last of them exits.
- A batch the caller gets never aliases shared memory: its lifetime is ordinary Python's.
- A worker with no free slot large enough sends that batch's buffers through the pipe and
  asks for one (``want``); the main process creates it (at most ``cap`` per worker) and lends
  it with its next message. Free slots too small are given back. Where shared memory cannot
  be created -- no ``/dev/shm``, or too little of it (the space is reserved with
  ``posix_fallocate``, so a full ``/dev/shm`` is an error here, not a ``SIGBUS`` in the
  worker) -- batches keep going through the pipe. Either way every batch arrives once.
"""

from __future__ import annotations

import io
import itertools
import os
import secrets
import sys
from multiprocessing import shared_memory
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ._transfer import pack, unpack

__all__ = ["MIN_BYTES", "Lender", "Writer", "share_tracker"]

MIN_BYTES = 64 * 1024  #: a batch with less Tensor data than this goes through the pipe
_ALIGN = 64  # each buffer starts at a multiple of this in its slot
_GRAIN = 64 * 1024  # slot sizes are multiples of this


def share_tracker() -> None:
    """Start this process's resource tracker before the workers start, so that they share it
    (a worker started first would start its own, which would report the slots as leaked)."""
    if os.name == "posix":
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


def _attach(name: str) -> shared_memory.SharedMemory:
    if sys.version_info >= (3, 13):  # the main process tracks it; the worker only maps it
        return shared_memory.SharedMemory(name, track=False)
    return shared_memory.SharedMemory(name)


def _close(shm: shared_memory.SharedMemory) -> None:
    try:
        shm.close()
    except BufferError:  # a view is still referenced (a traceback's frame): unmapped with it;
        shm._buf = shm._mmap = None  # type: ignore[attr-defined]  # SharedMemory.__del__ won't retry


def _spans(sizes: list[int]) -> tuple[list[tuple[int, int]], int]:
    spans, at = [], 0
    for n in sizes:
        spans.append((at, n))
        at += -(-n // _ALIGN) * _ALIGN
    return spans, at


class Lender:
    """The main process's end: creates the slots, lends them, receives the batches.

    With ``size`` (the :attr:`largest` slot of an earlier pool of the same executor), each
    worker is lent ``cap - 2`` slots of that size at once, so that a pool started for each
    epoch does not send its first batches through the pipe.
    """

    def __init__(self, num_workers: int, cap: int, size: int = 0) -> None:
        self.cap = cap
        self.enabled = True  # False once a segment could not be created
        self.prefix = f"td{secrets.token_hex(4)}_"  #: every segment's name starts so
        self.shipped = 0  #: batches received through shared memory
        self._ids = itertools.count()
        self._slots: list[dict[int, shared_memory.SharedMemory]] = [{} for _ in range(num_workers)]
        self._named: dict[int, shared_memory.SharedMemory] = {}  # not unlinked yet
        self._lend: list[list[tuple[int, str]]] = [[] for _ in range(num_workers)]
        self._back: list[list[int]] = [[] for _ in range(num_workers)]
        self.largest = size  #: the largest slot created (bytes)
        for wid in range(num_workers if size else 0):
            for _ in range(cap - 2):
                self._create(wid, size, exact=True)

    def parcel(self, wid: int) -> Any:
        """What goes with the next message to worker ``wid``: None, or the slots lent (ids
        and names) and the slot ids given back since the last message."""
        lend, back = self._lend[wid], self._back[wid]
        if not lend and not back:
            return None
        self._lend[wid], self._back[wid] = [], []
        return lend, back

    def receive(self, msg: Any) -> Any:
        """A worker's message as the reply it stands for, its buffers copied out."""
        if type(msg[0]) is not str:
            return msg  # a reply without a batch, as it was
        if msg[0] == "shm":
            _, wid, sid, header, spans = msg
            shm = self._slots[wid][sid]
            self._unlink(sid)
            buf = shm.buf
            assert buf is not None
            parts = [header, *(bytearray(buf[at : at + n]) for at, n in spans)]
            self._back[wid].append(sid)
            self.shipped += 1
            return unpack(parts)
        _, wid, header, inline, want, retired = msg  # "pipe"
        for sid in retired:
            self._unlink(sid)
            _close(self._slots[wid].pop(sid))
        if want and self.enabled and len(self._slots[wid]) < self.cap:
            self._create(wid, want)
        return unpack([header, *inline])

    def _create(self, wid: int, want: int, exact: bool = False) -> None:
        size = want if exact else -(-(want + want // 4) // _GRAIN) * _GRAIN
        sid = next(self._ids)
        try:
            shm = shared_memory.SharedMemory(f"{self.prefix}{sid}", create=True, size=size)
        except OSError:
            self.enabled = False
            return
        self._named[sid] = shm
        fd = getattr(shm, "_fd", -1)  # POSIX: reserve the pages (tmpfs allocates lazily)
        if fd >= 0 and hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError:
                self._unlink(sid)
                _close(shm)
                self.enabled = False
                return
        self._slots[wid][sid] = shm
        self._lend[wid].append((sid, shm.name))
        self.largest = max(self.largest, size)

    def _unlink(self, sid: int) -> None:
        shm = self._named.pop(sid, None)
        if shm is not None:
            try:
                shm.unlink()
            except FileNotFoundError:
                pass

    def close(self) -> None:
        """Unlink every name not unlinked yet and unmap every slot (the workers have exited)."""
        for sid in list(self._named):
            self._unlink(sid)
        for slots in self._slots:
            for shm in slots.values():
                _close(shm)
            slots.clear()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter exit the resource tracker may be gone already
            pass


class Writer:
    """A worker's end: the slots it holds, and what to send for a reply."""

    def __init__(self, wid: int) -> None:
        self.wid = wid
        self._free: dict[int, shared_memory.SharedMemory] = {}
        self._busy: dict[int, shared_memory.SharedMemory] = {}

    def take(self, parcel: Any) -> None:
        """Map the slots lent with a message; free those given back."""
        if parcel is None:
            return
        lend, back = parcel
        for sid, name in lend:
            self._free[sid] = _attach(name)
        for sid in back:
            self._free[sid] = self._busy.pop(sid)

    def ship(self, reply: Any) -> Any:
        """The message that carries ``reply`` (see NOTE [ Shared batch slots ])."""
        if reply[1] is None or reply[2] is not None:  # no batch: a failure or an end
            return reply
        table = ForkingPickler(io.BytesIO()).dispatch_table  # as the queue pickles
        parts = pack(reply, dispatch_table=table)
        header = bytes(parts[0])
        sizes = [len(p) for p in parts[1:]]
        spans, need = _spans(sizes)
        fits = [sid for sid, shm in self._free.items() if shm.size >= need]
        if not fits or sum(sizes) < MIN_BYTES:  # through the pipe (bytearrays: writable there)
            want, retired = 0, []
            if sum(sizes) >= MIN_BYTES:
                want = need
                retired = [sid for sid, shm in self._free.items() if shm.size < need]
                for sid in retired:
                    _close(self._free.pop(sid))
            return ("pipe", self.wid, header, [bytearray(p) for p in parts[1:]], want, retired)
        sid = min(fits, key=lambda s: self._free[s].size)
        shm = self._free.pop(sid)
        self._busy[sid] = shm
        buf = shm.buf
        assert buf is not None
        for (at, n), part in zip(spans, parts[1:], strict=True):
            buf[at : at + n] = part
        return ("shm", self.wid, sid, header, spans)

    def close(self) -> None:
        for shm in (*self._free.values(), *self._busy.values()):
            _close(shm)
        self._free.clear()
        self._busy.clear()
