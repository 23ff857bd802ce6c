"""Web Worker scaling in Pyodide: the transform-heavy P2 variant of bench_workers.py with 0, 1
and 2 Web Workers (worker_threads under Node.js).

Per sample: bilinear Resize 28x28 -> 64x64, zero-pad 4 + random crop 64, random horizontal
flip; ToTensor + Normalize per batch of 64. Each worker count runs two epochs on one loader
(``persistent_workers``): the first epoch includes starting the workers (each boots its
own Pyodide), so its time to first batch is what a page waits; then ``--rounds`` epochs of
each count, alternating, give the steady throughput (best round). The batches of every
worker count are checked to be the same.

    node tools/pyodide/pyrun.mjs --runtime chromium --wheel-dir DIST --mount $PWD/bench:/work/bench \\
        --cwd /work /work/bench/bench_browser_workers.py [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workers import torsh_loader
from data import p2_idx

import torsh_data as td
from torsh_data.testing import batch_digest


async def epoch(loader: Any) -> tuple[float, float, list[str], int]:
    t0 = time.perf_counter()
    first, digests, n = None, [], 0
    async for batch in loader:
        first = first if first is not None else time.perf_counter() - t0
        digests.append(batch_digest(batch))
        n += len(batch[1])
    total = time.perf_counter() - t0
    return total, first or total, digests, n


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    images, labels = p2_idx(args.samples)
    counts = (0, 1, 2)
    loaders = {
        n: torsh_loader(images, labels, n, **({"persistent_workers": True} if n else {}))
        for n in counts
    }
    first: dict[int, tuple[float, float]] = {}
    for n in counts:  # the first epoch: workers start (one Pyodide each)
        total, t_first, _, _ = await epoch(loaders[n])
        first[n] = (t_first, total)
    rates: dict[int, list[float]] = {n: [] for n in counts}
    digests: dict[int, list[str]] = {}
    for _ in range(args.rounds):  # alternating rounds: a load spike hits every count alike
        for n in counts:
            total, _, d, samples = await epoch(loaders[n])
            rates[n].append(samples / total)
            digests.setdefault(n, d)
    best = {n: max(r) for n, r in rates.items()}
    # each round's ratio to the 0-worker epoch just before it: a slow phase of the machine
    # hits both sides of a ratio, which the best of each count alone does not control
    paired = {
        n: statistics.median(a / b for a, b in zip(rates[n], rates[0], strict=True)) for n in counts
    }
    boots = {n: dict(sorted(loaders[n].executor.boot_times.items())) for n in counts if n}
    for n in counts:
        if n:
            loaders[n].executor.shutdown()
    assert len({tuple(d) for d in digests.values()}) == 1, "worker counts gave other batches"
    print(f"{args.samples} samples, batch 64, {td.runtime_name()} Python {sys.version.split()[0]}")
    print(
        f"{'workers':>7} {'first batch':>12} {'epoch 1':>9} {'samples/s':>10} {'vs 0':>7}"
        f" {'per round':>10}"
    )
    for n in counts:
        t_first, total = first[n]
        print(
            f"{n:>7} {t_first:>11.2f}s {total:>8.2f}s {best[n]:>10,.0f} {best[n] / best[0]:>6.2f}x"
            f" {paired[n]:>9.2f}x"
        )
    print(
        f"samples/s: best of {args.rounds} alternating epochs after the first; vs 0: best against"
        " best; per round: median over rounds of the epoch's rate / the 0-worker epoch's"
    )
    print("worker start-up, seconds by phase:")
    for n, times in boots.items():
        for wid, phases in times.items():
            steps = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            print(f"  {n} workers, worker {wid}: {steps}")


if __name__ == "__main__":
    asyncio.run(main())
