"""Fetchers turn one task into one batch: indices into samples into a collated batch.

A fetcher holds everything needed to make batches from tasks and nothing about order, so an
executor (the calling thread, or worker processes) can run it anywhere: ``spec()`` is its
small picklable configuration and :func:`build_fetcher` rebuilds it around a worker's own
copy of the dataset. Map-style tasks are lists of indices (or one index without batching).
Iterable-style tasks are batch numbers: batch ``b`` holds stream samples ``b*size`` to
``(b+1)*size - 1``, so a fetcher given only some batch numbers (a worker's share, or a
resumed epoch) passes over the samples in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .._errors import DataTypeError
from .._worker_info import dataset_splits_stream
from ..collate import default_collate
from ..random import SampleStreams

__all__ = ["Exhausted", "Fetcher", "IterableFetcher", "MapFetcher", "build_fetcher", "finisher"]


class Exhausted(Exception):
    """Raised by an iterable fetcher when its stream has no more batches."""


class Fetcher:
    """Base: ``fetch(task)`` and ``await afetch(task)`` give one batch."""

    kind = ""

    def __init__(
        self, dataset: Any, collate_fn: Callable[[Any], Any], seed: int, epoch: int
    ) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.seed, self.epoch = seed, epoch
        self.streams = SampleStreams(seed, epoch)

    def spec(self) -> tuple[str, int, int, dict[str, Any]]:
        """``(kind, seed, epoch, params)``: enough, with a dataset and a collate_fn, to
        rebuild this fetcher elsewhere (see :func:`build_fetcher`)."""
        return self.kind, self.seed, self.epoch, self.params()

    def params(self) -> dict[str, Any]:
        return {}

    def fetch(self, task: Any) -> Any:
        raise NotImplementedError

    async def afetch(self, task: Any) -> Any:
        return self.fetch(task)


class MapFetcher(Fetcher):
    """Fetch ``dataset[i]`` for each index of the task, each in its own random stream.

    With ``auto_collation`` a task is a list of indices, collated into one batch; without, a
    task is one index and its sample is passed to ``collate_fn`` alone.

    A dataset with ``__getbatch__`` (NOTE [ Batched fetch ] in :mod:`torsh_data.datasets`)
    makes the whole batch when ``collate_fn`` is ``default_collate``, or is ``finish`` after
    it (``collate_fn.after_default_collate``, as :class:`~torsh_data.transforms.BatchTransform`
    says); one with ``batch_streams = True`` is handed this fetcher's streams, so its random
    draws are the samples' ``(seed, epoch, index)`` streams. A dataset's own ``__getitems__``
    gets the whole batch in one stream (it cannot be split per sample), unless the dataset
    says ``getitems_per_sample`` (a :class:`~torsh_data.Subset` over a dataset without one).
    """

    kind = "map"

    def __init__(
        self,
        dataset: Any,
        collate_fn: Callable[[Any], Any],
        seed: int,
        epoch: int,
        auto_collation: bool,
    ) -> None:
        super().__init__(dataset, collate_fn, seed, epoch)
        self.auto_collation = auto_collation
        self.finish = None if collate_fn is default_collate else finisher(collate_fn)
        lifted = collate_fn is default_collate or self.finish is not None
        self.batched_fetch = getattr(dataset, "__getbatch__", None) if lifted else None
        self.batch_streams = bool(getattr(dataset, "batch_streams", False))

    def params(self) -> dict[str, Any]:
        return {"auto_collation": self.auto_collation}

    def fetch(self, task: Any) -> Any:
        ds, streams = self.dataset, self.streams
        with streams:
            if not self.auto_collation:
                streams.at(task)
                return self.collate_fn(ds[task])
            if self.batched_fetch is not None:  # NOTE [ Batched fetch ] in datasets.py
                if self.batch_streams:
                    batch = self.batched_fetch(task, streams)
                else:
                    batch = self.batched_fetch(task)
                if batch is not NotImplemented:
                    return batch if self.finish is None else self.finish(batch)
            getitems = getattr(ds, "__getitems__", None)
            if getitems is not None and not getattr(ds, "getitems_per_sample", False):
                streams.at(f"items:{task[0]}" if task else "items")
                samples = list(getitems(task))
            else:
                samples = []
                for i in task:
                    streams.at(i)
                    samples.append(ds[i])
        return self.collate_fn(samples)


def finisher(collate_fn: Any) -> Callable[[Any], Any] | None:
    """``f`` when ``collate_fn`` says it is ``f(default_collate(samples))``, else None."""
    finish = getattr(collate_fn, "after_default_collate", None)
    return finish if callable(finish) else None


class IterableFetcher(Fetcher):
    """Batch ``task`` of the dataset's stream; a sample's index is its position in the stream.

    With ``follow_tasks=False`` (a dataset that splits its stream between workers itself)
    the task number is ignored and the next batch of this copy's stream is returned. With
    ``follow_tasks=None`` the first sample decides: if getting it made the dataset read what
    splitting needs (NOTE [ Who splits an iterable stream ] in ``torsh_data/_worker_info.py``),
    the stream is taken as the dataset split it, otherwise tasks are followed.
    """

    kind = "iterable"

    def __init__(
        self,
        dataset: Any,
        collate_fn: Callable[[Any], Any],
        seed: int,
        epoch: int,
        batch_size: int | None,
        drop_last: bool,
        follow_tasks: bool | None = True,
    ) -> None:
        super().__init__(dataset, collate_fn, seed, epoch)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.follow_tasks = follow_tasks
        self._it: Any = None
        self._ait: Any = None
        self._position = 0
        self._done = False

    def params(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "drop_last": self.drop_last,
            "follow_tasks": self.follow_tasks,
        }

    def _target(self, task: int) -> int | None:
        """The stream position this task's batch starts at (None: decided by the first sample)."""
        if self.follow_tasks is None:
            return None
        return task * (self.batch_size or 1) if self.follow_tasks else self._position

    def _decide(self, task: int) -> int:
        """After this copy's first sample (or its end, or error): who splits is known now."""
        self.follow_tasks = not dataset_splits_stream()
        return self._target(task)  # type: ignore[return-value]

    def _batch_from(self, samples: list[Any]) -> Any:
        if self.batch_size is None:
            if not samples:
                raise Exhausted
            return self.collate_fn(samples[0])
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            raise Exhausted
        return self.collate_fn(samples)

    def fetch(self, task: Any) -> Any:
        if self._it is None:
            if not hasattr(self.dataset, "__iter__"):
                raise DataTypeError(
                    f"{type(self.dataset).__name__} can only be read asynchronously; "
                    "iterate the loader with 'async for'"
                )
            self._it = iter(self.dataset)
        it = self._it

        async def pull() -> Any:
            return next(it, _END)

        step = self._collect(task, pull)
        try:  # pull never suspends, so the coroutine finishes in one step
            step.send(None)
        except StopIteration as done:
            return done.value
        raise AssertionError("IterableFetcher.fetch suspended")  # pragma: no cover

    async def afetch(self, task: Any) -> Any:
        if not hasattr(self.dataset, "__aiter__"):
            return self.fetch(task)
        if self._ait is None:
            self._ait = self.dataset.__aiter__()
        ait = self._ait

        async def pull() -> Any:
            try:
                return await ait.__anext__()
            except StopAsyncIteration:
                return _END

        return await self._collect(task, pull)

    async def _collect(self, task: int, pull: Callable[[], Awaitable[Any]]) -> Any:
        """The batch of ``task``: samples from ``pull()`` (``_END`` at the stream's end)."""
        target, want = self._target(task), self.batch_size or 1
        samples: list[Any] = []
        with self.streams as streams:
            while not self._done and len(samples) < want:
                streams.at(self._position)
                try:
                    sample = await pull()
                except Exception:
                    if target is None:
                        target = self._decide(task)
                    self._position += 1  # the sample's place is used, as without workers
                    if self._position > target:
                        raise
                    continue  # another batch's sample: its worker reports the error
                if target is None:
                    target = self._decide(task)
                if sample is _END:
                    self._done = True
                    break
                if self._position >= target:  # earlier samples belong to others' batches
                    samples.append(sample)
                self._position += 1
        return self._batch_from(samples)


_END = object()  # the end of an iterable fetcher's stream


_KINDS: dict[str, type[Fetcher]] = {"map": MapFetcher, "iterable": IterableFetcher}


def build_fetcher(
    spec: tuple[str, int, int, dict[str, Any]], dataset: Any, collate_fn: Callable[[Any], Any]
) -> Fetcher:
    """Rebuild a fetcher from its :meth:`Fetcher.spec` around ``dataset``."""
    kind, seed, epoch, params = spec
    return _KINDS[kind](dataset, collate_fn, seed, epoch, **params)
