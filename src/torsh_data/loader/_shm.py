"""How a worker process's batch reaches the main process: through a shared-memory slot.

NOTE [ Shared batch slots ]: a worker pickles its batch with each Tensor's buffer left out
(:func:`~torsh_data.loader._transfer.pack`; other objects as the pipe would pickle them, so
torch tensors still travel as torch's shared-memory pickling has them). If the buffers come to
at least :data:`MIN_BYTES`, it writes them into a *slot* -- a shared-memory segment the main
process created and lent to it -- and sends through the pipe only the pickled structure, the
slot and where each buffer lies; smaller ones go through the pipe beside the structure.

The batch the caller gets *views* its slot: its Tensors' memory is the slot's, nothing is
copied (a 1 MiB copy cost as much as the rest of the main process's work for a batch). The
rule that keeps this safe, as torch's shared-memory batches do: **a slot is written again only
after its batch is gone** -- every Tensor of it, and every view, slice, numpy array or torch
tensor made from them. All those hold one per-batch object (a ``ctypes`` array over the slot,
:meth:`Lender._hold`); when the last of them is released, a weak-reference callback gives the
slot back to its worker with the main process's next message to it. A caller who keeps
batches keeps their slots; a worker without a free slot sends its next batches through the
pipe (copied, as small ones are) and asks for another slot, up to ``cap`` per worker. Every
batch arrives once, and a batch stays valid however long it is kept -- also after its
workers exit, since an unlinked segment's memory lives as long as it is mapped. Batch Tensors
are writable, and writing into one changes only that batch. (A CPython without ``ctypes``
copies each buffer out instead, and gives the slot back at once.)

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
- A worker with no free slot large enough sends that batch's buffers through the pipe and
  asks for one (``want``); the main process creates it -- and more, up to ``cap - 1``, as
  many as a worker keeps busy while batches are dropped one by one -- (at most ``cap`` per
  worker) and lends them with its next message. Free slots too small are given back. Where shared memory cannot
  be created -- no ``/dev/shm``, or too little of it (the space is reserved with
  ``posix_fallocate``, so a full ``/dev/shm`` is an error here, not a ``SIGBUS`` in the
  worker) -- batches keep going through the pipe. Either way every batch arrives once.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
import secrets
import sys
import weakref
from collections import deque
from multiprocessing import shared_memory
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ._transfer import pack, unpack

try:
    import ctypes
except ImportError:  # a CPython built without _ctypes: batches are copied out of their slots
    ctypes = None  # type: ignore[assignment]

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
    except BufferError:  # a batch (or a traceback's frame) still views it: unmapped with the
        shm._buf = shm._mmap = None  # type: ignore[attr-defined]  # last view; __del__ closes the fd


def _spans(sizes: list[int]) -> tuple[list[tuple[int, int]], int]:
    spans, at = [], 0
    for n in sizes:
        spans.append((at, n))
        at += -(-n // _ALIGN) * _ALIGN
    return spans, at


class Lender:
    """The main process's end: creates the slots, lends them, receives the batches.

    With ``size`` (the :attr:`largest` slot of an earlier pool of the same executor), each
    worker is lent ``cap - 1`` slots of that size at once, so that a pool started for each
    epoch does not send its first batches through the pipe.
    """

    def __init__(self, num_workers: int, cap: int, size: int = 0) -> None:
        self.cap = cap
        self.enabled = True  # False once a segment could not be created
        self.prefix = f"td{secrets.token_hex(4)}_"  #: every segment's name starts so
        self.shipped = 0  #: batches received through shared memory
        #: the last batch received came through the pipe for want of a slot: the main process
        #: then reads every worker's replies as they come (NOTE [ Worker pipes ])
        self.piping = False
        self._ids = itertools.count()
        self._slots: list[dict[int, shared_memory.SharedMemory]] = [{} for _ in range(num_workers)]
        self._named: dict[int, shared_memory.SharedMemory] = {}  # not unlinked yet
        self._lend: list[list[tuple[int, str]]] = [[] for _ in range(num_workers)]
        # given back since the last message: appended to by weakref callbacks, in any thread
        self._back: list[deque[int]] = [deque() for _ in range(num_workers)]
        self._held: dict[int, weakref.ref[Any]] = {}  # slot id -> its batch's holder
        self.largest = size  #: the largest slot created (bytes)
        for wid in range(num_workers if size else 0):
            for _ in range(cap - 1):
                self._create(wid, size, exact=True)

    def parcel(self, wid: int) -> Any:
        """What goes with the next message to worker ``wid``: None, or the slots lent (ids
        and names) and the slot ids given back since the last message."""
        lend, queue = self._lend[wid], self._back[wid]
        if not lend and not queue:
            return None
        self._lend[wid], back = [], []
        while queue:  # popleft, not a swap: a callback may append meanwhile
            back.append(queue.popleft())
        return lend, back

    def receive(self, msg: Any) -> Any:
        """A worker's message as the reply it stands for, its buffers copied out."""
        if type(msg[0]) is not str:
            return msg  # a reply without a batch, as it was
        if msg[0] == "shm":
            _, wid, sid, header, spans = msg
            self._unlink(sid)
            buf = self._hold(wid, sid)
            self.shipped += 1
            self.piping = False
            return unpack([header, *(buf[at : at + n] for at, n in spans)])
        _, wid, header, inline, want, retired = msg  # "pipe"
        self.piping = want > 0
        for sid in retired:
            self._unlink(sid)
            _close(self._slots[wid].pop(sid))
        if want:  # as many as it keeps busy when each batch is dropped before the next-but-one
            slots = self._slots[wid]
            for _ in range(max(1, self.cap - 1 - len(slots))):
                if not self.enabled or len(slots) >= self.cap:
                    break
                self._create(wid, want)
        return unpack([header, *inline])

    def _hold(self, wid: int, sid: int) -> memoryview:
        """Slot ``sid``'s memory, as a view that gives the slot back to worker ``wid`` when it
        and every view made from it are gone (NOTE [ Shared batch slots ])."""
        buf = self._slots[wid][sid].buf
        assert buf is not None
        if ctypes is None:  # copied: the slot can go back at once
            self._back[wid].append(sid)
            return memoryview(bytearray(buf))
        holder = (ctypes.c_ubyte * len(buf)).from_buffer(buf)
        self._held[sid] = weakref.ref(holder, functools.partial(self._give_back, wid, sid))
        return memoryview(holder).cast("B")

    def _give_back(self, wid: int, sid: int, _: Any) -> None:
        # a weakref callback: runs wherever the batch's last view was dropped
        if self._held.pop(sid, None) is not None:
            self._back[wid].append(sid)

    @property
    def held(self) -> int:
        """How many slots batches still view (NOTE [ Shared batch slots ])."""
        return len(self._held)

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
        self._held.clear()  # the batches keep their memory; their slots go back to no one
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
        # the smallest that fits; of those, the one given back last: its pages are the likeliest
        # to be in this core's caches still
        sid = min(reversed(fits), key=lambda s: self._free[s].size)
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
