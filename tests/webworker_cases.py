"""Datasets for the Web Worker tests (tests/loader/test_webworkers.py, tests/runtimes/workers.test.mjs).

A module of its own, importing only torsh_data: the workers import it by name, as native
``spawn`` workers do, and a fresh Pyodide has no pytest.
"""

from __future__ import annotations

import random
from typing import Any

import torsh_data as td
from torsh_data import transforms as T


def augmented(n: int = 96) -> Any:
    """Map-style HWC images (n x 12 x 12 x 3 uint8) with random crop + flip, and labels."""
    g = td.random.Generator(11)
    images = td.Tensor(g.bytes(n * 432), dtype="uint8", shape=(n, 12, 12, 3))
    labels = td.Tensor(g.integers(10, n))
    per_sample = T.Compose([T.RandomCrop(12, padding=2), T.RandomHorizontalFlip()])
    return td.TransformDataset(td.TensorDataset(images, labels), per_sample)


class FailsAt(td.Dataset):
    """``range(n)`` that raises ``ValueError`` at index ``bad``."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad = n, bad

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i == self.bad:
            raise ValueError(f"sample {i} is broken")
        return i


class Slow(td.Dataset):
    """``range(n)``; the first batch's samples take a while (busy-wait), so later ones can
    overtake them with ``in_order=False``."""

    def __init__(self, n: int, slow_below: int, spins: int = 2_000_000) -> None:
        self.n, self.slow_below, self.spins = n, slow_below, spins

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i < self.slow_below:
            x = 0
            for k in range(self.spins):
                x ^= k
        return i


class Stream(td.IterableDataset):
    """An iterable dataset of ``range(n)`` with a per-sample random value."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Any:
        for i in range(self.n):
            yield (i, td.random.sample_generator().integers(1000, 1)[0])


def record_worker(worker_id: int) -> None:
    """A ``worker_init_fn`` that checks what :func:`get_worker_info` says."""
    info = td.get_worker_info()
    assert info is not None and info.id == worker_id, info


def failing_init(worker_id: int) -> None:
    raise RuntimeError(f"init of worker {worker_id} failed")


class SplitRange(td.IterableDataset):
    """``range(start, end)``, split between workers in ``__iter__`` (torch's documented
    recipe), or by :func:`split_in_init` when ``in_init``."""

    def __init__(self, start: int, end: int, in_init: bool = False) -> None:
        self.start, self.end, self.in_init = start, end, in_init

    def __iter__(self) -> Any:
        info = td.get_worker_info()
        if info is None or self.in_init:
            return iter(range(self.start, self.end))
        per = -(-(self.end - self.start) // info.num_workers)
        start = self.start + info.id * per
        return iter(range(start, min(start + per, self.end)))


def split_in_init(worker_id: int) -> None:
    """torch's ``worker_init_fn`` recipe: narrow this worker's copy of the dataset."""
    info = td.get_worker_info()
    assert info is not None
    ds = info.dataset
    per = -(-(ds.end - ds.start) // info.num_workers)
    ds.start, ds.end = ds.start + worker_id * per, min(ds.start + (worker_id + 1) * per, ds.end)


def seed_only_init(worker_id: int) -> None:
    """A ``worker_init_fn`` that only seeds: it reads ``seed`` and ``id``, splits nothing."""
    info = td.get_worker_info()
    assert info is not None and info.id == worker_id
    random.seed(info.seed + worker_id)


class FlakyStream(td.IterableDataset):
    """``range(n)`` from a class-based iterator that raises at ``bad`` and then goes on."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad = n, bad

    def __iter__(self) -> Any:
        return _Flaky(self.n, self.bad)


class _Flaky:
    def __init__(self, n: int, bad: int) -> None:
        self.i, self.n, self.bad = 0, n, bad

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> int:
        i, self.i = self.i, self.i + 1
        if i >= self.n:
            raise StopIteration
        if i == self.bad:
            raise ValueError(f"sample {i} is broken")
        return i
