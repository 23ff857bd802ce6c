"""Benchmark the record formats without a server (TFRecord with CRC-32C, SQLite) and batch
buffer reuse.

Generates its own data. Prints one figure per case; ``--json`` prints them as JSON (the WASM
ratio script can run this file natively and inside Pyodide and divide).

- ``crc32c MB/s``: the pure-Python CRC-32C (slicing-by-8) that TFRecord reading checks.
- ``tfrecord examples/s``: read + decode ``tf.train.Example`` records, CRC checked or not.
- ``sqlite rows/s``: :func:`~torsh_data.formats.read_sql` into typed columns.
- ``stack`` vs ``TensorStacker``: collating 3 MB batches into a fresh buffer each time (what
  ``default_collate`` does) vs into a ring of reused buffers
  (:class:`~torsh_data.collate.TensorStacker`, behind ``CachedCollate``). Measured on CPython
  3.11 and Pyodide: reuse is no faster (the copy costs the time; the allocator hands back the
  freed block), so a reused buffer is worth it for its identity (pinned, shared), not speed.

    python bench/bench_records.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import time
from collections.abc import Callable

import torsh_data as td
from torsh_data.collate import TensorStacker
from torsh_data.formats import TFRecordDataset, crc32c, read_sql, write_tfrecord


def best(run: Callable[[], int], repeat: int) -> float:
    """Best units/second over ``repeat`` runs."""
    rate = 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = run()
        rate = max(rate, n / (time.perf_counter() - t0))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scale, repeat = (1, 2) if args.quick else (4, 3)
    out: dict[str, float] = {}

    blob = os.urandom(scale << 18)
    out["crc32c MB/s"] = best(lambda: (crc32c(blob), len(blob))[1], repeat) / 1e6

    f = io.BytesIO()
    n = 500 * scale
    write_tfrecord(f, [{"x": [float(i)] * 64, "y": i, "id": b"abc"} for i in range(n)])
    data = f.getvalue()
    for check in (True, False):
        out[f"tfrecord examples/s (check_crc={check})"] = best(
            lambda c=check: sum(1 for _ in TFRecordDataset(data, check_crc=c)), repeat
        )

    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a INTEGER, b REAL, c TEXT)")
    rows = 20_000 * scale
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", ((i, i / 3, str(i)) for i in range(rows)))
    out["sqlite rows/s (read_sql)"] = best(
        lambda: len(read_sql(con, "SELECT * FROM t")["a"]), repeat
    )

    samples = [td.zeros((3, 64, 64), "float32") for _ in range(64)]
    stacker = TensorStacker(buffers=2)
    out["stack batches/s (fresh buffer)"] = best(
        lambda: sum(td.stack(samples).shape[0] // 64 for _ in range(20)), repeat
    )
    out["TensorStacker batches/s (reused)"] = best(
        lambda: sum(stacker(samples).shape[0] // 64 for _ in range(20)), repeat
    )

    if args.json:
        print(json.dumps({"runtime": td.runtime_name(), **out}))
    else:
        for name, value in out.items():
            print(f"{name:<40} {value:>12.1f}")


if __name__ == "__main__":
    main()
