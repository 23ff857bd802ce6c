"""Quickstart: one seeded pipeline, the same batches on every runtime.

Run natively with ``python examples/quickstart.py`` or inside Pyodide with the README's demo
command; both print the same batches and the same digest.
"""

from __future__ import annotations

import hashlib
import sys

import torsh_data as td


def make_dataset(n: int = 64) -> td.TensorDataset:
    """A small generated classification set: 4 features, 3 classes."""
    gen = td.random.Generator(2024)
    features = [[round(u * 10 - 5, 3) for u in gen.uniforms(4)] for _ in range(n)]
    labels = [int(sum(row) > 0) + int(row[0] > 2) for row in features]
    return td.TensorDataset(td.Tensor(features, dtype="float32"), td.Tensor(labels, dtype="int64"))


class Jitter(td.Dataset):
    """A random transform: adds seeded noise per sample, reproducible per (seed, epoch, index)."""

    def __init__(self, base: td.Dataset) -> None:
        self.base = base

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        x, y = self.base[i]
        g = td.random.sample_generator()
        noisy = [v + (g.random() - 0.5) * 0.1 for v in x.tolist()]
        return td.Tensor(noisy, dtype="float32"), y

    def __len__(self) -> int:
        return len(self.base)


def main() -> None:
    train, val = td.random_split(make_dataset(), [0.75, 0.25], seed=0)
    loader = td.DataLoader(Jitter(train), batch_size=8, shuffle=True, seed=7)
    print(f"runtime: {td.runtime_name()} (Python {sys.version.split()[0]})")
    print(f"train {len(train)} samples, val {len(val)} samples, {len(loader)} batches per epoch")
    h = hashlib.sha256()
    for epoch in range(2):
        for step, (x, y) in enumerate(loader):
            h.update(x.tobytes() + y.tobytes())
            if step < 2:
                first = [round(v, 4) for v in x[0].tolist()]
                print(
                    f"epoch {epoch} batch {step}: x{x.shape} {x.dtype} first={first} y={y.tolist()}"
                )
    print(f"digest of all batches of 2 epochs: {h.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
