"""DataLoader: sampler -> fetch -> collate, iterated with ``for`` or ``async for``."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..collate import default_collate, default_convert
from ..datasets import _is_iterable_dataset
from ..random import SampleStreams, fresh_seed
from ..samplers import BatchSampler, RandomSampler, SequentialSampler
from ._executor import Executor, SerialExecutor
from ._fetch import Fetcher, IterableFetcher, MapFetcher

__all__ = ["DataLoader"]


class DataLoader:
    """Batches from a dataset, with the arguments of ``torch.utils.data.DataLoader``.

    Each iteration is a new epoch; the order and every sample's random stream derive from
    ``(seed, epoch)``, so one seed gives the same batches on every runtime.

    Args:
        dataset: a map-style dataset (``__getitem__``/``__len__``) or an iterable one.
        batch_size: samples per batch, or ``None`` to yield samples one by one (converted
            with :func:`~torsh_data.default_convert` unless a ``collate_fn`` is given).
        shuffle: reshuffle each epoch (map-style datasets only).
        sampler: an iterable of indices, instead of ``shuffle``.
        batch_sampler: an iterable of index lists, instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        drop_last: drop a last batch smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default
            :func:`~torsh_data.default_collate`).
        seed: root seed; ``None`` draws a fresh one, kept in ``loader.seed``.
        executor: where batches are loaded; the default runs them in the calling thread.

    >>> from torsh_data import TensorDataset
    >>> loader = DataLoader(TensorDataset(list(range(6))), batch_size=4, shuffle=True, seed=1)
    >>> [len(x) for (x,) in loader]
    [4, 2]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        drop_last: bool = False,
        collate_fn: Callable[[Any], Any] | None = None,
        seed: int | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.dataset = dataset
        self.seed = fresh_seed() if seed is None else _check_seed(seed)
        self.executor: Executor = executor or SerialExecutor()
        self._iterable = _is_iterable_dataset(dataset)
        if not isinstance(drop_last, bool):
            raise DataTypeError(f"drop_last must be True or False, got {drop_last!r}")
        if shuffle not in (None, True, False):
            raise DataTypeError(f"shuffle must be True, False or None, got {shuffle!r}")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise DataValueError(
                f"batch_size must be a positive integer or None, got {batch_size!r}"
            )
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise DataValueError(
                "an iterable dataset has no indices, so shuffle, sampler and batch_sampler do not "
                "apply; shuffle inside the dataset (or use a map-style dataset)"
            )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise DataValueError(
                    "batch_sampler is mutually exclusive with batch_size, shuffle, sampler and "
                    "drop_last; pass only batch_sampler"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise DataValueError(
                "drop_last needs a batch_size; batch_size=None yields single samples"
            )
        if sampler is not None and shuffle:
            raise DataValueError(
                "sampler and shuffle=True together: the sampler decides the order; drop shuffle "
                "or pass RandomSampler as the sampler"
            )
        self._own_sampler = False
        if not self._iterable and sampler is None:
            if shuffle:
                sampler = RandomSampler(dataset, seed=self.seed)
                self._own_sampler = True
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)
        self._next_epoch = 0

    @property
    def epoch(self) -> int:
        """The epoch the next iteration will produce."""
        return self._next_epoch

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce ``epoch`` (its order and random streams)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise DataValueError(f"epoch must be an integer >= 0, got {epoch!r}")
        self._next_epoch = epoch

    def __len__(self) -> int:
        if not self._iterable:
            index_source = self.batch_sampler if self.batch_sampler is not None else self.sampler
            return len(index_source)
        try:
            n = len(self.dataset)
        except TypeError:
            raise DataTypeError(
                f"{type(self.dataset).__name__} has no length, so neither has this loader"
            ) from None
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _start_epoch(self) -> tuple[Fetcher, Iterator[Any]]:
        epoch = self._next_epoch
        self._next_epoch += 1
        streams = SampleStreams(self.seed, epoch)
        if self._iterable:
            fetcher: Fetcher = IterableFetcher(
                self.dataset, self.collate_fn, streams, self.batch_size, self.drop_last
            )
            return fetcher, _count()
        if self._own_sampler:
            self.sampler.set_epoch(epoch)
        batched = self.batch_sampler is not None
        fetcher = MapFetcher(self.dataset, self.collate_fn, streams, auto_collation=batched)
        return fetcher, iter(self.batch_sampler if batched else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        fetcher, tasks = self._start_epoch()
        return self.executor.run(fetcher, tasks)

    def __aiter__(self) -> AsyncIterator[Any]:
        fetcher, tasks = self._start_epoch()
        return self.executor.arun(fetcher, tasks)


def _count() -> Iterator[int]:
    n = 0
    while True:
        yield n
        n += 1


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DataTypeError(f"seed must be an int or None, got {seed!r}")
    return seed
