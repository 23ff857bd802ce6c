"""Rank and world size of the running process, from torch.distributed or torchrun."""

from __future__ import annotations

import os
import sys

from ._errors import DataValueError

__all__ = ["distributed_defaults"]


def distributed_defaults() -> tuple[int, int]:
    """``(world_size, rank)`` from torch.distributed, torchrun's variables, or ``(1, 0)``."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    world, rank = os.environ.get("WORLD_SIZE"), os.environ.get("RANK")
    try:
        return (int(world) if world else 1), (int(rank) if rank else 0)
    except ValueError:
        raise DataValueError(
            f"cannot read WORLD_SIZE={world!r} / RANK={rank!r} as integers; fix the environment "
            "or pass num_replicas and rank"
        ) from None
