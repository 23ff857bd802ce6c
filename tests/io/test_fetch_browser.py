"""The Pyodide HTTP transport's body reads (``BrowserResponse.read``), with a stand-in for the
``Response`` and its reader: NOTE [ Large chunks ] in ``torsh_data/io/_fetch_browser.py``."""

from __future__ import annotations

from typing import Any

import pytest
from support import run

from torsh_data.io import _fetch_browser
from torsh_data.io._fetch_browser import BrowserResponse


class _Uint8Array:
    """A chunk as the reader gives it (``to_bytes()``, as Pyodide's proxy of a typed array)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


class _Result:
    def __init__(self, data: bytes | None) -> None:
        self.done, self.value = data is None, None if data is None else _Uint8Array(data)


class _Reader:
    """A ``ReadableStreamDefaultReader`` handing out ``chunks``, then done."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    async def read(self) -> _Result:
        return _Result(self.chunks.pop(0) if self.chunks else None)


class _Response:
    status = 200

    def __init__(self, chunks: list[bytes]) -> None:
        self.headers: dict[str, str] = {}
        self.body = self
        self._reader = _Reader(chunks)

    def getReader(self) -> _Reader:  # the JavaScript name
        return self._reader


class _Counted:
    """A chunk's bytes, counting the bytes its slices copy."""

    copied = 0

    def __init__(self, chunk: _Uint8Array) -> None:
        self.data = chunk.to_bytes()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, span: slice) -> bytes:
        out = self.data[span]
        _Counted.copied += len(out)
        return out


def _read_all(resp: BrowserResponse, n: int) -> list[bytes]:
    async def go() -> list[bytes]:
        out = []
        while piece := await resp.read(n):
            out.append(piece)
        return out

    return run(go())


@pytest.mark.parametrize("n", [1, 7, 1 << 15, 1 << 22])
def test_read_hands_out_the_chunks_in_order(n: int) -> None:
    chunks = [bytes(range(256)) * 9, b"x", b"", bytes(5000), b"end"]
    resp = BrowserResponse("u", _Response(chunks), None)
    pieces = _read_all(resp, n)
    assert b"".join(pieces) == b"".join(chunks)
    assert all(0 < len(p) <= n for p in pieces)
    assert resp._reader is None  # read to its end


def test_an_empty_chunk_is_not_the_end_of_the_body() -> None:
    resp = BrowserResponse("u", _Response([b"ab", b"", b"cd"]), None)
    assert _read_all(resp, 10) == [b"ab", b"cd"]


def test_a_large_chunk_is_sliced_not_copied_again_at_each_read(monkeypatch: Any) -> None:
    """A 2 MiB chunk read 32 KiB at a time copies its bytes once (not the remainder at each
    read: 64 MiB)."""
    monkeypatch.setattr(_fetch_browser, "to_bytes", _Counted)
    monkeypatch.setattr(_Counted, "copied", 0)
    chunk = bytes(range(256)) * (8 << 10)  # 2 MiB
    resp = BrowserResponse("u", _Response([chunk]), None)
    pieces = _read_all(resp, 1 << 15)
    assert b"".join(pieces) == chunk and len(pieces) == 64
    assert _Counted.copied == len(chunk)
