"""Batches for JavaScript (in Pyodide): a :class:`BatchPacker` hands a batch to ``takeBatch``
in js/index.mjs, which makes it ``{name: {data, shape, dtype}}`` (tensors) or
``{name: value}`` (other values).

NOTE [ Batch hand-off ]: a batch crosses to JavaScript as one short string, the *descriptor*
``[id, header, address, nbytes, address, nbytes, ...]`` (JSON): for each tensor field in
order, where its bytes start in Pyodide's memory and how many there are. JavaScript copies
each one with one ``TypedArray.set`` from a view of the heap (``HEAPU8.subarray``) into an
array of its own, right after the call returns: no Python runs in between, so the buffers
cannot move or be freed (the packer holds them until the next batch anyway), and the heap
cannot grow under the view (``HEAPU8`` is read after the call, so it is the current one).
``header`` is ``[name, shape, dtype]`` per field, sent once per distinct structure: while names,
shapes and dtypes repeat (every full batch of an epoch), only its ``id`` travels and
JavaScript reuses the header it parsed (``null`` in its place). Fields that are not tensors
(text, lists) go as JavaScript values: the call returns ``[descriptor, value, ...]`` (one
``to_js``) instead of the string.

NOTE [ Batch slots ]: in the steady state (a structure JavaScript has seen, only tensors, at
most :data:`SLOTS` of them) not even that string is made: the packer writes each tensor's
address and size into its *slots*, a float64 array of its own that never moves (JavaScript
is told where it is once, ``slots_address()``), and the call returns the header's ``id``
alone, a number. JavaScript reads the pairs from ``HEAPF64`` where it would have read them
from the parsed descriptor. Per batch this spares Python formatting the numbers and joining
the string, and JavaScript converting the string and parsing it (a P2 batch's hand-off
measured 18-20 us of packing in Pyodide under Node.js, 6-9 of them the string's).

What this replaced: ``to_js`` of ``[header, memoryview, ...]`` made every batch in Pyodide's
conversion machinery (a JavaScript array filled item by item, each typed array made through
calls back into JavaScript) and serialised the header again; handing a batch of P2 over took
longer than making it in some runs. Now one call and one string cross the boundary; the
copy is JavaScript's own ``memcpy``.

NOTE [ Batch buffers in JavaScript ]: a batch's arrays are copies, each in an
``ArrayBuffer`` of its own, on purpose; a zero-copy view of the batch's Python buffer is not
handed out, because such a view cannot stay valid for as long as JavaScript holds the batch:

- the WebAssembly memory is an ``ArrayBuffer`` that is *detached* whenever Pyodide's heap
  grows, and any later Python allocation (the next batch) may grow it: every view over it
  then reads as length 0 (measured under Node.js: a 256,000-byte view became 0 bytes after a
  400 MB allocation). Pyodide's memory is not a ``SharedArrayBuffer`` and Node.js/Chromium
  give no resizable view of it that we could rely on;
- a view's bytes stay Python's only while the buffer is held, so JavaScript would have to
  release every batch by hand, or leave it to a ``FinalizationRegistry`` that the garbage
  collector runs late (it does not see the heap memory behind a small JS object);
- a view's ``ArrayBuffer`` is the whole heap, so ``postMessage`` could not move one batch
  (``WasmDataProcessor`` and ``transferables()`` in js/index.mjs transfer ``data.buffer``).

So a batch's arrays belong to JavaScript alone: they stay correct after the next batch is
made, can be transferred, and need no release. What the copy costs is mostly the fresh
memory it writes, not the copy: in Chromium a new 200 KB ``ArrayBuffer`` filled from the heap
took 130-160 us against 5 us for the same ``memcpy`` into a buffer written before (the new
pages are faulted in; under Node.js 25-60 us against 5 us).

NOTE [ Recycled batches ]: the fresh memory is saved by an opt-in with a lifetime rule the
caller states: ``loader.recycle(batch)`` in JavaScript hands a batch back ("I am done with
it"); its arrays go to the loader's pool (and the batch's ``data`` fields are set to null, so
a later read of that batch fails loudly), and the next batches are copied into pooled arrays
of the same dtype and byte length instead of new ones: the same one ``memcpy``, into memory
already written. A batch that is never handed back is never reused. The pool is
JavaScript's alone; Python does not know which arrays a batch lands in.
"""

from __future__ import annotations

import array
import json
from collections.abc import Callable
from typing import Any

from .._ffi import to_js
from .._wasm import addresses, locatable
from ..tensor import Tensor

__all__ = ["MAX_HEADERS", "SLOTS", "BatchPacker"]

#: Distinct batch structures remembered; past that the ids start again (each is sent anew).
MAX_HEADERS = 64
#: Tensors per batch whose (address, size) go through the slots (NOTE [ Batch slots ]).
SLOTS = 16


def _heap_locator() -> Callable[..., list[int]]:
    """:func:`torsh_data._wasm.addresses`; natively a :class:`~torsh_data.TorshDataError`
    (there is no JavaScript to hand a batch to)."""
    from .._runtime import js_module

    js_module()  # raises the seam's clear error natively
    return addresses


class BatchPacker:
    """Packs batches for JavaScript (NOTE [ Batch hand-off ]); one per loader, since the
    header ids it hands out are those JavaScript has seen.

    Args:
        locate: ``(*buffers) -> [address, ...]`` where each writable buffer or ``bytes``
            starts in memory (raising ``TypeError`` for another read-only buffer). Pyodide's
            heap by default (:func:`torsh_data._wasm.addresses`).

    >>> import ctypes
    >>> from torsh_data import Tensor
    >>> at = lambda *bs: [ctypes.addressof(ctypes.c_char.from_buffer(b)) for b in bs]
    >>> packer = BatchPacker(at)
    >>> x = Tensor(bytearray(b"abcd"), dtype="uint8", shape=(2, 2))
    >>> desc, plain = packer.pack({"x": x, "text": ["a", "b"]})
    >>> d = json.loads(desc)
    >>> d[0], d[1], plain
    (0, [['x', [2, 2], 'uint8'], ['text', None, None]], [['a', 'b']])
    >>> ctypes.string_at(d[2], d[3])
    b'abcd'
    >>> json.loads(packer.pack({"x": x, "text": ["c", "d"]})[0])[:2]  # the same header: its id
    [0, None]
    >>> packer.slots_address() % 8  # JavaScript reads the slots from here on
    0
    >>> json.loads(packer.pack({"x": x})[0])[:2]  # a new structure: its header, as a string
    [1, [['x', [2, 2], 'uint8']]]
    >>> packer.pack({"x": x})  # seen, tensors only: its id; address and size in the slots
    (1, [])
    >>> [int(v) for v in packer.slots[:2]] == [*at(packer.held[0]), 4]
    True
    """

    def __init__(self, locate: Callable[..., list[int]] | None = None) -> None:
        self._locate = locate
        self._ids: dict[tuple[Any, ...], int] = {}
        self.held: list[Any] = []  # the buffers of the last batch packed, alive until the next
        #: each tensor's (address, size) in the steady state (NOTE [ Batch slots ]): never resized
        self.slots = array.array("d", bytes(16 * SLOTS))
        self._slots_at: int | None = None  # where the slots are, once asked (None: not yet)
        # (name, shape, dtype, id) of the last one-tensor batch sent through the slots
        self._last: tuple[str, tuple[int, ...], Any, int] | None = None

    def slots_address(self) -> int:
        """Where :attr:`slots` are in memory (NOTE [ Batch slots ]), for JavaScript to read
        them from; 0 when they cannot be read as float64 there (not 8-byte aligned): then
        every batch comes as a descriptor string."""
        if self._slots_at is None:
            (at,) = (self._locate or self._heap())(self.slots)
            self._slots_at = at if at % 8 == 0 else 0
        return self._slots_at

    def pack(self, batch: dict[str, Any]) -> tuple[str | int, list[Any]]:
        """``(descriptor, plain)``: the descriptor string and, in field order, the values of
        the fields that are not tensors (as JavaScript takes them); or, once
        :meth:`slots_address` has been asked, ``(id, [])`` for a batch of tensors whose
        header JavaScript has (their addresses and sizes in :attr:`slots`). The tensors'
        buffers stay held until the next :meth:`pack` or :meth:`release`.

        NOTE [ Packing cost ]: this runs once per batch on the path every batch takes, so it
        does little: a tensor's buffer that is already a writable view (what a collated batch
        holds) goes to the locator as it is, without :func:`locatable`'s checks, and the
        locator (:func:`torsh_data._wasm.addresses`) takes such a view's address at once,
        without a cast; all of a batch's buffers are located in one call; the structure is
        looked up by a flat tuple; the descriptor is one join. (A P2 batch in Pyodide under
        Node.js, the same batch packed over and over, best of 40: 10.4-12.4 us before,
        5.6-8.1 us after, on a machine at load 9.)
        """
        held: list[Any] = []
        plain: list[Any] = []
        key: list[Any] = []
        for k, v in batch.items():
            if isinstance(v, Tensor):
                data = v._data
                if type(data) is not memoryview or data.readonly:
                    data = locatable(data)  # a read-only view: its whole bytes, or a copy
                held.append(data)
                key += (k, v.shape, v.dtype.name)
            else:
                plain.append(_plain(v))
                key += (k, None, None)
        self.held = held
        structure = tuple(key)
        hid = self._ids.get(structure)
        header = "null"
        if hid is None:
            if len(self._ids) >= MAX_HEADERS:
                self._ids.clear()
                self._last = None
            hid = self._ids[structure] = len(self._ids)
            fields = [
                [str(key[i]), None if key[i + 1] is None else list(key[i + 1]), key[i + 2]]
                for i in range(0, len(key), 3)
            ]
            header = json.dumps(fields, separators=(",", ":"))
        if not held:
            return f"[{hid},{header}]", plain
        ats = (self._locate or self._heap())(*held)
        if header == "null" and not plain and self._slots_at and len(held) <= SLOTS:
            slots, i = self.slots, 0  # NOTE [ Batch slots ]
            for at, data in zip(ats, held, strict=True):
                slots[i] = at
                slots[i + 1] = data.nbytes if type(data) is memoryview else len(data)
                i += 2
            return hid, plain
        spans = [str(hid), header]
        for at, data in zip(ats, held, strict=True):
            spans += (str(at), str(data.nbytes if type(data) is memoryview else len(data)))
        return f"[{','.join(spans)}]", plain

    def tensor_to_js(self, name: str, t: Tensor) -> Any:
        """:meth:`to_js` of the batch ``{name: t}``. NOTE [ One-tensor batches ]: the batches
        of an image loader are one tensor each, of one structure (but the last of an epoch):
        such a batch after one of the same name, shape and dtype went through the slots has
        its address and size written there and the id returned at once, without
        :meth:`pack`'s walk over the fields (in Pyodide 2.5 of pack's 5.7 us, hot, and its
        cost in the real loop is a multiple of that: the batch's data has pushed the
        interpreter's out of the cache)."""
        last, data = self._last, t._data
        if (
            last is not None
            and last[0] is name
            and last[1] == t.shape
            and last[2] is t.dtype
            and type(data) is memoryview
            and not data.readonly
        ):
            self.held = [data]
            slots = self.slots
            (slots[0],) = (self._locate or self._heap())(data)
            slots[1] = data.nbytes
            return last[3]
        out = self.to_js({name: t})
        self._last = (name, t.shape, t.dtype, out) if type(out) is int else None
        return out

    def _heap(self) -> Callable[..., list[int]]:
        self._locate = _heap_locator()
        return self._locate

    def release(self) -> None:
        """Let go of the last batch's buffers (JavaScript has copied them)."""
        self.held = []

    def to_js(self, batch: dict[str, Any]) -> Any:
        """The batch for ``takeBatch`` in JavaScript: the descriptor string (or the header's
        id: NOTE [ Batch slots ]), or ``[descriptor, value, ...]`` as one JavaScript array
        when some fields are not tensors."""
        desc, plain = self.pack(batch)
        return to_js([desc, *plain]) if plain else desc


def _plain(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v
