"""Web Worker scaling in Pyodide: the transform-heavy P2 variant of bench_workers.py with 0, 1
and 2 Web Workers (worker_threads under Node.js).

Per sample: bilinear Resize 28x28 -> 64x64, zero-pad 4 + random crop 64, random horizontal
flip; ToTensor + Normalize per batch of 64. Measured as natively (``bench_workers.scaling``):
the first epoch starts the workers (each boots its own Pyodide), so its time to first batch
is what a page waits; then ``--rounds`` alternating rounds give the steady throughput. The
batches of every worker count are checked to be the same.

    node tools/pyodide/pyrun.mjs --runtime chromium --timeout 900 --wheel-dir DIST \\
        --mount $PWD/bench:/work/bench --cwd /work /work/bench/bench_browser_workers.py \\
        [--samples N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workers import HEADER, LEGEND, report, scaling, torsh_loader
from data import p2_idx

import torsh_data as td


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1536)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    images, labels = p2_idx(args.samples)
    result = await scaling(
        lambda n: torsh_loader(images, labels, n, **({"persistent_workers": True} if n else {})),
        args.rounds,
    )
    print(f"{args.samples} samples, batch 64, {td.runtime_name()} Python {sys.version.split()[0]}")
    print(HEADER)
    report("torsh-data", result)
    print(LEGEND.format(rounds=args.rounds))
    print("worker start-up, seconds by phase:")
    for n, r in result.items():
        for wid, phases in sorted(r.get("boot_times", {}).items()):  # type: ignore[union-attr]
            steps = ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
            snapshot = r.get("snapshots", {}).get(wid, "?")  # type: ignore[union-attr]
            print(f"  {n} workers, worker {wid}: {steps} (boot snapshot: {snapshot})")


if __name__ == "__main__":
    asyncio.run(main())
