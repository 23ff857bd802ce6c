"""DataPipeline: stage semantics, seeded shuffling, determinism through loaders and workers."""

from __future__ import annotations

import itertools
import pickle
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.datasets import DataPipeline
from torsh_data.testing import batch_digest, check_resume


def double(x: int) -> int:
    return 2 * x


def is_odd(x: int) -> bool:
    return x % 2 == 1


def noisy(x: int) -> tuple[int, float]:
    return x, td.random.sample_generator().random()


@given(st.lists(st.integers(-50, 50), max_size=40), st.integers(1, 7), st.booleans())
def test_stages_match_itertools(values: list[int], size: int, drop_last: bool) -> None:
    p = DataPipeline(values).map(double).filter(is_odd)
    assert list(p) == []  # 2x is never odd
    expected = [2 * v for v in values if v % 3]
    got = list(DataPipeline(values).filter(lambda v: v % 3).map(double))
    assert got == expected
    batches = list(DataPipeline(values).batch(size, drop_last=drop_last, collate_fn=list))
    ref = [values[i : i + size] for i in range(0, len(values), size)]
    if drop_last and ref and len(ref[-1]) < size:
        ref.pop()
    assert batches == ref
    assert list(DataPipeline(values).batch(size, collate_fn=list).unbatch()) == values
    assert list(DataPipeline(values).skip(3).take(5)) == values[3:8]


def test_then_takes_a_generator_stage() -> None:
    def running_sum(it):  # type: ignore[no-untyped-def]
        return itertools.accumulate(it)

    assert list(DataPipeline(range(5)).then(running_sum)) == [0, 1, 3, 6, 10]


def test_sources_map_iterable_and_function() -> None:
    ds = td.TensorDataset([5, 6, 7])
    assert [x.item() for (x,) in DataPipeline(ds)] == [5, 6, 7]
    assert list(DataPipeline(lambda: iter("ab"))) == ["a", "b"]
    p = DataPipeline(td.datasets.RepeatDataset([1, 2], times=2))
    assert list(p) == [1, 2, 1, 2] and list(p) == [1, 2, 1, 2]  # re-iterable


def test_batch_collates_by_default() -> None:
    batches = list(DataPipeline(td.TensorDataset([[1, 2], [3, 4], [5, 6]], [0, 1, 2])).batch(2))
    assert [x.tolist() for x, _ in batches] == [[[1, 2], [3, 4]], [[5, 6]]]
    assert [y.tolist() for _, y in batches] == [[0, 1], [2]]


@given(st.integers(0, 60), st.integers(1, 10), st.integers(0, 2**32))
def test_shuffle_buffer_is_a_windowed_permutation(n: int, size: int, seed: int) -> None:
    out = list(DataPipeline(range(n), seed=seed).shuffle(size))
    assert sorted(out) == list(range(n))
    # Only the first t + size items have been read when output t is chosen.
    assert all(x <= t + size - 1 for t, x in enumerate(out))
    assert list(DataPipeline(range(n), seed=seed).shuffle(size)) == out


def test_shuffle_with_a_full_buffer_is_uniform() -> None:
    # buffer >= n: every element is equally likely first; 4 values over 2000 seeds.
    first = Counter(next(iter(DataPipeline(range(4), seed=s).shuffle(8))) for s in range(2000))
    for c in first.values():  # binomial(2000, 1/4): mean 500, sd 19.4; 5 sd either side
        assert 403 < c < 597
    assert len(first) == 4


def test_map_source_shuffle_is_a_permutation_per_epoch() -> None:
    p = DataPipeline(td.TensorDataset(list(range(30))), shuffle=True, seed=3)
    p.set_epoch(0)
    e0 = [x.item() for (x,) in p]
    e1 = [x.item() for (x,) in p]  # the counter moved on
    p.set_epoch(0)
    again = [x.item() for (x,) in p]
    assert sorted(e0) == sorted(e1) == list(range(30))
    assert e0 != e1 and again == e0


def test_repeat_reshuffles_each_pass() -> None:
    out = list(DataPipeline(range(10), seed=1).shuffle(10).repeat(3))
    passes = [out[i : i + 10] for i in (0, 10, 20)]
    assert all(sorted(p) == list(range(10)) for p in passes)
    assert passes[0] != passes[1] != passes[2]
    assert list(itertools.islice(DataPipeline([7]).repeat(), 3)) == [7, 7, 7]
    assert list(DataPipeline([]).repeat()) == []


def make_loader(seed: int = 11, **kw: object) -> td.DataLoader:
    p = DataPipeline(range(37)).map(noisy).shuffle(8).filter(lambda s: s[0] != 5)
    return td.DataLoader(p, batch_size=4, seed=seed, **kw)  # type: ignore[arg-type]


def test_loader_seed_decides_and_epochs_differ() -> None:
    a = make_loader()
    e0 = [batch_digest(b) for b in a]
    e1 = [batch_digest(b) for b in a]
    assert e0 != e1
    b = make_loader()
    assert [batch_digest(x) for x in b] == e0
    assert [batch_digest(x) for x in make_loader(seed=12)] != e0
    values = sorted(v for batch in make_loader() for v in batch[0].tolist())
    assert values == [v for v in range(37) if v != 5]


def test_loader_resume_from_every_step() -> None:
    assert check_resume(make_loader) > 10


@pytest.mark.native_only(reason="worker processes")
def test_loader_workers_give_the_same_batches() -> None:
    one = make_loader()
    serial = [batch_digest(b) for _ in range(2) for b in one]
    loader = make_loader(num_workers=2)
    assert [batch_digest(b) for _ in range(2) for b in loader] == serial


def test_pipeline_pickles_when_its_functions_do() -> None:
    p = DataPipeline(range(20), seed=4).map(double).shuffle(5).batch(3, collate_fn=list)
    assert list(pickle.loads(pickle.dumps(p))) == list(p)


def test_bad_input() -> None:
    with pytest.raises(td.DataTypeError, match="pipeline source"):
        DataPipeline(42)
    with pytest.raises(td.DataTypeError, match="map-style"):
        DataPipeline(iter([1]), shuffle=True)
    with pytest.raises(td.DataTypeError, match="callable"):
        DataPipeline([1]).map(3)  # type: ignore[arg-type]
    with pytest.raises(td.DataValueError, match="buffer_size"):
        DataPipeline([1]).shuffle(0)
    with pytest.raises(td.DataValueError, match="batch_size"):
        DataPipeline([1]).batch(0)
    with pytest.raises(td.DataValueError, match="times"):
        DataPipeline([1]).repeat(-2)
    with pytest.raises(td.DataTypeError, match="seed"):
        DataPipeline([1], seed="x")  # type: ignore[arg-type]
    with pytest.raises(ZeroDivisionError):  # a stage's own error passes through unchanged
        list(DataPipeline([0]).map(lambda x: 1 / x))
