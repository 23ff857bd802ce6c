"""Splitting data into train / validation / test parts and cross-validation folds, seeded.

Every function works on indices and hands back what it was given, taken at those indices:
a number ``n`` gives index lists, a dataset gives :class:`~torsh_data.Subset` views, a
:class:`~torsh_data.Tensor` or numpy array gives rows, a list gives a list. The split is a
function of the seed alone, the same on every runtime. ``stratify=labels`` keeps the class
proportions in every part (each part's class counts are the Sainte-Lague apportionment of its
size, within one of the exact share for two classes).

>>> train, test = train_test_split(10, test_size=0.3, seed=0)
>>> len(train), len(test), sorted(train + test) == list(range(10))
(7, 3, True)
>>> [val for _, val in KFold(3).split(7)]
[[0, 1, 2], [3, 4], [5, 6]]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from ._checks import check_bool, check_int
from ._errors import DataTypeError, DataValueError
from .datasets import Dataset, Subset
from .random import Generator, derive_seed, fresh_seed
from .samplers import group_indices
from .samplers._grouped import interleave
from .tensor import Tensor

__all__ = [
    "KFold",
    "StratifiedKFold",
    "kfold_splits",
    "split_indices",
    "stratified_split",
    "stratified_train_test_split",
    "train_test_split",
    "train_val_split",
    "train_val_test_split",
]


def _length(data: Any) -> int:
    if isinstance(data, int) and not isinstance(data, bool):
        return check_int("n", data, 0)
    try:
        return len(data)
    except TypeError:
        raise DataTypeError(
            f"cannot split a {type(data).__name__}: give a number of samples, a dataset, "
            "a Tensor, an array or a list"
        ) from None


def _take(data: Any, indices: list[int]) -> Any:
    """``data`` at ``indices``, in the kind it came as."""
    if isinstance(data, int):
        return indices
    if isinstance(data, Tensor):
        return data.take(indices)
    if type(data).__module__ == "numpy" or type(data).__module__.startswith("pandas"):
        return data.iloc[indices] if hasattr(data, "iloc") else data[indices]
    if isinstance(data, (list, tuple, str, bytes, range)):
        return [data[i] for i in indices]
    if isinstance(data, Dataset) or hasattr(data, "__getitem__"):
        return Subset(data, indices)
    raise DataTypeError(f"cannot take rows of a {type(data).__name__}")


def _labels(stratify: Any, n: int) -> list[list[int]]:
    classes = group_indices(stratify, "stratify")
    total = sum(map(len, classes.values()))
    if total != n:
        raise DataValueError(f"stratify has {total} labels for {n} samples")
    return list(classes.values())


def _sizes(n: int, sizes: Sequence[int | float]) -> list[int]:
    """Integer sizes adding up to ``n`` from sizes or fractions (largest remainder)."""
    if not sizes:
        raise DataValueError("give at least one size")
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) or not x >= 0 for x in sizes):
        raise DataValueError(f"sizes must be non-negative numbers, got {list(sizes)}")
    if all(isinstance(x, int) for x in sizes):
        if sum(sizes) != n:
            raise DataValueError(f"sizes add up to {sum(sizes)} but there are {n} samples")
        return [int(x) for x in sizes]
    if not math.isclose(math.fsum(sizes), 1.0, abs_tol=1e-9):
        raise DataValueError(f"fractions add up to {math.fsum(sizes)}, not 1")
    exact = [n * f for f in sizes]
    out = [math.floor(x) for x in exact]
    for i in sorted(range(len(out)), key=lambda i: (out[i] - exact[i], i))[: n - sum(out)]:
        out[i] += 1
    return out


def split_indices(
    n: int,
    sizes: Sequence[int | float],
    *,
    stratify: Sequence[Hashable] | Any = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> list[list[int]]:
    """Cut ``range(n)`` into parts of the given sizes (integers adding up to ``n``, or
    fractions adding up to 1, rounded by largest remainder); the general form of every
    split here.

    Args:
        n: the number of samples.
        sizes: the size or fraction of each part.
        stratify: a label per sample; each part then keeps the class proportions.
        shuffle: shuffle before cutting (else parts are contiguous, or with ``stratify``
            take each class in index order).
        seed: root seed; ``None`` draws a fresh one.

    >>> split_indices(6, [4, 2], shuffle=False)
    [[0, 1, 2, 3], [4, 5]]
    >>> split_indices(6, [0.5, 0.5], stratify=[0, 0, 0, 0, 1, 1], shuffle=False)
    [[0, 4, 1], [2, 5, 3]]
    """
    check_int("n", n, 0)
    check_bool("shuffle", shuffle)
    counts = _sizes(n, sizes)
    gen = Generator(derive_seed(fresh_seed() if seed is None else seed, "split"))
    if stratify is None:
        order = gen.permutation(n) if shuffle else list(range(n))
    else:
        per_class = _labels(stratify, n)
        if shuffle:
            per_class = [[m[i] for i in gen.permutation(len(m))] for m in per_class]
        order = interleave(per_class, [0.5] * len(per_class))
    out, start = [], 0
    for size in counts:
        part = order[start : start + size]
        if shuffle and stratify is not None:  # hide the class pattern of the interleave
            part = [part[i] for i in gen.permutation(len(part))]
        out.append(part)
        start += size
    return out


def _fraction_or_count(name: str, value: Any, n: int) -> int | None:
    """sklearn's reading: a float in (0, 1) is a fraction (rounded up for the held-out
    part), an int is a count."""
    if value is None:
        return None
    if isinstance(value, float) and 0 < value < 1:
        return math.ceil(value * n)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= n:
        return value
    raise DataValueError(
        f"{name} must be a fraction in (0, 1) or a count in [0, {n}], got {value!r}"
    )


def _held_out(
    data: Any, parts: Sequence[tuple[str, Any]], stratify: Any, shuffle: bool, seed: int | None
) -> list[Any]:
    n = _length(data)
    counts = [_fraction_or_count(name, v, n) or 0 for name, v in parts]
    if sum(counts) > n:
        raise DataValueError(f"the held-out parts take {sum(counts)} of {n} samples")
    pieces = split_indices(
        n, [n - sum(counts), *counts], stratify=stratify, shuffle=shuffle, seed=seed
    )
    return [_take(data, p) for p in pieces]


def train_test_split(
    *arrays: Any,
    test_size: float | int | None = None,
    train_size: float | int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    stratify: Sequence[Hashable] | Any = None,
) -> list[Any]:
    """Split arrays (or datasets, or a number of samples) into train and test parts, the
    same rows for each, as scikit-learn's ``train_test_split``: ``[a_train, a_test, b_train,
    b_test, ...]``.

    ``test_size`` is a fraction (rounded up) or a count; default 0.25, or the complement of
    ``train_size`` (a fraction rounded down, or a count).

    >>> x_train, x_test, y_train, y_test = train_test_split(
    ...     [10, 11, 12, 13], ["a", "b", "c", "d"], test_size=0.5, seed=1)
    >>> [10 + "abcd".index(y) for y in y_test] == x_test
    True
    """
    if not arrays:
        raise DataValueError("train_test_split needs at least one array")
    n = _length(arrays[0])
    for i, a in enumerate(arrays[1:], 1):
        if _length(a) != n:
            raise DataValueError(f"array {i} has {_length(a)} rows, array 0 has {n}")
    n_test = _fraction_or_count("test_size", test_size, n)
    if train_size is not None:
        if isinstance(train_size, float) and 0 < train_size < 1:
            n_train = math.floor(train_size * n)
        else:
            n_train = _fraction_or_count("train_size", train_size, n) or 0
        n_test = n - n_train if n_test is None else n_test
        if n_train + n_test > n:
            raise DataValueError(f"train_size + test_size take {n_train + n_test} of {n} samples")
    else:
        n_test = math.ceil(0.25 * n) if n_test is None else n_test
        n_train = n - n_test
    train, test, _ = split_indices(
        n, [n_train, n_test, n - n_train - n_test], stratify=stratify, shuffle=shuffle, seed=seed
    )
    return [part for a in arrays for part in (_take(a, train), _take(a, test))]


def train_val_split(
    data: Any,
    val_size: float | int = 0.2,
    *,
    stratify: Sequence[Hashable] | Any = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """``(train, val)``: ``val_size`` held out (a fraction rounded up, or a count).

    >>> train, val = train_val_split(10, 0.2, seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    train, val = _held_out(data, [("val_size", val_size)], stratify, shuffle, seed)
    return train, val


def train_val_test_split(
    data: Any,
    val_size: float | int = 0.1,
    test_size: float | int = 0.1,
    *,
    stratify: Sequence[Hashable] | Any = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> tuple[Any, Any, Any]:
    """``(train, val, test)``: ``val_size`` and ``test_size`` held out (fractions rounded
    up, or counts), the rest for training.

    >>> [len(p) for p in train_val_test_split(20, 0.2, 0.1, seed=0)]
    [14, 4, 2]
    """
    train, val, test = _held_out(
        data, [("val_size", val_size), ("test_size", test_size)], stratify, shuffle, seed
    )
    return train, val, test


def stratified_split(
    dataset: Any,
    lengths: Sequence[int | float],
    labels: Sequence[Hashable] | Any,
    seed: int | None = None,
) -> list[Any]:
    """:func:`~torsh_data.random_split` that keeps the class proportions of ``labels`` in
    every part (sizes or fractions, as there).

    >>> parts = stratified_split(list("aaaabb"), [0.5, 0.5], labels=list("aaaabb"), seed=3)
    >>> [sorted(p) for p in parts]
    [['a', 'a', 'b'], ['a', 'a', 'b']]
    """
    n = _length(dataset)
    return [_take(dataset, p) for p in split_indices(n, lengths, stratify=labels, seed=seed)]


def stratified_train_test_split(
    labels: Sequence[Hashable] | Any, test_size: float | int = 0.25, seed: int | None = None
) -> tuple[list[int], list[int]]:
    """Train and test indices that keep the class proportions of ``labels``.

    >>> train, test = stratified_train_test_split([0] * 8 + [1] * 4, test_size=0.25, seed=0)
    >>> sorted(0 if i < 8 else 1 for i in test)
    [0, 0, 1]
    """
    labels = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    train, test = train_test_split(len(labels), test_size=test_size, stratify=labels, seed=seed)
    return train, test


class KFold:
    """K train/validation folds, as scikit-learn's ``KFold``: the samples (shuffled first if
    ``shuffle``) are cut into ``n_splits`` consecutive folds, the first ``n % n_splits`` one
    larger; fold ``i`` validates, the rest trains. Indices come sorted.

    Args:
        n_splits: the number of folds (>= 2).
        shuffle: shuffle before cutting the folds.
        seed: root seed, used when shuffling; ``None`` draws a fresh one.
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed: int | None = None) -> None:
        self.n_splits = check_int("n_splits", n_splits, 2)
        self.shuffle = check_bool("shuffle", shuffle)
        self.seed = fresh_seed() if seed is None else seed

    def get_n_splits(self, data: Any = None, labels: Any = None) -> int:
        return self.n_splits

    def _folds(self, n: int, labels: Any) -> list[list[int]]:
        gen = Generator(derive_seed(self.seed, "kfold"))
        order = gen.permutation(n) if self.shuffle else list(range(n))
        sizes = [n // self.n_splits + (i < n % self.n_splits) for i in range(self.n_splits)]
        out, start = [], 0
        for size in sizes:
            out.append(order[start : start + size])
            start += size
        return out

    def split(self, data: Any, labels: Any = None) -> Iterator[tuple[list[int], list[int]]]:
        """``(train_indices, val_indices)`` for each fold; ``data`` is a number of samples
        or anything with a length."""
        n = _length(data)
        if n < self.n_splits:
            raise DataValueError(f"cannot make {self.n_splits} folds of {n} samples")
        folds = self._folds(n, labels)
        for fold in folds:
            val = set(fold)
            yield [j for j in range(n) if j not in val], sorted(fold)


class StratifiedKFold(KFold):
    """:class:`KFold` that keeps the class proportions of ``labels`` in every fold, with
    scikit-learn's allocation: with the labels sorted, fold ``i`` gets as many of each class
    as ``sorted_labels[i::n_splits]`` holds; each class's members (in index order, or
    shuffled) fill the folds in turn. Without shuffling the folds are scikit-learn's.
    """

    def _folds(self, n: int, labels: Any) -> list[list[int]]:
        if labels is None:
            raise DataValueError("StratifiedKFold.split needs labels")
        classes = group_indices(labels, "labels")
        if sum(map(len, classes.values())) != n:
            raise DataValueError(f"labels has {sum(map(len, classes.values()))} entries for {n}")
        try:
            keys = sorted(classes)
        except TypeError:  # labels of mixed types: first appearance
            keys = list(classes)
        k = self.n_splits
        y_order = [c for c, key in enumerate(keys) for _ in classes[key]]
        gen = Generator(derive_seed(self.seed, "stratified-kfold"))
        folds: list[list[int]] = [[] for _ in range(k)]
        for c, key in enumerate(keys):
            members = classes[key]
            if self.shuffle:
                members = [members[i] for i in gen.permutation(len(members))]
            allocation = [y_order[f::k].count(c) for f in range(k)]
            targets = [f for f in range(k) for _ in range(allocation[f])]
            for f, i in zip(targets, members, strict=True):
                folds[f].append(i)
        return folds


def kfold_splits(
    data: Any,
    k: int = 5,
    *,
    shuffle: bool = True,
    seed: int | None = None,
    stratify: Sequence[Hashable] | Any = None,
) -> list[tuple[Any, Any]]:
    """All ``k`` ``(train, val)`` pairs of :class:`KFold` (or :class:`StratifiedKFold` with
    ``stratify``), taken from ``data`` (index lists for a number, Subsets for a dataset).

    >>> [(len(t), len(v)) for t, v in kfold_splits(10, 4, seed=0)]
    [(7, 3), (7, 3), (8, 2), (8, 2)]
    """
    folds = (KFold if stratify is None else StratifiedKFold)(k, shuffle, seed)
    return [(_take(data, t), _take(data, v)) for t, v in folds.split(_length(data), stratify)]
