"""The encrypted ``Cache(..., passphrase=...)``: natively (``cryptography``), in Pyodide under
Node.js and in Chromium (WebCrypto; IndexedDB for the default backend there).

Interoperability is checked with known-answer vectors made by the OTHER implementations
(``crypto_vectors.json``: one from ``cryptography``'s PBKDF2HMAC/HKDFExpand/AESGCM, one from
Node's WebCrypto; see ``make_crypto_vectors.py`` and ``.mjs``): each runtime must open both.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import run

from torsh_data import DataValueError, FormatError, MissingExtraError, TorshDataError
from torsh_data._runtime import runtime_name
from torsh_data.io import Cache, PassphraseError
from torsh_data.io import _crypto as crypto

VECTORS = json.loads(Path(__file__).with_name("crypto_vectors.json").read_text("utf-8"))
_names = itertools.count()


WEBCRYPTO = pytest.mark.needs_jspi(
    reason="in Pyodide the encrypted cache uses WebCrypto, whose answers are promises"
)


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New caches with 1000 PBKDF2 iterations (the stored count is used to reopen them);
    ``test_default_iterations`` checks the real default."""
    monkeypatch.setattr(crypto, "PBKDF2_ITERATIONS", 1000)


@pytest.fixture(params=["root", "default"])
def where(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cache(name, **where): a given root, or the runtime's default (IndexedDB in Chromium)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return {"root": tmp_path / "root"} if request.param == "root" else {"root": None}


def fresh_name() -> str:
    return f"enc{next(_names)}-{os.getpid()}"


async def raw_dump(cache: Cache) -> bytes:
    """Everything the cache's storage holds, as bytes (files natively, records in IDB)."""
    store: Any = cache._store
    if cache.backend == "directory":
        parts = []
        for dirpath, _, files in os.walk(store.path):
            for f in files:
                parts.append(f.encode() + Path(dirpath, f).read_bytes())
        return b"\n".join(parts)
    parts = [await store.read_record() or b""]
    for stored in await store.keys():
        parts += [stored.encode(), await store.get(stored) or b""]
    for key, size, _ in await store._metas():
        parts.append(f"{key} {size}".encode())
    return b"\n".join(parts)


def cleanup(cache: Cache) -> None:
    run(cache._store.clear())


# --- interoperability -----------------------------------------------------------------
@WEBCRYPTO
@pytest.mark.parametrize("made_by", ["cryptography", "webcrypto"])
def test_known_answer_vectors(made_by: str, where: Any) -> None:
    """A cache written by the other implementation opens here, and this one writes the same
    bytes from the same salt and nonces."""
    v = VECTORS[made_by]
    plaintext = bytes.fromhex(v["plaintext"])

    async def go() -> None:
        name = fresh_name()
        plain = Cache(name, **where)  # lay the foreign cache down through the raw backend
        store: Any = plain._store
        assert await store.write_record(v["record"].encode()) == v["record"].encode()
        await store.put(v["stored_key"], bytes.fromhex(v["entry"]))
        cache = Cache(name, passphrase=v["passphrase"], **where)
        try:
            assert await cache.keys() == [v["key"]]
            assert await cache.get(v["key"]) == plaintext
            keys = await cache._impl.unlock()
            assert await keys.stored_key(v["key"]) == v["stored_key"]
            sealed = await keys.seal(v["key"], plaintext, bytes.fromhex(v["entry_nonce"]))
            assert sealed.hex() == v["entry"]
            with pytest.raises(PassphraseError):
                await Cache(name, passphrase=v["passphrase"] + "x", **where).open()
        finally:
            await store.clear()

    run(go())


@WEBCRYPTO
def test_first_record_wins(where: Any) -> None:
    """Two caches opened at once write their records exclusively: the first stays in force."""
    store: Any = Cache(fresh_name(), **where)._store

    async def go() -> None:
        try:
            assert await store.read_record() is None
            assert await store.write_record(b"first") == b"first"
            assert await store.write_record(b"second") == b"first"
            assert await store.read_record() == b"first"
            await store.clear()  # clearing the entries keeps the record
            assert await store.read_record() == b"first"
        finally:
            await store.clear()

    run(go())


@WEBCRYPTO
def test_default_iterations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.undo()  # the real default
    assert crypto.PBKDF2_ITERATIONS == 600_000
    cache = Cache("kdf", root=tmp_path, passphrase="pw")
    run(cache.put("k", b"v"))
    record = json.loads((tmp_path / "kdf" / "crypt.json").read_text())
    assert record["iterations"] == 600_000 and record["kdf"] == "PBKDF2-HMAC-SHA256"
    assert len(record["salt"]) == 24  # 16 bytes, base64
    assert run(Cache("kdf", root=tmp_path, passphrase="pw").get("k")) == b"v"


# --- confidentiality ------------------------------------------------------------------
@WEBCRYPTO
def test_only_ciphertext_is_stored(where: Any) -> None:
    secret = b"The eagle lands at midnight; account 4242-4242. " * 40
    key = "https://private.example/patients.csv"
    cache = Cache(fresh_name(), passphrase="open sesame", **where)
    try:
        run(cache.put(key, secret))
        run(cache.put("second", secret[:100]))
        assert run(cache.get(key)) == secret
        assert run(cache.keys()) == [key, "second"]
        dump = run(raw_dump(cache))
        assert len(dump) > len(secret)
        # no key is written: neither the PBKDF2 output nor its subkeys (raw or hex)
        record = json.loads(run(cache._store.read_record()))
        salt = base64.b64decode(record["salt"])
        master = run(crypto.pbkdf2(b"open sesame", salt, record["iterations"]))
        subkeys = [crypto._expand(master, label) for label in (b"torsh-data/entries",
                   b"torsh-data/names", b"torsh-data/name-iv")]  # fmt: skip
        for key_bytes in (master, *subkeys):
            assert key_bytes not in dump and key_bytes.hex().encode() not in dump
        for needle in (
            secret[:16],
            secret[-16:],
            hashlib.sha256(secret).hexdigest().encode(),
            hashlib.sha256(secret[:100]).hexdigest().encode(),
            b"private.example",
            b"second",
            b"open sesame",
        ):
            assert needle not in dump, needle
    finally:
        cleanup(cache)


@WEBCRYPTO
def test_same_data_twice_gives_different_ciphertexts(tmp_path: Path) -> None:
    cache = Cache("nonce", root=tmp_path, passphrase="pw")
    run(cache.put("a", b"same bytes"))
    first = run(raw_dump(cache))
    run(cache.put("a", b"same bytes"))  # a fresh nonce each time
    assert run(raw_dump(cache)) != first
    assert run(cache.get("a")) == b"same bytes"


# --- passphrases ----------------------------------------------------------------------
@WEBCRYPTO
def test_wrong_passphrase_raises_and_destroys_nothing(where: Any) -> None:
    name = fresh_name()
    cache = Cache(name, passphrase="right", **where)
    try:
        run(cache.put("k", b"value"))
        before = run(raw_dump(cache))
        wrong = Cache(name, passphrase="wrong", **where)
        with pytest.raises(PassphraseError, match="wrong passphrase") as info:
            run(wrong.open())
        assert isinstance(info.value, (TorshDataError, ValueError))
        for op in (wrong.get("k"), wrong.put("k", b"x"), wrong.clear(), wrong.keys()):
            with pytest.raises(PassphraseError):
                run(op)
        unencrypted = Cache(name, **where)
        with pytest.raises(PassphraseError, match="is encrypted"):
            run(unencrypted.get("k"))
        with pytest.raises(PassphraseError):
            run(unencrypted.clear())
        assert run(raw_dump(cache)) == before
        again = Cache(name, passphrase="right", **where)
        assert run(again.open()) is again and run(again.get("k")) == b"value"
    finally:
        cleanup(cache)


@pytest.mark.parametrize(
    "record",
    [
        b"not json",
        b"{}",
        b'{"format": "torsh-data-crypt/1", "iterations": 1000000000000, "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "check": ""}',
        b'{"format": "torsh-data-crypt/9", "iterations": 1000, "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "check": ""}',
        b'{"format": "torsh-data-crypt/1", "iterations": 1000, "salt": "!!", "check": "AA=="}',
        b'{"salt": ' + b"[" * 100_000,  # issue 17: no RecursionError, no stack overflow
        b"\xff\xfe\x00",
    ],
)
def test_damaged_or_hostile_record(tmp_path: Path, record: bytes) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "crypt.json").write_bytes(record)
    with pytest.raises(FormatError, match="encryption record"):
        run(Cache("bad", root=tmp_path, passphrase="pw").get("k"))
    assert (tmp_path / "bad" / "crypt.json").read_bytes() == record  # left alone


# --- integrity ------------------------------------------------------------------------
async def _stored(cache: Cache, key: str) -> tuple[str, bytes]:
    keys = await cache._impl.unlock()
    stored = await keys.stored_key(key)
    return stored, await cache._store.get(stored)


@WEBCRYPTO
@pytest.mark.parametrize("how", ["flip-data", "flip-tag", "flip-nonce", "swap", "truncate"])
def test_tampered_entry_is_dropped(where: Any, how: str) -> None:
    async def go() -> None:
        cache = Cache(fresh_name(), passphrase="pw", **where)
        try:
            await cache.put("victim", b"v" * 500)
            await cache.put("other", b"o" * 500)
            stored, raw = await _stored(cache, "victim")
            changed = bytearray(raw)
            if how == "flip-data":
                changed[40] ^= 1
            elif how == "flip-tag":
                changed[-1] ^= 0x80
            elif how == "flip-nonce":
                changed[5] ^= 1
            elif how == "truncate":
                del changed[20:]
            else:  # another entry's (valid) ciphertext under this key
                changed = bytearray((await _stored(cache, "other"))[1])
            await cache._store.put(stored, bytes(changed))  # valid for the plain layer
            assert await cache.get("victim") is None
            assert not await cache.has("victim")
            assert await cache.keys() == ["other"]
            assert await cache.get("other") == b"o" * 500
            await cache.put("victim", b"refetched")
            assert await cache.get("victim") == b"refetched"
        finally:
            await cache._store.clear()

    run(go())


@WEBCRYPTO
def test_lru_and_limits_count_ciphertext(tmp_path: Path) -> None:
    async def go() -> None:
        cache = Cache("lru", max_bytes=3400, root=tmp_path, passphrase="pw")
        await cache.put("a", b"a" * 1000)
        await cache.put("b", b"b" * 1000)
        assert await cache.get("a") == b"a" * 1000
        await cache.put("c", b"c" * 1000)
        assert await cache.keys() == ["a", "c"]
        assert await cache.usage() <= 3400
        assert await cache.delete("a") and not await cache.delete("a")
        await cache.clear()
        assert await cache.keys() == []
        # clear keeps the passphrase: the wrong one is still refused
        with pytest.raises(PassphraseError):
            await Cache("lru", root=tmp_path, passphrase="other").open()

    run(go())


def test_bad_arguments(tmp_path: Path) -> None:
    for bad in ("", b"bytes", 5):
        with pytest.raises(DataValueError):
            Cache("x", root=tmp_path, passphrase=bad)  # type: ignore[arg-type]
    assert "encrypted" in repr(Cache("x", root=tmp_path, passphrase="p"))
    assert Cache("x", root=tmp_path, passphrase="p").encrypted
    assert not Cache("x", root=tmp_path).encrypted


@pytest.mark.native_only(reason="hides the native cryptography package; Pyodide uses WebCrypto")
def test_missing_cryptography(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'torsh-data\[crypto\]'"):
        Cache("x", root=tmp_path, passphrase="p")
    Cache("x", root=tmp_path)  # an unencrypted cache needs nothing


@WEBCRYPTO
def test_runtime_primitives_match_hashlib() -> None:
    """PBKDF2 of this runtime (WebCrypto in Pyodide) against RFC 7914's PBKDF2-HMAC-SHA256
    test vector (section 11: P="passwd", S="salt", c=1)."""
    out = run(crypto.pbkdf2(b"passwd", b"salt", 1))
    assert out.hex() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"


def _hyp_root() -> Iterator[str | None]:
    if runtime_name() == "pyodide-browser":
        yield None
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as root:
            yield root


@WEBCRYPTO
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.text(min_size=1, max_size=30), st.binary(max_size=300), max_size=5))
def test_round_trip(entries: dict[str, bytes]) -> None:
    async def go(root: str | None) -> None:
        cache = Cache(fresh_name(), root=root, passphrase="hypothesis")
        try:
            for k, v in entries.items():
                await cache.put(k, v)
            assert await cache.keys() == sorted(entries)
            for k, v in entries.items():
                assert await cache.get(k) == v
        finally:
            await cache._store.clear()

    for root in _hyp_root():  # 1000 iterations: the autouse fast_kdf
        run(go(root))
