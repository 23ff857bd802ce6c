"""How a batch is handed to JavaScript (NOTE [ Batch hand-off ] in _jsapi/convert.py): the
descriptor's addresses hold exactly the tensors' bytes, headers are sent once per structure,
fields that are not tensors travel as values, in order.

The descriptor is read back here as ``takeBatch`` in js/index.mjs reads it, with ``ctypes``
reading the memory at each address. In Pyodide the packer locates buffers in its heap
(``_wasm.addresses``, what JavaScript copies from); natively, where there is no JavaScript,
the test gives it a ``ctypes`` locator of the same contract. The JavaScript side itself is
checked in tests/runtimes/ (p2_checks.mjs: the batches' bytes against CPython's).
"""

from __future__ import annotations

import ctypes
import json
import struct
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run

from torsh_data import Tensor, TorshDataError
from torsh_data._jsapi import JsLoader
from torsh_data._jsapi.convert import MAX_HEADERS, SLOTS, BatchPacker
from torsh_data._wasm import addresses

IN_PYODIDE = sys.platform == "emscripten"


def ctypes_locate(*buffers: Any) -> list[int]:
    """Where each buffer starts (the contract of ``_wasm.addresses``): ``bytes`` and writable
    buffers; ``TypeError`` for another read-only one."""
    out = []
    for b in buffers:
        if type(b) is bytes:
            out.append(ctypes.cast(ctypes.c_char_p(b), ctypes.c_void_p).value or 0)
        elif not memoryview(b).nbytes:
            out.append(0)
        else:
            out.append(ctypes.addressof(ctypes.c_char.from_buffer(b)))  # TypeError if read-only
    return out


def packer() -> BatchPacker:
    return BatchPacker(None if IN_PYODIDE else ctypes_locate)


def take(
    desc: str | int, plain: list[Any], headers: dict[int, Any], packer: BatchPacker | None = None
) -> dict[str, Any]:
    """The batch as js/index.mjs's ``_take`` makes it (bytes for the typed arrays): from the
    descriptor string, or, given a header's id, from the packer's slots at their address
    (NOTE [ Batch slots ])."""
    if isinstance(desc, int):
        assert packer is not None and packer.slots_address()
        n = 2 * sum(dtype is not None for _, _, dtype in headers[desc])
        slots = (ctypes.c_double * n).from_address(packer.slots_address())
        d: list[Any] = [desc, None, *(int(v) for v in slots)]
    else:
        d = json.loads(desc)
    if d[1] is not None:
        headers[d[0]] = d[1]
    out, k, p = {}, 2, 0
    for name, shape, dtype in headers[d[0]]:
        if dtype is None:
            out[name] = plain[p]
            p += 1
            continue
        at, n = d[k], d[k + 1]
        k += 2
        data = (ctypes.c_char * n).from_address(at).raw if n else b""
        out[name] = {"data": data, "shape": shape, "dtype": dtype}
    assert k == len(d) and p == len(plain)
    return out


def expected(batch: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {"data": v.tobytes(), "shape": list(v.shape), "dtype": v.dtype.name}
        if isinstance(v, Tensor)
        else v
        for k, v in batch.items()
    }


def test_tensors_and_values_in_order_header_once() -> None:
    p, headers = packer(), {}
    x = Tensor([[1.5, -2.0], [3.25, 4.0]], dtype="float32")
    y = Tensor([7, -8], dtype="int64")
    batch = {"x": x, "text": ["a", "b"], "y": y, "n": 2}
    desc, plain = p.pack(batch)
    assert json.loads(desc)[1] == [
        ["x", [2, 2], "float32"],
        ["text", None, None],
        ["y", [2], "int64"],
        ["n", None, None],
    ]
    assert plain == [["a", "b"], 2]
    assert take(desc, plain, headers) == expected(batch)
    # the same structure again: its id only, and the bytes of the new batch
    batch2 = {"x": Tensor([[0.0, 1.0], [2.0, 3.0]]), "text": ["c", "d"], "y": y, "n": 2}
    desc2, plain2 = p.pack(batch2)
    assert json.loads(desc2)[:2] == [json.loads(desc)[0], None]
    assert take(desc2, plain2, headers) == expected(batch2)
    # another shape (the last batch of an epoch): a new id, with its header
    short = {"x": Tensor([[5.0, 6.0]]), "text": ["e"], "y": Tensor([1]), "n": 1}
    desc3, plain3 = p.pack(short)
    assert json.loads(desc3)[0] != json.loads(desc)[0] and json.loads(desc3)[1] is not None
    assert take(desc3, plain3, headers) == expected(short)


def test_read_only_buffers_whole_bytes_in_place_slices_copied() -> None:
    p = packer()
    raw = bytes(range(12))
    whole = Tensor(raw, dtype="uint8", shape=(3, 4))  # a read-only view of all of `raw`
    part = Tensor(raw, dtype="uint8", shape=(3, 4))[1:]  # a read-only view of part of it
    empty = Tensor(bytearray(), dtype="float32", shape=(0, 3))
    batch = {"whole": whole, "part": part, "empty": empty}
    desc, plain = p.pack(batch)
    assert take(desc, plain, {}) == expected(batch)
    assert p.held[0] is raw, "the whole bytes object is located, not copied"
    assert p.held[1] == raw[4:] and p.held[1] is not raw, "a slice is copied, and the copy held"
    p.release()
    assert p.held == []


def test_structures_past_max_headers_start_the_ids_again() -> None:
    p, headers = packer(), {}
    for n in range(MAX_HEADERS + 5):  # a new shape each time (text padded to its batch)
        batch = {"x": Tensor(bytearray(n), dtype="uint8", shape=(1, n))}
        desc, plain = p.pack(batch)
        d = json.loads(desc)
        assert d[1] is not None and d[0] == n % MAX_HEADERS
        assert take(desc, plain, headers) == expected(batch)
    again = {"x": Tensor(bytearray(MAX_HEADERS + 2), dtype="uint8", shape=(1, MAX_HEADERS + 2))}
    assert json.loads(p.pack(again)[0])[1] is None  # still known after the restart


DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]
DTYPES += ["float16", "float32", "float64"]


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            dtype = draw(st.sampled_from(DTYPES))
            shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=3)))
            n = 1
            for s in shape:
                n *= s
            size = Tensor([0], dtype=dtype).nbytes * n
            data = draw(st.binary(min_size=size, max_size=size))
            if dtype == "bool":
                data = bytes(b & 1 for b in data)
            out[f"t{i}"] = Tensor(bytearray(data), dtype=dtype, shape=shape)
        else:
            out[f"v{i}"] = draw(st.lists(st.text(max_size=3), max_size=3))
    return out


@given(st.lists(batches(), min_size=1, max_size=6), st.booleans())
def test_every_batch_reads_back_exactly(seq: list[dict[str, Any]], slots: bool) -> None:
    p, headers = packer(), {}
    if slots:
        p.slots_address()  # what JavaScript asks once: the steady state's ids and slots
    for batch in [*seq, *seq]:
        desc, plain = p.pack(batch)
        assert take(desc, plain, headers, p) == expected(batch)


def test_a_seen_batch_of_tensors_comes_as_its_header_id_with_the_slots() -> None:
    # NOTE [ Batch slots ]: once JavaScript has asked where the slots are, a batch of
    # tensors whose header it has is its id (a number), its addresses and sizes in the slots;
    # a new structure, values beside the tensors, or more tensors than the slots hold still
    # come as the descriptor string; without the question, always the string
    p, q, headers = packer(), packer(), {}
    at = p.slots_address()
    assert at and at % 8 == 0 and p.slots_address() == at  # asked again: the same place
    x = {"x": Tensor(bytearray(range(6)), dtype="uint8", shape=(2, 3)), "y": Tensor([1, 2])}
    first, plain = p.pack(x)
    assert isinstance(first, str) and json.loads(first)[1] is not None
    take(first, plain, headers, p)
    x2 = {"x": Tensor(bytearray(range(6, 12)), dtype="uint8", shape=(2, 3)), "y": Tensor([3, 4])}
    hid, plain = p.pack(x2)
    assert hid == json.loads(first)[0] and plain == []
    assert take(hid, plain, headers, p) == expected(x2)
    assert isinstance(q.pack(x)[0], str) and isinstance(q.pack(x2)[0], str)  # never asked
    mixed = {**x2, "text": ["a", "b"]}
    take(*p.pack(mixed), headers, p)  # (every batch read, as JavaScript reads them)
    desc, plain = p.pack(mixed)
    assert isinstance(desc, str) and take(desc, plain, headers, p) == expected(mixed)
    many = {f"t{i}": Tensor([i]) for i in range(SLOTS + 1)}
    take(*p.pack(many), headers, p)
    desc, plain = p.pack(many)
    assert isinstance(desc, str) and take(desc, plain, headers, p) == expected(many)
    fits = {f"t{i}": Tensor([i]) for i in range(SLOTS)}
    take(p.pack(fits)[0], [], headers, p)
    hid, plain = p.pack(fits)
    assert isinstance(hid, int) and take(hid, plain, headers, p) == expected(fits)


@st.composite
def one_tensor_batches(draw: st.DrawFn) -> tuple[str, Tensor]:
    """``(name, tensor)``: few names, shapes and dtypes, so structures repeat; some tensors
    read-only (a view of ``bytes``), which the fast path leaves to :meth:`pack`."""
    name = draw(st.sampled_from(["x", "y"]))
    dtype = draw(st.sampled_from(["uint8", "float32"]))
    shape = (draw(st.integers(0, 2)), 2)
    size = Tensor([0], dtype=dtype).nbytes * shape[0] * 2
    data = draw(st.binary(min_size=size, max_size=size))
    buf = data if draw(st.booleans()) else bytearray(data)
    return name, Tensor(buf, dtype=dtype, shape=shape)


@given(st.lists(one_tensor_batches(), min_size=1, max_size=12), st.booleans())
def test_one_tensor_batches_read_back_exactly(seq: list[tuple[str, Tensor]], slots: bool) -> None:
    # NOTE [ One-tensor batches ]: tensor_to_js is to_js of {name: tensor}, whatever came before
    p, headers = packer(), {}
    if slots:
        p.slots_address()
    ids = 0
    for name, t in [*seq, *seq]:
        desc = p.tensor_to_js(name, t)
        ids += isinstance(desc, int)
        assert take(desc, [], headers, p) == expected({name: t})
    writable = [t for _, t in seq if not t._data.readonly]
    assert ids >= (len(writable) if slots else 0) and (slots or ids == 0)


def test_an_image_loader_hands_over_its_batches_through_the_fast_path() -> None:
    # P2's transforms on IDX images: batches of one tensor (the last of an epoch shorter):
    # through the lean path and the slots, the bytes of the checked path, over two epochs
    n, side = 23, 6
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, n, side, side) + bytes(range(256)) * 4
    idx = idx[: 16 + n * side * side]
    specs = [{"name": "RandomCrop", "args": [5], "padding": 1}, "ToTensor"]

    def loader() -> JsLoader:
        jl = JsLoader(5, {"shuffle": True, "seed": 7, "transforms": specs})
        run(jl.load_bytes(idx, name="i-idx3-ubyte"))
        jl._packer = packer()
        assert jl.slots_address()
        return jl

    lean, checked, headers = loader(), loader(), {}
    ids = 0
    for _ in range(2 * 6):
        got, want = lean.next_batch_js_sync(), checked.next_batch_sync()
        if want is None:
            assert got is None
            continue
        ids += isinstance(got, int)
        assert take(got, [], headers, lean._packer) == expected(want)
        assert want["x"].shape[1:] == (1, 5, 5)
    assert ids >= 4, "full batches after the first of each epoch come as their header's id"


def test_addresses_locate_writable_views_at_once_and_others_as_wasm_addresses() -> None:
    # NOTE [ Packing cost ]: the collated batch's buffer (a writable view, of any format and
    # offset) is located directly; the answer is the contract's, checked with ctypes
    raw = bytearray(range(48))
    views = [
        memoryview(raw),
        memoryview(raw)[5:],
        memoryview(raw).cast("f"),
        memoryview(raw)[8:].cast("i").cast("B").cast("h", (4, 5)),
    ]
    assert addresses(*views) == ctypes_locate(*views)
    for view, at in zip(views, addresses(*views), strict=True):
        assert ctypes.string_at(at, view.nbytes) == view.tobytes()
    assert addresses(memoryview(bytearray())) == [0]
    data = bytes(range(9))
    assert ctypes.string_at(addresses(data)[0], 9) == data
    with pytest.raises(TypeError):
        addresses(memoryview(data)[1:])


def test_lean_batch_path_hands_over_the_batches_of_the_checked_one() -> None:
    # NOTE [ Lean batch path ] in _jsapi/loader.py: next_batch_js_sync's batches inside an
    # epoch skip next_batch_sync; the bytes, the ends of epochs, reset() mid-epoch and the
    # timings are those of the checked path
    csv = b"a,b,label\n" + b"".join(b"%d,%d.5,%d\n" % (i, -i, i % 3) for i in range(23))

    def loader() -> JsLoader:
        jl = JsLoader(4, {"label": "label", "shuffle": True, "seed": 3, "cast": {"int64": "int32"}})
        run(jl.load_bytes(csv, name="t.csv"))
        jl._packer = packer()
        assert jl.slots_address()  # as WasmDataLoader asks (NOTE [ Batch slots ])
        return jl

    lean, checked, headers = loader(), loader(), {}
    slotted = 0
    for step in range(20):
        if step == 9:
            lean.reset()
            checked.reset()
        got = lean.next_batch_js_sync()
        want = checked.next_batch_sync()
        if want is None:
            assert got is None
            continue
        assert take(got, [], headers, lean._packer) == expected(want)
        slotted += isinstance(got, int)
    assert lean.epoch == checked.epoch == 3
    assert slotted >= 12, "inside an epoch, batches of a seen structure come through the slots"
    # the lean path's timings are folded into the monitor when it is read: every batch's
    timed = lean.monitor.summary()
    assert timed["batch"]["count"] == timed["to_js"]["count"] == 20 - 2


@pytest.mark.native_only(reason="natively there is no JavaScript to hand a batch to")
def test_natively_the_hand_off_raises_the_seam_error() -> None:
    loader = JsLoader(1)
    run(loader.load_bytes(b"a\n1\n2\n", name="t.csv"))
    assert loader.next_batch_sync() is not None  # the batch is made; handing it over is not
    with pytest.raises(TorshDataError, match="Pyodide"):
        loader.next_batch_js_sync()
