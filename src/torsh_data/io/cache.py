"""A persistent byte cache with one API natively and in the browser.

:class:`Cache` stores bytes under string keys:

- natively, in a directory (``root/<name>``, by default ``~/.cache/torsh-data/<name>``, or
  ``$XDG_CACHE_HOME/torsh-data/<name>``), one atomically written file per entry;
- in a browser page or worker (Pyodide), in IndexedDB (database ``torsh-data:<name>``), so
  what was downloaded once is there after a reload or offline;
- in Pyodide under Node.js, which has no IndexedDB, or when ``root`` is given inside Pyodide,
  in a directory of Pyodide's file system (in memory unless the host mounted a real one).

Every entry carries its sha256 and is checked on read: a corrupt or truncated entry is
deleted and ``get`` returns None, never wrong bytes (natively ``keys`` drops one whose header
is damaged or hostile, e.g. nested too deeply, rather than listing it). With ``max_bytes``, the least recently
used entries (by ``get`` or ``put``) are evicted after each ``put``; ``usage()`` counts the
stored bytes (natively, with a header of about 100 bytes per entry). An entry larger than
``max_bytes``, or one that does not fit in a full browser quota even after evicting older
entries (which stay evicted), raises :class:`~torsh_data.SourceError`; no half-written entry
is ever visible.

With ``passphrase``, the cache stores only ciphertext (AES-256-GCM under a key derived from
the passphrase by PBKDF2; the ``cryptography`` package natively, ``pip install
'torsh-data[crypto]'``, WebCrypto in Pyodide): data and key names are encrypted, a tampered
entry fails its tag and is dropped like a corrupt one, and the same cache opens on every
runtime with the same passphrase. A wrong passphrase raises
:class:`~torsh_data.io.PassphraseError` on the first operation (or ``await cache.open()``)
and changes nothing; so does opening an encrypted cache without one.

>>> import asyncio, tempfile
>>> async def demo(root):
...     cache = Cache("demo", max_bytes=1 << 20, root=root)
...     await cache.put("greeting", b"hello")
...     return await cache.get("greeting"), await cache.keys(), await cache.get("missing")
>>> with tempfile.TemporaryDirectory() as root:
...     asyncio.run(demo(root))
(b'hello', ['greeting'], None)
"""

from __future__ import annotations

import os
from typing import Any

from .._errors import DataTypeError, DataValueError
from .._runtime import IN_PYODIDE

__all__ = ["Cache"]


def _backend(name: str, max_bytes: int | None, root: str | os.PathLike[str] | None) -> Any:
    if IN_PYODIDE and root is None:
        from ._cache_idb import IdbCache, idb_available

        if idb_available():
            return IdbCache(name, max_bytes)
    from ._cache_dir import DirCache

    return DirCache(name, max_bytes, root)


class Cache:
    """A named, size-bounded, verified byte cache (a directory natively, IndexedDB in a browser).

    Args:
        name: the cache's name (letters, digits, ``-_.``); caches of different names are apart.
        max_bytes: evict least-recently-used entries beyond this many bytes; None: no bound.
        root: natively (or to force a directory in Pyodide), the parent directory.
        passphrase: encrypt the entries and their keys with a key derived from this
            (see the module docstring); None: store them as they are.

    Raises:
        MissingExtraError: ``passphrase`` given natively and ``cryptography`` not installed.
    """

    def __init__(
        self,
        name: str,
        max_bytes: int | None = None,
        root: str | os.PathLike[str] | None = None,
        *,
        passphrase: str | None = None,
    ) -> None:
        if (
            not isinstance(name, str)
            or not name
            or name.strip("-_.") == ""
            or not all(c.isalnum() or c in "-_." for c in name)
        ):
            raise DataValueError(f"cache name must be letters, digits and -_. only: {name!r}")
        if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes <= 0):
            raise DataValueError(f"max_bytes must be a positive int or None, not {max_bytes!r}")
        if passphrase is not None and (not isinstance(passphrase, str) or not passphrase):
            raise DataValueError("passphrase must be a non-empty str or None")
        self.name, self.max_bytes = name, max_bytes
        self._store = _backend(name, max_bytes, root)  # where the bytes go
        self._impl: Any = self._store  # what get/put talk to
        self._opened = False
        if passphrase is not None:
            from ._crypto import EncryptedStore, check_crypto_available

            check_crypto_available()
            self._impl = EncryptedStore(self._store, passphrase, name)

    @property
    def backend(self) -> str:
        """``"directory"`` or ``"indexeddb"``."""
        return "indexeddb" if type(self._store).__name__ == "IdbCache" else "directory"

    @property
    def encrypted(self) -> bool:
        """True when opened with a passphrase."""
        return self._impl is not self._store

    def __repr__(self) -> str:
        flag = ", encrypted" if self.encrypted else ""
        return f"Cache({self.name!r}, max_bytes={self.max_bytes}, backend={self.backend!r}{flag})"

    async def open(self) -> Cache:
        """Check the passphrase now (it is otherwise checked by the first operation).

        Returns:
            This cache.

        Raises:
            PassphraseError: a wrong passphrase, or an encrypted cache opened without one.
        """
        if not self._opened:
            if self.encrypted:
                await self._impl.unlock()
            elif await self._store.read_record() is not None:
                from ._crypto import PassphraseError

                raise PassphraseError(
                    f"cache {self.name!r} is encrypted: open it with passphrase=... "
                    "(nothing was changed)"
                )
            self._opened = True
        return self

    @staticmethod
    def _key(key: str) -> str:
        if not isinstance(key, str):
            raise DataTypeError(f"cache keys are str, not {type(key).__name__}")
        return key

    async def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None (missing, or corrupt and now dropped)."""
        await self.open()
        result: bytes | None = await self._impl.get(self._key(key))
        return result

    async def put(self, key: str, data: bytes | bytearray | memoryview) -> None:
        """Store ``data`` under ``key`` (replacing any entry), then evict to ``max_bytes``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DataTypeError(f"cache data must be bytes-like, not {type(data).__name__}")
        await self.open()
        await self._impl.put(self._key(key), bytes(data))

    async def has(self, key: str) -> bool:
        """True when an entry exists under ``key`` (not verified: ``get`` verifies)."""
        await self.open()
        return bool(await self._impl.has(self._key(key)))

    async def delete(self, key: str) -> bool:
        """Remove the entry under ``key``; True if there was one."""
        await self.open()
        return bool(await self._impl.delete(self._key(key)))

    async def keys(self) -> list[str]:
        """The keys of all entries, sorted."""
        await self.open()
        return list(await self._impl.keys())

    async def usage(self) -> int:
        """Bytes the entries take."""
        await self.open()
        return int(await self._impl.usage())

    async def clear(self) -> None:
        """Remove every entry."""
        await self.open()
        await self._impl.clear()
