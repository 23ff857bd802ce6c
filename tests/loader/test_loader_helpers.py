"""optimal_worker_count and pin_memory."""

from __future__ import annotations

import collections
import os
from typing import Any

import pytest
from support import IN_PYODIDE, has_module, needs_torch, run

import torsh_data as td
from torsh_data.loader import optimal_worker_count, pin_memory


@pytest.mark.parametrize(
    ("cpus", "training", "inference"), [(1, 0, 1), (2, 1, 2), (8, 7, 8), (64, 16, 16)]
)
def test_worker_count_rule(cpus: int, training: int, inference: int) -> None:
    assert optimal_worker_count(cpus=cpus) == training
    assert optimal_worker_count("inference", cpus=cpus) == inference


def test_worker_count_for_this_process() -> None:
    n = optimal_worker_count()
    if IN_PYODIDE:
        assert n == 0
    else:
        usable = (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        )
        assert n == max(0, min((usable or 1) - 1, 16))


def test_worker_count_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="purpose"):
        optimal_worker_count("fast")
    with pytest.raises(td.DataValueError, match="cpus"):
        optimal_worker_count(cpus=0)


Pair = collections.namedtuple("Pair", "x y")


@needs_torch
def test_pin_memory_converts_nested_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from torsh_data.loader import _helpers

    monkeypatch.setattr(_helpers, "_warned_no_accelerator", False)

    batch = {"x": td.tensor([[1.0, 2.0]]), "meta": [Pair(td.tensor([1]), "id")], "n": 3}
    with (
        pytest.warns(UserWarning, match="no accelerator")
        if not torch.cuda.is_available()
        else _nothing()
    ):
        out = pin_memory(batch)
    assert isinstance(out["x"], torch.Tensor) and out["x"].tolist() == [[1.0, 2.0]]
    assert isinstance(out["meta"][0], Pair) and out["meta"][0].x.tolist() == [1]
    assert out["meta"][0].y == "id" and out["n"] == 3
    assert out["x"].is_pinned() == torch.cuda.is_available()
    loader = td.DataLoader(td.TensorDataset([1, 2, 3]), batch_size=2)
    assert [b[0].tolist() for b in map(pin_memory, loader)] == [[1, 2], [3]]


@needs_torch
def test_loader_pin_memory_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    import torch

    ds = td.TensorDataset([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no accelerator here: unpinned torch tensors
        out = list(td.DataLoader(ds, batch_size=2, pin_memory=True))

        async def collect() -> list:  # type: ignore[type-arg]
            return [b async for b in td.DataLoader(ds, batch_size=2, pin_memory=True)]

        aout = run(collect())
    for batches in (out, aout):
        assert all(isinstance(t, torch.Tensor) for b in batches for t in b)
        assert [b[0].tolist() for b in batches] == [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]]
    plain = list(td.DataLoader(ds, batch_size=2))
    assert isinstance(plain[0][0], td.Tensor)


def test_loader_pin_memory_bad_input() -> None:
    with pytest.raises(td.DataTypeError, match="pin_memory"):
        td.DataLoader(td.TensorDataset([1]), pin_memory=1)  # type: ignore[arg-type]
    if not has_module("torch"):  # the browser: no torch, so a clear error up front
        with pytest.raises(td.MissingExtraError, match=r"torsh-data\[torch\]"):
            td.DataLoader(td.TensorDataset([1]), pin_memory=True)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.skipif(has_module("torch"), reason="checks the error shown when torch is absent")
def test_pin_memory_without_torch_names_the_extra() -> None:
    with pytest.raises(td.MissingExtraError, match=r"torsh-data\[torch\]"):
        pin_memory(td.tensor([1]))


class Logged(td.Dataset):
    """Appends each loaded index to a file, so the main process sees what workers loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __getitem__(self, i: int) -> int:
        with open(self.path, "a") as f:
            f.write(f"{i}\n")
        return i

    def __len__(self) -> int:
        return 40


@pytest.mark.native_only(reason="worker processes")
@pytest.mark.parametrize(("workers", "factor"), [(1, 1), (2, 2), (2, 3)])
def test_prefetch_loads_ahead_within_the_bound(tmp_path: Any, workers: int, factor: int) -> None:
    import time

    log = tmp_path / "loads.txt"
    log.write_text("")
    loader = td.DataLoader(
        Logged(str(log)), batch_size=1, num_workers=workers, prefetch_factor=factor
    )
    it = iter(loader)
    assert next(it).tolist() == [0]
    bound = 1 + workers * factor  # the consumed batch plus the batches in flight
    deadline = time.monotonic() + 20
    while len(log.read_text().split()) < bound and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # give an over-eager loader the chance to show itself
    loaded = sorted(int(x) for x in log.read_text().split())
    assert loaded == list(range(bound))
    it.close()  # type: ignore[attr-defined]
