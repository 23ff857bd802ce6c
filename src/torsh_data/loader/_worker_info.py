"""Which worker is loading, for datasets that split their own work."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import Any

from ..random import derive_seed

__all__ = ["WorkerInfo", "enter_worker", "get_worker_info", "worker_base_seed"]


@dataclass(frozen=True)
class WorkerInfo:
    """What a dataset copy running inside a loader worker knows about its worker.

    ``seed`` is this worker's own seed: a base seed plus the worker id, as torch's, where
    the base derives from the loader's seed and the epoch the workers start in (so workers
    started for a new epoch get new seeds, as torch's do). Python's ``random`` and, when
    torch is imported, torch's global generator start from it in the worker, so random
    transforms written with them differ between workers and between epochs.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any


_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's :class:`WorkerInfo`, or ``None`` in the main process/thread."""
    return _info


def worker_base_seed(loader_seed: int, epoch: int) -> int:
    """The base seed of workers started for ``epoch`` (worker ``i`` gets ``base + i``)."""
    return derive_seed(loader_seed, "worker", epoch)


def enter_worker(worker_id: int, num_workers: int, base_seed: int, dataset: Any) -> WorkerInfo:
    """Called first in every worker: set :func:`get_worker_info` and seed the global random
    generators a dataset may use (``random``; torch's, if torch is imported) as torch's
    workers do, with ``base_seed + worker_id``."""
    global _info
    seed = (base_seed + worker_id) % 2**64
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
    return _info
