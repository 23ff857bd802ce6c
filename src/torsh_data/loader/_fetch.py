"""Fetchers turn one task into one batch: indices into samples into a collated batch.

A fetcher holds everything needed to make batches from tasks and nothing about order, so an
executor (the main thread now, worker processes or Web Workers later) can run it anywhere.
Map-style tasks are lists of indices (or one index without batching); iterable-style tasks
are batch numbers and the fetcher pulls the next samples from its own stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import DataTypeError
from ..collate import default_collate
from ..random import SampleStreams

__all__ = ["Exhausted", "Fetcher", "IterableFetcher", "MapFetcher"]


class Exhausted(Exception):
    """Raised by an iterable fetcher when its stream has no more batches."""


class Fetcher:
    """Base: ``fetch(task)`` and ``await afetch(task)`` give one batch."""

    def __init__(
        self, dataset: Any, collate_fn: Callable[[Any], Any], streams: SampleStreams
    ) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.streams = streams

    def fetch(self, task: Any) -> Any:
        raise NotImplementedError

    async def afetch(self, task: Any) -> Any:
        return self.fetch(task)


class MapFetcher(Fetcher):
    """Fetch ``dataset[i]`` for each index of the task, each in its own random stream.

    With ``auto_collation`` a task is a list of indices, collated into one batch; without, a
    task is one index and its sample is passed to ``collate_fn`` alone.
    """

    def __init__(
        self,
        dataset: Any,
        collate_fn: Callable[[Any], Any],
        streams: SampleStreams,
        auto_collation: bool,
    ) -> None:
        super().__init__(dataset, collate_fn, streams)
        self.auto_collation = auto_collation
        self.batched_fetch = (
            getattr(dataset, "__getbatch__", None) if collate_fn is default_collate else None
        )

    def fetch(self, task: Any) -> Any:
        ds, streams = self.dataset, self.streams
        with streams:
            if not self.auto_collation:
                streams.at(task)
                return self.collate_fn(ds[task])
            if self.batched_fetch is not None:  # NOTE [ Batched fetch ] in datasets.py
                batch = self.batched_fetch(task)
                if batch is not NotImplemented:
                    return batch
            getitems = getattr(ds, "__getitems__", None)
            if getitems is not None:
                streams.at(f"items:{task[0]}" if task else "items")
                samples = list(getitems(task))
            else:
                samples = []
                for i in task:
                    streams.at(i)
                    samples.append(ds[i])
        return self.collate_fn(samples)


class IterableFetcher(Fetcher):
    """Pull the next ``batch_size`` samples from the dataset's stream; the sample index is the
    position in the stream."""

    def __init__(
        self,
        dataset: Any,
        collate_fn: Callable[[Any], Any],
        streams: SampleStreams,
        batch_size: int | None,
        drop_last: bool,
    ) -> None:
        super().__init__(dataset, collate_fn, streams)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._it: Any = None
        self._ait: Any = None
        self._position = 0
        self._to_skip = 0
        self._done = False

    def _batch_from(self, samples: list[Any]) -> Any:
        if self.batch_size is None:
            if not samples:
                raise Exhausted
            return self.collate_fn(samples[0])
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            raise Exhausted
        return self.collate_fn(samples)

    def skip(self, batches: int) -> None:
        """Pass over the samples of the first ``batches`` batches without collating them
        (the resume of a stream that cannot seek); done lazily, before the next fetch."""
        self._to_skip = batches * (self.batch_size or 1)

    def _skip_now(self) -> None:
        with self.streams as streams:
            while self._to_skip and not self._done:
                streams.at(self._position)
                try:
                    next(self._it)
                except StopIteration:
                    self._done = True
                    return
                self._position += 1
                self._to_skip -= 1

    async def _askip_now(self) -> None:
        with self.streams as streams:
            while self._to_skip and not self._done:
                streams.at(self._position)
                try:
                    await self._ait.__anext__()
                except StopAsyncIteration:
                    self._done = True
                    return
                self._position += 1
                self._to_skip -= 1

    def _open(self) -> None:
        if self._it is None:
            if not hasattr(self.dataset, "__iter__"):
                raise DataTypeError(
                    f"{type(self.dataset).__name__} can only be read asynchronously; "
                    "iterate the loader with 'async for'"
                )
            self._it = iter(self.dataset)

    def fetch(self, task: Any) -> Any:
        self._open()
        self._skip_now()
        if self._done:
            raise Exhausted
        want = self.batch_size or 1
        samples: list[Any] = []
        with self.streams as streams:
            for _ in range(want):
                streams.at(self._position)
                try:
                    samples.append(next(self._it))
                except StopIteration:
                    self._done = True
                    break
                self._position += 1
        return self._batch_from(samples)

    async def afetch(self, task: Any) -> Any:
        if not hasattr(self.dataset, "__aiter__"):
            return self.fetch(task)
        if self._ait is None:
            self._ait = self.dataset.__aiter__()
        await self._askip_now()
        if self._done:
            raise Exhausted
        samples: list[Any] = []
        with self.streams as streams:
            for _ in range(self.batch_size or 1):
                streams.at(self._position)
                try:
                    samples.append(await self._ait.__anext__())
                except StopAsyncIteration:
                    self._done = True
                    break
                self._position += 1
        return self._batch_from(samples)
