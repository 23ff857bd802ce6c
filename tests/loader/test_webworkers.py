"""The Web Worker executor (tests/runtimes/workers.test.mjs drives it in Chromium and Node.js
too): batches out of band, the code a worker gets, arguments, saved loader states, and in
Pyodide a real pool against num_workers=0."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sys
import time
import types
from typing import Any

import pytest
import webworker_cases as cases
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import nested, tensors
from support import run

import torsh_data as td
from torsh_data.io import Cache
from torsh_data.loader import WebWorkerExecutor, restore_state, save_state
from torsh_data.loader._pool import WAIT
from torsh_data.loader._transfer import code_for, pack, unpack
from torsh_data.testing import batch_digest

DTYPES = ["uint8", "int16", "int32", "int64", "float32", "float64", "bool"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, td.Tensor):
        return (
            isinstance(b, td.Tensor)
            and (a.dtype, a.shape) == (b.dtype, b.shape)
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@settings(max_examples=60, deadline=None)
@given(nested(tensors(dtypes=DTYPES) | st.integers() | st.text(max_size=5), max_leaves=8))
def test_pack_round_trips_like_pickle(batch: Any) -> None:
    parts = pack(batch)
    # pickle itself is the reference: what comes back equals what pickle gives back
    assert _same(unpack([bytes(p) for p in parts]), pickle.loads(pickle.dumps(batch)))


def test_pack_ships_tensor_buffers_out_of_band_and_views_only() -> None:
    big = td.Tensor(bytes(range(256)) * 64, dtype="uint8", shape=(64, 256))
    view = big[10:12]
    parts = pack({"x": view, "y": [big, 3]})
    assert len(parts) == 3 and len(parts[0]) < 400  # the pickle holds no pixels
    assert bytes(parts[1]) == view.tobytes() and len(parts[1]) == 512
    out = unpack([bytearray(p) for p in parts])
    assert out["x"].tolist() == view.tolist() and out["y"][0].equal(big)
    out["x"]._data[0] = 99  # writable, and its own memory
    assert out["x"][0].tolist()[0] == 99 and view[0].tolist()[0] == 0


def test_unpack_rejects_a_truncated_pickle() -> None:
    parts = pack((1, td.Tensor([1.0, 2.0]), None))
    with pytest.raises(pickle.UnpicklingError):
        unpack([bytes(parts[0])[:-3], parts[1]])


def test_a_worker_gets_torsh_data_and_the_modules_the_dataset_uses() -> None:
    files, packages = code_for({"webworker_cases", "json", "torsh_data.datasets"})
    assert packages == []
    root = os.path.dirname(td.__file__)
    assert os.path.join(root, "loader", "_webworkers.py") in files
    assert os.path.join(root, "__init__.py") in files
    pycs = [p for p in files if "__pycache__" in p or p.endswith(".pyc")]
    assert all(int.from_bytes(files[p][4:8], "little") & 1 for p in pycs), "hash-based only"
    with open(cases.__file__, "rb") as f:
        assert files[os.path.abspath(cases.__file__)] == f.read()
    assert not any(p.endswith(os.sep + "json" + os.sep + "__init__.py") for p in files)


def test_a_worker_gets_the_hash_based_pycs_beside_the_sources(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NOTE [ Worker standard library ]: the precompiled wheel's pycs (PEP 552, unchecked) go
    # along; a timestamp pyc would not match the copy's time, so it stays behind
    import importlib.util
    import py_compile
    from pathlib import Path

    package = tmp_path / "pycpkg"
    package.mkdir()
    for name in ("__init__", "hashed", "timed"):
        (package / f"{name}.py").write_text(f"NAME = {name!r}\n")
    mode = py_compile.PycInvalidationMode
    for name, how in (("hashed", mode.UNCHECKED_HASH), ("timed", mode.TIMESTAMP)):
        py_compile.compile(str(package / f"{name}.py"), invalidation_mode=how, doraise=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "pycpkg", raising=False)
    importlib.import_module("pycpkg")
    files, _ = code_for({"pycpkg"})
    hashed = importlib.util.cache_from_source(str(package / "hashed.py"))
    timed = importlib.util.cache_from_source(str(package / "timed.py"))
    assert files[hashed] == Path(hashed).read_bytes()
    assert timed not in files and os.path.exists(timed)
    assert {os.path.basename(p) for p in files if p.startswith(str(package))} == {
        "__init__.py",
        "hashed.py",
        "timed.py",
        os.path.basename(hashed),
    }
    sys.modules.pop("pycpkg", None)


def test_a_dataset_from_main_is_refused_with_the_fix() -> None:
    with pytest.raises(td.DataValueError, match=r"__main__.*move it into a module"):
        code_for({"__main__"})


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0,), {}, "num_workers"),
        ((2, 0), {}, "prefetch_factor"),
        ((2,), {"timeout": -1}, "timeout"),
        ((2,), {"boot_timeout": "soon"}, "boot_timeout"),
    ],
)
def test_bad_arguments(args: Any, kwargs: Any, match: str) -> None:
    with pytest.raises(td.DataValueError, match=match):
        WebWorkerExecutor(*args, **kwargs)


@pytest.mark.no_jspi_only(reason="checks the refusal where Python cannot block on a promise")
def test_without_jspi_sync_iteration_asks_for_async_for() -> None:
    ld = td.DataLoader(td.TensorDataset(list(range(4))), executor=WebWorkerExecutor(2))
    with pytest.raises(td.CannotBlockError, match=r"(?s)num_workers > 0.*no JSPI.*async for batch"):
        iter(ld)  # refused at once, before any worker starts
    with pytest.raises(RuntimeError):  # what a caller would catch
        list(ld)


@pytest.mark.native_only(reason="checks the refusal outside Pyodide")
def test_natively_the_executor_refuses_to_start() -> None:
    ld = td.DataLoader(td.TensorDataset(list(range(4))), executor=WebWorkerExecutor(1))

    async def go() -> None:
        async for _ in ld:
            pass

    with pytest.raises(td.DataValueError, match="only in Pyodide"):
        run(go())


def test_the_worker_script_is_package_data_with_the_shared_boot_steps_inlined() -> None:
    """worker.mjs and pyodide_boot.mjs are read from the installed package (in Pyodide: from
    the wheel); the boot steps shared with js/index.mjs are inlined, once each."""
    from torsh_data.loader import _webworkers

    source = _webworkers.worker_source()
    assert "./pyodide_boot.mjs" not in source
    for name in ("startPyodide", "reseedRandom", "takeSnapshot"):
        assert source.count(f"function {name}(") == 1
        assert source.count(f"{name}(") >= 2  # defined and called
    assert 'py.pyimport("torsh_data.loader._webworkers")' in source
    for entry in ("_worker_step", "_stdlib_kind"):  # what the worker calls there
        assert f"here.{entry}" in source and callable(getattr(_webworkers, entry))


def _polls_without_reply(ex: WebWorkerExecutor, ready: set[int], started: float) -> Any:
    """One epoch of ``ex``'s scheduling loop on a stand-in pool (its workers in ``ready`` are
    up): a generator waiting for its first reply; ``send(None)`` is a poll that brought none."""
    ex._pool = types.SimpleNamespace(  # type: ignore[assignment]
        ready=ready, started=started, send=lambda wid, message: None, close=lambda: None
    )
    loop = ex._epoch(("map", 0, 0, {"auto_collation": True}), False, iter([[0], [1]]))
    assert next(loop) is WAIT
    return loop


def test_the_batch_timeout_counts_only_once_every_worker_is_up() -> None:
    ex = WebWorkerExecutor(2, timeout=1, boot_timeout=60)
    ready = {0}
    loop = _polls_without_reply(ex, ready, time.monotonic())
    for _ in range(40):  # 10 s of polls while worker 1 starts: not a batch timeout
        assert loop.send(None) is WAIT
    ready.add(1)
    for _ in range(3):  # 0.75 s
        assert loop.send(None) is WAIT
    with pytest.raises(td.loader.WorkerError, match=r"timed out after 1 seconds: no batch came"):
        loop.send(None)
    assert ex._pool is None  # shut down


def test_a_worker_that_does_not_start_hits_the_boot_timeout() -> None:
    ex = WebWorkerExecutor(3, boot_timeout=5)
    loop = _polls_without_reply(ex, {1}, time.monotonic() - 6)
    with pytest.raises(td.loader.WorkerError, match=r"workers \[0, 2\] did not start within 5 s"):
        loop.send(None)
    assert ex._pool is None


# --- saved loader states ----------------------------------------------------------------------
#: A pool's messages arrive on JavaScript's event loop, which a synchronous test can only wait
#: for through JSPI.
WORKERS = pytest.mark.needs_jspi(reason="waits on Web Workers from a synchronous test")


def _loader(**kw: Any) -> td.DataLoader:
    return td.DataLoader(cases.augmented(40), batch_size=4, shuffle=True, **kw)


async def _epochs(ld: td.DataLoader, n: int) -> list[str]:
    out: list[str] = []
    for _ in range(n):
        out += [batch_digest(b) async for b in ld]
    return out


@pytest.mark.parametrize("stop", [0, 3, 10, 13])
def test_a_saved_state_resumes_exactly(tmp_path: Any, stop: int) -> None:
    async def go() -> tuple[list[str], list[str]]:
        whole = await _epochs(_loader(seed=9), 2)  # 10 batches per epoch
        cache = Cache("states", root=tmp_path)
        ld, seen = _loader(seed=9), []
        it = aiter(ld)
        for _ in range(stop):
            try:
                seen.append(batch_digest(await anext(it)))
            except StopAsyncIteration:
                it = aiter(ld)
                seen.append(batch_digest(await anext(it)))
        await save_state(ld, cache, "run")
        fresh = _loader(seed=1)  # another seed: the state brings its own
        assert await restore_state(fresh, cache, "run")
        rest = await _epochs(fresh, 2 if stop < 10 else 1)
        return whole, seen + rest[: len(whole) - len(seen)]

    whole, resumed = run(go())
    assert resumed == whole


def test_restore_without_a_saved_state_is_false(tmp_path: Any) -> None:
    ld = _loader(seed=2)
    assert run(restore_state(ld, Cache("states", root=tmp_path), "nothing")) is False
    assert ld.state_dict()["batches"] == 0


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (b"\xff\xfe not utf-8", "not a saved loader state"),
        (b'{"version": 1, "seed"', "not a saved loader state"),
        (b"", "entry 'run': not a saved loader state: not valid JSON at line 1, column 1"),
        (b"[" * 100_000, "entry 'run': not a saved loader state: JSON nested deeper than 500"),
        (
            json.dumps(
                {"version": 1, "seed": 1, "epoch": 0, "batches": sys.maxsize + 1, "sampler": None}
            ).encode(),
            f"entry 'run': .*'batches' must be an integer in \\[0, {sys.maxsize}\\], got {sys.maxsize + 1}",
        ),
        (
            json.dumps(
                {"version": 1, "seed": 2**64, "epoch": 0, "batches": 0, "sampler": None}
            ).encode(),
            "entry 'run': .*'seed' must be an integer in",
        ),
        (json.dumps({"version": 7}).encode(), "not a DataLoader state"),
        (
            json.dumps(
                {"version": 1, "seed": 1, "epoch": -1, "batches": 0, "sampler": None}
            ).encode(),
            "epoch",
        ),
    ],
)
def test_a_damaged_saved_state_is_refused(tmp_path: Any, entry: bytes, match: str) -> None:
    cache = Cache("states", root=tmp_path)

    async def go() -> None:
        await cache.put("run", entry)
        await restore_state(_loader(seed=2), cache, "run")

    with pytest.raises(td.DataValueError, match=match):
        run(go())


def test_the_key_must_be_a_string(tmp_path: Any) -> None:
    with pytest.raises(td.DataTypeError, match="key"):
        run(save_state(_loader(), Cache("states", root=tmp_path), 3))  # type: ignore[arg-type]


# --- a real pool (Pyodide) --------------------------------------------------------------------
@pytest.mark.pyodide_only(reason="starts Web Workers / worker_threads, each with a Pyodide")
@WORKERS
def test_two_workers_give_the_batches_of_none() -> None:
    async def go() -> tuple[list[str], list[str]]:
        ref = await _epochs(_loader(seed=4), 1)
        return ref, await _epochs(_loader(seed=4, num_workers=2), 1)

    ref, got = run(go())
    assert got == ref
    # a plain ``for`` waits for each batch through JSPI, abandoned early too
    assert [batch_digest(b) for b in _loader(seed=4, num_workers=2)] == ref
    early = zip(_loader(seed=4, num_workers=2), range(3), strict=False)
    assert [batch_digest(b) for b, _ in early] == ref[:3]


@pytest.mark.pyodide_only(reason="starts worker_threads / Web Workers, each with a Pyodide")
@WORKERS
def test_a_worker_error_carries_its_traceback_and_the_epoch_goes_on() -> None:
    async def go() -> list[Any]:
        it = td.DataLoader(cases.FailsAt(12, 5), batch_size=3, num_workers=2).__aiter__()
        out = [(await it.__anext__()).tolist()]
        with pytest.raises(ValueError, match=r"(?s)indices \[3, 4, 5\].*sample 5 is broken"):
            await it.__anext__()
        return out + [b.tolist() async for b in it]

    assert run(go()) == [[0, 1, 2], [6, 7, 8], [9, 10, 11]]
    assert sys.platform == "emscripten"


@pytest.mark.pyodide_only(reason="starts worker_threads / Web Workers, each with a Pyodide")
@WORKERS
def test_a_dataset_that_splits_its_stream_is_read_once_in_torchs_order() -> None:
    # NOTE [ Who splits an iterable stream ]: torch's recipe, in __iter__ and in
    # worker_init_fn; a worker_init_fn that only seeds leaves the split to the loader
    async def go(ds: Any, init: Any = None, **kw: Any) -> list[Any]:
        ld = td.DataLoader(ds, num_workers=2, worker_init_fn=init, **kw)
        return [
            b.tolist() if isinstance(b, td.Tensor) else [x.tolist() for x in b] async for b in ld
        ]

    async def all_cases() -> list[list[Any]]:
        return [
            await go(cases.SplitRange(3, 7)),
            await go(cases.SplitRange(3, 7, True), cases.split_in_init),
            await go(cases.Stream(10), cases.seed_only_init, batch_size=4, seed=3),
            await go(cases.Stream(10), None, batch_size=4, seed=3),
        ]

    by_iter, by_init, seeded, plain = run(all_cases())
    assert by_iter == by_init == [[3], [5], [4], [6]]
    assert seeded == plain and [i for ids, _ in plain for i in ids] == list(range(10))


@pytest.mark.pyodide_only(reason="starts a worker_thread / Web Worker with its own Pyodide")
@WORKERS
def test_a_stuck_worker_hits_the_timeout_which_counts_from_start_up() -> None:
    # starting the worker takes seconds (longer than the timeout): only the wait for a batch
    # once it is up counts; that batch takes far longer than the timeout
    fast = td.DataLoader(td.TensorDataset(list(range(8))), batch_size=4, num_workers=1, timeout=2)
    stuck = td.DataLoader(
        cases.Slow(4, 4, spins=50_000_000), batch_size=4, num_workers=1, timeout=1
    )

    async def go(ld: td.DataLoader) -> list[Any]:
        return [x.tolist() async for (x,) in ld]

    assert run(go(fast)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(td.loader.WorkerError, match="timed out after 1 seconds"):
        run(go(stuck))


@pytest.mark.pyodide_only(reason="starts Web Workers / worker_threads, each with a Pyodide")
@WORKERS
def test_later_pools_start_from_the_boot_snapshot_the_first_made(tmp_path: Any) -> None:
    cache = Cache("snapshots", root=tmp_path)

    def loader() -> td.DataLoader:
        pool = WebWorkerExecutor(2, boot_snapshot=cache)
        return td.DataLoader(cases.augmented(40), batch_size=4, shuffle=True, seed=6, executor=pool)

    async def stored() -> list[str]:
        for _ in range(200):  # the snapshot is stored in the background
            if keys := await cache.keys():
                return keys
            await asyncio.sleep(0.05)
        return []

    async def damage(key: str) -> None:  # another Pyodide build's snapshot, with a valid sha256
        data = bytearray(await cache.get(key) or b"")
        data[20] ^= 0xFF  # inside the build id of the snapshot's header
        await cache.put(key, data)

    async def go() -> tuple[list[str], dict[str, Any]]:
        ref = await _epochs(_loader(seed=6), 1)
        seen: dict[str, Any] = {}
        for step in ("make", "restore", "damaged"):
            ld = loader()
            batches = await _epochs(ld, 1)
            keys = await stored() if step == "make" else await cache.keys()
            seen[step] = (batches, dict(ld.executor.snapshots), keys)  # type: ignore[attr-defined]
            if step == "restore":
                await damage(keys[0])
        return ref, seen

    ref, seen = run(go())
    assert [batches for batches, _, _ in seen.values()] == [ref] * 3
    assert seen["make"][1] == {0: "made", 1: "off"} and len(seen["make"][2]) == 1
    assert seen["restore"][1] == {0: "restored", 1: "restored"}
    assert seen["restore"][2] == seen["make"][2]
    failed = seen["damaged"][1].values()
    assert all(v.startswith("failed to restore") and "build id" in v for v in failed), failed
    assert seen["damaged"][2] == [], "a snapshot that failed to restore is dropped"
