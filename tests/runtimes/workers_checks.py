"""Facts about DataLoader(num_workers=N) on this runtime, printed as one JSON line.

Natively (``num_workers=0`` only: the reference) and in Pyodide (Web Workers in a browser,
worker_threads under Node.js), for tests/runtimes/workers.test.mjs:

    python workers_checks.py [reference|workers|failures|boot URL]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/

import webworker_cases as cases

import torsh_data as td
from torsh_data.loader import WebWorkerExecutor, WorkerError
from torsh_data.testing import batch_digest


def loader(workers: int, **kw: object) -> td.DataLoader:
    return td.DataLoader(
        cases.augmented(), batch_size=8, shuffle=True, seed=7, num_workers=workers, **kw
    )


async def digests(make: object, epochs: int = 2) -> list[list[str]]:
    ld = make()  # type: ignore[operator]
    out = []
    for _ in range(epochs):
        out.append([batch_digest(b) async for b in ld])
    return out


async def reference() -> dict[str, object]:
    return {
        "map": await digests(lambda: loader(0)),
        "stream": await digests(lambda: td.DataLoader(cases.Stream(50), batch_size=4, seed=3)),
    }


async def workers() -> dict[str, object]:
    out: dict[str, object] = {"runtime": td.runtime_name()}
    out["map1"] = await digests(lambda: loader(1, persistent_workers=True))
    out["map2"] = await digests(lambda: loader(2, worker_init_fn=cases.record_worker))
    out["stream2"] = await digests(
        lambda: td.DataLoader(
            cases.Stream(50), batch_size=4, seed=3, num_workers=2, persistent_workers=True
        )
    )
    # in_order=False: the slow first batch is overtaken, every batch still comes once. The
    # first epoch boots the (persistent) workers; the second one is the check.
    ld = td.DataLoader(
        cases.Slow(16, 4), batch_size=4, num_workers=2, in_order=False, persistent_workers=True
    )
    warm = [b.tolist() async for b in ld]
    out["unordered"] = [warm, [b.tolist() async for b in ld]]
    # a plain for waits for each batch through JSPI; without it (WebKit) it is refused
    out["jspi"] = td.capabilities()["jspi"]
    try:
        out["sync_for"] = [batch_digest(b) for b in loader(2)]
    except td.CannotBlockError as exc:
        out["sync_for"] = str(exc)
    return out


async def failures() -> dict[str, object]:
    out: dict[str, object] = {}
    try:
        async for _ in td.DataLoader(cases.FailsAt(20, 13), batch_size=4, num_workers=2):
            pass
    except ValueError as exc:
        out["raised"] = {"type": type(exc).__name__, "message": str(exc)}
    try:
        ld = td.DataLoader(
            td.TensorDataset(list(range(8))), num_workers=1, worker_init_fn=cases.failing_init
        )
        async for _ in ld:
            pass
    except Exception as exc:
        out["init"] = {"type": type(exc).__name__, "message": str(exc)}
    return out


async def save() -> dict[str, object]:
    """Half an epoch with 2 workers, then the loader state into the IndexedDB cache."""
    from torsh_data.io import Cache

    cache = Cache("torsh-workers-test")
    ld = loader(2)
    it = aiter(ld)
    first = [batch_digest(await anext(it)) for _ in range(len(ld) // 2)]
    await td.loader.save_state(ld, cache, "resume")
    await it.aclose()  # type: ignore[attr-defined]
    return {"backend": cache.backend, "first": first, "state": ld.state_dict()}


async def restore() -> dict[str, object]:
    """After a reload: the state from the cache, then the rest of the epoch."""
    from torsh_data.io import Cache

    cache = Cache("torsh-workers-test")
    ld = td.DataLoader(cases.augmented(), batch_size=8, shuffle=True, num_workers=2)
    found = await td.loader.restore_state(ld, cache, "resume")
    return {"found": found, "rest": [batch_digest(b) async for b in ld]}


async def boot(url: str) -> dict[str, object]:
    ex = WebWorkerExecutor(2, index_url=url, boot_timeout=30)
    t0 = time.perf_counter()
    try:
        async for _ in td.DataLoader(td.TensorDataset(list(range(8))), executor=ex):
            pass
        return {"error": None}
    except WorkerError as exc:
        return {"error": str(exc), "seconds": round(time.perf_counter() - t0, 2)}


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "reference"
    fns = {
        "reference": reference,
        "workers": workers,
        "failures": failures,
        "save": save,
        "restore": restore,
    }
    coro = boot(sys.argv[2]) if what == "boot" else fns[what]()
    print(json.dumps(asyncio.run(coro)))
