"""Federated partitions: disjoint and complete, with the label skew each method promises."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.federated import (
    FederatedDataset,
    aggregation_weights,
    partition_by_label_shards,
    partition_dirichlet,
    partition_iid,
)

LABELS = [i % 10 for i in range(2000)]


def _complete(parts: list[list[int]], n: int) -> None:
    flat = [i for p in parts for i in p]
    assert sorted(flat) == list(range(n))


def _classes_per_client(parts: list[list[int]]) -> float:
    return statistics.fmean(len({LABELS[i] for i in p}) for p in parts)


def test_iid() -> None:
    parts = partition_iid(2000, 7, seed=1)
    _complete(parts, 2000)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert _classes_per_client(parts) == 10
    assert partition_iid(2000, 7, seed=1) == parts and partition_iid(2000, 7, seed=2) != parts


def test_dirichlet_skew_follows_alpha() -> None:
    skewed = partition_dirichlet(LABELS, 10, alpha=0.05, seed=3)
    even = partition_dirichlet(LABELS, 10, alpha=1000.0, seed=3)
    _complete(skewed, 2000)
    _complete(even, 2000)
    assert _classes_per_client(skewed) < 5 < _classes_per_client(even)
    # with a huge alpha every client gets about a tenth of every class
    for p in even:
        assert abs(len(p) - 200) < 40
    sized = partition_dirichlet(LABELS, 10, alpha=0.1, seed=4, min_size=50)
    assert min(map(len, sized)) >= 50
    with pytest.raises(td.DataValueError):
        partition_dirichlet(LABELS, 10, alpha=0)
    with pytest.raises(td.DataValueError):
        partition_dirichlet([], 2, alpha=1.0)


def test_label_shards() -> None:
    parts = partition_by_label_shards(LABELS, 20, shards_per_client=2, seed=5)
    _complete(parts, 2000)
    assert all(len(p) == 100 for p in parts)
    assert all(len({LABELS[i] for i in p}) <= 2 for p in parts)
    with pytest.raises(td.DataValueError):
        partition_by_label_shards([0, 1], 2, shards_per_client=2)


def test_federated_dataset_and_weights() -> None:
    ds = td.TensorDataset(list(range(2000)), LABELS)
    fd = FederatedDataset.dirichlet(ds, LABELS, 5, alpha=0.5, seed=6)
    assert len(fd) == 5 and sum(c.size for c in fd.clients) == 2000
    k = max(range(5), key=lambda j: fd.clients[j].size)
    sub = fd.client(k)
    assert len(sub) == fd.clients[k].size and sum(fd.clients[k].label_counts.values()) == len(sub)
    assert aggregation_weights([c.size for c in fd.clients]) == pytest.approx(
        [c.size / 2000 for c in fd.clients]
    )
    assert aggregation_weights([1, 3], "uniform") == [0.5, 0.5]
    assert aggregation_weights([1, 3], "custom", custom=lambda k, s: s * s) == [0.1, 0.9]
    with pytest.raises(td.DataValueError):
        aggregation_weights([0, 0])
    with pytest.raises(td.DataValueError, match="also given"):
        FederatedDataset(ds, [[0, 1], [1]])
    with pytest.raises(td.DataIndexError):
        FederatedDataset(ds, [[2000]])
    with pytest.raises(td.DataIndexError):
        fd.client(5)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 200), st.integers(1, 8), st.integers(0, 2**32))
def test_every_partition_is_disjoint_and_complete(n: int, clients: int, seed: int) -> None:
    labels = [i % 3 for i in range(n)]
    _complete(partition_iid(n, clients, seed), n)
    _complete(partition_dirichlet(labels, clients, 0.3, seed), n)
    if n >= 2 * clients:
        _complete(partition_by_label_shards(labels, clients, 2, seed), n)
