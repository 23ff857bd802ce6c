"""The table of byte sources (``SOURCE_KINDS`` in io/_sources.py): each kind of source is
one entry, and every question about a source (how to read it, synchronously or not, its
size, whether it is one-shot) is answered by the same entry."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsstreams import Parts, u8
from support import run

from torsh_data import DataTypeError
from torsh_data.io import _sources
from torsh_data.io._sources import (
    SourceKind,
    is_one_shot,
    iter_source,
    source_kind,
    sync_chunks,
)

PYODIDE = pytest.mark.pyodide_only(reason="browser objects (Blob, ReadableStream) exist only there")


async def collect(source: Any, **kw: Any) -> list[bytes]:
    return [chunk async for chunk in iter_source(source, **kw)]


async def agen() -> AsyncIterator[bytes]:
    yield b"ab"


def gen() -> Iterator[bytes]:
    yield b"ab"


def kind_of(source: Any) -> str | None:
    kind = source_kind(source)
    return None if kind is None else kind.kind


def test_python_sources_find_their_entry(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    assert kind_of(b"x") == kind_of(bytearray(b"x")) == kind_of(memoryview(b"x")) == "bytes"
    assert kind_of("https://example.org/a.csv") == kind_of("data:,x") == "URL"
    assert kind_of(str(path)) == kind_of(path) == "path"
    assert kind_of(io.BytesIO(b"x")) == "file"
    assert kind_of(agen()) == "async iterable"
    assert kind_of([b"x"]) == kind_of(gen()) == "iterable"
    assert kind_of({"a": b"x"}) is None and kind_of(3) is None


def test_size_and_one_shot_come_from_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abcde")
    assert _sources._total(b"abc") == 3 and _sources._total(str(path)) == 5
    assert _sources._total([b"abc"]) is None and _sources._total("https://e.org/a") is None
    assert [is_one_shot(s) for s in (b"x", str(path), io.BytesIO(b"x"), [b"x"])] == [False] * 4
    assert is_one_shot(gen()) and is_one_shot(agen())
    assert not is_one_shot({"a": 1}) and not is_one_shot(3)


class AsyncStream:
    """An object with an async ``read`` and async iteration (like asyncio's StreamReader)."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = list(parts)

    async def read(self, n: int = -1) -> bytes:
        return self.parts.pop(0) if self.parts else b""

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> bytes:
        if not self.parts:
            raise StopAsyncIteration
        return self.parts.pop(0)


def test_an_async_stream_with_read_is_iterated_asynchronously() -> None:
    # async iteration comes before ``read`` in the table: its ``read`` is a coroutine
    assert kind_of(AsyncStream([])) == "async iterable"
    assert sync_chunks(AsyncStream([b"x"]), 4, "s") is None
    assert run(collect(AsyncStream([b"hello", b"!"]), chunk_size=3)) == [b"hel", b"lo", b"!"]


class Pieces:
    """A made-up kind of source: a holder of byte pieces."""

    def __init__(self, *pieces: bytes) -> None:
        self.pieces = pieces


def test_a_new_kind_of_source_is_one_table_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    def read_pieces(src: Any, size: int, label: str) -> Iterator[bytes]:
        for piece in src.pieces:
            yield from (piece[i : i + size] for i in range(0, len(piece), size))

    async def aread(src: Any, size: int, label: str, timeout: float | None) -> Any:
        for chunk in read_pieces(src, size, label):
            yield chunk

    entry = SourceKind(
        "pieces",
        lambda s: isinstance(s, Pieces),
        aread,
        read_pieces,
        total=lambda s: sum(map(len, s.pieces)),
        one_shot=lambda s: False,
    )
    with pytest.raises(DataTypeError, match="cannot read bytes from a Pieces"):
        run(collect(Pieces(b"abc")))
    monkeypatch.setattr(_sources, "SOURCE_KINDS", (entry, *_sources.SOURCE_KINDS))
    sizes: list[tuple[int, int | None]] = []
    got = run(
        collect(Pieces(b"abc", b"de"), chunk_size=2, progress=lambda d, t: sizes.append((d, t)))
    )
    assert got == [b"ab", b"c", b"de"]
    assert sizes == [(2, 5), (3, 5), (5, 5)]
    assert list(sync_chunks(Pieces(b"xyz"), 2, "p") or []) == [b"xy", b"z"]
    assert not is_one_shot(Pieces(b"x"))


# --- browser objects (Pyodide) ------------------------------------------------------------
@PYODIDE
def test_browser_objects_find_their_entry() -> None:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    blob = js.Blob.new(to_js([u8(b"abc")]))
    stream = Parts([b"abc"]).stream
    response = js.Response.new(u8(b"abc"))
    assert kind_of(blob) == "Blob" and _sources._total(blob) == 3
    assert kind_of(stream) == "ReadableStream" and is_one_shot(stream)
    assert kind_of(response) == "Response" and is_one_shot(response)
    assert kind_of(u8(b"abc")) == kind_of(u8(b"abc").buffer) == "ArrayBuffer"
    assert not is_one_shot(blob) and not is_one_shot(u8(b"abc"))
    assert sync_chunks(blob, 4, "b") is None  # browser objects are read asynchronously
    stream.cancel()


@PYODIDE
def test_an_unknown_javascript_object_is_refused() -> None:
    import js

    with pytest.raises(DataTypeError, match="this JavaScript object"):
        run(collect(js.Object.new()))
