"""Print digests of seeded pipelines as JSON: the cross-runtime determinism check compares the
output of this script natively, in Pyodide under Node.js and in Chromium."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torsh_data as td

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import digest


class Noisy(td.Dataset):
    def __getitem__(self, i: int) -> dict:
        g = td.random.sample_generator()
        return {
            "x": td.Tensor([i + g.random(), g.random()], dtype="float64"),
            "k": g.randbelow(100),
        }

    def __len__(self) -> int:
        return 50


class Stream(td.IterableDataset):
    def __iter__(self) -> Iterator[Any]:
        for i in range(23):
            yield td.Tensor([i] * (i % 4 + 1)), td.random.sample_generator().random()


def pipelines() -> dict[str, Any]:
    n = 100
    ds = td.TensorDataset(
        td.Tensor([[i * 0.5, -i * 0.25, i % 7] for i in range(n)], dtype="float32"),
        td.Tensor([i % 3 for i in range(n)], dtype="int64"),
    )
    out: dict[str, Any] = {}
    loader = td.DataLoader(ds, batch_size=16, shuffle=True, seed=1234)
    out["shuffle_3_epochs"] = [list(loader) for _ in range(3)]
    out["noisy_transform"] = [
        list(td.DataLoader(Noisy(), batch_size=7, shuffle=True, seed=5)) for _ in range(2)
    ]
    w = td.WeightedRandomSampler([i % 5 for i in range(n)], num_samples=60, seed=9)
    out["weighted"] = list(td.DataLoader(ds, batch_size=10, sampler=w))
    w2 = td.WeightedRandomSampler([1 + i % 3 for i in range(n)], 40, replacement=False, seed=9)
    out["weighted_no_replacement"] = list(w2)
    out["replacement"] = list(td.RandomSampler(range(n), replacement=True, num_samples=50, seed=3))
    out["distributed"] = [list(td.DistributedSampler(range(n), 3, r, seed=2)) for r in range(3)]
    out["random_split"] = [s.indices for s in td.random_split(ds, [0.6, 0.3, 0.1], seed=11)]
    out["stream_pad"] = list(
        td.DataLoader(Stream(), batch_size=5, collate_fn=td.pad_collate, seed=4)
    )
    big = td.TensorDataset(  # large enough for Pyodide's compiled sort and gather (_wasm)
        td.Tensor([[i * 0.5, -i] for i in range(1000)], dtype="float32"),
        td.Tensor([i % 9 for i in range(1000)], dtype="int64"),
    )
    out["shuffle_large"] = list(td.DataLoader(big, batch_size=128, shuffle=True, seed=21))
    return out


def main() -> None:
    result = {name: digest(value) for name, value in pipelines().items()}
    loader = td.DataLoader(
        td.TensorDataset(td.arange(40).astype("float32").reshape(20, 2)),
        batch_size=4,
        shuffle=True,
        seed=99,
    )
    (first,) = next(iter(loader))
    result["first_batch"] = first.tolist()
    json.dump(result, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
