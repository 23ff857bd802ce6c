"""Batches from worker processes through shared memory (NOTE [ Shared batch slots ] in
``loader/_shm.py``): the same batches as without workers, and nothing left in ``/dev/shm``
however a loader ends."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

import torsh_data as td
from torsh_data import DataLoader, Tensor
from torsh_data.testing import batch_digest

SHM = "/dev/shm"

pytestmark = [
    pytest.mark.native_only(reason="Pyodide cannot start processes"),
    pytest.mark.skipif(not os.path.isdir(SHM), reason="lists POSIX shared memory in /dev/shm"),
]


class Images(td.Dataset):
    """Random uint8 "images" from each sample's stream; ``grow``: the size changes every
    ``grow`` samples (4, 8, 12 KiB, ...), so a worker's slots must grow and shrink."""

    def __init__(self, n: int = 96, grow: int = 0, bad: int = -1, die: int = -1) -> None:
        self.n, self.grow, self.bad, self.die = n, grow, bad, die

    def __getitem__(self, i: int) -> Any:
        if i == self.bad:
            raise KeyError(f"sample {i} is broken")
        if i == self.die:
            os.kill(os.getpid(), signal.SIGKILL)
        k = 4096 * (1 + (i // self.grow) % 3) if self.grow else 4096
        data = td.random.sample_generator().bytes(k)
        return Tensor(bytearray(data), dtype="uint8", shape=(k // 64, 64)), i

    def __len__(self) -> int:
        return self.n


def left(prefix: str) -> list[str]:
    return [name for name in os.listdir(SHM) if name.startswith(prefix)]


def run(loader: DataLoader, epochs: int = 2) -> tuple[list[str], Any]:
    """The digests of ``epochs`` epochs, and the lender of the last (None without workers)."""
    out: list[str] = []
    lender = None
    for _ in range(epochs):
        for b in loader:
            lender = getattr(loader.executor, "_lender", None)
            out.append(batch_digest(b))
    return out, lender


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_large_batches_are_the_same_for_any_worker_count(workers: int, persistent: bool) -> None:
    def make(n: int) -> DataLoader:
        kw: dict[str, Any] = {"persistent_workers": persistent} if n else {}
        return DataLoader(Images(256), batch_size=32, shuffle=True, seed=4, num_workers=n, **kw)

    serial, _ = run(make(0))
    loader = make(workers)
    got, lender = run(loader)
    assert got == serial
    # persistent: all but each worker's first two (prefetch_factor) batches; a pool for each
    # epoch: every batch of the second, whose slots were lent at its start
    assert lender.shipped >= 16 - 2 * workers if persistent else lender.shipped == 8
    loader.executor.shutdown()  # type: ignore[attr-defined]
    assert left(lender.prefix) == []


def test_batches_that_grow_and_shrink() -> None:
    def make(n: int) -> DataLoader:
        return DataLoader(Images(150, grow=20), batch_size=20, seed=1, num_workers=n)

    loader = make(2)
    got, lender = run(loader, epochs=1)
    assert got == run(make(0), epochs=1)[0]
    assert lender.shipped > 0
    assert left(lender.prefix) == []


def test_without_shared_memory_batches_go_through_the_pipe(monkeypatch: Any) -> None:
    from torsh_data.loader import _shm  # Pyodide has no multiprocessing.shared_memory

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_shm.shared_memory, "SharedMemory", refuse)
    loader = DataLoader(Images(), batch_size=32, shuffle=True, seed=4, num_workers=2)
    got, lender = run(loader)
    assert got == run(DataLoader(Images(), batch_size=32, shuffle=True, seed=4))[0]
    assert lender.shipped == 0 and not lender.enabled


def in_slot(t: Tensor) -> bool:
    """Whether a batch Tensor views a shared-memory slot (rather than memory of its own)."""
    import ctypes

    return isinstance(t._data.obj, ctypes.Array)


def persistent(workers: int, n: int = 256, **kw: Any) -> DataLoader:
    return DataLoader(
        Images(n), batch_size=16, seed=3, num_workers=workers, persistent_workers=True, **kw
    )


def serial_digests(n: int = 256, epochs: int = 3) -> list[list[str]]:
    """Each epoch's batch digests without workers."""
    loader = DataLoader(Images(n), batch_size=16, seed=3)
    return [[batch_digest(b) for b in loader] for _ in range(epochs)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_kept_batch_stays_intact_while_later_batches_arrive(workers: int) -> None:
    """A batch views its slot (nothing is copied); the slot is not written again while the
    batch, or only a view of one of its samples, is kept -- through 15 later batches, more
    than the slots a worker may have."""
    serial = serial_digests()
    loader = persistent(workers)
    list(loader)  # the first epoch creates the slots
    lender = loader.executor._lender  # type: ignore[attr-defined]
    it = iter(loader)
    kept = next(it)
    assert in_slot(kept[0])
    sample = kept[0][5]  # a view of one sample, kept after the batch is dropped
    expect = bytes(sample._data)
    rest = [batch_digest(b) for b in it]
    assert [batch_digest(kept), *rest] == serial[1]
    assert lender.held == 1
    del kept
    assert lender.held == 1  # the sample view still holds the slot
    assert [batch_digest(b) for b in loader] == serial[2]
    assert bytes(sample._data) == expect
    del sample
    assert lender.held == 0
    loader.executor.shutdown()  # type: ignore[attr-defined]


def test_a_dropped_batch_gives_its_slot_back() -> None:
    """Batches dropped one by one: after the first epoch every batch comes through a slot,
    and no new slot is made -- each worker writes into the ones given back."""
    loader = persistent(2)
    list(loader)
    lender = loader.executor._lender  # type: ignore[attr-defined]
    slots = [set(s) for s in lender._slots]
    shipped = lender.shipped
    for _ in range(3):
        for b in loader:
            assert in_slot(b[0])
        del b
    assert lender.shipped == shipped + 3 * len(loader)
    assert [set(s) for s in lender._slots] == slots
    assert all(len(s) <= lender.cap for s in slots)
    assert lender.held == 0
    loader.executor.shutdown()  # type: ignore[attr-defined]


def test_kept_batches_take_the_pipe_once_slots_run_out_and_give_them_back_when_dropped() -> None:
    serial = serial_digests()
    loader = persistent(2)
    kept = list(loader)
    lender = loader.executor._lender  # type: ignore[attr-defined]
    assert [batch_digest(b) for b in kept] == serial[0]
    in_slots = sum(in_slot(b[0]) for b in kept)
    assert 0 < in_slots <= 2 * lender.cap and lender.held == in_slots
    for b in kept:  # writing into a kept batch changes that batch only
        b[0]._data[:] = bytes(len(b[0]._data))
    del kept, b
    assert lender.held == 0
    again = list(loader)
    assert [batch_digest(b) for b in again] == serial[1]
    assert sum(in_slot(b[0]) for b in again) >= in_slots  # the slots came back
    del again
    loader.executor.shutdown()  # type: ignore[attr-defined]


def test_the_main_process_reads_every_pipe_while_batches_come_through_it() -> None:
    """NOTE [ Worker pipes ]: while batches come through shared memory the main process waits
    on the due worker's pipe alone; once one comes through the pipe (no slot free) it reads
    every worker's replies as they come, so that none sits blocked on a full pipe."""
    serial = serial_digests()
    loader = persistent(2)
    kept = list(loader)  # every batch kept: the slots run out, the last batches take the pipe
    lender = loader.executor._lender  # type: ignore[attr-defined]
    assert [batch_digest(b) for b in kept] == serial[0]
    assert not in_slot(kept[-1][0]) and lender.piping
    del kept
    assert [batch_digest(b) for b in loader] == serial[1]  # each dropped before the next
    assert lender.shipped and not lender.piping
    loader.executor.shutdown()  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["epoch ends", "worker killed"])
def test_a_kept_batch_outlives_its_workers_and_slots(how: str) -> None:
    """The pool shut down (each epoch's end without persistent workers, or a worker killed
    mid-batch, which still raises its error) and every name unlinked: a kept batch stays
    readable, and the memory goes with it."""
    serial = serial_digests(192)
    loader = DataLoader(Images(192), batch_size=16, seed=3, num_workers=2, prefetch_factor=3)
    list(loader)  # slots are sized for the next pools
    it = iter(loader)
    kept = [next(it) for _ in range(3)]
    prefix = loader.executor._lender.prefix  # type: ignore[attr-defined]
    assert all(in_slot(b[0]) for b in kept)
    if how == "epoch ends":
        assert [batch_digest(b) for b in it] == serial[1][3:]
    else:
        _kill_a_worker(loader, it)
    assert left(prefix) == []
    assert loader.executor._pool is None  # type: ignore[attr-defined]
    assert [batch_digest(b) for b in kept] == serial[1][:3]
    if how == "epoch ends":
        assert [batch_digest(b) for b in loader] == serial[2]
        assert [batch_digest(b) for b in kept] == serial[1][:3]


def test_a_numpy_view_keeps_its_slot() -> None:
    np = pytest.importorskip("numpy")
    serial = serial_digests()
    loader = persistent(1)
    list(loader)
    lender = loader.executor._lender  # type: ignore[attr-defined]
    it = iter(loader)
    batch = next(it)
    array = np.asarray(batch[0])
    expect = array.copy()
    del batch
    assert lender.held == 1
    assert [batch_digest(b) for b in it] == serial[1][1:]
    assert (array == expect).all()
    del array
    assert lender.held == 0
    loader.executor.shutdown()  # type: ignore[attr-defined]


class Unpicklable(Images):
    def __getitem__(self, i: int) -> Any:
        x, i = super().__getitem__(i)
        return (x, i, lambda: i) if i == 40 else (x, i, None)


def test_a_batch_that_cannot_be_pickled_fails_as_its_task_and_the_epoch_goes_on() -> None:
    loader = DataLoader(Unpicklable(), batch_size=16, num_workers=2, collate_fn=list, timeout=30)
    it = iter(loader)
    got = [next(it) for _ in range(2)]
    with pytest.raises(
        Exception,
        match=r"(?s)in DataLoader worker \d while loading indices "
        r"\[32, 33, .*pickle",
    ):
        next(it)
    got += list(it)
    assert [s[1] for b in got for s in b] == [i for i in range(96) if not 32 <= i < 48]


def _kill_a_worker(loader: DataLoader, it: Iterator[Any]) -> None:
    next(it)
    next(it)
    os.kill(loader.executor._pool[0][0].pid, signal.SIGKILL)  # type: ignore[attr-defined]
    with pytest.raises(td.WorkerError, match="exited unexpectedly"):
        list(it)


@pytest.mark.parametrize(
    "how", ["epoch ends", "shutdown", "garbage", "abandoned", "sample raises", "dies", "killed"]
)
def test_nothing_is_left_in_dev_shm(how: str) -> None:
    ds = Images(192, bad=100 if how == "sample raises" else -1, die=150 if how == "dies" else -1)
    persistent = how in ("shutdown", "garbage")
    loader = DataLoader(
        ds, batch_size=16, num_workers=2, persistent_workers=persistent, prefetch_factor=3
    )
    it = iter(loader)
    next(it)
    next(it)
    lender = loader.executor._lender  # type: ignore[attr-defined]
    prefix = lender.prefix
    if how in ("epoch ends", "shutdown", "garbage"):
        rest = list(it)
        assert len(rest) == 10
        assert lender.shipped > 4
        if how == "shutdown":
            loader.executor.shutdown()  # type: ignore[attr-defined]
        elif how == "garbage":
            del it, loader, lender
            gc.collect()
    elif how == "abandoned":
        it.close()  # type: ignore[attr-defined]
    elif how == "sample raises":
        got, errors = 2, 0
        while True:
            try:
                next(it)
                got += 1
            except KeyError:
                errors += 1
            except StopIteration:
                break
        assert (got, errors) == (11, 1)
    elif how == "dies":
        with pytest.raises(td.WorkerError, match="killed by signal 9"):
            list(it)
    else:
        _kill_a_worker(loader, it)
    assert left(prefix) == []


SCRIPT = """
import os, sys
sys.path.insert(0, {tests!r})
from loader.test_worker_shm import Images, run
from torsh_data import DataLoader
from torsh_data.testing import batch_digest

def main():
    loader = DataLoader(Images(256), batch_size=32, seed=2, num_workers=2,
                        multiprocessing_context={context!r})
    got, lender = run(loader)
    assert got == run(DataLoader(Images(256), batch_size=32, seed=2))[0]
    print("shipped", lender.shipped, "pool closed", loader.executor._lender is None)

if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize("context", ["fork", "spawn", "forkserver"])
def test_every_start_method_shares_the_resource_tracker(context: str, tmp_path: Any) -> None:
    """A worker that started its own resource tracker would have it report the main
    process's segments as leaked (and unlink them) when the worker exits; run in a fresh
    interpreter, whose exit is where the tracker would speak."""
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tests=tests, context=context)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "shipped 8 pool closed True" in done.stdout
    assert done.stderr == ""
