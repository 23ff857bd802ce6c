"""Write the ``cryptography`` half of ``crypto_vectors.json`` (the WebCrypto half comes from
``make_crypto_vectors.mjs``): an encrypted cache entry built from the format's description
(see ``torsh_data/io/_crypto.py``) with the reference primitives of ``cryptography`` —
PBKDF2HMAC, HKDFExpand, AESGCM — not with torsh-data's code.

Run: ``.venv/bin/python tests/io/make_crypto_vectors.py``
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

FILE = Path(__file__).with_name("crypto_vectors.json")


def vector() -> dict[str, object]:
    passphrase, salt, iterations = "correct horse battery staple", bytes(range(16)), 1000
    key, plaintext = "https://example.org/data/shard-000.tar", b"label,value\n7,0.25\n" * 3
    check_nonce, entry_nonce = bytes(range(100, 112)), bytes(range(200, 212))
    master = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(passphrase.encode())

    def sub(label: bytes) -> bytes:
        return HKDFExpand(hashes.SHA256(), 32, label).derive(master)

    entries, names, name_iv = (
        sub(b"torsh-data/entries"),
        sub(b"torsh-data/names"),
        sub(b"torsh-data/name-iv"),
    )
    check = AESGCM(entries).encrypt(
        check_nonce, b"torsh-data passphrase check", b"torsh-data/check"
    )
    record = {
        "format": "torsh-data-crypt/1",
        "kdf": "PBKDF2-HMAC-SHA256",
        "iterations": iterations,
        "salt": base64.b64encode(salt).decode(),
        "check": base64.b64encode(check_nonce + check).decode(),
    }
    iv = hmac.new(name_iv, key.encode(), hashlib.sha256).digest()[:12]
    stored_key = (
        "e1:"
        + base64.urlsafe_b64encode(
            iv + AESGCM(names).encrypt(iv, key.encode(), b"torsh-data/name")
        ).decode()
    )
    aad = b"torsh-data/entry\x00" + key.encode()
    entry = b"TDE1" + entry_nonce + AESGCM(entries).encrypt(entry_nonce, plaintext, aad)
    return {
        "made_by": "cryptography",
        "passphrase": passphrase,
        "key": key,
        "plaintext": plaintext.hex(),
        "entry_nonce": entry_nonce.hex(),
        "record": json.dumps(record),
        "stored_key": stored_key,
        "entry": entry.hex(),
    }


if __name__ == "__main__":
    vectors = json.loads(FILE.read_text()) if FILE.exists() else {}
    vectors["cryptography"] = vector()
    FILE.write_text(json.dumps(vectors, indent=1, sort_keys=True) + "\n")
