"""Splits and folds: sizes by scikit-learn's rules, folds as its documentation shows them,
class proportions kept within the apportionment bound, seeds, bad input."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import needs_numpy

import torsh_data as td
from torsh_data.splits import (
    KFold,
    StratifiedKFold,
    kfold_splits,
    split_indices,
    stratified_split,
    stratified_train_test_split,
    train_test_split,
    train_val_split,
    train_val_test_split,
)


def test_train_test_split_sizes_follow_scikit_learn() -> None:
    # n_test = ceil(test_size * n), n_train = floor(train_size * n) (sklearn's rule)
    for n, kwargs, sizes in [
        (10, {}, (7, 3)),  # default test_size 0.25 -> ceil(2.5)
        (10, {"test_size": 0.33}, (6, 4)),
        (10, {"test_size": 4}, (6, 4)),
        (10, {"train_size": 0.55}, (5, 5)),  # floor(5.5)
        (10, {"train_size": 0.5, "test_size": 0.2}, (5, 2)),
    ]:
        train, test = train_test_split(n, seed=0, **kwargs)
        assert (len(train), len(test)) == sizes
        assert not set(train) & set(test)
    # the scikit-learn documentation's example without shuffling
    assert train_test_split(list(range(5)), shuffle=False) == [[0, 1, 2], [3, 4]]


def test_train_test_split_keeps_rows_aligned_across_arrays() -> None:
    x = td.Tensor([[i, i * 10] for i in range(20)])
    y = [f"r{i}" for i in range(20)]
    ds = td.TensorDataset(list(range(20)))
    x_tr, x_te, _, y_te, d_tr, d_te = train_test_split(x, y, ds, test_size=0.2, seed=5)
    assert isinstance(x_tr, td.Tensor) and isinstance(d_te, td.Subset)
    assert [f"r{row[0]}" for row in x_te.tolist()] == y_te
    assert [int(d_tr[i][0].item()) for i in range(len(d_tr))] == [r[0] for r in x_tr.tolist()]
    assert train_test_split(x, seed=5)[1].tolist() != train_test_split(x, seed=6)[1].tolist()
    assert train_test_split(x, seed=5)[1].tolist() == train_test_split(x, seed=5)[1].tolist()


def within_bound(parts: list[list[int]], labels: list[int], slack: float) -> None:
    n = len(labels)
    sizes = collections.Counter(labels)
    for part in parts:
        got = collections.Counter(labels[i] for i in part)
        for c, m in sizes.items():
            assert abs(got[c] - m * len(part) / n) < slack, (c, got[c], m * len(part) / n)


@settings(max_examples=60, deadline=None)
@given(
    a=st.integers(1, 40),
    b=st.integers(1, 40),
    test_size=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32),
)
def test_stratified_two_class_split_is_within_one(
    a: int, b: int, test_size: float, seed: int
) -> None:
    labels = [0] * a + [1] * b
    train, test = train_test_split(len(labels), test_size=test_size, stratify=labels, seed=seed)
    assert sorted(train + test) == list(range(a + b))
    within_bound([train, test], labels, 1.0)


def test_stratified_split_three_ways_and_subsets() -> None:
    labels = [0] * 50 + [1] * 30 + [2] * 20
    train, val, test = train_val_test_split(100, 0.2, 0.1, stratify=labels, seed=1)
    assert (len(train), len(val), len(test)) == (70, 20, 10)
    # exact shares: val 10/6/4, test 5/3/2
    assert collections.Counter(labels[i] for i in val) == {0: 10, 1: 6, 2: 4}
    assert collections.Counter(labels[i] for i in test) == {0: 5, 1: 3, 2: 2}
    ds = td.TensorDataset(labels)
    parts = stratified_split(ds, [0.5, 0.5], labels=labels, seed=2)
    assert all(isinstance(p, td.Subset) and len(p) == 50 for p in parts)
    assert collections.Counter(int(p[i][0].item()) for i in range(50) for p in parts[:1]) == {
        0: 25,
        1: 15,
        2: 10,
    }
    train_idx, test_idx = stratified_train_test_split(labels, test_size=0.25, seed=3)
    assert len(test_idx) == 25 and len(train_idx) == 75
    # K classes: |count - share| < 1 + p_max * (K - 2) (the bound of interleaved keys)
    within_bound([train_idx, test_idx], labels, 1 + 0.5 * (3 - 2))


def test_split_indices_and_train_val_split() -> None:
    assert split_indices(5, [3, 2], shuffle=False) == [[0, 1, 2], [3, 4]]
    parts = split_indices(10, [0.5, 0.3, 0.2], seed=4)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(i for p in parts for i in p) == list(range(10))
    # largest remainder: 7 * (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 -> 4, 2, 1
    assert [len(p) for p in split_indices(7, [0.5, 0.3, 0.2], seed=0)] == [4, 2, 1]
    train, val = train_val_split(list("abcdefghij"), 0.3, seed=0)
    assert len(train) == 7 and len(val) == 3 and sorted(train + val) == list("abcdefghij")


# --- folds -------------------------------------------------------------------------------------


def test_kfold_matches_scikit_learn_documentation() -> None:
    # sklearn.model_selection.KFold docs: 4 samples, 2 folds
    assert list(KFold(2).split(4)) == [([2, 3], [0, 1]), ([0, 1], [2, 3])]
    # the first n % k folds are one larger: 10 samples, 3 folds -> 4, 3, 3
    assert [val for _, val in KFold(3).split(10)] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    # sklearn.model_selection.StratifiedKFold docs: y = [0, 0, 1, 1], 2 folds
    assert list(StratifiedKFold(2).split(4, [0, 0, 1, 1])) == [([1, 3], [0, 2]), ([0, 2], [1, 3])]
    # sklearn's allocation: y = [0]*6 + [1]*3, 3 folds -> [0, 1, 6], [2, 3, 7], [4, 5, 8]
    folds = [v for _, v in StratifiedKFold(3).split(9, [0] * 6 + [1] * 3)]
    assert folds == [[0, 1, 6], [2, 3, 7], [4, 5, 8]]


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(2, 60),
    k=st.integers(2, 6),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_kfold_partitions(n: int, k: int, shuffle: bool, seed: int) -> None:
    if n < k:
        with pytest.raises(td.DataValueError, match="folds"):
            list(KFold(k).split(n))
        return
    folds = list(KFold(k, shuffle, seed).split(n))
    vals = [v for _, v in folds]
    assert sorted(i for v in vals for i in v) == list(range(n))
    assert sorted(len(v) for v in vals) == sorted(n // k + (i < n % k) for i in range(k))
    for train, val in folds:
        assert sorted(train + val) == list(range(n)) and train == sorted(train)


@settings(max_examples=50, deadline=None)
@given(
    labels=st.lists(st.integers(0, 3), min_size=6, max_size=60),
    k=st.integers(2, 5),
    seed=st.integers(0, 1000),
)
def test_stratified_kfold_per_class_counts_differ_by_at_most_one(
    labels: list[int], k: int, seed: int
) -> None:
    folds = [v for _, v in StratifiedKFold(k, True, seed).split(len(labels), labels)]
    assert sorted(i for f in folds for i in f) == list(range(len(labels)))
    for c in set(labels):
        per_fold = [sum(labels[i] == c for i in f) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1


def test_kfold_splits_take_from_the_data() -> None:
    pairs = kfold_splits(td.TensorDataset(list(range(9))), 3, seed=0)
    assert all(isinstance(t, td.Subset) and len(t) == 6 and len(v) == 3 for t, v in pairs)
    strat = kfold_splits(12, 3, stratify=[0] * 6 + [1] * 6, seed=0)
    for _, val in strat:
        assert sum(i < 6 for i in val) == 2


def test_split_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="test_size"):
        train_test_split(10, test_size=1.5)
    with pytest.raises(td.DataValueError, match="test_size"):
        train_test_split(10, test_size=11)
    with pytest.raises(td.DataValueError, match="array 1 has 3 rows"):
        train_test_split([1, 2], [1, 2, 3])
    with pytest.raises(td.DataValueError, match="at least one"):
        train_test_split()
    with pytest.raises(td.DataValueError, match="stratify has 3 labels"):
        train_test_split(4, stratify=[0, 1, 0])
    with pytest.raises(td.DataValueError, match="take 11 of 10"):
        train_val_test_split(10, 6, 5)
    with pytest.raises(td.DataValueError, match="add up"):
        split_indices(10, [0.5, 0.4])
    with pytest.raises(td.DataValueError, match="add up"):
        split_indices(10, [5, 4])
    with pytest.raises(td.DataValueError, match="non-negative"):
        split_indices(10, [-1, 11])
    with pytest.raises(td.DataTypeError, match="cannot split"):
        train_val_split(object())
    with pytest.raises(td.DataValueError, match="n_splits"):
        KFold(1)
    with pytest.raises(td.DataValueError, match="needs labels"):
        list(StratifiedKFold(2).split(4))
    with pytest.raises(td.DataValueError, match="labels has 3"):
        list(StratifiedKFold(2).split(4, [0, 1, 0]))


@needs_numpy
def test_numpy_arrays_and_labels() -> None:
    import numpy as np

    x = np.arange(40).reshape(20, 2)
    y = np.array([0] * 15 + [1] * 5)
    _, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, stratify=y, seed=0)
    assert isinstance(x_te, np.ndarray) and x_te.shape == (4, 2)
    assert (x_te[:, 0] // 2 >= 15).tolist() == (y_te == 1).tolist()  # rows stay aligned
    assert sorted(y_te.tolist()) == [0, 0, 0, 1] and len(y_tr) == 16
