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
come from WebCrypto (``crypto.subtle``), which is asynchronous.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from .._errors import DataValueError, FormatError, MissingExtraError
from .._json import load_json
from .._runtime import IN_PYODIDE, js_module

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


class _TagError(Exception):
    """AES-GCM authentication failed (wrong key, or tampered data)."""


def check_crypto_available() -> None:
    """Raise :class:`MissingExtraError` natively without ``cryptography``."""
    if IN_PYODIDE:
        return
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        raise MissingExtraError("cryptography", "crypto", "an encrypted Cache") from None


# --- primitives: one per runtime ---------------------------------------------------------
def _u8(data: bytes) -> Any:
    array = js_module().Uint8Array.new(len(data))
    array.assign(data)
    return array


def _js_obj(**fields: Any) -> Any:
    import pyodide.ffi  # type: ignore[import-not-found]

    return pyodide.ffi.to_js(fields, dict_converter=js_module().Object.fromEntries)


def _subtle() -> Any:
    return js_module().crypto.subtle


async def pbkdf2(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    """PBKDF2-HMAC-SHA256 to 32 bytes (WebCrypto in Pyodide, hashlib natively)."""
    if not IN_PYODIDE:
        return hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, 32)
    subtle = _subtle()
    base = await subtle.importKey("raw", _u8(passphrase), "PBKDF2", False, _js_list("deriveBits"))
    params = _js_obj(name="PBKDF2", hash="SHA-256", salt=_u8(salt), iterations=iterations)
    bits = await subtle.deriveBits(params, base, 256)
    return bytes(bits.to_bytes())


def _js_list(*items: str) -> Any:
    import pyodide.ffi

    return pyodide.ffi.to_js(list(items))


class _Aead:
    """AES-256-GCM under one key, with a 128-bit tag appended to the ciphertext."""

    def __init__(self, key: bytes) -> None:
        self._key_bytes = key
        self._key: Any = None
        if not IN_PYODIDE:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._key = AESGCM(key)

    async def _js_key(self) -> Any:
        if self._key is None:
            usages = _js_list("encrypt", "decrypt")
            self._key = await _subtle().importKey(
                "raw", _u8(self._key_bytes), "AES-GCM", False, usages
            )
            self._key_bytes = b""
        return self._key

    async def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if not IN_PYODIDE:
            return bytes(self._key.encrypt(nonce, data, aad))
        params = _js_obj(name="AES-GCM", iv=_u8(nonce), additionalData=_u8(aad), tagLength=128)
        out = await _subtle().encrypt(params, await self._js_key(), _u8(data))
        return bytes(out.to_bytes())

    async def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if not IN_PYODIDE:
            from cryptography.exceptions import InvalidTag

            try:
                return bytes(self._key.decrypt(nonce, sealed, aad))
            except InvalidTag:
                raise _TagError from None
        params = _js_obj(name="AES-GCM", iv=_u8(nonce), additionalData=_u8(aad), tagLength=128)
        key = await self._js_key()
        try:
            out = await _subtle().decrypt(params, key, _u8(sealed))
        except Exception as e:  # a rejected promise: OperationError
            raise _TagError from e
        return bytes(out.to_bytes())


def _expand(master: bytes, label: bytes) -> bytes:
    """One HKDF-Expand block (RFC 5869) of ``master`` with ``info=label``."""
    return hmac.new(master, label + b"\x01", hashlib.sha256).digest()


class Keys:
    """The subkeys of one passphrase and salt (memory only)."""

    def __init__(self, master: bytes) -> None:
        self.entries = _Aead(_expand(master, b"torsh-data/entries"))
        self.names = _Aead(_expand(master, b"torsh-data/names"))
        self._name_iv = _expand(master, b"torsh-data/name-iv")

    async def seal(self, key: str, data: bytes, nonce: bytes | None = None) -> bytes:
        nonce = os.urandom(NONCE) if nonce is None else nonce
        aad = b"torsh-data/entry\x00" + key.encode("utf-8")
        return ENTRY_MAGIC + nonce + await self.entries.encrypt(nonce, data, aad)

    async def open(self, key: str, raw: bytes) -> bytes:
        if raw[:4] != ENTRY_MAGIC or len(raw) < 4 + NONCE + TAG:
            raise _TagError
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
        except (ValueError, _TagError):
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
    except _TagError:
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
        except _TagError:
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
