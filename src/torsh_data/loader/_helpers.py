"""Helpers around the loader: a sensible worker count, and pinning batches for a GPU.

>>> optimal_worker_count(cpus=8)
7
>>> optimal_worker_count("inference", cpus=8)
8
>>> optimal_worker_count(cpus=1)
0
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from .._checks import check_int
from .._errors import DataValueError
from .._interop import optional_import
from .._runtime import IN_PYODIDE
from ..collate._output import map_leaves
from ..tensor import Tensor

__all__ = ["optimal_worker_count", "pin_memory"]

_MAX_WORKERS = 16


def _usable_cpus() -> int:
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        return process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def optimal_worker_count(purpose: str = "training", *, cpus: int | None = None) -> int:
    """A ``num_workers`` for :class:`~torsh_data.DataLoader` on this machine.

    Counts the CPUs this process may use (its affinity mask, not the machine's total).
    ``"training"`` leaves one for the main process, which runs the model step;
    ``"inference"`` uses them all. Capped at 16: past that, loading is rarely the
    bottleneck and each worker holds a copy of the dataset. In Pyodide there are no worker
    processes, so the answer is 0 (use :class:`~torsh_data.loader.WebWorkerExecutor` in a
    browser for parallel loading).

    Args:
        purpose: ``"training"`` or ``"inference"``.
        cpus: the CPU count to plan for (default: this process's usable CPUs).
    """
    if purpose not in ("training", "inference"):
        raise DataValueError(f"purpose must be 'training' or 'inference', got {purpose!r}")
    if cpus is None:
        if IN_PYODIDE:
            return 0
        cpus = _usable_cpus()
    check_int("cpus", cpus, 1)
    workers = cpus - 1 if purpose == "training" else cpus
    return max(0, min(workers, _MAX_WORKERS))


_warned_no_accelerator = False


def pin_memory(batch: Any) -> Any:
    """The batch with every Tensor as a torch tensor in page-locked ("pinned") memory.

    Pinned host memory lets ``tensor.to("cuda", non_blocking=True)`` overlap the copy with
    compute. Use it on batches as they come: ``for x, y in map(pin_memory, loader): ...``.
    Mappings, tuples, named tuples and lists are rebuilt around the converted tensors; other
    values pass through.

    Needs torch (``pip install 'torsh-data[torch]'``); without an accelerator it warns once
    and returns unpinned torch tensors, as torch's DataLoader does. There is no pinned
    memory (nor torch) in the browser: there it raises
    :class:`~torsh_data.MissingExtraError`.
    """
    torch = optional_import("torch", "torch", "pin_memory")
    global _warned_no_accelerator
    can_pin = bool(torch.cuda.is_available())
    if not can_pin and not _warned_no_accelerator:
        _warned_no_accelerator = True
        warnings.warn(
            "pin_memory: no accelerator is available, so batches are torch tensors in "
            "ordinary memory",
            stacklevel=2,
        )
    return _convert(batch, torch, can_pin)


def _convert(obj: Any, torch: Any, can_pin: bool) -> Any:
    def pin(x: Any) -> Any:
        if isinstance(x, Tensor):
            x = x.torch()
        if isinstance(x, torch.Tensor):
            return x.pin_memory() if can_pin else x
        return x

    return map_leaves(obj, pin)
