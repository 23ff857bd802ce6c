"""The primitives of cache encryption in Pyodide (browser and Node.js): PBKDF2 and
AES-256-GCM from WebCrypto (``crypto.subtle``), which is asynchronous.

The twin of :mod:`torsh_data.io._crypto_native`; :mod:`torsh_data.io._crypto` picks one.
"""

from __future__ import annotations

from typing import Any

from .._ffi import js_array, js_object, to_bytes, to_uint8array
from .._runtime import js_module
from ._crypto import TagError

__all__ = ["Aead", "check_available", "pbkdf2"]


def check_available() -> None:
    """WebCrypto is always there in Pyodide: nothing to check."""


def _subtle() -> Any:
    return js_module().crypto.subtle


async def pbkdf2(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    """PBKDF2-HMAC-SHA256 to 32 bytes."""
    subtle = _subtle()
    base = await subtle.importKey(
        "raw", to_uint8array(passphrase), "PBKDF2", False, js_array(["deriveBits"])
    )
    params = js_object(
        name="PBKDF2", hash="SHA-256", salt=to_uint8array(salt), iterations=iterations
    )
    return to_bytes(await subtle.deriveBits(params, base, 256))


class Aead:
    """AES-256-GCM under one key, with a 128-bit tag appended to the ciphertext; the key is
    imported into WebCrypto on first use (and the Python copy dropped)."""

    def __init__(self, key: bytes) -> None:
        self._key_bytes = key
        self._key: Any = None

    async def _js_key(self) -> Any:
        if self._key is None:
            usages = js_array(["encrypt", "decrypt"])
            self._key = await _subtle().importKey(
                "raw", to_uint8array(self._key_bytes), "AES-GCM", False, usages
            )
            self._key_bytes = b""
        return self._key

    @staticmethod
    def _params(nonce: bytes, aad: bytes) -> Any:
        return js_object(
            name="AES-GCM",
            iv=to_uint8array(nonce),
            additionalData=to_uint8array(aad),
            tagLength=128,
        )

    async def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        key = await self._js_key()
        return to_bytes(await _subtle().encrypt(self._params(nonce, aad), key, to_uint8array(data)))

    async def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        key = await self._js_key()
        try:
            out = await _subtle().decrypt(self._params(nonce, aad), key, to_uint8array(sealed))
        except Exception as e:  # a rejected promise: OperationError
            raise TagError from e
        return to_bytes(out)
