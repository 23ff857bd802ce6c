"""Benchmark the core loop: shuffle -> fetch -> collate, against torch.utils.data.

Generates its own data. Prints samples per second for each case and, when torch is installed,
the ratio torsh-data / torch measured in the same run. ``--json`` prints the figures as JSON
(the WASM ratio script runs this file natively and inside Pyodide and divides).

    python bench/bench_loader.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import torsh_data as td


def best_rates(impls: dict[str, Callable[[], int]], repeat: int) -> dict[str, float]:
    """Best samples/second of each implementation over ``repeat`` rounds. The peers run
    alternately within each round, so a slow spell of the machine hits both."""
    best = dict.fromkeys(impls, 0.0)
    for _ in range(repeat):
        for name, run in impls.items():
            t0 = time.perf_counter()
            n = run()
            best[name] = max(best[name], n / (time.perf_counter() - t0))
    return best


def make_rows(n: int, width: int) -> list[list[float]]:
    g = td.random.Generator(0)
    flat = g.uniforms(n * width)
    return [flat[i * width : (i + 1) * width] for i in range(n)]


class DictDataset(td.Dataset):
    """Samples as dicts of a feature row and a label, the common shape of real datasets."""

    def __init__(self, x: Any, y: Any) -> None:
        self.x, self.y = x, y

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"x": self.x[i], "y": self.y[i]}

    def __len__(self) -> int:
        return len(self.y)


def cases(n: int, width: int, batch: int) -> dict[str, dict[str, Callable[[], int]]]:
    rows = make_rows(n, width)
    labels = [i % 10 for i in range(n)]
    x, y = td.Tensor(rows, dtype="float32"), td.Tensor(labels, dtype="int64")

    def count(loader: Any) -> Callable[[], int]:
        def run() -> int:
            total = 0
            for b in loader:
                total += len(b[1] if isinstance(b, (list, tuple)) else b["y"])
            return total

        return run

    out: dict[str, dict[str, Callable[[], int]]] = {
        "tensor_dataset_shuffle": {
            "torsh": count(
                td.DataLoader(td.TensorDataset(x, y), batch_size=batch, shuffle=True, seed=0)
            )
        },
        "dict_samples_collate": {
            "torsh": count(td.DataLoader(DictDataset(x, y), batch_size=batch, shuffle=True, seed=0))
        },
        "python_lists_collate": {
            "torsh": count(
                td.DataLoader(list(zip(rows, labels, strict=True)), batch_size=batch, seed=0)
            )
        },
    }
    if importlib.util.find_spec("torch") is not None:
        import torch
        from torch.utils import data as tud

        tx, ty = torch.tensor(rows, dtype=torch.float32), torch.tensor(labels)
        torch.manual_seed(0)
        out["tensor_dataset_shuffle"]["torch"] = count(
            tud.DataLoader(tud.TensorDataset(tx, ty), batch_size=batch, shuffle=True)
        )
        out["dict_samples_collate"]["torch"] = count(
            tud.DataLoader(DictDataset(tx, ty), batch_size=batch, shuffle=True)
        )
        out["python_lists_collate"]["torch"] = count(
            tud.DataLoader(list(zip(rows, labels, strict=True)), batch_size=batch)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small run, for smoke testing")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    n, repeat = (2_000, 2) if args.quick else (20_000, 9)
    width, batch = 32, 64
    results: dict[str, dict[str, float]] = {}
    for name, impls in cases(n, width, batch).items():
        results[name] = best_rates(impls, repeat)
    if args.json:
        tree = {
            case: {impl: {"samples_per_s": v} for impl, v in r.items()}
            for case, r in results.items()
        }
        print(json.dumps({"runtime": td.runtime_name(), "results": tree}))
        return
    print(
        f"{td.runtime_name()} Python {sys.version.split()[0]} on {platform.machine()}; "
        f"{n} samples of {width} float32, batch {batch}, best of {repeat}"
    )
    print(f"{'case':28} {'torsh samples/s':>16} {'torch samples/s':>16} {'torsh/torch':>12}")
    for name, r in results.items():
        torch_rate = r.get("torch")
        ratio = f"{r['torsh'] / torch_rate:.2f}x" if torch_rate else "-"
        torch_text = f"{torch_rate:,.0f}" if torch_rate else "-"
        print(f"{name:28} {r['torsh']:>16,.0f} {torch_text:>16} {ratio:>12}")


if __name__ == "__main__":
    main()
