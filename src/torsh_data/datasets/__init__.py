"""Datasets: torch's protocols and combinators, and the wrappers a data pipeline needs.

A map-style dataset has ``__getitem__`` and ``__len__``; an iterable dataset has ``__iter__``
(and may have ``__aiter__`` for sources that are only reachable asynchronously). Beyond
torch's set: a memoising cache, repeated passes, a push-fed real-time stream, a pipeline of
streaming stages, memory-mapped and shared-memory datasets, a profiler and statistics.

>>> from torsh_data.datasets import DataPipeline, TensorDataset, random_split
>>> ds = TensorDataset([[1, 2], [3, 4], [5, 6]], [0, 1, 0])
>>> train, test = random_split(ds, [2, 1], seed=0)
>>> len(train), len(test)
(2, 1)
>>> [y.item() for _, y in DataPipeline(ds).filter(lambda s: s[1].item() == 0)]
[0, 0]
"""

from .._exports import publish as _publish
from ._base import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    ShardByRank,
    StackDataset,
    Subset,
    TensorDataset,
    TransformDataset,
    random_split,
)
from ._base import _is_iterable_dataset as _is_iterable_dataset  # used by the loader
from ._cached import CachedDataset, CacheInfo, RepeatDataset
from ._memory import MemoryMappedDataset, SharedMemoryDataset
from ._pipeline import DataPipeline
from ._profile import (
    DatasetProfiler,
    DatasetProfileStats,
    FeatureStats,
    ProfiledDataset,
    dataset_statistics,
)
from ._realtime import RealTimeDataset

__all__ = [
    "CacheInfo",
    "CachedDataset",
    "ChainDataset",
    "ConcatDataset",
    "DataPipeline",
    "Dataset",
    "DatasetProfileStats",
    "DatasetProfiler",
    "FeatureStats",
    "IterableDataset",
    "MemoryMappedDataset",
    "ProfiledDataset",
    "RealTimeDataset",
    "RepeatDataset",
    "ShardByRank",
    "SharedMemoryDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "TransformDataset",
    "dataset_statistics",
    "random_split",
]

_publish(globals())
