"""Which worker is loading, for datasets that split their own work."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["WorkerInfo", "enter_worker", "get_worker_info"]


@dataclass(frozen=True)
class WorkerInfo:
    """What a dataset copy running inside a loader worker knows about its worker.

    ``seed`` is this worker's own seed (the loader's seed plus the worker id, as torch's):
    Python's ``random`` and, when torch is imported, torch's global generator start from it
    in the worker, so random transforms written with them differ between workers.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any


_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's :class:`WorkerInfo`, or ``None`` in the main process/thread."""
    return _info


def enter_worker(worker_id: int, num_workers: int, loader_seed: int, dataset: Any) -> WorkerInfo:
    """Called first in every worker: set :func:`get_worker_info` and seed the global random
    generators a dataset may use (``random``; torch's, if torch is imported) as torch's
    workers do, with ``loader_seed + worker_id``."""
    global _info
    seed = (loader_seed + worker_id) % 2**64
    _info = WorkerInfo(worker_id, num_workers, seed, dataset)
    random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
    return _info
