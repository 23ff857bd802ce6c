"""A dataset split among clients, and the weights for averaging their updates."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import DataIndexError, DataValueError
from ..datasets import Subset
from ._partition import partition_by_label_shards, partition_dirichlet, partition_iid

__all__ = ["ClientInfo", "FederatedDataset", "aggregation_weights"]


@dataclass(frozen=True)
class ClientInfo:
    """A client's id, its number of samples and its label counts (when labels are known)."""

    id: int
    size: int
    label_counts: dict[Any, int] = field(default_factory=dict)


class FederatedDataset:
    """``dataset`` split among clients: ``fd.client(k)`` is client ``k``'s
    :class:`~torsh_data.Subset`, ``fd.clients`` their :class:`ClientInfo`.

    Build one from a partition (a list of index lists) or with :meth:`iid`,
    :meth:`dirichlet` or :meth:`label_shards`.

    >>> from torsh_data import TensorDataset
    >>> ds = TensorDataset(list(range(8)), [0, 0, 0, 0, 1, 1, 1, 1])
    >>> fd = FederatedDataset.label_shards(ds, ds.tensors[1].tolist(), num_clients=2, shards_per_client=1, seed=0)
    >>> sorted(list(c.label_counts.items()) for c in fd.clients)
    [[(0, 4)], [(1, 4)]]
    """

    def __init__(
        self, dataset: Any, partition: Sequence[Sequence[int]], labels: Sequence[Any] | None = None
    ) -> None:
        n = len(dataset)
        seen: set[int] = set()
        for k, part in enumerate(partition):
            for i in part:
                if not (isinstance(i, int) and 0 <= i < n):
                    raise DataIndexError(
                        f"client {k}: index {i!r} is outside the dataset's {n} samples"
                    )
                if i in seen:
                    raise DataValueError(f"client {k}: index {i} is also given to another client")
                seen.add(i)
        self.dataset, self.partition = dataset, [list(p) for p in partition]
        ys = None if labels is None else list(labels)
        self.clients = [
            ClientInfo(
                k,
                len(p),
                dict(sorted(Counter(ys[i] for i in p).items(), key=lambda kv: repr(kv[0])))
                if ys
                else {},
            )
            for k, p in enumerate(self.partition)
        ]

    def __len__(self) -> int:
        return len(self.partition)

    def client(self, k: int) -> Subset[Any]:
        """Client ``k``'s samples."""
        if not 0 <= k < len(self.partition):
            raise DataIndexError(f"client {k} out of range for {len(self.partition)} clients")
        return Subset(self.dataset, self.partition[k])

    @classmethod
    def iid(
        cls,
        dataset: Any,
        num_clients: int,
        seed: int | None = None,
        labels: Sequence[Any] | None = None,
    ) -> FederatedDataset:
        """An IID split (:func:`partition_iid`)."""
        return cls(dataset, partition_iid(len(dataset), num_clients, seed), labels)

    @classmethod
    def dirichlet(
        cls,
        dataset: Any,
        labels: Sequence[Any],
        num_clients: int,
        alpha: float,
        seed: int | None = None,
        min_size: int = 0,
    ) -> FederatedDataset:
        """A Dirichlet label-skew split (:func:`partition_dirichlet`)."""
        return cls(dataset, partition_dirichlet(labels, num_clients, alpha, seed, min_size), labels)

    @classmethod
    def label_shards(
        cls,
        dataset: Any,
        labels: Sequence[Any],
        num_clients: int,
        shards_per_client: int = 2,
        seed: int | None = None,
    ) -> FederatedDataset:
        """A label-shard split (:func:`partition_by_label_shards`)."""
        return cls(
            dataset, partition_by_label_shards(labels, num_clients, shards_per_client, seed), labels
        )


def aggregation_weights(
    sizes: Sequence[int],
    strategy: str = "weighted",
    custom: Callable[[int, int], float] | Sequence[float] | None = None,
) -> list[float]:
    """Weights summing to 1 for averaging client updates: ``"weighted"`` by data size
    (FedAvg), ``"uniform"``, or ``"custom"`` (a list of non-negative weights or a function of
    ``(client, size)``, normalised).

    >>> aggregation_weights([10, 30])
    [0.25, 0.75]
    """
    if not sizes or any(not isinstance(s, int) or s < 0 for s in sizes):
        raise DataValueError("aggregation_weights needs one size >= 0 per client")
    if strategy == "weighted":
        raw = [float(s) for s in sizes]
    elif strategy == "uniform":
        raw = [1.0] * len(sizes)
    elif strategy == "custom":
        if custom is None:
            raise DataValueError("strategy 'custom' needs custom= weights or a function")
        raw = (
            [float(custom(k, s)) for k, s in enumerate(sizes)]
            if callable(custom)
            else [float(w) for w in custom]
        )
        if len(raw) != len(sizes):
            raise DataValueError(f"{len(raw)} custom weights for {len(sizes)} clients")
    else:
        raise DataValueError(
            f"strategy must be 'weighted', 'uniform' or 'custom', not {strategy!r}"
        )
    if any(not math.isfinite(w) or w < 0 for w in raw):
        raise DataValueError("weights must be finite and >= 0")
    total = math.fsum(raw)
    if total <= 0:
        raise DataValueError("the weights sum to 0 (no client has data)")
    return [w / total for w in raw]
