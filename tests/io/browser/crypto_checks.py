"""Encrypted-cache checks run in Chromium (IndexedDB) by ``tests/runtimes/io.test.mjs``.

Usage: ``crypto_checks.py write|read``. ``write`` fills the encrypted cache ``secret`` and
checks passphrases and tampering; the test then reads the raw IndexedDB records from
JavaScript and looks for the plaintext. ``read`` (a new page load, same profile) opens it
again. Prints one JSON object of facts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from typing import Any

from torsh_data._runtime import runtime_name
from torsh_data.io import Cache

PASSPHRASE = "correct horse battery staple"
KEY = "https://private.example/records/patients.csv"
PAYLOAD = b"patient-id,diagnosis,notes\n" + b"4242,confidential,do not leak\n" * 2000


def error_name(e: BaseException | None) -> str | None:
    return None if e is None else type(e).__name__


async def attempt(coro: Any) -> str | None:
    try:
        await coro
    except Exception as e:
        return error_name(e)
    return None


async def write() -> dict[str, Any]:
    cache = Cache("secret", passphrase=PASSPHRASE)
    await cache.clear()
    await cache.put(KEY, PAYLOAD)
    await cache.put("victim", PAYLOAD[:5000])
    out: dict[str, Any] = {
        "backend": cache.backend,
        "roundtrip": await cache.get(KEY) == PAYLOAD,
        "keys": await cache.keys(),
        "wrong": await attempt(Cache("secret", passphrase="wrong").open()),
        "unencrypted": await attempt(Cache("secret").get(KEY)),
    }
    # tamper with the stored ciphertext behind the cache's back (valid for the plain layer)
    keys = await cache._impl.unlock()
    stored = await keys.stored_key("victim")
    raw = bytearray(await cache._store.get(stored))
    raw[100] ^= 1
    await cache._store.put(stored, bytes(raw))
    out["tampered_get"] = await cache.get("victim")
    out["tampered_dropped"] = not await cache.has("victim")
    out["after"] = await cache.keys()
    out["still_right"] = await Cache("secret", passphrase=PASSPHRASE).get(KEY) == PAYLOAD
    out["upgraded"] = await upgrade_v1()
    return out


async def upgrade_v1() -> Any:
    """A database of the first version (stores data and meta, no settings store) is
    upgraded when a Cache opens it, and works."""
    import js  # type: ignore[import-not-found]

    from torsh_data.io import _cache_idb as idb

    js.indexedDB.deleteDatabase("torsh-data:legacy")
    request = js.indexedDB.open("torsh-data:legacy", 1)

    def upgrade(_event: Any) -> None:
        for store in ("data", "meta"):
            request.result.createObjectStore(store)

    from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

    proxy = create_proxy(upgrade)
    request.onupgradeneeded = proxy
    db = await idb._request(request)
    version = int(db.version)
    db.close()
    proxy.destroy()
    plain = Cache("legacy")
    await plain.put("k", b"plain")
    got = await plain.get("k")
    plain._store.close()
    return {"v1": version, "plain_get": None if got is None else got.decode()}


async def read() -> dict[str, Any]:
    cache = Cache("secret", passphrase=PASSPHRASE)
    return {
        "backend": cache.backend,
        "keys": await cache.keys(),
        "roundtrip": await cache.get(KEY) == PAYLOAD,
        "wrong": await attempt(Cache("secret", passphrase="nope").get(KEY)),
    }


if __name__ == "__main__":
    facts = asyncio.run({"write": write, "read": read}[sys.argv[1]]())
    facts["runtime"] = runtime_name()
    facts["payload_hex"] = PAYLOAD[27:60].hex()
    facts["payload_sha256"] = hashlib.sha256(PAYLOAD).hexdigest()
    facts["key"] = KEY
    facts["passphrase"] = PASSPHRASE
    print(json.dumps(facts))
