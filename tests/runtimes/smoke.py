"""The browser smoke pipeline: a seeded DataLoader over a TensorDataset.

Natively it prints the first batch as JSON. In Pyodide it also hands the batch to JavaScript
with ``to_js()`` (kept on ``globalThis.torshBatch``) for the test to read from the page.
"""

from __future__ import annotations

import json

import torsh_data as td


def first_batch() -> td.Tensor:
    features = td.arange(60).astype("float32").reshape(20, 3)
    ds = td.TensorDataset(features, td.arange(20))
    loader = td.DataLoader(ds, batch_size=5, shuffle=True, seed=2026)
    x, _ = next(iter(loader))
    return x


if __name__ == "__main__":
    x = first_batch()
    if td.IN_PYODIDE:
        import js

        js.globalThis.torshBatch = x.to_js()
    print(json.dumps({"runtime": td.runtime_name(), "shape": list(x.shape), "values": x.tolist()}))
