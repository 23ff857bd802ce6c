"""Encryption at rest for :class:`~torsh_data.io.Cache` (``passphrase=``).

NOTE [cache encryption]: one format on every runtime, so a cache written natively opens in
Pyodide with the same passphrase and the other way round:

- ``master = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32 bytes)``; the random 16-byte
  salt and the iteration count (:data:`PBKDF2_ITERATIONS`, OWASP's 2023 figure, for new
  caches) are stored with the cache in a small record, with a *verifier*: a known token
  encrypted with the entry key, so a wrong passphrase is told at open time and nothing is
  touched. Keys stay in memory; nothing derived from the passphrase is written anywhere.
- Three 32-byte subkeys are HKDF-Expand(master, label) blocks (``HMAC(master, label||0x01)``):
  ``entries`` (AES-256-GCM of the data), ``names`` (AES-256-GCM of key names) and ``name-iv``.
- An entry is ``TDE1 || nonce(12) || AES-GCM(entries, nonce, data, aad)`` with a fresh random
  nonce and ``aad = "torsh-data/entry\\0" || key`` (UTF-8): an entry moved under another key
  fails its tag. A failed tag is a corrupt entry: dropped, ``get`` returns None.
- Key names are encrypted too (they are often URLs, which tell what a user works on): the
  stored key is ``"e1:" + base64url(iv || AES-GCM(names, iv, key, "torsh-data/name"))`` with
  the synthetic ``iv = HMAC-SHA256(name-iv, key)[:12]``, so the same key always maps to the
  same stored key (``get`` finds it) while ``keys()`` decrypts them back; the stored key
  reveals only the name's length and equality.

What stays visible: the number of entries, their sizes (plaintext + 32 bytes) and their use
times. Natively AES-GCM comes from the optional ``cryptography`` package (``pip install
'torsh-data[crypto]'``) and PBKDF2 from :mod:`hashlib`; in Pyodide (browser and Node.js) both
come from WebCrypto (``crypto.subtle``), which is asynchronous. The two sets of primitives
are twins (:mod:`._crypto_native`, :mod:`._crypto_web`) with the same API, chosen once; the
format above is written here once for both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from .._errors import DataValueError, FormatError
from .._json import load_json
from .._runtime import IN_PYODIDE

__all__ = ["PBKDF2_ITERATIONS", "EncryptedStore", "PassphraseError", "check_crypto_available"]

#: PBKDF2-HMAC-SHA256 iterations for new encrypted caches (OWASP 2023); an existing cache
#: keeps the count stored with it.
PBKDF2_ITERATIONS = 600_000
RECORD_FORMAT = "torsh-data-crypt/1"
ENTRY_MAGIC = b"TDE1"
NAME_PREFIX = "e1:"
NONCE = 12
TAG = 16
CHECK_TOKEN = b"torsh-data passphrase check"
_MAX_ITERATIONS = 10_000_000  # a hostile record must not make opening hang


class PassphraseError(DataValueError):
    """A cache's passphrase is wrong, missing, or given for a cache that is not encrypted
    (and cannot become so). Nothing in the cache was changed."""


class TagError(Exception):
    """AES-GCM authentication failed (wrong key, or tampered data)."""


_primitives: Any = None


def _twin() -> Any:
    """The primitives of this runtime, chosen once: WebCrypto in Pyodide, else hashlib and
    ``cryptography`` (:mod:`._crypto_web`, :mod:`._crypto_native`)."""
    global _primitives
    if _primitives is None:
        if IN_PYODIDE:
            from . import _crypto_web as twin
        else:
            from . import _crypto_native as twin  # type: ignore[no-redef]
        _primitives = twin
    return _primitives


def check_crypto_available() -> None:
    """Raise :class:`MissingExtraError` natively without ``cryptography``."""
    _twin().check_available()


async def pbkdf2(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    """PBKDF2-HMAC-SHA256 to 32 bytes (WebCrypto in Pyodide, hashlib natively)."""
    return await _twin().pbkdf2(passphrase, salt, iterations)


def _aead(key: bytes) -> Any:
    """AES-256-GCM under ``key`` (``encrypt``/``decrypt``, the tag appended; a failed tag
    raises :class:`TagError`)."""
    return _twin().Aead(key)


def _expand(master: bytes, label: bytes) -> bytes:
    """One HKDF-Expand block (RFC 5869) of ``master`` with ``info=label``."""
    return hmac.new(master, label + b"\x01", hashlib.sha256).digest()


class Keys:
    """The subkeys of one passphrase and salt (memory only)."""

    def __init__(self, master: bytes) -> None:
        self.entries = _aead(_expand(master, b"torsh-data/entries"))
        self.names = _aead(_expand(master, b"torsh-data/names"))
        self._name_iv = _expand(master, b"torsh-data/name-iv")

    async def seal(self, key: str, data: bytes, nonce: bytes | None = None) -> bytes:
        nonce = os.urandom(NONCE) if nonce is None else nonce
        aad = b"torsh-data/entry\x00" + key.encode("utf-8")
        return ENTRY_MAGIC + nonce + await self.entries.encrypt(nonce, data, aad)

    async def open(self, key: str, raw: bytes) -> bytes:
        if raw[:4] != ENTRY_MAGIC or len(raw) < 4 + NONCE + TAG:
            raise TagError
        aad = b"torsh-data/entry\x00" + key.encode("utf-8")
        return await self.entries.decrypt(raw[4 : 4 + NONCE], raw[4 + NONCE :], aad)

    async def stored_key(self, key: str) -> str:
        name = key.encode("utf-8")
        iv = hmac.new(self._name_iv, name, hashlib.sha256).digest()[:NONCE]
        sealed = await self.names.encrypt(iv, name, b"torsh-data/name")
        return NAME_PREFIX + base64.urlsafe_b64encode(iv + sealed).decode("ascii")

    async def key_of(self, stored: str) -> str | None:
        if not stored.startswith(NAME_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(stored[len(NAME_PREFIX) :])
            name = await self.names.decrypt(raw[:NONCE], raw[NONCE:], b"torsh-data/name")
            return name.decode("utf-8")
        except (ValueError, TagError):
            return None


# --- the record stored with the cache ----------------------------------------------------
async def new_record(passphrase: str) -> tuple[bytes, Keys]:
    salt = os.urandom(16)
    keys = Keys(await pbkdf2(passphrase.encode("utf-8"), salt, PBKDF2_ITERATIONS))
    nonce = os.urandom(NONCE)
    check = nonce + await keys.entries.encrypt(nonce, CHECK_TOKEN, b"torsh-data/check")
    record = {
        "format": RECORD_FORMAT,
        "kdf": "PBKDF2-HMAC-SHA256",
        "iterations": PBKDF2_ITERATIONS,
        "salt": base64.b64encode(salt).decode("ascii"),
        "check": base64.b64encode(check).decode("ascii"),
    }
    return json.dumps(record).encode("utf-8"), keys


async def unlock(record: bytes, passphrase: str, cache: str) -> Keys:
    """The keys of ``passphrase`` if its verifier in ``record`` decrypts, else PassphraseError."""
    try:
        fields = load_json(record, source=f"cache {cache!r}")
        salt = base64.b64decode(fields["salt"], validate=True)
        check = base64.b64decode(fields["check"], validate=True)
        iterations = fields["iterations"]
        if (
            fields.get("format") != RECORD_FORMAT
            or not isinstance(iterations, int)
            or not 1 <= iterations <= _MAX_ITERATIONS
            or not 8 <= len(salt) <= 64
            or len(check) != NONCE + len(CHECK_TOKEN) + TAG
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise FormatError(
            "the encryption record (salt, iterations, verifier) is damaged or hostile; "
            "the entries cannot be decrypted",
            source=f"cache {cache!r}",
        ) from None
    keys = Keys(await pbkdf2(passphrase.encode("utf-8"), salt, iterations))
    try:
        token = await keys.entries.decrypt(check[:NONCE], check[NONCE:], b"torsh-data/check")
    except TagError:
        token = b""
    if token != CHECK_TOKEN:
        raise PassphraseError(f"cache {cache!r}: wrong passphrase (nothing was changed)")
    return keys


class EncryptedStore:
    """The backend protocol of :class:`Cache` (get/put/has/delete/keys/usage/clear) over
    another backend, storing only ciphertext and encrypted key names."""

    def __init__(self, inner: Any, passphrase: str, cache: str) -> None:
        self.inner, self._passphrase, self._cache = inner, passphrase, cache
        self._keys: Keys | None = None

    async def unlock(self) -> Keys:
        if self._keys is None:
            record = await self.inner.read_record()
            if record is None:
                fresh, keys = await new_record(self._passphrase)
                record = await self.inner.write_record(fresh)  # the one in force if raced
                if record != fresh:
                    keys = await unlock(record, self._passphrase, self._cache)
            else:
                keys = await unlock(record, self._passphrase, self._cache)
            self._keys, self._passphrase = keys, ""
        return self._keys

    async def get(self, key: str) -> bytes | None:
        keys = await self.unlock()
        stored = await keys.stored_key(key)
        raw = await self.inner.get(stored)
        if raw is None:
            return None
        try:
            return await keys.open(key, raw)
        except TagError:
            await self.inner.delete(stored)  # tampered or damaged: never hand it out
            return None

    async def put(self, key: str, data: bytes) -> None:
        keys = await self.unlock()
        await self.inner.put(await keys.stored_key(key), await keys.seal(key, data))

    async def has(self, key: str) -> bool:
        keys = await self.unlock()
        return bool(await self.inner.has(await keys.stored_key(key)))

    async def delete(self, key: str) -> bool:
        keys = await self.unlock()
        return bool(await self.inner.delete(await keys.stored_key(key)))

    async def keys(self) -> list[str]:
        keys = await self.unlock()
        names = [await keys.key_of(stored) for stored in await self.inner.keys()]
        return sorted(n for n in names if n is not None)

    async def usage(self) -> int:
        await self.unlock()
        return int(await self.inner.usage())

    async def clear(self) -> None:
        await self.unlock()
        await self.inner.clear()
