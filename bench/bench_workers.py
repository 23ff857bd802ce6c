"""Worker scaling: a transform-heavy P2 variant with 0, 1 and 2 worker processes.

Per sample: bilinear Resize 28x28 -> 64x64, zero-pad 4 + random crop 64, random horizontal
flip; then ToTensor + Normalize per batch of 64. torch: the same per-sample ops with
``F.interpolate`` (bilinear, align_corners=False), the same worker counts. Prints samples/s,
time to first batch, and each library's speed-up over its own 0-worker run.

    python bench/bench_workers.py [--samples N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import p2_idx

import torsh_data as td
from torsh_data import formats
from torsh_data import transforms as T

MEAN, STD = 0.1307, 0.3081


def run(loader: Any) -> dict[str, float]:
    t0 = time.perf_counter()
    n, first = 0, None
    for batch in loader:
        first = first if first is not None else time.perf_counter() - t0
        n += len(batch[1])
    total = time.perf_counter() - t0
    return {"samples_per_s": n / total, "first_batch_s": first or total}


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
    return DataLoader(TorchMNIST(images, labels), batch_size=64, shuffle=True, num_workers=workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2048)
    args = ap.parse_args()
    images, labels = p2_idx(args.samples)
    makers = {"torsh-data": torsh_loader}
    try:
        import torch  # noqa: F401

        makers["torch"] = torch_loader
    except ImportError:
        pass
    print(f"{args.samples} samples, batch 64, {td.runtime_name()} Python {sys.version.split()[0]}")
    print(
        f"{'library':12} {'workers':>7} {'samples/s':>10} {'first batch':>12} {'vs 0 workers':>13}"
    )
    for name, make in makers.items():
        base = None
        for workers in (0, 1, 2):
            r = run(make(images, labels, workers))
            base = base or r["samples_per_s"]
            print(
                f"{name:12} {workers:>7} {r['samples_per_s']:>10,.0f} {r['first_batch_s']:>11.2f}s "
                f"{r['samples_per_s'] / base:>12.2f}x"
            )


if __name__ == "__main__":
    main()
