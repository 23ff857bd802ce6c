"""CachedDataset (memoising, LRU, hit rate) and RepeatDataset (passes, endless, reshuffled)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.datasets import CachedDataset, RepeatDataset


class Counting(td.Dataset[int]):
    """Counts how often each index is actually computed."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls: Counter[int] = Counter()

    def __getitem__(self, i: int) -> int:
        self.calls[i] += 1
        return i * 10

    def __len__(self) -> int:
        return self.n


def test_cache_memoises_and_counts() -> None:
    inner = Counting(5)
    ds = CachedDataset(inner)
    assert [ds[i] for i in (0, 1, 0, 1, 4, -1)] == [0, 10, 0, 10, 40, 40]
    assert inner.calls == {0: 1, 1: 1, 4: 1}
    assert (ds.hits, ds.misses) == (3, 3)
    assert ds.hit_rate == 0.5
    assert ds.cache_info() == (3, 3, None, 3)
    ds.clear_cache()
    assert ds.cache_info() == (0, 0, None, 0) and ds.hit_rate == 0.0
    assert ds[0] == 0 and inner.calls[0] == 2


@given(st.lists(st.integers(0, 9), max_size=60), st.integers(1, 5))
def test_lru_matches_a_reference_model(accesses: list[int], maxsize: int) -> None:
    # Reference: a textbook LRU kept as a list, most recent last.
    ds = CachedDataset(Counting(10), maxsize=maxsize)
    model: list[int] = []
    hits = 0
    for i in accesses:
        if i in model:
            hits += 1
            model.remove(i)
        elif len(model) == maxsize:
            model.pop(0)
        model.append(i)
        assert ds[i] == i * 10
    assert ds.hits == hits and ds.misses == len(accesses) - hits
    assert list(ds._cache) == model


def test_cache_through_a_loader() -> None:
    inner = Counting(6)
    loader = td.DataLoader(CachedDataset(inner), batch_size=4, shuffle=True, seed=0)
    first = [b.tolist() for b in loader]
    second = [b.tolist() for b in loader]
    assert sorted(v for b in first for v in b) == sorted(v for b in second for v in b)
    assert sorted(v for b in first for v in b) == [0, 10, 20, 30, 40, 50]
    assert set(inner.calls.values()) == {1}


def test_cache_bad_input() -> None:
    with pytest.raises(td.DataTypeError, match="map-style"):
        CachedDataset(RepeatDataset([1, 2], times=1))
    with pytest.raises(td.DataValueError, match="maxsize"):
        CachedDataset(Counting(2), maxsize=0)
    ds = CachedDataset(Counting(2))
    for bad in (2, -3, "0", 1.0):
        with pytest.raises(td.DataIndexError):
            ds[bad]  # type: ignore[index]
    assert ds.cache_info().currsize == 0


def test_repeat_passes_and_length() -> None:
    ds = RepeatDataset(td.TensorDataset([1, 2, 3]), times=2)
    assert len(ds) == 6
    assert [x.item() for (x,) in ds] == [1, 2, 3, 1, 2, 3]
    assert list(RepeatDataset(range(3), times=0)) == []


def test_repeat_endless_and_iterable_source() -> None:
    endless = RepeatDataset(td.datasets.DataPipeline(range(3)))
    assert list(itertools.islice(endless, 8)) == [0, 1, 2, 0, 1, 2, 0, 1]
    with pytest.raises(td.DataTypeError, match="no length"):
        len(endless)
    assert list(RepeatDataset(td.TensorDataset([]))) == []  # empty: ends instead of hanging


def test_repeat_shuffle_reshuffles_each_pass_and_is_seeded() -> None:
    base = td.TensorDataset(list(range(20)))

    def passes(seed: int) -> list[list[int]]:
        flat = [x.item() for (x,) in RepeatDataset(base, times=3, shuffle=True, seed=seed)]
        return [flat[i : i + 20] for i in (0, 20, 40)]

    a = passes(5)
    assert all(sorted(p) == list(range(20)) for p in a)
    assert a[0] != a[1] != a[2]
    assert passes(5) == a and passes(6) != a


def test_repeat_shuffle_is_uniform_over_seeds() -> None:
    # Each of the 3! orders of a 3-element dataset should come up about 1/6 of the time.
    counts = Counter(
        tuple(x.item() for (x,) in RepeatDataset(td.TensorDataset([0, 1, 2]), 1, True, seed))
        for seed in range(1200)
    )
    assert len(counts) == 6
    for c in counts.values():  # binomial(1200, 1/6): mean 200, sd 12.9; 5 sd either side
        assert 135 < c < 265


def test_repeat_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="times"):
        RepeatDataset([1], times=-1)
    with pytest.raises(td.DataTypeError, match="map-style"):
        RepeatDataset(td.datasets.DataPipeline([1]), shuffle=True)
    with pytest.raises(td.DataTypeError, match="True or False"):
        RepeatDataset(td.TensorDataset([1]), shuffle=1)  # type: ignore[arg-type]
