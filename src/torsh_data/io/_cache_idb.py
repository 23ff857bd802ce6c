"""The browser cache: IndexedDB through ``js.indexedDB`` (Pyodide only).

One database per cache, ``torsh-data:<name>``, with two object stores keyed by the entry's
key: ``data`` (a ``Uint8Array``) and ``meta`` (``{sha256, size, atime}``), written in one
``readwrite`` transaction, so an entry is all there or not there; a third store, ``settings``
(database version 2), holds an encrypted cache's record (salt and verifier, see
:mod:`._crypto`) under the key ``crypt``. Requests and
transactions are turned into awaitables with one-shot event handlers; every request of a
transaction is issued before the first ``await`` (an IndexedDB transaction commits as soon as
its task has no pending request).

A write that hits the origin's quota (``QuotaExceededError``) evicts least-recently-used
entries worth its size and tries again (up to three times, evicting twice as much each
time), then raises a :class:`SourceError`; the failed write leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from .._errors import SourceError
from .._ffi import create_proxy, is_null, js_array, js_object, to_bytes, to_uint8array
from .._runtime import js_module

__all__ = ["IdbCache", "idb_available"]

STORES = ("data", "meta")
SETTINGS = "settings"
VERSION = 2  # 2: the settings store


def idb_available() -> bool:
    """True when ``indexedDB`` exists in this JavaScript global scope."""
    return getattr(js_module(), "indexedDB", None) is not None


def _error_name(target: Any) -> str:
    error = getattr(target, "error", None)
    return "" if is_null(error) else str(getattr(error, "name", "") or "")


class _IdbFailure(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}" if name else message)
        self.name = name


def _listen(target: Any, ok: tuple[str, ...], bad: tuple[str, ...]) -> asyncio.Future[Any]:
    """A future set by the first of the ``ok`` or ``bad`` events of ``target``."""
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    proxies: list[Any] = []

    def cleanup() -> None:
        for event in ok + bad:
            setattr(target, f"on{event}", None)
        for p in proxies:
            p.destroy()
        proxies.clear()

    def on_ok(_event: Any) -> None:
        if not fut.done():
            fut.set_result(None)
        cleanup()

    def on_bad(event: Any) -> None:
        if hasattr(event, "preventDefault"):
            event.preventDefault()  # handled here: no uncaught-error report
        if not fut.done():
            error = getattr(target, "error", None)
            message = "" if is_null(error) else str(getattr(error, "message", "") or "")
            fut.set_exception(_IdbFailure(_error_name(target), message or "IndexedDB failed"))
        cleanup()

    for event in ok:
        proxies.append(create_proxy(on_ok))
        setattr(target, f"on{event}", proxies[-1])
    for event in bad:
        proxies.append(create_proxy(on_bad))
        setattr(target, f"on{event}", proxies[-1])
    return fut


async def _request(request: Any) -> Any:
    await _listen(request, ("success",), ("error",))
    return request.result


async def _transaction(tx: Any) -> None:
    await _listen(tx, ("complete",), ("error", "abort"))


class IdbCache:
    """The browser implementation of :class:`Cache`."""

    def __init__(self, name: str, max_bytes: int | None) -> None:
        self.name, self.max_bytes = name, max_bytes
        self.db_name = f"torsh-data:{name}"
        self._db: Any = None
        self._clock = 0.0

    def _fail(self, what: str, e: Exception) -> SourceError:
        return SourceError(f"cache {self.name!r} (IndexedDB {self.db_name!r}): {what}: {e}")

    async def _open(self) -> Any:
        if self._db is not None:
            return self._db
        js = js_module()
        request = js.indexedDB.open(self.db_name, VERSION)

        def upgrade(_event: Any) -> None:
            db = request.result
            for store in (*STORES, SETTINGS):
                if not db.objectStoreNames.contains(store):
                    db.createObjectStore(store)

        upgrade_proxy = create_proxy(upgrade)
        request.onupgradeneeded = upgrade_proxy
        try:
            self._db = await _request(request)
        except _IdbFailure as e:
            raise self._fail("cannot open the database", e) from None
        finally:
            request.onupgradeneeded = None
            upgrade_proxy.destroy()
        return self._db

    async def _tx(self, mode: str) -> Any:
        db = await self._open()
        return db.transaction(js_array(STORES), mode)

    def _now(self) -> float:
        self._clock = max(float(js_module().Date.now()), self._clock + 1.0)
        return self._clock

    async def _metas(self) -> list[tuple[str, int, float]]:
        """(key, size, last use) of every entry."""
        tx = await self._tx("readonly")
        store = tx.objectStore("meta")
        keys_req, vals_req = store.getAllKeys(), store.getAll()
        await _transaction(tx)
        keys, vals = keys_req.result, vals_req.result
        return [(str(k), int(v.size), float(v.atime)) for k, v in zip(keys, vals, strict=True)]

    async def _delete_keys(self, keys: list[str]) -> None:
        if not keys:
            return
        tx = await self._tx("readwrite")
        for key in keys:
            for store in STORES:
                tx.objectStore(store).delete(key)
        await _transaction(tx)

    async def get(self, key: str) -> bytes | None:
        tx = await self._tx("readonly")
        meta_req = tx.objectStore("meta").get(key)
        data_req = tx.objectStore("data").get(key)
        try:
            await _transaction(tx)
        except _IdbFailure as e:
            raise self._fail(f"cannot read {key!r}", e) from None
        meta, value = meta_req.result, data_req.result
        if is_null(meta) and is_null(value):
            return None
        data = None
        if not is_null(value) and hasattr(value, "to_bytes"):
            data = to_bytes(value)
        if (
            data is None
            or is_null(meta)
            or int(getattr(meta, "size", -1)) != len(data)
            or str(getattr(meta, "sha256", "")) != hashlib.sha256(data).hexdigest()
        ):
            await self._delete_keys([key])  # corrupt: never hand it out
            return None
        tx = await self._tx("readwrite")
        tx.objectStore("meta").put(
            js_object(sha256=meta.sha256, size=meta.size, atime=self._now()), key
        )
        await _transaction(tx)
        return data

    async def _write(self, key: str, data: bytes) -> None:
        array = to_uint8array(data)
        meta = js_object(sha256=hashlib.sha256(data).hexdigest(), size=len(data), atime=self._now())
        tx = await self._tx("readwrite")
        tx.objectStore("data").put(array, key)
        tx.objectStore("meta").put(meta, key)
        await _transaction(tx)

    async def put(self, key: str, data: bytes) -> None:
        data = bytes(data)
        if self.max_bytes is not None and len(data) > self.max_bytes:
            raise SourceError(
                f"cache {self.name!r}: an entry of {len(data)} bytes does not fit in "
                f"max_bytes={self.max_bytes}"
            )
        try:
            await self._write(key, data)
        except _IdbFailure as e:
            if e.name != "QuotaExceededError":
                raise self._fail(f"cannot write {key!r}", e) from None
            await self._write_after_evicting(key, data)
        if self.max_bytes is not None:
            await self._evict(need=0, keep=key)

    async def _write_after_evicting(self, key: str, data: bytes) -> None:
        # NOTE [quota]: the space of deleted entries comes back with some lag (the browser's
        # storage compacts in the background), so one eviction of exactly the entry's size is
        # not always enough: evict twice as much on each further try, three tries at most.
        error: _IdbFailure | None = None
        for attempt in range(3):
            if not await self._evict(need=len(data) << attempt, keep=key):
                break  # nothing left to evict
            try:
                await self._write(key, data)
                return
            except _IdbFailure as e:
                if e.name != "QuotaExceededError":
                    raise self._fail(f"cannot write {key!r}", e) from None
                error = e
        raise self._fail(
            f"cannot write {key!r} ({len(data)} bytes) even after evicting older entries: the "
            "browser's storage quota for this site is full",
            error or _IdbFailure("QuotaExceededError", "no entry left to evict"),
        )

    async def _evict(self, need: int, keep: str) -> int:
        """Drop least-recently-used entries until ``need`` bytes fit under ``max_bytes``
        (or, without ``max_bytes``, until at least ``need`` bytes were freed)."""
        metas = sorted(await self._metas(), key=lambda m: m[2])
        used = sum(size for _, size, _ in metas)
        limit = (self.max_bytes if self.max_bytes is not None else used) - need
        drop = []
        for key, size, _ in metas:
            if used <= limit:
                break
            if key != keep:
                drop.append(key)
                used -= size
        await self._delete_keys(drop)
        return len(drop)

    async def has(self, key: str) -> bool:
        tx = await self._tx("readonly")
        req = tx.objectStore("meta").count(key)
        await _transaction(tx)
        return int(req.result) > 0

    async def delete(self, key: str) -> bool:
        existed = await self.has(key)
        await self._delete_keys([key])
        return existed

    async def keys(self) -> list[str]:
        return sorted(key for key, _, _ in await self._metas())

    async def usage(self) -> int:
        return sum(size for _, size, _ in await self._metas())

    async def clear(self) -> None:
        tx = await self._tx("readwrite")
        for store in STORES:
            tx.objectStore(store).clear()
        await _transaction(tx)

    async def read_record(self) -> bytes | None:
        """The encryption record of this cache, or None."""
        db = await self._open()
        tx = db.transaction(SETTINGS, "readonly")
        req = tx.objectStore(SETTINGS).get("crypt")
        try:
            await _transaction(tx)
        except _IdbFailure as e:
            raise self._fail("cannot read the encryption record", e) from None
        value = req.result
        return None if is_null(value) else to_bytes(value)

    async def write_record(self, record: bytes) -> bytes:
        """Store ``record`` unless one exists (``add``); return the record in force."""
        db = await self._open()
        tx = db.transaction(SETTINGS, "readwrite")
        array = to_uint8array(record)
        req = tx.objectStore(SETTINGS).add(array, "crypt")
        # both listeners before any await: the request's error also bubbles to the transaction
        done = (
            _listen(req, ("success",), ("error",)),
            _listen(tx, ("complete",), ("error", "abort")),
        )
        outcomes: list[Any] = list(await asyncio.gather(*done, return_exceptions=True))
        errors = [e for e in outcomes if isinstance(e, Exception)]
        if errors and not (
            isinstance(outcomes[0], _IdbFailure) and outcomes[0].name == "ConstraintError"
        ):  # ConstraintError: another writer was first, its record is in force
            raise self._fail("cannot write the encryption record", errors[0]) from None
        in_force = await self.read_record()
        if in_force is None:
            raise self._fail("the encryption record vanished", _IdbFailure("", "?"))
        return in_force

    def close(self) -> None:
        """Close the database connection (it reopens on next use)."""
        if self._db is not None:
            self._db.close()
            self._db = None
