"""``torsh_data.io.iter_source``: one chunk iterator for every byte source.

Python sources run natively and in Pyodide; browser objects (``Blob``, ``ReadableStream``,
``Response``, typed arrays) only in Pyodide, where Node.js 20 and Chromium both have them.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsstreams import Parts, failing, stalled, strings, u8
from support import run

from torsh_data import DataTypeError, DataValueError, SourceError
from torsh_data.io import NetworkError, iter_source

PYODIDE = pytest.mark.pyodide_only(reason="browser objects (Blob, ReadableStream) exist only there")


async def collect(source: Any, **kw: Any) -> list[bytes]:
    return [chunk async for chunk in iter_source(source, **kw)]


async def agen(parts: list[bytes]) -> AsyncIterator[bytes]:
    for p in parts:
        await asyncio.sleep(0)
        yield p


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` cut into pieces of the given sizes (cycled), the last one shorter."""
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        out.append(data[i : i + n])
        i, k = i + n, k + 1
    return out


KINDS = ["bytes", "path", "file", "list", "gen", "async"]


def make(kind: str, data: bytes, parts: list[bytes], tmp: Any) -> Any:
    if kind == "bytes":
        return data
    if kind == "path":
        path = tmp / f"src-{len(data)}.bin"
        path.write_bytes(data)
        return path
    if kind == "file":
        return io.BytesIO(data)
    if kind == "list":
        return [bytearray(p) if i % 2 else memoryview(p) for i, p in enumerate(parts)]
    if kind == "gen":
        return iter(parts)
    return agen(parts)


@given(
    data=st.binary(max_size=3000),
    sizes=st.lists(st.integers(1, 700), min_size=1, max_size=5),
    chunk_size=st.integers(1, 1000),
    kind=st.sampled_from(KINDS),
)
def test_every_source_gives_the_bytes_in_bounded_chunks(
    tmp_path_factory: Any, data: bytes, sizes: list[int], chunk_size: int, kind: str
) -> None:
    source = make(kind, data, cut(data, sizes), tmp_path_factory.mktemp("s"))
    chunks = run(collect(source, chunk_size=chunk_size))
    assert b"".join(chunks) == data
    assert all(0 < len(c) <= chunk_size for c in chunks)
    assert all(type(c) is bytes for c in chunks)


def test_progress_counts_bytes_and_knows_the_total_of_sized_sources(tmp_path: Any) -> None:
    data = bytes(range(256)) * 40
    path = tmp_path / "p.bin"
    path.write_bytes(data)
    for source, total in ((data, len(data)), (path, len(data)), (iter([data]), None)):
        seen: list[tuple[int, int | None]] = []
        run(collect(source, chunk_size=1000, progress=lambda d, t, s=seen: s.append((d, t))))
        assert [d for d, _ in seen] == [*range(1000, len(data), 1000), len(data)]
        assert {t for _, t in seen} == {total}


def test_an_early_exit_closes_the_async_iterable() -> None:
    closed = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"abc"
        finally:
            closed.append(True)

    async def first() -> bytes:
        gen = iter_source(endless())
        try:
            async for chunk in gen:
                return chunk
        finally:
            await gen.aclose()  # type: ignore[attr-defined]
        return b""

    assert run(first()) == b"abc"
    assert closed == [True]


def test_a_stalled_async_iterable_times_out() -> None:
    async def stalled() -> AsyncIterator[bytes]:
        yield b"x"
        await asyncio.Event().wait()  # never set
        yield b"y"

    with pytest.raises(SourceError, match="no data for"):
        run(collect(stalled(), chunk_timeout=0.05))


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        (["text"], DataTypeError, "bytes-like, not str"),
        ([b"ok", 3], DataTypeError, "not int"),
        (42, DataTypeError, "cannot read bytes from a int"),
        ({"a": b"b"}, DataTypeError, "cannot read bytes"),
        pytest.param(  # in a page, a page-relative URL: fetched
            "/no/such/file.csv",
            SourceError,
            "no such file|HTTP 404",
            marks=pytest.mark.needs_jspi(reason="in a page the path is a URL, fetched"),
        ),
        (io.StringIO("abc"), DataTypeError, "binary mode"),
    ],
)
def test_bad_sources_raise_the_package_errors(source: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        run(collect(source))


def test_bad_arguments() -> None:
    with pytest.raises(DataValueError, match="chunk_size"):
        run(collect(b"x", chunk_size=0))
    with pytest.raises(DataTypeError, match="apply to URLs only"):
        run(collect(b"x", retries=2))


def test_a_failing_read_is_a_source_error() -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            raise OSError("disk on fire")

    with pytest.raises(SourceError, match="disk on fire"):
        run(collect(io.BufferedReader(Broken())))


@pytest.mark.needs_jspi(reason="in Pyodide the URL goes to JavaScript's fetch")
def test_an_unreachable_url_is_a_network_error() -> None:
    # Nothing listens on port 9 (discard); both runtimes refuse the connection.
    with pytest.raises(NetworkError, match=r"127\.0\.0\.1:9"):
        run(collect("http://127.0.0.1:9/data.csv", retries=0, timeout=20))


@pytest.mark.native_only(reason="starts an HTTP server thread; browsers: streams.test.mjs")
def test_a_url_streams_through_iter_fetch() -> None:
    from iodata import body
    from server import start

    server, url = start()
    try:
        got = run(collect(f"{url}/ok/100000", chunk_size=7000, retries=0, timeout=30))
    finally:
        server.shutdown()
        server.server_close()
    assert b"".join(got) == body(100000)
    assert max(map(len, got)) <= 7000


# --- browser objects (Pyodide) ------------------------------------------------------------------
@pytest.mark.needs_jspi(reason="reads a Blob (Blob.arrayBuffer answers with a promise)")
@PYODIDE
@given(
    data=st.binary(max_size=2000),
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=4),
    chunk_size=st.integers(1, 500),
)
def test_a_blob_is_read_in_slices(data: bytes, sizes: list[int], chunk_size: int) -> None:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js

    blob = js.Blob.new(to_js([u8(p) for p in cut(data, sizes)]))
    chunks = run(collect(blob, chunk_size=chunk_size))
    assert b"".join(chunks) == data
    assert all(0 < len(c) <= chunk_size for c in chunks)


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
@given(data=st.binary(max_size=2000), sizes=st.lists(st.integers(1, 300), min_size=1, max_size=4))
def test_a_readable_stream_is_read_to_its_end(data: bytes, sizes: list[int]) -> None:
    source = Parts(cut(data, sizes))
    stream = source.stream
    assert b"".join(run(collect(stream, chunk_size=256))) == data
    assert not source.cancelled
    assert not stream.locked  # the reader's lock is released


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
def test_a_readable_stream_is_cancelled_on_early_exit() -> None:
    source = Parts([b"abc"] * 5)
    stream = source.stream

    async def first() -> bytes:
        gen = iter_source(stream)
        try:
            async for chunk in gen:
                return chunk
        finally:
            await gen.aclose()  # type: ignore[attr-defined]
        return b""

    assert run(first()) == b"abc"
    assert source.cancelled
    assert not stream.locked


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
def test_readable_stream_failures_are_source_errors() -> None:
    with pytest.raises(SourceError, match="producer broke"):
        run(collect(failing()))
    with pytest.raises(SourceError, match="no data for"):
        run(collect(stalled(), chunk_timeout=0.05))
    with pytest.raises(DataTypeError, match="bytes-like, not str"):
        run(collect(strings()))
    locked = Parts([]).stream
    locked.getReader()
    with pytest.raises(SourceError, match="read only once"):
        run(collect(locked))


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
def test_a_response_and_typed_arrays() -> None:
    import js

    resp = js.Response.new(u8(b"hello world"))
    assert b"".join(run(collect(resp, chunk_size=4))) == b"hello world"
    assert run(collect(u8(b"abcdef"), chunk_size=4)) == [b"abcd", b"ef"]
    assert b"".join(run(collect(agen_js(), chunk_size=3))) == b"012345"


async def agen_js() -> AsyncIterator[Any]:
    for part in (b"01", b"2345"):
        yield u8(part)


def test_sync_iterables_are_consumed_lazily() -> None:
    pulled: list[int] = []

    def parts() -> Iterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"x" * 10

    async def first_two() -> list[bytes]:
        out = []
        gen = iter_source(parts(), chunk_size=10)
        async for chunk in gen:
            out.append(chunk)
            if len(out) == 2:
                break
        await gen.aclose()  # type: ignore[attr-defined]
        return out

    assert run(first_two()) == [b"x" * 10] * 2
    assert len(pulled) <= 3
