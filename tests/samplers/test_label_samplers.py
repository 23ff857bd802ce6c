"""Stratified, grouped and class-balanced samplers: stated statistics over many seeds,
resume through a DataLoader, rank splitting, bad input."""

from __future__ import annotations

import collections
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.samplers import (
    DistributedSamplerWrapper,
    GroupedSampler,
    RandomSampler,
    StratifiedSampler,
    WeightedRandomSampler,
    apportion,
    class_balanced_weights,
)
from torsh_data.testing import check_resume


def labelled(n: int) -> td.TensorDataset:
    return td.TensorDataset(list(range(n)))


# --- StratifiedSampler ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_stratified_every_prefix_keeps_the_proportions(sizes: list[int], seed: int) -> None:
    # With members of class c at keys (j + u_c) / m_c, a prefix holding count_c of class c
    # satisfies count_c - t*m_c in (-1, 1] for its threshold t; eliminating t gives
    # |count_c - L * p_c| < 1 + p_c * (K - 2) for K classes.
    labels = [c for c, m in enumerate(sizes) for _ in range(m)]
    n, k = len(labels), len(sizes)
    order = list(StratifiedSampler(labels, seed=seed))
    assert sorted(order) == list(range(n))
    counts = [0] * k
    for length, i in enumerate(order, 1):
        counts[labels[i]] += 1
        for c, m in enumerate(sizes):
            p = m / n
            assert abs(counts[c] - length * p) < 1 + p * max(k - 2, 0) + 1e-9


def test_stratified_subsample_shares_and_uniform_members() -> None:
    labels = [0] * 6 + [1] * 3 + [2] * 1
    s = StratifiedSampler(labels, num_samples=5, seed=0)
    assert s.shares() == dict(zip([0, 1, 2], apportion(5, [6, 3, 1]), strict=True))
    assert s.shares() == {0: 3, 1: 2, 2: 0}  # 3, 1.5, 0.5 -> largest remainder, tie to earlier
    hits = collections.Counter()
    seeds = 600
    for seed in range(seeds):
        out = list(StratifiedSampler(labels, num_samples=5, seed=seed))
        assert collections.Counter(labels[i] for i in out) == {0: 3, 1: 2}
        assert len(set(out)) == 5  # without replacement
        hits.update(out)
    # each class-0 member is in with probability 3/6, each class-1 member 2/3
    for i, p in [*((i, 0.5) for i in range(6)), *((i, 2 / 3) for i in range(6, 9))]:
        sd = math.sqrt(p * (1 - p) / seeds)
        assert abs(hits[i] / seeds - p) < 5 * sd


def test_stratified_balanced_oversamples_evenly() -> None:
    labels = [0] * 9 + [1] * 3
    s = StratifiedSampler(labels, balanced=True, seed=1)
    out = list(s)
    assert len(out) == len(s) == 12
    per_class = collections.Counter(labels[i] for i in out)
    assert per_class == {0: 6, 1: 6}
    use = collections.Counter(i for i in out if labels[i] == 1)
    assert sorted(use.values()) == [2, 2, 2]  # each minority member twice
    # an odd num_samples: the class that gets one more is uniform over seeds
    extra = collections.Counter()
    for seed in range(400):
        out = list(StratifiedSampler(labels, num_samples=7, balanced=True, seed=seed))
        c = collections.Counter(labels[i] for i in out)
        assert sorted(c.values()) == [3, 4]
        extra[max(c, key=c.__getitem__)] += 1
    assert abs(extra[0] / 400 - 0.5) < 5 * math.sqrt(0.25 / 400)


def test_stratified_resume_and_epochs() -> None:
    labels = [i % 3 for i in range(20)]
    check_resume(
        lambda: td.DataLoader(
            labelled(20), batch_size=3, sampler=StratifiedSampler(labels, seed=4)
        ),
        epochs=2,
    )
    s = StratifiedSampler(labels, seed=4)
    assert list(s) != list(s)  # a new order each epoch


def test_stratified_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="empty"):
        StratifiedSampler([])
    with pytest.raises(td.DataTypeError, match="hashable"):
        StratifiedSampler([[1], [2]])
    with pytest.raises(td.DataValueError, match="num_samples"):
        StratifiedSampler([0, 1], num_samples=0)
    with pytest.raises(td.DataTypeError):
        StratifiedSampler([0, 1], balanced="yes")  # type: ignore[arg-type]


# --- GroupedSampler ------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    groups=st.lists(st.sampled_from("abcde"), min_size=1, max_size=40),
    shuffle_groups=st.booleans(),
    shuffle_within=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_grouped_keeps_groups_together(
    groups: list[str], shuffle_groups: bool, shuffle_within: bool, seed: int
) -> None:
    s = GroupedSampler(groups, shuffle_groups, shuffle_within, seed=seed)
    order = list(s)
    assert sorted(order) == list(range(len(groups))) and len(s) == len(groups)
    runs = [
        g for k, g in enumerate(groups[i] for i in order) if k == 0 or g != groups[order[k - 1]]
    ]
    assert len(runs) == len(set(groups))  # each group is one contiguous run
    if not shuffle_groups:
        assert runs == list(dict.fromkeys(groups))
    if not shuffle_within:
        for g in set(groups):
            members = [i for i in order if groups[i] == g]
            assert members == sorted(members)


def test_grouped_first_group_is_uniform() -> None:
    groups = [0, 0, 1, 2, 2, 2, 3]
    first = collections.Counter()
    for seed in range(800):
        first[groups[next(iter(GroupedSampler(groups, seed=seed)))]] += 1
    for g in range(4):  # groups are shuffled as units, whatever their size
        assert abs(first[g] / 800 - 0.25) < 5 * math.sqrt(0.25 * 0.75 / 800)


def test_grouped_resume_and_bad_input() -> None:
    groups = [i // 4 for i in range(18)]
    check_resume(
        lambda: td.DataLoader(labelled(18), batch_size=4, sampler=GroupedSampler(groups, seed=2))
    )
    with pytest.raises(td.DataTypeError, match="groups"):
        GroupedSampler([{}, {}])
    with pytest.raises(td.DataTypeError):
        GroupedSampler([0, 1], shuffle_groups=1)  # type: ignore[arg-type]


# --- class-balanced weights ------------------------------------------------------------------


def test_balanced_weighted_draws_classes_equally() -> None:
    labels = [0] * 90 + [1] * 9 + [2] * 1
    w = class_balanced_weights(labels)
    assert w[0] == 1 / 90 and w[95] == 1 / 9 and w[99] == 1.0
    n = 30000
    s = WeightedRandomSampler.balanced(labels, num_samples=n, seed=5)
    counts = collections.Counter(labels[i] for i in s)
    sd = math.sqrt((1 / 3) * (2 / 3) / n)
    for c in range(3):
        assert abs(counts[c] / n - 1 / 3) < 5 * sd
    assert len(WeightedRandomSampler.balanced(labels, seed=0)) == 100


def test_balanced_weights_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="empty"):
        class_balanced_weights([])
    with pytest.raises(td.DataTypeError, match="hashable"):
        class_balanced_weights([[0]])


# --- rank splitting of any sampler -------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    world=st.integers(1, 5),
    drop_last=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_wrapper_splits_like_distributed_sampler(
    n: int, world: int, drop_last: bool, seed: int
) -> None:
    labels = [i % 3 for i in range(n)]
    shares = [
        list(
            DistributedSamplerWrapper(
                StratifiedSampler(labels, seed=seed), world, rank, drop_last=drop_last
            )
        )
        for rank in range(world)
    ]
    assert len({len(x) for x in shares}) == 1
    assert len(shares[0]) == (n // world if drop_last else math.ceil(n / world))
    seen = [i for share in shares for i in share]
    if drop_last:
        assert len(set(seen)) == len(seen)  # disjoint
    else:
        assert set(seen) == set(range(n))  # everything, padded with repeats
    # the same decomposition as DistributedSampler over a plain permutation
    order = list(StratifiedSampler(labels, seed=seed))
    total = len(shares[0]) * world
    padded = (order * (total // n + 1))[:total]
    assert shares == [padded[r:total:world] for r in range(world)]


def test_wrapper_resume_and_bad_input() -> None:
    check_resume(
        lambda: td.DataLoader(
            labelled(13),
            batch_size=2,
            sampler=DistributedSamplerWrapper(RandomSampler(range(13), seed=1), 2, 1),
        )
    )
    with pytest.raises(td.DataValueError, match="rank"):
        DistributedSamplerWrapper(RandomSampler(range(3)), num_replicas=2, rank=2)


def test_wrapper_splits_batch_samplers_by_whole_batches() -> None:
    from torsh_data.samplers import BucketBatchSampler

    lengths = [i % 7 for i in range(40)]
    batches = BucketBatchSampler(lengths, 4, bucket_size_multiplier=2, seed=8).batches(0)
    shares = [
        list(DistributedSamplerWrapper(BucketBatchSampler(lengths, 4, 2, seed=8), 3, r))
        for r in range(3)
    ]
    assert [len(x) for x in shares] == [4, 4, 4]  # 10 batches padded to 12
    assert shares == [(batches + batches[:2])[r:12:3] for r in range(3)]
    loader = td.DataLoader(
        labelled(40),
        batch_sampler=DistributedSamplerWrapper(BucketBatchSampler(lengths, 4, 2, seed=8), 3, 1),
    )
    assert [b[0].tolist() for b in loader] == shares[1]
