"""Exact resume: every dataset, sampler and batching mode, restored from every step."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from support import run

import torsh_data as td
from torsh_data import DataLoader, Tensor, TensorDataset
from torsh_data.testing import batch_digest, check_resume


def table(n: int = 23) -> TensorDataset:
    return TensorDataset([[i, -i] for i in range(n)], [i % 3 for i in range(n)])


class Noisy(td.Dataset):
    def __getitem__(self, i: int) -> Any:
        g = td.random.sample_generator()
        return Tensor([i + g.random()], dtype="float64"), g.randbelow(7)

    def __len__(self) -> int:
        return 17


class Stream(td.IterableDataset):
    def __init__(self, n: int = 19, sized: bool = True) -> None:
        self.n, self.sized = n, sized

    def __iter__(self) -> Iterator[Any]:
        for i in range(self.n):
            yield Tensor([i]), td.random.sample_generator().random()

    def __len__(self) -> int:
        if not self.sized:
            raise TypeError("no length")
        return self.n


CASES = {
    "sequential": lambda: DataLoader(table(), batch_size=4),
    "shuffle": lambda: DataLoader(table(), batch_size=5, shuffle=True, seed=3),
    "shuffle_drop_last": lambda: DataLoader(
        table(), batch_size=5, shuffle=True, drop_last=True, seed=3
    ),
    "random_transform": lambda: DataLoader(Noisy(), batch_size=4, shuffle=True, seed=8),
    "no_batching": lambda: DataLoader(Noisy(), batch_size=None, shuffle=True, seed=2),
    "random_sampler": lambda: DataLoader(
        table(), batch_size=3, sampler=td.RandomSampler(range(23), seed=5)
    ),
    "replacement": lambda: DataLoader(
        table(),
        batch_size=4,
        sampler=td.RandomSampler(range(23), replacement=True, num_samples=13, seed=5),
    ),
    "subset_random": lambda: DataLoader(
        table(), batch_size=2, sampler=td.SubsetRandomSampler([1, 5, 7, 9, 11], seed=1)
    ),
    "weighted": lambda: DataLoader(
        table(), batch_size=3, sampler=td.WeightedRandomSampler([1, 2] * 11 + [5], 10, seed=4)
    ),
    "distributed": lambda: DataLoader(
        table(), batch_size=2, sampler=td.DistributedSampler(range(23), 3, 1, seed=6)
    ),
    "batch_sampler": lambda: DataLoader(
        table(),
        batch_sampler=td.BatchSampler(td.RandomSampler(range(23), seed=9), 4, drop_last=False),
    ),
    "concat_subset": lambda: DataLoader(
        td.ConcatDataset([td.random_split(table(), [0.5, 0.5], seed=1)[0], table(5)]),
        batch_size=3,
        shuffle=True,
        seed=0,
    ),
    "iterable": lambda: DataLoader(Stream(), batch_size=4, seed=1),
    "iterable_drop_last": lambda: DataLoader(Stream(), batch_size=4, drop_last=True, seed=1),
    "iterable_unsized": lambda: DataLoader(Stream(sized=False), batch_size=5, seed=1),
    "iterable_no_batching": lambda: DataLoader(Stream(7), batch_size=None, seed=1),
    "pad_collate": lambda: DataLoader(Stream(9), batch_size=4, collate_fn=td.pad_collate, seed=1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_resume_from_every_step(name: str) -> None:
    assert check_resume(CASES[name], epochs=2) > 3


def test_state_is_json_and_names_the_position() -> None:
    loader = DataLoader(table(), batch_size=5, shuffle=True, seed=3)
    assert loader.state_dict() == {
        "version": 1,
        "seed": 3,
        "epoch": 0,
        "batches": 0,
        "sampler": None,
    }
    it = iter(loader)
    next(it)
    next(it)
    assert loader.state_dict()["batches"] == 2 and loader.state_dict()["epoch"] == 0
    list(it)
    assert loader.state_dict() == {
        "version": 1,
        "seed": 3,
        "epoch": 1,
        "batches": 0,
        "sampler": None,
    }


def test_resume_adopts_the_saved_seed() -> None:
    a = DataLoader(table(), batch_size=5, shuffle=True, seed=3)
    b = DataLoader(table(), batch_size=5, shuffle=True, seed=99)
    b.load_state_dict(a.state_dict())
    assert [batch_digest(x) for x in a] == [batch_digest(x) for x in b]


def test_async_iteration_resumes_too() -> None:
    async def take(loader: DataLoader, n: int | None) -> list[str]:
        out: list[str] = []
        it = loader.__aiter__()
        while n is None or len(out) < n:
            try:
                batch = await it.__anext__()
            except StopAsyncIteration:
                break
            out.append(batch_digest(batch))
        return out

    reference = run(take(DataLoader(Noisy(), batch_size=3, shuffle=True, seed=4), None))
    first = DataLoader(Noisy(), batch_size=3, shuffle=True, seed=4)
    head = run(take(first, 2))
    second = DataLoader(Noisy(), batch_size=3, shuffle=True, seed=4)
    second.load_state_dict(first.state_dict())
    assert head + run(take(second, None)) == reference


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({}, "not a DataLoader state"),
        ({"version": 2}, "not a DataLoader state"),
        ({"version": 1, "seed": 1, "epoch": 0}, "lacks 'batches'"),
        ({"version": 1, "seed": 1, "epoch": -1, "batches": 0, "sampler": None}, "'epoch' must be"),
        (
            {"version": 1, "seed": 1, "epoch": 0, "batches": "2", "sampler": None},
            "'batches' must be",
        ),
        # issue 17 cause 5: bounded on load, not failing later inside itertools.islice
        (
            {"version": 1, "seed": 1, "epoch": 0, "batches": sys.maxsize + 1, "sampler": None},
            f"'batches' must be an integer in \\[0, {sys.maxsize}\\]",
        ),
        (
            {"version": 1, "seed": 1, "epoch": 2**64, "batches": 0, "sampler": None},
            "'epoch' must be",
        ),
        (
            {"version": 1, "seed": -(2**80), "epoch": 0, "batches": 0, "sampler": None},
            "'seed' must be",
        ),
        (
            {"version": 1, "seed": 1, "epoch": 0, "batches": 0, "sampler": {"seed": 1}},
            "keeps none|'seed' and 'epoch'",
        ),
    ],
)
def test_bad_states_are_refused(state: Any, match: str) -> None:
    with pytest.raises(td.DataValueError, match=match):
        DataLoader(
            table(), batch_size=2, sampler=range(23) if "sampler" in str(state) else None
        ).load_state_dict(state)


def test_check_resume_catches_a_wrong_state() -> None:
    class Forgetful(DataLoader):
        def state_dict(self) -> dict[str, Any]:
            state = super().state_dict()
            state["batches"] = 0  # forgets how far it got
            return state

    with pytest.raises(AssertionError, match="resuming after 1 batches"):
        check_resume(lambda: Forgetful(table(), batch_size=5, shuffle=True, seed=3))
