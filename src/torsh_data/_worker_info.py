"""Which worker is loading, for datasets that split their own work.

At the bottom of the package (it imports only ``random`` and ``_interop``), so datasets,
formats and io read :func:`get_worker_info` without importing the loader; the loader's
workers set it up with :func:`enter_worker`. Public as ``torsh_data.get_worker_info`` and
``torsh_data.loader.get_worker_info``.

NOTE [ Who splits an iterable stream ]: torch's recipe for an ``IterableDataset`` with
workers is that the dataset splits its stream itself, reading :func:`get_worker_info` in
``__iter__`` (or in ``worker_init_fn``, by changing ``info.dataset``); every worker then
yields its own share. A dataset that does not do so is split by the loader instead, by batch
number, so the batches are those of ``num_workers=0``. Which of the two applies is seen, not
declared: a worker notes when the dataset reads the fields a split needs (``id`` or
``num_workers`` while iterating, ``dataset`` in ``worker_init_fn``; reading only ``seed``
does not count, nor does anything ``worker_init_fn`` reads but ``dataset``). A dataset can
also say it outright with the class attribute ``worker_sharding = "dataset"`` or
``"batches"``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ._interop import loaded_torch
from .random import derive_seed

__all__ = ["WorkerInfo", "enter_worker", "get_worker_info", "worker_base_seed"]

_info: WorkerInfo | None = None
_in_init = False  # worker_init_fn is running
_split_seen = False  # the dataset read what splitting a stream needs (NOTE above)


class WorkerInfo:
    """What a dataset copy running inside a loader worker knows about its worker.

    Attributes:
        id: this worker's number, ``0 .. num_workers - 1``.
        num_workers: how many workers the loader runs.
        seed: this worker's own seed: a base seed plus ``id``, as torch's, the base derived
            from the loader's seed and the epoch the workers start in (see
            :func:`worker_base_seed`).
        dataset: this worker's copy of the dataset.
    """

    __slots__ = ("_dataset", "_id", "_num_workers", "seed")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self._id, self._num_workers, self.seed, self._dataset = id, num_workers, seed, dataset

    @property
    def id(self) -> int:
        _note(False)
        return self._id

    @property
    def num_workers(self) -> int:
        _note(False)
        return self._num_workers

    @property
    def dataset(self) -> Any:
        _note(True)
        return self._dataset

    def __repr__(self) -> str:
        return (
            f"WorkerInfo(id={self._id}, num_workers={self._num_workers}, seed={self.seed}, "
            f"dataset={type(self._dataset).__name__})"
        )


def _note(is_dataset: bool) -> None:
    global _split_seen
    if is_dataset or not _in_init:
        _split_seen = True


def get_worker_info() -> WorkerInfo | None:
    """The current worker's :class:`WorkerInfo`, or ``None`` in the main process/thread.

    An iterable dataset that reads ``info.id``/``info.num_workers`` here splits its stream
    itself, as in torch; see NOTE [ Who splits an iterable stream ].
    """
    return _info


def worker_base_seed(loader_seed: int, epoch: int) -> int:
    """The base seed of workers started for ``epoch`` (worker ``i`` gets ``base + i``)."""
    return derive_seed(loader_seed, "worker", epoch)


def enter_worker(
    worker_id: int,
    num_workers: int,
    base_seed: int,
    dataset: Any,
    init_fn: Callable[[int], None] | None,
) -> None:
    """Set up this process (or Web Worker) as worker ``worker_id`` as torch's workers are set
    up: :func:`get_worker_info`; ``random`` and, when torch is imported, torch's generator
    seeded with ``base_seed + worker_id``; torch limited to one thread (a forked thread pool
    can deadlock); then ``worker_init_fn``."""
    global _info, _in_init, _split_seen
    seed = (base_seed + worker_id) % 2**64
    _info, _split_seen = WorkerInfo(worker_id, num_workers, seed, dataset), False
    random.seed(seed)
    torch = loaded_torch()
    if torch is not None:
        torch.set_num_threads(1)
        torch.manual_seed(seed)
    if init_fn is None:
        return
    _in_init = True
    try:
        init_fn(worker_id)
    finally:
        _in_init = False


def dataset_splits_stream() -> bool:
    """Whether, in a worker, the dataset (or ``worker_init_fn``) read what splitting its
    stream needs."""
    return _info is not None and _split_seen
