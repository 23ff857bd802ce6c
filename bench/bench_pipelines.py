"""P1 (tabular CSV) and P2 (MNIST-style images) pipelines: torsh-data vs torch.utils.data.

Generates its data in memory (bench/data.py), runs each pipeline for one full epoch, and
prints samples per second and the time to the first batch. ``--json`` prints the figures as
JSON (wasm_ratio.py runs this file in Pyodide and divides). ``--no-numpy`` hides numpy from
torsh-data, to measure the dependency-free path beside the numpy one.

    python bench/bench_pipelines.py [--quick] [--json] [--no-numpy] [--only p1|p2]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import platform
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

if "--no-numpy" in sys.argv:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # torsh-data must not find it
elif importlib.util.find_spec("numpy") is not None:
    import numpy  # noqa: F401  # torsh-data uses numpy's bulk paths once it is imported

from data import p1_csv, p2_idx

import torsh_data as td
from torsh_data import formats, transforms

MEAN, STD = 0.1307, 0.3081


def epoch(
    make_batches: Callable[[], Iterable[Any]], count: Callable[[Any], int]
) -> dict[str, float]:
    """Run one epoch: samples/s over the whole of it and seconds to the first batch."""
    t0 = time.perf_counter()
    n, first = 0, None
    for batch in make_batches():
        if first is None:
            first = time.perf_counter() - t0
        n += count(batch)
    total = time.perf_counter() - t0
    return {"samples_per_s": n / total, "first_batch_s": first or total, "samples": n}


# --- P1: CSV -> parse -> standardise columns -> shuffle -> batches of 256 -------------------


def p1_torsh(csv: bytes) -> dict[str, dict[str, float]]:
    t0 = time.perf_counter()
    x, y = formats.read_csv(csv, label="label", output="columnar")
    parsed = time.perf_counter() - t0
    scaler = transforms.Standardize().fit(x)
    ds = td.TensorDataset(scaler(x), y)
    loader = td.DataLoader(ds, batch_size=256, shuffle=True, seed=0)
    prepared = time.perf_counter() - t0
    run = epoch(lambda: loader, lambda b: len(b[1]))
    end_to_end = prepared + run["samples"] / run["samples_per_s"]
    return {
        "epoch_from_memory": run,
        "end_to_end": {
            "samples_per_s": run["samples"] / end_to_end,
            "first_batch_s": prepared + run["first_batch_s"],
            "parse_s": parsed,
        },
    }


def p1_torch(csv: bytes) -> dict[str, dict[str, float]]:
    import pandas as pd
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    t0 = time.perf_counter()
    df = pd.read_csv(io.BytesIO(csv))
    parsed = time.perf_counter() - t0
    x = torch.tensor(df.drop(columns="label").to_numpy(), dtype=torch.float32)
    y = torch.tensor(df["label"].to_numpy(), dtype=torch.int64)
    x = (x - x.mean(0)) / x.std(0)
    loader = DataLoader(TensorDataset(x, y), batch_size=256, shuffle=True)
    prepared = time.perf_counter() - t0
    run = epoch(lambda: loader, lambda b: len(b[1]))
    end_to_end = prepared + run["samples"] / run["samples_per_s"]
    return {
        "epoch_from_memory": run,
        "end_to_end": {
            "samples_per_s": run["samples"] / end_to_end,
            "first_batch_s": prepared + run["first_batch_s"],
            "parse_s": parsed,
        },
    }


# --- P2: IDX -> pad 2 + random crop 28 -> flip p=0.5 -> [0, 1] -> normalise -> batches of 64 --


def p2_torsh(images: bytes, labels: bytes, batch_tail: bool) -> dict[str, float]:
    """Per sample: padded random crop and flip. ``batch_tail``: ToTensor + Normalize run once
    per collated batch (BatchTransform; the same bytes), else per sample as well."""
    t0 = time.perf_counter()
    ds = formats.idx_dataset(images, labels)
    geometry = [transforms.RandomCrop(28, padding=2), transforms.RandomHorizontalFlip(0.5)]
    tail = [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]
    if batch_tail:
        per_sample = transforms.Compose(geometry)
        collate = transforms.BatchTransform(transforms.Compose(tail))
    else:
        per_sample, collate = transforms.Compose(geometry + tail), td.default_collate
    loader = td.DataLoader(
        td.TransformDataset(ds, per_sample), batch_size=64, shuffle=True, seed=0, collate_fn=collate
    )
    prepared = time.perf_counter() - t0
    run = epoch(lambda: loader, lambda b: len(b[1]))
    run["first_batch_s"] += prepared
    return run


def p2_torch(images: bytes, labels: bytes) -> dict[str, dict[str, float]]:
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, Dataset

    class MNISTLike(Dataset):
        def __init__(self, images: bytes, labels: bytes) -> None:
            n = int.from_bytes(images[4:8], "big")
            self.images = torch.frombuffer(bytearray(images[16:]), dtype=torch.uint8).view(
                n, 28, 28
            )
            self.labels = torch.frombuffer(bytearray(labels[8:]), dtype=torch.uint8).long()

        def __len__(self) -> int:
            return len(self.labels)

        def __getitem__(self, i: int) -> tuple[Any, Any]:
            x = F.pad(self.images[i].unsqueeze(0), (2, 2, 2, 2))
            top, left = torch.randint(0, 5, (2,)).tolist()
            x = x[:, top : top + 28, left : left + 28]
            if torch.rand(1).item() < 0.5:
                x = x.flip(-1)
            x = x.float().div(255)
            return (x - MEAN) / STD, self.labels[i]

    torch.manual_seed(0)
    t0 = time.perf_counter()
    loader = DataLoader(MNISTLike(images, labels), batch_size=64, shuffle=True)
    prepared = time.perf_counter() - t0
    run = epoch(lambda: loader, lambda b: len(b[1]))
    run["first_batch_s"] += prepared
    return run


def interpreter() -> str:
    flags = sysconfig.get_config_var("CONFIG_ARGS") or ""
    pgo = "pgo" if "--enable-optimizations" in flags else "no-pgo"
    return f"{platform.python_implementation()} {platform.python_version()} ({pgo}; {flags.strip()[:80]})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small data, for smoke testing")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-numpy", action="store_true", help="hide numpy from torsh-data")
    ap.add_argument("--only", choices=["p1", "p2"])
    ap.add_argument("--torch", action="store_true", help="also run the torch pipelines")
    args = ap.parse_args()
    rows, count = (5_000, 3_000) if args.quick else (100_000, 60_000)
    out: dict[str, Any] = {
        "runtime": td.runtime_name(),
        "interpreter": interpreter(),
        "numpy": "numpy" in sys.modules and sys.modules["numpy"] is not None,
    }
    if args.only in (None, "p1"):
        csv = p1_csv(rows)
        out["p1"] = {"torsh": p1_torsh(csv)}
        if args.torch:
            out["p1"]["torch"] = p1_torch(csv)
    if args.only in (None, "p2"):
        images, labels = p2_idx(count)
        out["p2"] = {
            "torsh_batch_tail": p2_torsh(images, labels, batch_tail=True),
            "torsh_per_sample": p2_torsh(images, labels, batch_tail=False),
        }
        if args.torch:
            out["p2"]["torch"] = p2_torch(images, labels)
    if args.json:
        print(json.dumps(out))
        return
    print(json.dumps(out, indent=1))


if __name__ == "__main__" and importlib.util.find_spec("torsh_data") is not None:
    main()
