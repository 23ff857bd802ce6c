"""Federated learning data: split a dataset among clients (IID, Dirichlet non-IID, label
shards) and weight their updates. Choosing clients per round is a sampler: see
:mod:`torsh_data.samplers`.

>>> from torsh_data.federated import partition_dirichlet
>>> parts = partition_dirichlet([0] * 50 + [1] * 50, num_clients=4, alpha=0.5, seed=1)
>>> sum(map(len, parts))
100
"""

from .._exports import publish as _publish
from ._federated import ClientInfo, FederatedDataset, aggregation_weights
from ._partition import partition_by_label_shards, partition_dirichlet, partition_iid

__all__ = [
    "ClientInfo",
    "FederatedDataset",
    "aggregation_weights",
    "partition_by_label_shards",
    "partition_dirichlet",
    "partition_iid",
]

_publish(globals())
