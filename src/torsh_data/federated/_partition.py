"""Split a dataset among federated clients: IID, Dirichlet non-IID, label shards.

Every partition is a list of index lists, one per client: disjoint, and together every index
exactly once. Seeded: the same seed gives the same partition on every runtime.

>>> parts = partition_iid(10, num_clients=3, seed=0)
>>> sorted(len(p) for p in parts), sorted(i for p in parts for i in p) == list(range(10))
([3, 3, 4], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._checks import check_int
from .._distributions import dirichlet
from .._errors import DataValueError
from ..random import Generator, derive_seed, fresh_seed

__all__ = ["partition_by_label_shards", "partition_dirichlet", "partition_iid"]


def _gen(seed: int | None, purpose: str) -> Generator:
    return Generator(derive_seed(fresh_seed() if seed is None else seed, purpose))


def _labels(labels: Any) -> list[Any]:
    out = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    if not out:
        raise DataValueError("a partition needs at least one label")
    return out


def partition_iid(n: int, num_clients: int, seed: int | None = None) -> list[list[int]]:
    """``n`` indices shuffled and dealt into ``num_clients`` parts of sizes differing by at
    most one."""
    check_int("n", n, minimum=0)
    check_int("num_clients", num_clients, minimum=1)
    order = _gen(seed, "iid").permutation(n)
    return [sorted(order[c::num_clients]) for c in range(num_clients)]


def partition_dirichlet(
    labels: Sequence[Any],
    num_clients: int,
    alpha: float,
    seed: int | None = None,
    min_size: int = 0,
) -> list[list[int]]:
    """Non-IID label skew (Hsu et al., 2019): for each class, its samples are shuffled and
    split among the clients in proportions drawn from Dirichlet(``alpha``); small ``alpha``
    gives clients few classes, large ``alpha`` approaches IID. Draws are repeated (at most
    100 times) until every client has ``min_size`` samples."""
    check_int("num_clients", num_clients, minimum=1)
    check_int("min_size", min_size, minimum=0)
    if not (isinstance(alpha, (int, float)) and alpha > 0):
        raise DataValueError(f"alpha must be > 0, got {alpha!r}")
    ys = _labels(labels)
    if min_size * num_clients > len(ys):
        raise DataValueError(f"{len(ys)} samples cannot give {num_clients} clients {min_size} each")
    gen = _gen(seed, "dirichlet")
    classes = sorted(set(ys), key=repr)
    for _ in range(100):
        parts: list[list[int]] = [[] for _ in range(num_clients)]
        for c in classes:
            idx = [i for i, y in enumerate(ys) if y == c]
            idx = [idx[j] for j in gen.permutation(len(idx))]
            props = dirichlet(gen, [float(alpha)] * num_clients)
            cut, acc = [], 0.0
            for p in props[:-1]:
                acc += p
                cut.append(round(acc * len(idx)))
            for k, (a, b) in enumerate(zip([0, *cut], [*cut, len(idx)], strict=True)):
                parts[k] += idx[a:b]
        if min(len(p) for p in parts) >= min_size:
            return [sorted(p) for p in parts]
    raise DataValueError(
        f"no Dirichlet({alpha}) draw in 100 gave every client {min_size} samples; lower min_size"
    )


def partition_by_label_shards(
    labels: Sequence[Any], num_clients: int, shards_per_client: int = 2, seed: int | None = None
) -> list[list[int]]:
    """McMahan et al. (2017)'s pathological non-IID split: indices sorted by label (stable),
    cut into ``num_clients * shards_per_client`` equal shards, each client given
    ``shards_per_client`` shards at random (so most clients see only a few labels)."""
    check_int("num_clients", num_clients, minimum=1)
    check_int("shards_per_client", shards_per_client, minimum=1)
    ys = _labels(labels)
    shards = num_clients * shards_per_client
    if shards > len(ys):
        raise DataValueError(f"{shards} shards need at least {shards} samples, got {len(ys)}")
    order = sorted(range(len(ys)), key=lambda i: (repr(type(ys[i])), ys[i]))
    bounds = [len(order) * s // shards for s in range(shards + 1)]
    deal = _gen(seed, "shards").permutation(shards)
    return [
        sorted(
            i
            for s in deal[c * shards_per_client : (c + 1) * shards_per_client]
            for i in order[bounds[s] : bounds[s + 1]]
        )
        for c in range(num_clients)
    ]
