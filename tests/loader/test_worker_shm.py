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
