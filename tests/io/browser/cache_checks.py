"""Cache checks run in Pyodide (Chromium: IndexedDB) by ``tests/runtimes/io.test.mjs``.

Usage: ``cache_checks.py write|read|quota``. ``write`` clears the cache ``persist``, stores entries,
checks corruption detection and LRU eviction, and leaves entries behind; ``read`` (run in a
new page load with the same browser profile and origin) checks they are still there;
``quota`` (run with a ~1 MB storage quota) checks that a ``QuotaExceededError`` evicts and
retries, or fails with a clear error leaving no entry behind. Prints one JSON object of facts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from typing import Any

from torsh_data import SourceError
from torsh_data._runtime import IN_BROWSER, runtime_name
from torsh_data.io import Cache

PAYLOAD = bytes(range(256)) * 400  # 100 KiB


async def corrupt(cache: Cache, key: str) -> None:
    """Overwrite the stored data of ``key`` behind the cache's back (IndexedDB)."""
    import js  # type: ignore[import-not-found]

    from torsh_data.io import _cache_idb as idb

    impl: Any = cache._impl
    tx = await impl._tx("readwrite")
    bad = js.Uint8Array.new(len(PAYLOAD))
    bad.assign(PAYLOAD[:-1] + b"\x00")
    tx.objectStore("data").put(bad, key)
    await idb._transaction(tx)


async def write() -> dict[str, Any]:
    cache = Cache("persist")
    await cache.clear()
    await cache.put("dataset.bin", PAYLOAD)
    await cache.put("small", b"hello")
    out: dict[str, Any] = {"backend": cache.backend, "keys": await cache.keys()}

    # a corrupted entry is detected, dropped, and never returned
    await cache.put("victim", PAYLOAD)
    if IN_BROWSER:
        await corrupt(cache, "victim")
    got = await cache.get("victim")
    out["corrupt_get"] = None if got is None else len(got)
    out["corrupt_still_there"] = await cache.has("victim")

    # LRU eviction to max_bytes
    lru = Cache("lru", max_bytes=3000)
    await lru.clear()
    await lru.put("a", b"a" * 1200)
    await lru.put("b", b"b" * 1200)
    await lru.get("a")
    await lru.put("c", b"c" * 1200)
    out["lru_keys"] = await lru.keys()
    out["lru_usage"] = await lru.usage()
    return out


async def quota() -> dict[str, Any]:
    """Run with a storage quota of about 1 MB: puts evict and retry, or fail cleanly."""
    cache = Cache("quota")
    await cache.clear()
    blobs = [os.urandom(300_000) for _ in range(6)]  # random: IndexedDB cannot compress it
    after = []
    for i, blob in enumerate(blobs):
        await cache.put(f"k{i}", blob)
        after.append(await cache.keys())
    out: dict[str, Any] = {"after": after, "last_ok": await cache.get("k5") == blobs[5]}
    try:
        await cache.put("big", os.urandom(2_000_000))
        out["big_error"] = None
    except SourceError as e:
        out["big_error"] = str(e)
    out["keys_after_big"] = await cache.keys()
    return out


async def read() -> dict[str, Any]:
    cache = Cache("persist")
    data = await cache.get("dataset.bin")
    return {
        "backend": cache.backend,
        "keys": await cache.keys(),
        "dataset_sha": None if data is None else hashlib.sha256(data).hexdigest(),
        "small": None if (s := await cache.get("small")) is None else s.decode(),
        "lru_keys": await Cache("lru", max_bytes=3000).keys(),
    }


if __name__ == "__main__":
    phase = sys.argv[1]
    facts = asyncio.run({"write": write, "read": read, "quota": quota}[phase]())
    facts["runtime"] = runtime_name()
    facts["expected_sha"] = hashlib.sha256(PAYLOAD).hexdigest()
    print(json.dumps(facts))
