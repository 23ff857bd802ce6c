"""The primitives of cache encryption natively: PBKDF2 from :mod:`hashlib`, AES-256-GCM from
the optional ``cryptography`` package (``pip install 'torsh-data[crypto]'``).

The twin of :mod:`torsh_data.io._crypto_web`; :mod:`torsh_data.io._crypto` picks one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .._errors import MissingExtraError
from ._crypto import TagError

__all__ = ["Aead", "check_available", "pbkdf2"]


def check_available() -> None:
    """Raise :class:`MissingExtraError` without ``cryptography``."""
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        raise MissingExtraError("cryptography", "crypto", "an encrypted Cache") from None


async def pbkdf2(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    """PBKDF2-HMAC-SHA256 to 32 bytes."""
    return hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, 32)


class Aead:
    """AES-256-GCM under one key, with a 128-bit tag appended to the ciphertext."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._key: Any = AESGCM(key)

    async def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        return bytes(self._key.encrypt(nonce, data, aad))

    async def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return bytes(self._key.decrypt(nonce, sealed, aad))
        except InvalidTag:
            raise TagError from None
