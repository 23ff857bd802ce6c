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


def p3_lines(
    count: int = 50_000, vocab: int = 20_000, seed: int = 3
) -> tuple[list[str], list[int]]:
    """Generated text: Zipf-distributed words (``vocab`` of them), 5-60 per line, mixed case
    and punctuation, and a label per line."""
    import bisect
    import itertools

    g = td.random.Generator(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = []
    for r in range(vocab):
        w, k = "", r + 7
        while k:
            k, c = divmod(k, 26)
            w += letters[c]
        words.append(w)
    cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(vocab)))
    total = cum[-1]
    lengths = [5 + v for v in g.integers(56, count)]
    us = g.uniforms(sum(lengths))
    punct = [",", ".", "!", "?", ";", "", "", "", "", ""]
    marks = g.integers(len(punct), sum(lengths))
    lines, pos = [], 0
    for n in lengths:
        toks = []
        for i in range(pos, pos + n):
            w = words[min(bisect.bisect_right(cum, us[i] * total), vocab - 1)]
            toks.append((w.capitalize() if marks[i] == 9 else w) + punct[marks[i]])
        pos += n
        lines.append(" ".join(toks))
    labels = [v % 4 for v in g.integers(4, count)]
    return lines, labels
