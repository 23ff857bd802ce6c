"""Helpers for testing pipelines: batch digests and the resume-from-every-step check.

>>> import torsh_data as td
>>> make = lambda: td.DataLoader(td.TensorDataset(list(range(10))), batch_size=3, shuffle=True, seed=1)
>>> check_resume(make, epochs=2)  # raises AssertionError naming the first step that differs
9
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from .tensor import Tensor

__all__ = ["batch_digest", "check_resume"]


def batch_digest(batch: Any) -> str:
    """A sha256 of a batch's structure and bytes: Tensors by dtype, shape and data; mappings,
    sequences and other values by their contents. Equal digests mean bit-identical batches."""
    h = hashlib.sha256()

    def feed(x: Any) -> None:
        if isinstance(x, Tensor):
            h.update(f"T{x.dtype}{x.shape}".encode())
            h.update(x._data)
        elif isinstance(x, dict):
            h.update(f"D{len(x)}".encode())
            for k in x:
                h.update(f"K{k!r}".encode())
                feed(x[k])
        elif isinstance(x, (list, tuple)):
            h.update(f"L{len(x)}".encode())
            for y in x:
                feed(y)
        else:
            h.update(f"V{x!r}".encode())

    feed(batch)
    return h.hexdigest()


def _run(loader: Any, epochs: int, stop_after: int | None) -> tuple[list[list[str]], int]:
    """Digests per epoch; with ``stop_after``, stop once that many batches were taken (the
    epoch in progress is the last list) and say in which epoch."""
    out: list[list[str]] = []
    taken = 0
    for e in range(epochs):
        out.append([])
        it = iter(loader)
        while True:
            if stop_after is not None and taken == stop_after:
                return out, e
            try:
                batch = next(it)
            except StopIteration:
                break
            out[-1].append(batch_digest(batch))
            taken += 1
    return out, epochs


def check_resume(make_loader: Callable[[], Any], epochs: int = 2) -> int:
    """Check that a loader resumes exactly from every step of ``epochs`` epochs.

    For every ``k``, a fresh loader from ``make_loader()`` hands out ``k`` batches; its
    ``state_dict()`` goes through JSON into another fresh loader, which must then produce
    exactly the batches, epoch by epoch, of an uninterrupted run. Returns the number of steps
    checked; raises ``AssertionError`` naming the first step that differs.
    """
    reference, _ = _run(make_loader(), epochs, None)
    total = sum(map(len, reference))
    for k in range(total + 1):
        first = make_loader()
        before, stopped = _run(first, epochs, k)
        state = json.loads(json.dumps(first.state_dict()))
        second = make_loader()
        second.load_state_dict(state)
        after, _ = _run(second, epochs - state["epoch"], None)
        combined = [list(x) for x in before]
        if state["epoch"] == stopped and combined:
            combined[-1] += after[0] if after else []
            combined += after[1:]
        else:
            combined += after
        if combined != reference:
            raise AssertionError(
                f"resuming after {k} batches (stopped in epoch {stopped}, state {state}) does "
                f"not continue the uninterrupted run: batches per epoch "
                f"{list(map(len, combined))} vs {list(map(len, reference))}"
                + (
                    ""
                    if list(map(len, combined)) != list(map(len, reference))
                    else ", same counts, different bytes"
                )
            )
    return total + 1
