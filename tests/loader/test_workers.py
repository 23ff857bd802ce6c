"""Worker processes: the same batches for any num_workers, errors, deaths, timeouts, resume."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import webworker_cases as cases

import torsh_data as td
from torsh_data import DataLoader, Tensor, TensorDataset
from torsh_data.testing import batch_digest, check_resume

pytestmark = pytest.mark.native_only(reason="Pyodide cannot start processes")


class Noisy(td.Dataset):
    """Per-sample randomness, as a random transform has."""

    def __init__(self, n: int = 29) -> None:
        self.n = n

    def __getitem__(self, i: int) -> Any:
        g = td.random.sample_generator()
        return Tensor([i + g.random(), g.random()], dtype="float64"), i

    def __len__(self) -> int:
        return self.n


class Stream(td.IterableDataset):
    def __init__(self, n: int = 23) -> None:
        self.n = n

    def __iter__(self) -> Iterator[Any]:
        for i in range(self.n):
            yield Tensor([i]), td.random.sample_generator().random()


class Sharded(td.IterableDataset):
    """Splits its stream between workers itself, torch's recipe."""

    worker_sharding = "dataset"

    def __iter__(self) -> Iterator[int]:
        info = td.get_worker_info()
        wid, n = (info.id, info.num_workers) if info else (0, 1)
        return iter(range(wid, 40, n))


class WhoLoads(td.Dataset):
    def __getitem__(self, i: int) -> Any:
        info = td.get_worker_info()
        return [i, os.getpid(), info.id if info else -1, info.num_workers if info else 0]

    def __len__(self) -> int:
        return 12


class Failing(td.Dataset):
    def __getitem__(self, i: int) -> int:
        if i == 7:
            raise KeyError(f"sample {i} is broken")
        return i

    def __len__(self) -> int:
        return 10


class Dying(td.Dataset):
    def __getitem__(self, i: int) -> int:
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    def __len__(self) -> int:
        return 10


class Slow(td.Dataset):
    def __init__(self, slow: set[int], seconds: float) -> None:
        self.slow, self.seconds = slow, seconds

    def __getitem__(self, i: int) -> int:
        if i in self.slow:
            time.sleep(self.seconds)
        return i

    def __len__(self) -> int:
        return 8


def our_workers() -> list[Any]:
    return [p for p in mp.active_children() if p.name.startswith("torsh-data-worker")]


def digests(loader: DataLoader, epochs: int = 2) -> list[str]:
    return [batch_digest(b) for _ in range(epochs) for b in loader]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_map_style_batches_do_not_depend_on_workers(workers: int) -> None:
    serial = digests(DataLoader(Noisy(), batch_size=4, shuffle=True, seed=5))
    assert (
        digests(DataLoader(Noisy(), batch_size=4, shuffle=True, seed=5, num_workers=workers))
        == serial
    )
    fast = DataLoader(
        TensorDataset(list(range(30))), batch_size=7, shuffle=True, seed=1, num_workers=workers
    )
    assert digests(fast) == digests(
        DataLoader(TensorDataset(list(range(30))), batch_size=7, shuffle=True, seed=1)
    )


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize(("batch_size", "drop_last"), [(4, False), (4, True), (None, False)])
def test_iterable_batches_do_not_depend_on_workers(
    workers: int, batch_size: int | None, drop_last: bool
) -> None:
    serial = digests(DataLoader(Stream(), batch_size=batch_size, drop_last=drop_last, seed=2))
    par = DataLoader(
        Stream(), batch_size=batch_size, drop_last=drop_last, seed=2, num_workers=workers
    )
    assert digests(par) == serial


def test_dataset_sharded_stream_covers_everything_once() -> None:
    out = [v for b in DataLoader(Sharded(), batch_size=3, num_workers=3) for v in b.tolist()]
    assert sorted(out) == list(range(40))


def test_worker_info_and_init_fn() -> None:
    seen = mp.get_context("fork").Queue()

    def init(worker_id: int) -> None:
        seen.put(worker_id)

    rows = [
        r
        for b in DataLoader(WhoLoads(), batch_size=2, num_workers=2, worker_init_fn=init, seed=4)
        for r in zip(*[x.tolist() for x in b], strict=True)
    ]
    assert sorted(r[0] for r in rows) == list(range(12))
    assert {r[2] for r in rows} == {0, 1} and {r[3] for r in rows} == {2}
    assert os.getpid() not in {r[1] for r in rows}
    assert sorted([seen.get(timeout=5), seen.get(timeout=5)]) == [0, 1]


def test_worker_exception_carries_type_traceback_and_indices_and_the_epoch_goes_on() -> None:
    it = iter(DataLoader(Failing(), batch_size=3, num_workers=2))
    assert [next(it).tolist(), next(it).tolist()] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(KeyError) as info:
        next(it)
    msg = str(info.value)
    assert (
        "worker" in msg
        and "indices [6, 7, 8]" in msg
        and "sample 7 is broken" in msg
        and "Traceback" in msg
    )
    assert [b.tolist() for b in it] == [[9]]  # torch's iterator carries on too
    assert our_workers() == []


def test_an_iterable_whose_iterator_raises_once_goes_on_like_without_workers() -> None:
    def run(workers: int) -> list[Any]:
        out: list[Any] = []
        it = iter(DataLoader(cases.FlakyStream(10, 4), batch_size=3, num_workers=workers))
        while True:
            try:
                out.append(next(it).tolist())
            except StopIteration:
                return out
            except ValueError as exc:
                out.append("sample 4 is broken" in str(exc))

    assert run(0) == [[0, 1, 2], True, [6, 7, 8], [9]]
    assert run(2) == run(0) and run(3) == run(0)


# --- NOTE [ Who splits an iterable stream ] --------------------------------------------------
@pytest.mark.parametrize("in_init", [False, True])
def test_torchs_split_recipe_gives_every_sample_once_in_torchs_order(in_init: bool) -> None:
    init = cases.split_in_init if in_init else None
    got = [
        b.tolist()
        for b in DataLoader(cases.SplitRange(3, 7, in_init), num_workers=2, worker_init_fn=init)
    ]
    assert got == [[3], [5], [4], [6]]  # torch's documented output
    big = DataLoader(
        cases.SplitRange(0, 100, in_init), batch_size=8, num_workers=2, worker_init_fn=init
    )
    values = [v for b in big for v in b.tolist()]
    assert sorted(values) == list(range(100))


# torch warns that 3 workers are more than this machine's cores: the comparison wants 3 anyway.
@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")
@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize(("batch_size", "drop_last"), [(None, False), (2, False), (3, True)])
def test_a_split_stream_interleaves_as_torchs_does(
    workers: int, batch_size: int | None, drop_last: bool
) -> None:
    data = pytest.importorskip("torch.utils.data", reason="torch is the reference here")

    class TorchSplitRange(data.IterableDataset):  # the same recipe, for torch's loader
        def __iter__(self) -> Iterator[int]:
            info = data.get_worker_info()
            per = -(-11 // info.num_workers)
            return iter(range(info.id * per, min((info.id + 1) * per, 11)))

    def ours() -> list[Any]:
        ld = DataLoader(
            cases.SplitRange(0, 11), batch_size=batch_size, drop_last=drop_last, num_workers=workers
        )
        return [b if isinstance(b, int) else b.tolist() for b in ld]

    theirs = [
        b if isinstance(b, int) else b.tolist()
        for b in data.DataLoader(
            TorchSplitRange(), batch_size=batch_size, drop_last=drop_last, num_workers=workers
        )
    ]
    assert ours() == theirs


def test_a_seeding_worker_init_fn_does_not_split_the_stream() -> None:
    serial = digests(DataLoader(Stream(), batch_size=4, seed=2))
    loader = DataLoader(
        Stream(), batch_size=4, seed=2, num_workers=2, worker_init_fn=cases.seed_only_init
    )
    assert digests(loader) == serial


def test_workers_that_disagree_about_splitting_are_an_error() -> None:
    def half(worker_id: int) -> None:  # only worker 0 narrows its copy
        if worker_id == 0:
            cases.split_in_init(worker_id)

    loader = DataLoader(
        cases.SplitRange(0, 40, True), batch_size=2, num_workers=2, worker_init_fn=half
    )
    with pytest.raises(td.WorkerError, match=r"some did not.*worker_sharding"):
        list(loader)
    assert our_workers() == []


@pytest.mark.parametrize(("declared", "expect_split"), [("batches", False), ("dataset", True)])
def test_worker_sharding_declares_who_splits(declared: str, expect_split: bool) -> None:
    class Declared(cases.SplitRange):
        worker_sharding = declared

    got = [b.tolist() for b in DataLoader(Declared(0, 6), batch_size=2, num_workers=2)]
    if expect_split:
        assert got == [[0, 1], [3, 4], [2], [5]]
    else:  # the loader splits by batch number: each worker's copy reads only its share,
        # so batches 1 and 2 (samples 2-5) are beyond worker 1's share [3, 4, 5]
        assert got != [[0, 1], [2, 3], [4, 5]]
    Declared.worker_sharding = "neither"
    with pytest.raises(td.DataValueError, match="worker_sharding must be 'dataset'"):
        list(DataLoader(Declared(0, 6), batch_size=2, num_workers=2))


def test_workers_use_one_torch_thread() -> None:
    torch = pytest.importorskip("torch", reason="checks torch's thread pool in the workers")
    torch.mm(torch.ones(256, 256), torch.ones(256, 256))  # the parent's pool is up

    class Threads(td.Dataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> int:
            torch.mm(torch.ones(64, 64), torch.ones(64, 64))
            return torch.get_num_threads()

    got = [b.tolist() for b in DataLoader(Threads(), batch_size=2, num_workers=2, timeout=30)]
    assert got == [[1, 1], [1, 1]]


def test_dead_worker_is_reported_with_its_exit_code() -> None:
    t0 = time.monotonic()
    with pytest.raises(
        td.WorkerError, match=r"exited unexpectedly with exit code -9 \(killed by signal 9\)"
    ):
        list(DataLoader(Dying(), batch_size=2, num_workers=2))
    assert time.monotonic() - t0 < 10
    assert our_workers() == []


class _ExitedAtStart(mp.context.ForkProcess):
    """A worker the loader sees only after it has exited (start() waits for its end)."""

    def start(self) -> None:
        super().start()
        self.join(30)


class _ExitedContext(mp.context.ForkContext):
    Process = _ExitedAtStart  # type: ignore[assignment]


def _failing_init(wid: int) -> None:
    raise RuntimeError(f"Error in worker_init_fn {wid}")


def test_failing_init_fn_is_reported_even_when_the_exit_is_seen_first() -> None:
    """The worker replies with its init failure and exits: the loader, finding it dead before
    reading its pipe, reports the failure, not an exit with code 0."""
    loader = DataLoader(
        TensorDataset(Tensor(list(range(8)))),
        batch_size=2,
        num_workers=2,
        worker_init_fn=_failing_init,
        multiprocessing_context=_ExitedContext(),
    )
    with pytest.raises(RuntimeError, match=r"Error in worker_init_fn 0") as caught:
        list(loader)
    assert "exited unexpectedly" not in str(caught.value)
    assert our_workers() == []


@pytest.mark.parametrize("context", ["spawn", "forkserver"])
def test_dead_worker_is_reported_with_any_start_method(context: str) -> None:
    """Without fork no other process holds a dead worker's pipes (its reply pipe ends, a task
    sent to it may meet a closed pipe): still the worker's death that is reported."""
    with pytest.raises(td.WorkerError, match=r"exited unexpectedly with exit code -9"):
        list(DataLoader(Dying(), batch_size=1, num_workers=2, multiprocessing_context=context))
    assert our_workers() == []


def test_timeout() -> None:
    with pytest.raises(td.WorkerError, match=r"timed out after 0\.5 seconds"):
        list(DataLoader(Slow({0}, 3.0), batch_size=2, num_workers=1, timeout=0.5))


def test_in_order_false_lets_a_ready_batch_overtake() -> None:
    loader = DataLoader(Slow({0}, 1.0), batch_size=2, num_workers=2, in_order=False)
    out = [b.tolist() for b in loader]
    assert sorted(out) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert out[0] != [0, 1]
    ordered = [b.tolist() for b in DataLoader(Slow({0}, 0.3), batch_size=2, num_workers=2)]
    assert ordered == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_persistent_workers_keep_their_processes() -> None:
    loader = DataLoader(WhoLoads(), batch_size=3, num_workers=2, persistent_workers=True, seed=1)
    pids = [{r for r in b[1].tolist()} for _ in range(2) for b in loader]
    assert len(set().union(*pids)) == 2
    loader.executor.shutdown()  # type: ignore[attr-defined]
    assert our_workers() == []


def test_no_orphans_after_an_abandoned_epoch() -> None:
    loader = DataLoader(Noisy(200), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    assert len(our_workers()) == 2
    it.close()
    assert our_workers() == []


@pytest.mark.parametrize("context", ["spawn", "forkserver"])
def test_other_start_methods(context: str) -> None:
    loader = DataLoader(
        Noisy(9), batch_size=4, shuffle=True, seed=3, num_workers=2, multiprocessing_context=context
    )
    assert digests(loader, 1) == digests(
        DataLoader(Noisy(9), batch_size=4, shuffle=True, seed=3), 1
    )


def test_resume_with_workers() -> None:
    assert (
        check_resume(
            lambda: DataLoader(Noisy(11), batch_size=3, shuffle=True, seed=7, num_workers=2)
        )
        > 5
    )
    assert check_resume(lambda: DataLoader(Stream(10), batch_size=3, seed=7, num_workers=2)) > 5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"num_workers": 1.5}, "num_workers"),
        ({"prefetch_factor": 2}, "only be specified in multiprocessing"),
        ({"persistent_workers": True}, "needs num_workers > 0"),
        ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor should be"),
        ({"num_workers": 1, "timeout": -1}, "timeout option should be non-negative"),
        ({"num_workers": 1, "executor": td.SerialExecutor()}, "not both"),
    ],
)
def test_worker_argument_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(td.DataValueError, match=match):
        DataLoader(Noisy(), **kwargs)
