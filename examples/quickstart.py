"""Quickstart: two seeded pipelines that give the same batches on every runtime.

1. Tabular: CSV text -> read_csv (columnar) -> Standardize -> shuffled batches.
2. Images: an MNIST-format IDX pair -> random crop + flip per sample -> ToTensor + Normalize
   once per batch -> shuffled batches, NCHW float32.

The data is generated here (no downloads). Run natively with ``python examples/quickstart.py``
or inside Pyodide with ``./dev demo``; both print the same batches and the same digests.
"""

from __future__ import annotations

import io
import sys

import torsh_data as td
from torsh_data import formats
from torsh_data import transforms as T
from torsh_data.testing import batch_digest


def make_csv(rows: int = 64) -> bytes:
    """A small generated classification table: 4 features and a label."""
    g = td.random.Generator(2024)
    lines = ["a,b,c,d,label"]
    for _ in range(rows):
        x = [u * 10 - 5 for u in g.uniforms(4)]
        lines.append(",".join(f"{v:.3f}" for v in x) + f",{int(sum(x) > 0) + int(x[0] > 2)}")
    return ("\n".join(lines) + "\n").encode()


def make_idx(count: int = 96) -> tuple[bytes, bytes]:
    """An MNIST-format IDX pair of 28x28 uint8 images and labels."""
    g = td.random.Generator(7)
    images, labels = io.BytesIO(), io.BytesIO()
    formats.write_idx(images, td.Tensor(g.bytes(count * 28 * 28), shape=(count, 28, 28)))
    formats.write_idx(labels, td.Tensor(bytes(v % 10 for v in g.bytes(count))))
    return images.getvalue(), labels.getvalue()


def tabular() -> None:
    x, y = formats.read_csv(make_csv(), label="label", output="columnar")
    scaler = T.Standardize().fit(x)
    train, val = td.random_split(td.TensorDataset(scaler(x), y), [0.75, 0.25], seed=0)
    loader = td.DataLoader(train, batch_size=8, shuffle=True, seed=7)
    print(f"tabular: {len(train)} train / {len(val)} val rows, {len(loader)} batches per epoch")
    digests = []
    for epoch in range(2):
        for step, (xb, yb) in enumerate(loader):
            digests.append(batch_digest((xb, yb)))
            if step < 2:
                first = [round(v, 4) for v in xb[0].tolist()]
                print(f"  epoch {epoch} batch {step}: x{xb.shape} first={first} y={yb.tolist()}")
    print(f"  digest of 2 epochs: {batch_digest(digests)[:16]}")


def images() -> None:
    mnist = formats.idx_dataset(*make_idx())
    augment = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip()])
    to_float = T.Compose([T.ToTensor(), T.Normalize(0.1307, 0.3081)])
    loader = td.DataLoader(
        td.TransformDataset(mnist, augment),
        batch_size=16,
        shuffle=True,
        seed=42,
        collate_fn=T.BatchTransform(to_float),
    )
    print(f"images: {len(mnist)} samples, {len(loader)} batches per epoch")
    digests = []
    for step, (xb, yb) in enumerate(loader):
        digests.append(batch_digest((xb, yb)))
        if step < 2:
            print(
                f"  batch {step}: x{xb.shape} {xb.dtype} x[0,0,14,10:14]="
                f"{[round(v, 4) for v in xb[0][0][14].tolist()[10:14]]} y={yb.tolist()[:8]}"
            )
    print(f"  digest of the epoch: {batch_digest(digests)[:16]}")


def main() -> None:
    print(f"runtime: {td.runtime_name()} (Python {sys.version.split()[0]})")
    tabular()
    images()


if __name__ == "__main__":
    main()
