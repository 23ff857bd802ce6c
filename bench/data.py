"""Deterministic benchmark data, generated in memory (no downloads).

Imported by the benchmarks natively and inside Pyodide; uses torsh_data's own seeded
generator so every runtime builds the same bytes.
"""

from __future__ import annotations

import struct

import torsh_data as td


def p1_csv(rows: int = 100_000, features: int = 20, seed: int = 1) -> bytes:
    """CSV text: a header, ``features`` float columns with 4 decimals, and an int ``label``."""
    g = td.random.Generator(seed)
    header = ",".join([f"f{i}" for i in range(features)] + ["label"])
    us = g.uniforms(rows * features)
    labels = g.integers(10, rows)
    lines = [header]
    for r in range(rows):
        row = us[r * features : (r + 1) * features]
        lines.append(",".join([f"{(u - 0.5) * 200:.4f}" for u in row] + [str(labels[r])]))
    return ("\n".join(lines) + "\n").encode()


def p2_idx(count: int = 60_000, seed: int = 2) -> tuple[bytes, bytes]:
    """An MNIST-format IDX pair (images ``count``×28×28 uint8, labels uint8), uncompressed."""
    g = td.random.Generator(seed)
    n = count * 28 * 28
    raw = g.bytes(n)  # uniform pixels: MNIST-like sparsity does not change throughput
    images = struct.pack(">IIII", 0x00000803, count, 28, 28) + raw
    labels = struct.pack(">II", 0x00000801, count) + bytes(v % 10 for v in g.integers(10, count))
    return images, labels
