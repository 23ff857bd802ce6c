"""Deterministic bodies served by ``server.py`` and checked by the fetch tests."""

from __future__ import annotations

import hashlib

_PATTERN = bytes((i * 31 + 7) % 251 for i in range(251 * 16))


def body(n: int) -> bytes:
    """``n`` bytes of a fixed pattern (no period of 256, so an offset error shows)."""
    reps = n // len(_PATTERN) + 1
    return (_PATTERN * reps)[:n]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
