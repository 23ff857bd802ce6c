"""Worker scaling: a transform-heavy P2 variant with 0, 1 and 2 worker processes.

Per sample: bilinear Resize 28x28 -> 64x64, zero-pad 4 + random crop 64, random horizontal
flip; then ToTensor + Normalize per batch of 64. torch: the same per-sample ops with
``F.interpolate`` (bilinear, align_corners=False), the same worker counts. Prints, for each
library and worker count, the time to first batch and the first epoch (starting the
workers), the steady samples/s and the speed-up over the library's own 0-worker run (see
:func:`scaling`). The batches of every torsh-data worker count are checked to be the same.
Then two controls of what the machine allows: the same 0-worker pipeline run in two
processes at once against one (:func:`pipeline_ceiling`: no loader machinery, so what is
left between it and the workers' speed-up is the loader's), and two processes of plain
Python arithmetic against one (:func:`machine_ceiling`); and the load average before and
after, since other programs on the machine take cores from the workers first.

    python bench/bench_workers.py [--samples N] [--rounds R] [--counts 0,1,2]

The last lines give each worker count's samples/s of torsh-data divided by torch's (the
"Resize row" of BENCHMARKS.md is ``--counts 0``). ``--json`` times only torsh-data's
0-worker loader, synchronously, and prints ``{"p2_resize": {"workers_0": {"samples_per_s":
...}}}``, so ``bench/wasm_ratio.py bench_workers.py`` compares it with Pyodide's (numpy is
not imported on either side).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import p2_idx

import torsh_data as td
from torsh_data import formats
from torsh_data import transforms as T
from torsh_data.testing import batch_digest

MEAN, STD = 0.1307, 0.3081


async def _batches(loader: Any) -> AsyncIterator[Any]:
    if hasattr(loader, "__aiter__"):  # torsh-data (required for Web Workers)
        async for batch in loader:
            yield batch
    else:  # torch
        for batch in loader:
            yield batch


async def epoch(loader: Any, digest: bool) -> tuple[float, float, list[str], int]:
    """One epoch: its seconds, seconds to the first batch, batch digests, samples."""
    t0 = time.perf_counter()
    first, digests, n = None, [], 0
    async for batch in _batches(loader):
        first = first if first is not None else time.perf_counter() - t0
        if digest:
            digests.append(batch_digest(batch))
        n += len(batch[1])
    total = time.perf_counter() - t0
    return total, first or total, digests, n


def _worker_pids(loader: Any) -> list[int]:
    """The pids of a loader's worker processes (torsh-data's or torch's persistent ones)."""
    pool = getattr(getattr(loader, "executor", None), "_pool", None)
    procs = pool[0] if pool else getattr(getattr(loader, "_iterator", None), "_workers", [])
    return [p.pid for p in procs]


def _sched(pid: int | str) -> tuple[float, float] | None:
    """``(running, waiting for a core)`` seconds of a process so far, to the nanosecond, from
    ``/proc/<pid>/schedstat``; None where the kernel does not keep it."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            run, wait = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    return int(run) / 1e9, int(wait) / 1e9


def cpu_seconds(loader: Any) -> tuple[float, float, float | None] | None:
    """CPU seconds used so far by this process and by the loader's worker processes, and how
    long the processes that load (the workers, or this process without them) waited for a
    core; None where /proc is missing (not Linux, or in Pyodide). The workers' CPU time
    comes from ``schedstat`` where there is one (``stat`` counts in 10 ms ticks, coarse
    against an epoch's 100 ms), their wait only from it."""
    if sys.platform == "emscripten" or not os.path.isdir("/proc/self"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    pids = _worker_pids(loader)
    total, waited = 0.0, 0.0
    for pid in pids:
        sched = _sched(pid)
        if sched is not None:
            total += sched[0]
            waited += sched[1]
            continue
        waited = float("nan")
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    if not pids:
        own = _sched("self")
        waited = own[1] if own is not None else float("nan")
    return time.process_time(), total, None if waited != waited else waited


async def scaling(
    make: Callable[[int], Any],
    rounds: int,
    digest: bool = True,
    counts: tuple[int, ...] = (0, 1, 2),
) -> dict[int, dict[str, float]]:
    """Throughput of ``make(workers)``'s loader for each worker count.

    Each loader keeps its workers between epochs (``persistent_workers``): the first epoch,
    which starts them, gives the time to first batch; then ``rounds`` rounds of one epoch per
    count, alternating, give the steady rate. ``best`` is the best epoch's samples/s;
    ``paired`` the median over rounds of an epoch's rate / the same round's 0-worker epoch's
    (a slow phase of the machine then hits both sides of the ratio). With ``digest`` the
    batches of every count (their first epoch's) must be the same. ``cpu_ms`` is the CPU
    time per batch of the main process and the workers together, over the timed epochs
    (where /proc tells it): unlike a rate, it does not depend on what else the machine runs,
    so ``bound`` -- the rate ``cores`` cores could reach at that cost, each worker limited to
    one core, against the 0-worker cost -- is the scaling a quiet machine allows.
    ``main_ms`` is the main process's part of ``cpu_ms``; ``wait_ms`` how long per batch the
    processes that load (the workers, or the main process without them) were ready to run
    but had no core (the main process and other programs had them; from ``schedstat``). ``mean`` is all timed samples over
    all timed seconds (torch's ``benchmarks/data/dataloader_benchmark.py`` times a loader
    that way: the steady loop after the loader started, averaged) and ``mean_vs0`` that
    against the 0-worker loader's.
    """
    loaders = {n: make(n) for n in counts}
    out: dict[int, dict[str, float]] = {}
    digests: dict[int, list[str]] = {}
    for n in counts:  # digests here only: hashing in the timed epochs would compete for a core
        total, first, digests[n], _ = await epoch(loaders[n], digest)
        out[n] = {"first_batch_s": first, "first_epoch_s": total}
    rates: dict[int, list[float]] = {n: [] for n in counts}
    timed = {n: [0, 0.0] for n in counts}  # samples, seconds
    cpu = {n: 0.0 for n in counts}
    main_cpu = {n: 0.0 for n in counts}
    waits: dict[int, float | None] = {n: 0.0 for n in counts}
    batches = {n: 0 for n in counts}
    for _ in range(rounds):
        for n in counts:
            before = cpu_seconds(loaders[n])
            total, _, _, samples = await epoch(loaders[n], False)
            after = cpu_seconds(loaders[n])
            rates[n].append(samples / total)
            timed[n][0] += samples
            timed[n][1] += total
            if before is not None and after is not None:
                main_cpu[n] += after[0] - before[0]
                cpu[n] += after[0] + after[1] - before[0] - before[1]
                w, v = waits[n], after[2] is not None and before[2] is not None
                waits[n] = w + after[2] - before[2] if w is not None and v else None  # type: ignore[operator]
                batches[n] += -(-samples // 64)
    if digest and len({tuple(d) for d in digests.values()}) != 1:
        raise AssertionError("worker counts gave other batches")
    for n in counts:
        out[n]["best"] = max(rates[n])
        out[n]["vs0"] = max(rates[n]) / max(rates[counts[0]])
        out[n]["paired"] = statistics.median(
            a / b for a, b in zip(rates[n], rates[counts[0]], strict=True)
        )
        out[n]["mean"] = timed[n][0] / timed[n][1]
        out[n]["mean_vs0"] = out[n]["mean"] / (timed[counts[0]][0] / timed[counts[0]][1])
        if batches[n] and batches[counts[0]]:
            out[n]["cpu_ms"] = 1e3 * cpu[n] / batches[n]
            out[n]["main_ms"] = 1e3 * main_cpu[n] / batches[n]
            w = waits[n]
            out[n]["wait_ms"] = float("nan") if w is None else 1e3 * w / batches[n]
            base = 1e3 * cpu[counts[0]] / batches[counts[0]]
            cores = os.cpu_count() or 1
            out[n]["bound"] = base / out[n]["cpu_ms"] * min(cores, max(n, 1))
        executor = getattr(loaders[n], "executor", None)
        if n and executor is not None:
            out[n]["boot_times"] = getattr(executor, "boot_times", {})  # type: ignore[assignment]
            out[n]["snapshots"] = getattr(executor, "snapshots", {})  # type: ignore[assignment]
            executor.shutdown()
    return out


HEADER = (
    f"{'library':12} {'workers':>7} {'first batch':>12} {'epoch 1':>9} {'samples/s':>10}"
    f" {'vs 0':>7} {'per round':>10} {'mean':>6} {'cpu/batch':>10} {'main':>7} {'bound':>6}"
    f" {'wait':>7}"
)
LEGEND = (
    "samples/s: best of {rounds} alternating epochs after the first (which starts the workers);"
    " vs 0: best against best; per round: median over rounds of the epoch's rate / the same"
    " round's 0-worker epoch's; mean: all timed samples over all timed seconds, against the"
    " 0-worker loader's (torch's benchmarks/data/dataloader_benchmark.py's way); cpu/batch:"
    " CPU ms per batch of the main process and the workers together; main: the main"
    " process's part of it; bound: the 0-worker cpu/batch"
    " over this one's, times the cores the workers can use (the speed-up a quiet machine"
    " allows); wait: ms per batch the processes that load (the workers, or the main process"
    " without them) were ready to run but had no core"
)


def report(name: str, result: dict[int, dict[str, float]]) -> None:
    for n, r in result.items():
        cpu = (
            f" {r['cpu_ms']:>8.2f}ms {r['main_ms']:>5.2f}ms {r['bound']:>5.2f}x"
            f" {r['wait_ms']:>5.2f}ms"
            if "cpu_ms" in r
            else ""
        )
        print(
            f"{name:12} {n:>7} {r['first_batch_s']:>11.2f}s {r['first_epoch_s']:>8.2f}s"
            f" {r['best']:>10,.0f} {r['vs0']:>6.2f}x {r['paired']:>9.2f}x {r['mean_vs0']:>5.2f}x{cpu}"
        )


def torsh_loader(images: bytes, labels: bytes, workers: int, **kw: Any) -> Any:
    per_sample = T.Compose(
        [
            T.Resize((64, 64), interpolation="bilinear"),
            T.RandomCrop(64, padding=4),
            T.RandomHorizontalFlip(),
        ]
    )
    tail = T.BatchTransform(T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)]))
    ds = td.TransformDataset(formats.idx_dataset(images, labels), per_sample)
    return td.DataLoader(
        ds, batch_size=64, shuffle=True, seed=0, collate_fn=tail, num_workers=workers, **kw
    )


class TorchMNIST:
    def __init__(self, images: bytes, labels: bytes) -> None:
        import torch

        n = int.from_bytes(images[4:8], "big")
        self.images = torch.frombuffer(bytearray(images[16:]), dtype=torch.uint8).view(n, 1, 28, 28)
        self.labels = torch.frombuffer(bytearray(labels[8:]), dtype=torch.uint8).long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> Any:
        import torch
        import torch.nn.functional as F

        x = F.interpolate(
            self.images[i : i + 1].float(), size=(64, 64), mode="bilinear", align_corners=False
        )[0]
        x = F.pad(x, (4, 4, 4, 4))
        top, left = torch.randint(0, 9, (2,)).tolist()
        x = x[:, top : top + 64, left : left + 64]
        if torch.rand(1).item() < 0.5:
            x = x.flip(-1)
        return (x / 255 - MEAN) / STD, self.labels[i]


def torch_loader(images: bytes, labels: bytes, workers: int) -> Any:
    import torch
    from torch.utils.data import DataLoader

    torch.manual_seed(0)
    return DataLoader(
        TorchMNIST(images, labels),
        batch_size=64,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
    )


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_ceiling(rounds: int = 5, n: int = 4_000_000) -> float:
    """What the second core gives at best: two processes running a pure-Python loop against
    one process running it twice (best of ``rounds`` each, the pool started beforehand)."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [1, 1])
        one = two = float("inf")
        for _ in range(rounds):
            t = time.perf_counter()
            _spin(n), _spin(n)
            one = min(one, time.perf_counter() - t)
            t = time.perf_counter()
            pool.map(_spin, [n, n])
            two = min(two, time.perf_counter() - t)
    return one / two


_CONTROL: Any = None  # a pool process's warmed 0-worker loader (pipeline_ceiling)


def _control_start(samples: int) -> None:
    global _CONTROL
    _CONTROL = torsh_loader(*p2_idx(samples), 0)
    for _ in _CONTROL:  # warms the plans and caches, as the first epoch does in scaling()
        pass


def _control_epochs(epochs: int) -> int:
    n = 0
    for _ in range(epochs):
        for _, y in _CONTROL:
            n += len(y)
    return n


def pipeline_ceiling(samples: int, rounds: int = 5) -> float:
    """What two processes reach on this very pipeline, with no loader machinery between
    them: two processes, each iterating its own 0-worker loader for an epoch at once,
    against one process doing both epochs (best of ``rounds`` each, processes warmed
    beforehand). The workers' speed-up divided by this is the loader's share of it."""
    import multiprocessing as mp

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(2, initializer=_control_start, initargs=(samples,)) as pool:
        pool.map(_control_epochs, [0, 0], chunksize=1)  # both started and warmed
        one = two = float("inf")
        for _ in range(rounds):
            t = time.perf_counter()
            pool.apply(_control_epochs, (2,))
            one = min(one, time.perf_counter() - t)
            t = time.perf_counter()
            pool.map(_control_epochs, [1, 1], chunksize=1)
            two = min(two, time.perf_counter() - t)
    return one / two


def load() -> str:
    """The 1-minute load average (what else the machine runs), or '?' where unknown."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "?"


def json_main(samples: int, rounds: int) -> None:
    """The 0-worker torsh-data rate alone (no event loop, no torch), as JSON."""
    import json

    images, labels = p2_idx(samples)
    loader = torsh_loader(images, labels, 0)
    best = 0.0
    for r in range(rounds + 1):
        t0, n = time.perf_counter(), 0
        for _, y in loader:
            n += len(y)
        if r:  # the first epoch warms the plans and caches
            best = max(best, n / (time.perf_counter() - t0))
    print(json.dumps({"p2_resize": {"workers_0": {"samples_per_s": best}}}))


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1536)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--counts", default="0,1,2", help="worker counts, comma-separated")
    ap.add_argument("--json", action="store_true", help="torsh-data, 0 workers, as JSON")
    return ap.parse_args()


async def main(args: argparse.Namespace) -> None:
    counts = tuple(int(c) for c in args.counts.split(","))
    images, labels = p2_idx(args.samples)
    print(
        f"{args.samples} samples, batch 64, {td.runtime_name()} Python {sys.version.split()[0]},"
        f" load average {load()}"
    )
    print(HEADER)
    # torsh-data first: importing torch makes every later garbage collection in this process
    # slower, which would slow the 0-worker runs (in this process) but not the workers
    results: dict[str, dict[int, dict[str, float]]] = {}
    for name, make in (("torsh-data", torsh_loader), ("torch", torch_loader)):
        if name == "torch":
            try:
                import torch  # noqa: F401
            except ImportError:
                break
        kw = {} if name == "torch" else {"persistent_workers": True}
        result = await scaling(
            lambda n, make=make, kw=kw: make(images, labels, n, **(kw if n else {})),
            args.rounds,
            digest=name != "torch",
            counts=counts,
        )
        report(name, result)
        results[name] = result
    print(LEGEND.format(rounds=args.rounds))
    if len(results) == 2:
        for n in counts:
            ratio = results["torsh-data"][n]["best"] / results["torch"][n]["best"]
            print(f"torsh-data / torch, {n} workers: {ratio:.2f}x")
    if counts == (0,):
        print(f"load average after: {load()}")
        return
    pipeline = pipeline_ceiling(args.samples, args.rounds)
    print(f"pipeline: 2 processes of the 0-worker loop run {pipeline:.2f}x one")
    if 2 in counts:
        r = results["torsh-data"][2]
        print(
            f"torsh-data 2 workers / that control: {r['vs0'] / pipeline:.2f} (best),"
            f" {r['paired'] / pipeline:.2f} (per round), {r['mean_vs0'] / pipeline:.2f} (mean)"
        )
    # the VM's second core comes and goes: this varied from 1.2x to 2.0x between runs here
    print(f"machine: 2 processes of pure-Python arithmetic run {machine_ceiling():.2f}x one")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    ARGS = parse()
    if ARGS.json:  # no event loop: Pyodide runs this part as well
        json_main(ARGS.samples, ARGS.rounds)
    else:
        asyncio.run(main(ARGS))
