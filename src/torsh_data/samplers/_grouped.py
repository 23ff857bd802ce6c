"""Samplers that look at labels or groups: stratified (proportional or balanced) and grouped.

>>> labels = [0, 0, 0, 0, 1, 1]
>>> s = StratifiedSampler(labels, seed=0)
>>> [labels[i] for i in s][:3].count(1)  # every stretch keeps the 2:1 proportion
1
>>> g = GroupedSampler(["a", "b", "a", "b"], seed=0)
>>> sorted(tuple(sorted(x)) for x in g.groups())
[(0, 2), (1, 3)]
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Sequence
from typing import Any

from .._checks import check_bool, check_int
from .._errors import DataTypeError, DataValueError
from ..random import Generator
from ._basic import _SeededSampler

__all__ = ["GroupedSampler", "StratifiedSampler", "apportion", "group_indices", "interleave"]


def group_indices(labels: Sequence[Hashable] | Any, name: str = "labels") -> dict[Any, list[int]]:
    """The indices of each label, labels in order of first appearance.

    >>> group_indices(["b", "a", "b"])
    {'b': [0, 2], 'a': [1]}
    """
    if hasattr(labels, "tolist"):
        labels = labels.tolist()
    out: dict[Any, list[int]] = {}
    try:
        for i, y in enumerate(labels):
            out.setdefault(y, []).append(i)
    except TypeError:
        raise DataTypeError(
            f"{name} must be a sequence of hashable values (ints, strings)"
        ) from None
    return out


def apportion(total: int, sizes: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``sizes`` that add up to ``total``
    (largest remainder method, ties to the earlier entry).

    >>> apportion(10, [5, 3, 2]), apportion(4, [1, 1, 1])
    ([5, 3, 2], [2, 1, 1])
    """
    whole = sum(sizes)
    if whole <= 0:
        raise DataValueError(f"cannot apportion {total} among sizes {list(sizes)}")
    exact = [total * s / whole for s in sizes]
    out = [int(x) for x in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (out[i] - exact[i], i))
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


def _draw(gen: Generator, members: list[int], k: int) -> list[int]:
    """``k`` members: successive permutations, so each is used as evenly as possible."""
    out: list[int] = []
    while len(out) < k:
        out += map(members.__getitem__, gen.permutation(len(members)))
    return out[:k]


def interleave(per_class: Sequence[Sequence[int]], offsets: Sequence[float]) -> list[int]:
    """Merge the classes so that every stretch of the result keeps their proportions: the
    ``j``-th of ``m`` members of a class sits at ``(j + offset) / m``. With offsets 0.5 every
    prefix holds the Sainte-Lague (Webster) apportionment of its length among the classes.

    >>> interleave([[0, 1, 2, 3], [10, 11]], [0.5, 0.5])
    [0, 10, 1, 2, 11, 3]
    """
    keyed: list[tuple[float, int]] = []
    for members, u in zip(per_class, offsets, strict=True):
        m = len(members)  # keys (j + u) / m, built and paired at C speed
        keys = map(float(m).__rtruediv__, map(float(u).__add__, range(m)))
        keyed += zip(keys, members, strict=True)
    keyed.sort()
    return list(map(operator.itemgetter(1), keyed))


class StratifiedSampler(_SeededSampler[int]):
    """Indices spread so that every stretch of the order keeps the class proportions, so
    each batch looks like the dataset; or, with ``balanced=True``, has every class equally.

    Each class's share of ``num_samples`` is apportioned (largest remainder) to its size, or
    equally when balanced; a class's members are drawn in a new random order each epoch, and
    cycled when its share is larger than the class (oversampling, each member used as evenly
    as possible). The classes are then interleaved at random offsets.

    Args:
        labels: the class of each sample (index ``i`` has ``labels[i]``).
        num_samples: indices per epoch (default ``len(labels)``).
        balanced: give every class the same share (the crate's ``balanced_stratified``).
        seed: root seed; ``None`` draws a fresh one.
    """

    def __init__(
        self,
        labels: Sequence[Hashable] | Any,
        num_samples: int | None = None,
        balanced: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        self.classes = group_indices(labels)
        if not self.classes:
            raise DataValueError("labels are empty; a stratified sampler needs at least one")
        n = sum(map(len, self.classes.values()))
        self.num_samples = n if num_samples is None else check_int("num_samples", num_samples, 1)
        self.balanced = check_bool("balanced", balanced)

    def __len__(self) -> int:
        return self.num_samples

    def shares(self) -> dict[Any, int]:
        """How many indices of each class one epoch holds (balanced: which classes get the
        remainder of ``num_samples / classes`` is drawn anew each epoch)."""
        sizes = [1 if self.balanced else len(m) for m in self.classes.values()]
        return dict(zip(self.classes, apportion(self.num_samples, sizes), strict=True))

    def _order(self) -> list[int]:
        gen = self._generator("stratified")
        shares = self.shares()
        if self.balanced:  # the classes that get one more are chosen at random each epoch
            base = self.num_samples // len(shares)
            extra = self.num_samples - base * len(shares)
            lucky = set(gen.permutation(len(shares))[:extra])
            shares = {c: base + (k in lucky) for k, c in enumerate(shares)}
        per_class = [_draw(gen, self.classes[c], k) for c, k in shares.items() if k]
        return interleave(per_class, gen.uniforms(len(per_class)))


class GroupedSampler(_SeededSampler[int]):
    """Indices of one group kept together: groups in a random order (``shuffle_groups``),
    members of a group in a random order (``shuffle_within``), or both, or neither.

    Useful when samples of a group must stay adjacent (frames of a clip, turns of a dialog,
    pages of a document).

    Args:
        groups: the group of each sample (index ``i`` belongs to ``groups[i]``).
        shuffle_groups: visit the groups in a random order (else first appearance).
        shuffle_within: shuffle the members of each group (else index order).
        seed: root seed; ``None`` draws a fresh one.
    """

    def __init__(
        self,
        groups: Sequence[Hashable] | Any,
        shuffle_groups: bool = True,
        shuffle_within: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        self._groups = list(group_indices(groups, "groups").values())
        self.shuffle_groups = check_bool("shuffle_groups", shuffle_groups)
        self.shuffle_within = check_bool("shuffle_within", shuffle_within)

    def __len__(self) -> int:
        return sum(map(len, self._groups))

    def groups(self) -> list[list[int]]:
        """This epoch's groups, in order (does not move the epoch)."""
        gen = self._generator("grouped")
        groups = self._groups
        if self.shuffle_groups:
            groups = [groups[i] for i in gen.permutation(len(groups))]
        if self.shuffle_within:
            groups = [[g[i] for i in gen.permutation(len(g))] for g in groups]
        return [list(g) for g in groups]

    def _order(self) -> list[int]:
        return [i for g in self.groups() for i in g]
