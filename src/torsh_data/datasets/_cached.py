"""Datasets that wrap another: a memoising cache, and endless or repeated passes.

>>> import itertools
>>> from torsh_data import TensorDataset
>>> ds = CachedDataset(TensorDataset([10, 20, 30]))
>>> _ = ds[0], ds[0], ds[1]
>>> ds.hits, ds.misses, round(ds.hit_rate, 3)
(1, 2, 0.333)
>>> [x.item() for (x,) in itertools.islice(RepeatDataset(TensorDataset([1, 2])), 5)]
[1, 2, 1, 2, 1]
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, NamedTuple

from .._checks import check_bool, check_int
from .._errors import DataIndexError, DataTypeError
from ..random import Generator, derive_seed, fresh_seed
from ._base import Dataset, IterableDataset, _is_iterable_dataset

__all__ = ["CacheInfo", "CachedDataset", "RepeatDataset"]


class CacheInfo(NamedTuple):
    """What :meth:`CachedDataset.cache_info` reports (as ``functools.lru_cache`` does)."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int


class CachedDataset(Dataset[Any]):
    """Memoise the samples of a map-style dataset, least recently used out first.

    Args:
        dataset: a map-style dataset whose samples are expensive to make (decoded images,
            parsed records) and the same on every call.
        maxsize: most samples kept (``None``: all of them).

    Put it *below* random transforms (``TransformDataset(CachedDataset(decoded), augment)``):
    a cached sample is returned as it was first made. With loader workers, each worker
    process keeps its own cache (persistent workers keep theirs across epochs).
    """

    def __init__(self, dataset: Dataset[Any], maxsize: int | None = None) -> None:
        if _is_iterable_dataset(dataset):
            raise DataTypeError(
                "CachedDataset takes a map-style dataset; an iterable one has no indices to cache"
            )
        self.dataset = dataset
        self.maxsize = None if maxsize is None else check_int("maxsize", maxsize, 1)
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise DataIndexError(f"index {index!r} is out of range for a dataset of length {n}")
        index %= n
        cache = self._cache
        if index in cache:
            self.hits += 1
            cache.move_to_end(index)
            return cache[index]
        self.misses += 1
        sample = self.dataset[index]
        cache[index] = sample
        if self.maxsize is not None and len(cache) > self.maxsize:
            cache.popitem(last=False)
        return sample

    @property
    def hit_rate(self) -> float:
        """Hits over lookups (0.0 before the first lookup)."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0

    def cache_info(self) -> CacheInfo:
        """Hits, misses, maxsize and current size."""
        return CacheInfo(self.hits, self.misses, self.maxsize, len(self._cache))

    def clear_cache(self) -> None:
        """Drop every cached sample and reset the counters."""
        self._cache.clear()
        self.hits = self.misses = 0


class RepeatDataset(IterableDataset[Any]):
    """Pass over a dataset again and again: ``times`` passes, or forever (``None``).

    A map-style dataset is read in index order, or with ``shuffle=True`` in a fresh
    permutation each pass, drawn from ``(seed, pass)`` so the stream is the same on every
    runtime. An iterable dataset is iterated anew each pass. An endless stream has no length;
    give a loader a consumer that stops (``itertools.islice``, a step count).

    Args:
        dataset: a map-style or iterable dataset (an empty one gives an empty stream).
        times: number of passes, ``None`` for endless.
        shuffle: reshuffle a map-style dataset on each pass.
        seed: root of the shuffles (``None``: a fresh one, kept in ``self.seed``).
    """

    def __init__(
        self,
        dataset: Any,
        times: int | None = None,
        shuffle: bool = False,
        seed: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.times = None if times is None else check_int("times", times, 0)
        self.shuffle = check_bool("shuffle", shuffle)
        self._iterable = _is_iterable_dataset(dataset)
        if self.shuffle and self._iterable:
            raise DataTypeError(
                "shuffle=True needs a map-style dataset; shuffle a stream with "
                "DataPipeline(...).shuffle(buffer_size)"
            )
        self.seed = fresh_seed() if seed is None else check_int("seed", seed)

    def __len__(self) -> int:
        if self.times is None:
            raise DataTypeError("an endless RepeatDataset has no length; give times=")
        return self.times * len(self.dataset)

    def _one_pass(self, rep: int) -> Iterator[Any]:
        if self._iterable:
            return iter(self.dataset)
        n = len(self.dataset)
        if self.shuffle:
            order = Generator(derive_seed(self.seed, "repeat", rep)).permutation(n)
            return (self.dataset[i] for i in order)
        return (self.dataset[i] for i in range(n))

    def __iter__(self) -> Iterator[Any]:
        passes = itertools.count() if self.times is None else range(self.times)
        for rep in passes:
            empty = True
            for sample in self._one_pass(rep):
                empty = False
                yield sample
            if empty:  # an empty dataset repeated forever is still empty, not a hang
                return
