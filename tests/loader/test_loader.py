"""DataLoader: batching, epochs, seeds, async iteration and argument errors."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from support import digest, needs_torch, run

import torsh_data as td
from torsh_data import DataLoader, IterableDataset, Tensor, TensorDataset


def make_ds(n: int = 10) -> TensorDataset:
    return TensorDataset([[float(i), float(-i)] for i in range(n)], list(range(n)))


class Stream(IterableDataset[dict]):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[dict]:
        for i in range(self.n):
            yield {"x": Tensor([i, i]), "noise": td.random.sample_generator().random()}

    def __len__(self) -> int:
        return self.n


class AsyncStream(IterableDataset[int]):
    def __init__(self, n: int) -> None:
        self.n = n

    async def __aiter__(self) -> AsyncIterator[int]:  # type: ignore[override]
        for i in range(self.n):
            await asyncio.sleep(0)
            yield i


class Noisy(td.Dataset[float]):
    """Each sample draws from its own stream, as a random transform does."""

    def __getitem__(self, i: int) -> float:
        return i + td.random.sample_generator().random()

    def __len__(self) -> int:
        return 8


def test_sequential_batches_and_len() -> None:
    loader = DataLoader(make_ds(), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2) and y.tolist() == [0, 1, 2, 3]
    assert batches[-1][1].tolist() == [8, 9]
    assert len(DataLoader(make_ds(), batch_size=4, drop_last=True)) == 2
    assert [b[1].tolist() for b in DataLoader(make_ds(), batch_size=4, drop_last=True)][-1] == [
        4,
        5,
        6,
        7,
    ]


def test_batch_size_none_yields_converted_samples() -> None:
    out = list(DataLoader(make_ds(3), batch_size=None))
    assert len(out) == 3 and out[1][1].item() == 1 and out[1][0].shape == (2,)


def test_shuffle_is_a_function_of_seed_and_epoch() -> None:
    a = DataLoader(make_ds(20), batch_size=5, shuffle=True, seed=42)
    b = DataLoader(make_ds(20), batch_size=5, shuffle=True, seed=42)
    e0, e1 = digest(list(a)), digest(list(a))
    assert e0 != e1
    assert digest(list(b)) == e0 and digest(list(b)) == e1
    assert a.epoch == 2
    a.set_epoch(1)
    assert digest(list(a)) == e1
    c = DataLoader(make_ds(20), batch_size=5, shuffle=True, seed=43)
    assert digest(list(c)) != e0
    labels = sorted(
        v
        for _, y in DataLoader(make_ds(20), batch_size=5, shuffle=True, seed=1)
        for v in y.tolist()
    )
    assert labels == list(range(20))


def test_per_sample_random_streams_do_not_depend_on_batching() -> None:
    def samples(batch_size: int, shuffle: bool) -> list[float]:
        loader = DataLoader(Noisy(), batch_size=batch_size, shuffle=shuffle, seed=7)
        return sorted(v for b in loader for v in b.tolist())

    assert samples(1, False) == samples(3, False) == samples(8, True)
    loader = DataLoader(Noisy(), batch_size=8, seed=7)
    assert next(iter(loader)).tolist() != next(iter(loader)).tolist()  # a new epoch, new draws


def test_user_sampler_and_batch_sampler() -> None:
    loader = DataLoader(make_ds(), batch_size=2, sampler=[9, 0, 5])
    assert [y.tolist() for _, y in loader] == [[9, 0], [5]]
    bs = DataLoader(make_ds(), batch_sampler=[[1, 2, 3], [7]])
    assert [y.tolist() for _, y in bs] == [[1, 2, 3], [7]] and len(bs) == 2
    ws = td.WeightedRandomSampler([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], num_samples=4, seed=0)
    assert [y.tolist() for _, y in DataLoader(make_ds(), batch_size=4, sampler=ws)] == [
        [2, 2, 2, 2]
    ]


def test_custom_collate_fn() -> None:
    loader = DataLoader(make_ds(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]


def test_iterable_dataset_batches() -> None:
    loader = DataLoader(Stream(5), batch_size=2, seed=3)
    batches = list(loader)
    assert [b["x"].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert len(loader) == 3
    assert len(list(DataLoader(Stream(5), batch_size=2, drop_last=True))) == 2
    again = DataLoader(Stream(5), batch_size=2, seed=3)
    assert digest(list(again)) == digest(batches)
    assert [b["x"].tolist() for b in DataLoader(Stream(2), batch_size=None)] == [[0, 0], [1, 1]]
    assert list(DataLoader(Stream(0), batch_size=2)) == []


def test_async_iteration_gives_the_same_batches() -> None:
    async def collect(loader: DataLoader) -> list:
        return [b async for b in loader]

    sync = digest(list(DataLoader(make_ds(), batch_size=3, shuffle=True, seed=5)))
    got = run(collect(DataLoader(make_ds(), batch_size=3, shuffle=True, seed=5)))
    assert digest(got) == sync
    out = run(collect(DataLoader(AsyncStream(5), batch_size=2)))
    assert [b.tolist() for b in out] == [[0, 1], [2, 3], [4]]


def test_async_only_dataset_needs_async_for() -> None:
    with pytest.raises(td.DataTypeError, match="async for"):
        list(DataLoader(AsyncStream(3), batch_size=2))


def test_empty_dataset() -> None:
    assert list(DataLoader(make_ds(0), batch_size=2, shuffle=True, seed=0)) == []


def test_seed_none_draws_one() -> None:
    loader = DataLoader(make_ds(), shuffle=True)
    assert isinstance(loader.seed, int)
    assert digest(list(DataLoader(make_ds(), shuffle=True, seed=loader.seed))) == digest(
        list(loader)
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, td.DataValueError, "batch_size should be a positive integer value"),
        ({"batch_size": -3}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, td.DataValueError, "batch_size"),
        (
            {"sampler": [0, 1], "shuffle": True},
            td.DataValueError,
            "sampler option is mutually exclusive with shuffle",
        ),
        ({"batch_sampler": [[0]], "batch_size": 2}, td.DataValueError, "mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, td.DataValueError, "mutually exclusive"),
        (
            {"batch_size": None, "drop_last": True},
            td.DataValueError,
            "mutually exclusive with drop_last",
        ),
        ({"drop_last": "yes"}, td.DataTypeError, "drop_last"),
        ({"pin_memory": "yes"}, td.DataTypeError, "pin_memory"),
        ({"seed": "1"}, TypeError, "seed"),
    ],
)
def test_argument_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match) as info:
        DataLoader(make_ds(), **kwargs)
    assert isinstance(info.value, td.TorshDataError)


def test_iterable_dataset_argument_errors() -> None:
    with pytest.raises(td.DataValueError, match="iterable dataset has no indices"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(td.DataValueError, match="iterable dataset"):
        DataLoader(Stream(3), sampler=[0])

    class NoLen(IterableDataset[int]):
        def __iter__(self) -> Iterator[int]:
            return iter(())

    with pytest.raises(td.DataTypeError, match="NoLen has no length"):
        len(DataLoader(NoLen()))


def test_dataset_errors_pass_through() -> None:
    with pytest.raises(td.DataIndexError, match="out of range"):
        list(DataLoader(make_ds(3), sampler=[0, 5]))


def test_set_epoch_bad_value() -> None:
    with pytest.raises(td.DataValueError, match="epoch"):
        DataLoader(make_ds()).set_epoch(-1)


def test_worker_info_is_none_in_the_main_thread() -> None:
    assert td.get_worker_info() is None


def test_batched_fetch_gives_the_per_sample_batches() -> None:
    ds = make_ds(37)
    fast = DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    slow = DataLoader(
        ds, batch_size=8, shuffle=True, seed=3, collate_fn=lambda b: td.default_collate(b)
    )
    assert digest(list(fast)) == digest(list(slow))
    part = td.random_split(ds, [30, 7], seed=1)[0]
    fast_sub = DataLoader(part, batch_size=4, shuffle=True, seed=2)
    slow_sub = DataLoader(
        part, batch_size=4, shuffle=True, seed=2, collate_fn=lambda b: td.default_collate(b)
    )
    assert digest(list(fast_sub)) == digest(list(slow_sub))
    assert next(iter(fast))[0].shape == (8, 2)


def test_batched_fetch_bad_index_still_raises() -> None:
    with pytest.raises(td.DataIndexError, match="out of range"):
        list(DataLoader(make_ds(3), batch_size=2, sampler=[0, 7]))


def _outcomes(it: Iterator[object]) -> list[object]:
    """Every batch as a list, and each batch that raised as the exception's message."""
    out: list[object] = []
    while True:
        try:
            b = next(it)
        except StopIteration:
            return out
        except ValueError as exc:
            out.append(str(exc))
        else:
            out.append(b.tolist())  # type: ignore[attr-defined]


def test_a_batch_that_raises_does_not_end_the_epoch() -> None:
    import webworker_cases as cases

    loader = DataLoader(cases.FailsAt(8, 5), batch_size=3)
    assert _outcomes(iter(loader)) == [[0, 1, 2], "sample 5 is broken", [6, 7]]
    stream = DataLoader(cases.FlakyStream(8, 4), batch_size=3)
    assert _outcomes(iter(stream)) == [[0, 1, 2], "sample 4 is broken", [6, 7]]
    it = iter(loader)
    next(it)
    with pytest.raises(ValueError, match="sample 5"):
        next(it)
    state = loader.state_dict()  # a failed batch counts as handed out: resume goes past it
    assert (state["epoch"], state["batches"]) == (1, 2)
    again = DataLoader(cases.FailsAt(8, 5), batch_size=3)
    again.load_state_dict(state)
    assert _outcomes(iter(again)) == [[6, 7]]

    async def collect() -> list[object]:
        out: list[object] = []
        it = loader.__aiter__()
        while True:
            try:
                out.append((await it.__anext__()).tolist())
            except StopAsyncIteration:
                return out
            except ValueError as exc:
                out.append(str(exc))

    assert run(collect()) == [[0, 1, 2], "sample 5 is broken", [6, 7]]


def test_an_abandoned_epoch_can_be_closed() -> None:
    loader = DataLoader(make_ds(10), batch_size=3)
    it = iter(loader)
    next(it)
    it.close()
    with pytest.raises(StopIteration):
        next(it)
    assert [len(x) for x, _ in loader] == [3, 3, 3, 1]


# --- torch's constructor: generator=, positional order, attribute lock, DataLoader[T] -----


def _orders(loader: DataLoader, epochs: int = 2) -> list[list[int]]:
    return [[int(i) for (_, y) in loader for i in y.tolist()] for _ in range(epochs)]


def test_unseeded_loaders_follow_the_global_generator(seed_globally: Any) -> None:
    seed_globally(3)
    first = _orders(DataLoader(make_ds(12), batch_size=5, shuffle=True))
    seed_globally(3)
    assert _orders(DataLoader(make_ds(12), batch_size=5, shuffle=True)) == first
    assert first[0] != first[1] and sorted(first[0]) == list(range(12))
    seed_globally(4)
    assert _orders(DataLoader(make_ds(12), batch_size=5, shuffle=True)) != first


SECOND_RUN = """
import sys
{seeding}
import torsh_data as td
ds = td.TensorDataset(list(range(40)))
loader = td.DataLoader(ds, batch_size=8, shuffle=True)
parts = td.random_split(ds, [0.5, 0.5])
sampler = td.RandomSampler(ds, replacement=True, num_samples=10)
print([b[0].tolist() for b in loader], [list(p.indices) for p in parts], list(sampler))
"""


@pytest.mark.native_only(reason="compares two fresh interpreters (no subprocesses in Pyodide)")
@pytest.mark.parametrize(
    "seeding",
    [
        pytest.param("import torch; torch.manual_seed(7)", marks=needs_torch, id="torch"),
        pytest.param("import random; random.seed(7); sys.modules['torch'] = None", id="random"),
    ],
)
def test_the_same_global_seed_gives_the_same_run_twice(seeding: str) -> None:
    script = SECOND_RUN.format(seeding=seeding)
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and runs[0].count("[") == 10  # 5 batches, 2 parts, 1 sampler


@needs_torch
def test_a_torch_generator_makes_the_loader_reproducible() -> None:
    # after pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:test/test_dataloader.py
    # ::TestDataLoader.test_shuffle_reproducibility
    import torch

    def make(k: int, **kw: Any) -> DataLoader:
        return DataLoader(make_ds(), shuffle=True, generator=torch.Generator().manual_seed(k), **kw)

    assert _orders(make(42)) == _orders(make(42))
    assert _orders(make(42)) != _orders(make(43))
    g = torch.Generator().manual_seed(1)
    loader = DataLoader(make_ds(), generator=g)
    assert loader.generator is g and not torch.equal(
        g.get_state(), torch.Generator().manual_seed(1).get_state()
    )


def test_an_int_generator_is_the_seed() -> None:
    assert DataLoader(make_ds(), generator=9).seed == 9
    assert _orders(DataLoader(make_ds(), shuffle=True, generator=9)) == _orders(
        DataLoader(make_ds(), shuffle=True, seed=9)
    )


def test_generator_errors() -> None:
    with pytest.raises(ValueError, match="DataLoader: pass seed= or generator=, not both"):
        DataLoader(make_ds(), seed=1, generator=1)
    with pytest.raises(TypeError, match=r"DataLoader: generator must be a torch\.Generator"):
        DataLoader(make_ds(), generator=random.Random(1))


LOCKED = ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"]


@pytest.mark.parametrize("attr", LOCKED)
def test_loader_attributes_cannot_be_reassigned(attr: str) -> None:
    # as pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:test/test_dataloader.py
    # ::TestDataLoader.test_invalid_assign_after_init
    loader = DataLoader(make_ds(), batch_size=2)
    before = getattr(loader, attr)
    with pytest.raises(ValueError, match=f"{attr} attribute should not be set after DataLoader"):
        setattr(loader, attr, before)
    assert getattr(loader, attr) is before
    loader.num_workers = 0  # others may be set, as in torch
    loader.collate_fn = td.default_collate
    assert len(list(loader)) == 5


def test_generic_classes_are_subscriptable() -> None:
    assert DataLoader[int] is not None and td.Dataset[int] is not None
    assert td.IterableDataset[int] is not None and td.Sampler[list[int]] is not None

    class Typed(DataLoader[tuple]):
        pass

    assert len(list(Typed(make_ds(4), batch_size=2))) == 2


def test_positional_arguments_in_torchs_order() -> None:
    seen: list[int] = []

    def collate(samples: list) -> list:
        seen.append(len(samples))
        return samples

    # dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn,
    # pin_memory, drop_last, timeout, worker_init_fn, multiprocessing_context, generator
    loader = DataLoader(make_ds(10), 4, True, None, None, 0, collate, False, True, 0, None, None, 5)
    batches = list(loader)
    assert len(batches) == 2 and seen == [4, 4] and loader.drop_last and loader.seed == 5
    assert loader.num_workers == 0 and loader.sampler.seed == 5
    with pytest.raises(TypeError):
        DataLoader(make_ds(), 1, False, None, None, 0, None, False, False, 0, None, None, None, 2)  # type: ignore[misc]
    keyword_only = DataLoader(make_ds(), prefetch_factor=None, in_order=True, seed=1)
    assert keyword_only.seed == 1


def test_an_endless_loader_starts_at_once() -> None:
    ds = make_ds(10)
    sampler = td.RandomSampler(ds, replacement=True, num_samples=10**10, seed=2)
    loader = DataLoader(ds, batch_size=32, sampler=sampler)
    tracemalloc.start()
    t0 = time.perf_counter()
    it = iter(loader)
    first = [next(it) for _ in range(3)]
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"first 3 batches of an endless loader: {seconds * 1e3:.1f} ms, peak {peak / 1e3:.0f} kB")
    assert peak < 8_000_000 and [len(y) for (_, y) in first] == [32, 32, 32]
    state = loader.state_dict()  # mid-epoch, even where len() overflows (32-bit Pyodide)
    assert state["batches"] == 3 and state["sampler"]["seed"] == 2
    big = min(10**10, sys.maxsize)  # len() is an index-sized int
    sampler = td.RandomSampler(ds, replacement=True, num_samples=big, seed=2)
    assert len(DataLoader(ds, batch_size=32, sampler=sampler)) == -(-big // 32)
