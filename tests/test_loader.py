"""DataLoader: batching, epochs, seeds, async iteration and argument errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from support import digest

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
    got = asyncio.run(collect(DataLoader(make_ds(), batch_size=3, shuffle=True, seed=5)))
    assert digest(got) == sync
    out = asyncio.run(collect(DataLoader(AsyncStream(5), batch_size=2)))
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
