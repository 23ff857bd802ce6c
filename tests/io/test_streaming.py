"""``StreamingDataset``, ``reader_for`` and ``open_dataset``: records parsed as bytes arrive.

References are independent of the readers: the standard ``json``, ``csv``, ``tarfile`` and
``gzip`` modules and ``str.splitlines``. Browser sources (``Blob``, ``ReadableStream``) run in
Pyodide (Node.js and Chromium); ``tests/runtimes/streams.test.mjs`` adds a real ``<input
type=file>`` and a JavaScript-built stream in Chromium.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run

from torsh_data import (
    DataLoader,
    DataTypeError,
    DataValueError,
    FormatError,
    ShardByRank,
    SourceError,
)
from torsh_data.formats import CsvReader, JsonlReader, NpyReader, TarSampleReader, write_npy
from torsh_data.io import StreamingDataset, open_dataset, reader_for
from torsh_data.tensor import Tensor
from torsh_data.testing import check_resume

PYODIDE = pytest.mark.pyodide_only(reason="browser objects (Blob, ReadableStream) exist only there")


async def arecords(ds: Any, limit: int | None = None) -> list[Any]:
    out = []
    async for rec in ds:
        out.append(rec)
        if limit is not None and len(out) == limit:
            break
    return out


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    out, i, k = [], 0, 0
    while i < len(data):
        out.append(data[i : i + sizes[k % len(sizes)]])
        i, k = i + sizes[k % len(sizes)], k + 1
    return out


async def agen(parts: list[bytes]) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


def jsonl(values: list[Any]) -> bytes:
    return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values).encode()


def csv_bytes(rows: list[list[str]]) -> bytes:
    f = io.StringIO()
    csv.writer(f, lineterminator="\r\n").writerows(rows)
    return f.getvalue().encode()


# --- format detection ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "kind"),
    [
        ({"format": "csv"}, CsvReader),
        ({"name": "a/b/data.jsonl"}, JsonlReader),
        ({"name": "https://x.org/d.ndjson?sig=1#frag"}, JsonlReader),
        ({"name": "x.tar.gz"}, TarSampleReader),
        ({"name": "x.tgz"}, TarSampleReader),
        ({"name": "arr.NPY"}, NpyReader),
        ({"content_type": "application/x-ndjson; charset=utf-8"}, JsonlReader),
        ({"name": "blob", "content_type": "text/plain"}, None),
    ],
)
def test_reader_for_picks_by_format_name_or_content_type(kw: dict[str, Any], kind: Any) -> None:
    reader = reader_for(**kw)
    inner = reader.inner  # type: ignore[attr-defined]  # the gzip sniffer wraps every reader
    inner = getattr(inner, "rows", inner)
    if kind is not None:
        assert isinstance(inner, kind)
    assert reader.name == kw.get("name", "<stream>")


def test_reader_for_gz_and_tsv() -> None:
    rows = [["a", "b"], ["1", "x y"], ["2", "é"]]
    data = gzip.compress(csv_bytes(rows).replace(b",", b"\t"))
    reader = reader_for(name="t.tsv.gz")
    assert reader.feed(data[:10]) + reader.feed(data[10:]) + reader.close() == [
        {"a": 1, "b": "x y"},
        {"a": 2, "b": "é"},
    ]
    reader = reader_for("jsonl.gz")
    assert reader.feed(gzip.compress(b"[1]\n")) + reader.close() == [[1]]


def test_reader_for_rejects_unknown_formats_and_options() -> None:
    with pytest.raises(DataValueError, match="known formats: csv, json, jsonl, npy, tar, text"):
        reader_for("parquet")
    with pytest.raises(DataValueError, match=r"cannot tell the format of data\.bin"):
        reader_for(name="data.bin")
    with pytest.raises(DataValueError, match="pass format="):
        StreamingDataset(b"")
    with pytest.raises(DataTypeError, match=r"format 'jsonl'.*delimiter"):
        reader_for("jsonl", delimiter=";")
    with pytest.raises(DataTypeError):
        reader_for(3)  # type: ignore[arg-type]
    with pytest.raises(DataValueError, match="chunk_timeout"):
        StreamingDataset(b"", "jsonl", chunk_timeout=0)
    with pytest.raises(DataTypeError, match="URL source only"):
        StreamingDataset(b"", "jsonl", fetch={"retries": 1})


# --- every format, checked against the standard library --------------------------------------
TEXT = "naïve café 日本語 🚀"


def test_formats_match_the_standard_library(tmp_path: Any) -> None:
    values = [{"i": i, "s": TEXT[: i % 12], "f": i / 3} for i in range(300)]
    data = jsonl(values)
    assert list(StreamingDataset(data, "jsonl", chunk_size=7)) == values
    assert list(StreamingDataset(json.dumps(values).encode(), "json", chunk_size=5)) == values
    text = "".join(f"{TEXT} {i}\r\n" for i in range(200))
    assert list(StreamingDataset(text.encode(), "text", chunk_size=3)) == text.splitlines()
    rows = [["n", "x", "s"]] + [[str(i), repr(i * 0.25), f"{TEXT},{i}"] for i in range(200)]
    parsed = list(csv.reader(io.StringIO(csv_bytes(rows).decode())))
    want = [{"n": int(n), "x": float(x), "s": s} for n, x, s in parsed[1:]]
    path = tmp_path / "rows.csv"
    path.write_bytes(csv_bytes(rows))
    assert list(StreamingDataset(path, chunk_size=11)) == want
    with open(path, "rb") as f:
        assert list(StreamingDataset(f, "csv", columns=["s", "n"]))[3] == {"s": f"{TEXT},3", "n": 3}


def test_npy_rows_and_tar_samples() -> None:
    f = io.BytesIO()
    write_npy(f, Tensor([[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]], dtype="float32"))
    rows = list(StreamingDataset(f.getvalue(), "npy", chunk_size=5))
    assert [r.tolist() for r in rows] == [[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(5):
            for ext, payload in (("txt", f"{TEXT}{i}".encode()), ("cls", str(i).encode())):
                info = tarfile.TarInfo(f"s{i:03d}.{ext}")
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
    samples = list(StreamingDataset(buf.getvalue(), name="shard.tar.gz", chunk_size=100))
    assert [(s["__key__"], s["txt"], s["cls"]) for s in samples] == [
        (f"s{i:03d}", f"{TEXT}{i}", i) for i in range(5)
    ]


@given(
    values=st.lists(
        st.dictionaries(st.sampled_from("abc"), st.text(max_size=8) | st.integers()), max_size=30
    ),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=4),
    gz=st.booleans(),
)
def test_any_chunking_gives_the_records_of_one_chunk(
    values: list[Any], sizes: list[int], gz: bool
) -> None:
    data = jsonl(values)
    data = gzip.compress(data) if gz else data
    fmt = "jsonl.gz" if gz else "jsonl"
    whole = list(StreamingDataset([data], fmt))
    assert whole == values
    assert list(StreamingDataset(cut(data, sizes), fmt, chunk_size=max(sizes))) == values
    assert run(arecords(StreamingDataset(agen(cut(data, sizes)), fmt))) == values


@given(
    cells=st.lists(
        st.lists(
            st.text(
                st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=6
            ),
            min_size=2,
            max_size=2,
        ),
        max_size=20,
    ),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=4),
)
def test_csv_chunking_and_multibyte_characters(cells: list[list[str]], sizes: list[int]) -> None:
    rows = [["a", "b"]] + [[f"{x}\u00e9", f"{y}🚀"] for x, y in cells]
    data = csv_bytes(rows)
    got = list(StreamingDataset(cut(data, sizes), "csv", dtypes={"a": "str", "b": "str"}))
    assert got == [{"a": a, "b": b} for a, b in rows[1:]]


def spec_value(cell: str) -> Any:
    """The documented typing of a CSV cell without a dtype: int, else float, else str."""
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


@given(
    column=st.lists(
        st.one_of(
            st.integers().map(str),
            st.floats(allow_nan=False).map(repr),
            st.sampled_from(["1_000", "+5", "1e3", "-inf", ".5", "x1", "nan_", "٣"]),
            st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=4),
        ),
        max_size=30,
    ),
    chunk=st.integers(1, 64),
)
def test_csv_values_are_typed_cell_by_cell(column: list[str], chunk: int) -> None:
    data = csv_bytes([["c"], *([c] for c in column)])
    got = [r["c"] for r in StreamingDataset(data, "csv", chunk_size=chunk)]
    want = [spec_value(c) for c in column]
    assert [(type(v), repr(v)) for v in got] == [(type(v), repr(v)) for v in want]


# --- bounded memory and hostile streams ---------------------------------------------------------
def big_jsonl(total: int, line: int = 2000) -> Iterator[bytes]:
    """``total`` bytes of JSON lines in 64 KiB chunks, generated on the fly."""
    record = (json.dumps({"pad": "x" * (line - 20)}) + "\n").encode()
    block = record * (65536 // len(record))
    for _ in range(total // len(block)):
        yield block


def test_a_long_stream_is_parsed_in_bounded_memory() -> None:
    size = 24 << 20
    tracemalloc.start()
    try:
        n = sum(1 for _ in StreamingDataset(big_jsonl(size), "jsonl"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n > size // 2100
    assert peak < 8 << 20, f"peak {peak} bytes for a {size}-byte stream"


def test_a_gzip_bomb_fails_in_bounded_memory() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"0123456789abcde\n" * (1 << 16)  # 1 MiB of short lines

    def stream() -> Iterator[bytes]:  # 1 GiB of text, ~3 MiB compressed, never all at once
        for _ in range(1024):
            yield bomb.compress(block)
        yield bomb.flush()

    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="decompression bomb") as info:
            for _ in StreamingDataset(stream(), "text.gz", name="bomb.txt.gz", max_bytes=16 << 20):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.source == "bomb.txt.gz"
    assert peak < 8 << 20, peak


@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv"])
def test_an_endless_line_fails_instead_of_growing(fmt: str) -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"y" * 65536

    ds = StreamingDataset(endless(), fmt, name="endless", max_line_bytes=1 << 20)
    with pytest.raises(FormatError, match="longer than max_line_bytes") as info:
        list(ds)
    assert info.value.source == "endless"


@pytest.mark.parametrize(
    ("data", "fmt", "good", "match"),
    [
        (b'{"a": 1}\n{"a": 2}\n{"a": ', "jsonl", 2, "line 3"),
        (b'{"a": 1}\n[1, 2\n{"a": 3}\n', "jsonl", 1, "line 2"),
        (b"a,b\n1,2\n3,4,5\n", "csv", 1, "line 3"),
        (b'a,b\n1,2\n3,"open\n', "csv", 1, "unterminated"),
        (b"ok\n\xe6\x97\n", "text", 1, "invalid utf-8"),
        (gzip.compress(b"1\n2\n3\n")[:-6], "jsonl.gz", None, "truncated"),
        (b"\x1f\x8b" + b"garbage" * 10, "text.gz", 0, "corrupt compressed"),
        (b"\x1f\x8b" + b"garbage" * 10, "csv", 0, "corrupt compressed"),
        (b"plain text\n", "text.gz", 0, "not gzip data"),
        (b"[1, 2", "json", 0, "invalid JSON"),
        (b"", "json", 0, "empty"),
        (b"", "tar", 0, "empty"),
        (b"\x93NUMPY\x01\x00", "npy", 0, ""),
        (b"x" * 700, "tar", 0, ""),
    ],
)
def test_malformed_and_truncated_streams(
    data: bytes, fmt: str, good: int | None, match: str
) -> None:
    """Whole records before the fault are yielded, then a FormatError naming the source."""
    for chunk_size in (1, 3, 1 << 20):
        got: list[Any] = []
        with pytest.raises(FormatError, match=f"(?i){match}") as info:
            for rec in StreamingDataset(data, fmt, name="bad-src", chunk_size=chunk_size):
                got.append(rec)
        assert info.value.source == "bad-src"
        if good is not None and chunk_size == 1:
            assert len(got) == good


def test_csv_errors_name_the_record_of_the_whole_stream() -> None:
    rows = [["x", "y"]] + [[str(i), str(i)] for i in range(50)] + [["oops", "1"]]
    for chunk_size in (4, 64, 1 << 20):
        with pytest.raises(FormatError, match="cannot read 'oops' as int64") as info:
            list(
                StreamingDataset(
                    csv_bytes(rows), "csv", dtypes={"x": "int64"}, chunk_size=chunk_size
                )
            )
        assert info.value.record == 51
    with pytest.raises(FormatError, match="missing value") as info:
        list(StreamingDataset(b"x\n1\n\n \n", "csv", chunk_size=1))
    assert info.value.record == 2
    got = list(StreamingDataset(b"x,y\n1,\n,b\n", "csv", missing="nan"))
    assert got[1]["y"] == "b" and got[0]["y"] != got[0]["y"]
    assert list(StreamingDataset(b"x\n1\n\n \n", "csv", missing=7)) == [{"x": 1}, {"x": 7}]


def test_empty_streams_have_no_records() -> None:
    for fmt in ("jsonl", "text", "csv", "jsonl.gz"):
        data = gzip.compress(b"") if fmt.endswith(".gz") else b""
        assert list(StreamingDataset(data, fmt)) == []
        assert list(StreamingDataset([], fmt)) == []


# --- iteration, loader, resume, ranks -----------------------------------------------------------
def test_sync_iteration_needs_a_sync_source() -> None:
    ds = StreamingDataset(agen([b"1\n"]), "jsonl")
    with pytest.raises(DataTypeError, match="async for"):
        list(ds)
    assert run(arecords(ds)) == [1]


def test_a_one_shot_stream_is_read_once_and_load_keeps_it() -> None:
    ds = StreamingDataset(iter([b"1\n2\n3\n"]), "jsonl")
    loaded = run(ds.load())
    assert len(loaded) == 3 and loaded[2] == 3
    with pytest.raises(SourceError, match="read once"):
        list(ds)
    again = StreamingDataset(b"1\n2\n", "jsonl")  # bytes can be read any number of times
    assert list(again) == list(again) == [1, 2]


def test_inside_a_data_loader_sync_and_async(tmp_path: Any) -> None:
    values = [{"x": i, "y": i % 3} for i in range(23)]
    path = tmp_path / "d.jsonl"
    path.write_bytes(jsonl(values))
    want = [[v["x"] for v in values[i : i + 5]] for i in range(0, 23, 5)]
    sync = [b["x"].tolist() for b in DataLoader(StreamingDataset(path), batch_size=5)]
    assert sync == want

    async def batches() -> list[Any]:
        ds = StreamingDataset(agen(cut(jsonl(values), [13, 7])), "jsonl")
        return [b["x"].tolist() async for b in DataLoader(ds, batch_size=5)]

    assert run(batches()) == want


@pytest.mark.native_only(reason="worker processes; Pyodide's workers are tested by their owner")
def test_worker_processes_give_the_batches_of_one_process(tmp_path: Any) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes(csv_bytes([["a", "b"]] + [[str(i), str(i * 2)] for i in range(37)]))

    def batches(workers: int) -> list[Any]:
        loader = DataLoader(StreamingDataset(path), batch_size=4, num_workers=workers)
        return [(b["a"].tolist(), b["b"].tolist()) for b in loader]

    assert batches(2) == batches(0)
    assert batches(0)[-1] == ([36], [72])


@pytest.mark.native_only(reason="starts an HTTP server thread; browsers: streams.test.mjs")
def test_a_url_source_streams_through_fetch() -> None:
    from iodata import body
    from server import start

    server, url = start()
    try:
        ds = StreamingDataset(
            f"{url}/ok/300000",
            "text",
            encoding="latin-1",
            keep_ends=True,
            chunk_size=4096,
            fetch={"retries": 0, "timeout": 30},
        )
        lines = run(arecords(ds))
    finally:
        server.shutdown()
        server.server_close()
    assert "".join(lines).encode("latin-1") == body(300000)
    assert ds.name == f"{url}/ok/300000"


def test_resume_from_every_record() -> None:
    data = jsonl(list(range(17)))
    for world, rank in ((1, 0), (3, 2)):
        reference = list(StreamingDataset(data, "jsonl", rank=rank, world_size=world))
        for k in range(len(reference) + 1):
            first = StreamingDataset(data, "jsonl", chunk_size=5, rank=rank, world_size=world)
            it = iter(first)
            head = [next(it) for _ in range(k)]
            state = json.loads(json.dumps(first.state_dict()))
            second = StreamingDataset(agen([data]), "jsonl", rank=rank, world_size=world)
            second.load_state_dict(state)
            assert head + run(arecords(second)) == reference
    with pytest.raises(DataValueError, match="the state is of a dataset with rank=2"):
        StreamingDataset(data, "jsonl").load_state_dict(state)
    with pytest.raises(DataValueError, match="records"):
        StreamingDataset(data, "jsonl").load_state_dict({"version": 1, "records": -1})
    with pytest.raises(DataValueError, match="not a StreamingDataset state"):
        StreamingDataset(data, "jsonl").load_state_dict({"records": 1})


def test_a_loader_over_a_stream_resumes_exactly() -> None:
    data = jsonl([[i, i * i] for i in range(21)])
    steps = check_resume(lambda: DataLoader(StreamingDataset(data, "jsonl"), batch_size=4))
    assert steps == 2 * 6 + 1


@given(n=st.integers(0, 40), world=st.integers(1, 5), chunk=st.integers(1, 30))
def test_ranks_split_the_stream_like_shard_by_rank(n: int, world: int, chunk: int) -> None:
    data = jsonl(list(range(n)))
    shares = [
        list(StreamingDataset(data, "jsonl", rank=r, world_size=world, chunk_size=chunk))
        for r in range(world)
    ]
    for r, share in enumerate(shares):
        assert share == list(ShardByRank(range(n), num_replicas=world, rank=r))
    with pytest.raises(DataValueError):
        StreamingDataset(data, "jsonl", rank=world, world_size=world)


def test_open_dataset_dispatches(tmp_path: Any) -> None:
    ds = open_dataset(b"1\n", "jsonl")
    assert isinstance(ds, StreamingDataset) and list(ds) == [1]
    assert isinstance(open_dataset([b"a\n"], name="x.txt"), StreamingDataset)
    try:
        from torsh_data.io._shards import ShardedDataset
    except ImportError:
        pytest.fail("torsh_data.io._shards.ShardedDataset is missing")
    sharded = open_dataset({"version": 1, "format": "jsonl", "shards": "p-{0..2}.jsonl"})
    assert isinstance(sharded, ShardedDataset)
    path = tmp_path / "d.shards.json"
    path.write_text(json.dumps({"version": 1, "format": "jsonl", "shards": ["p.jsonl"]}))
    assert isinstance(open_dataset(path), ShardedDataset)
    assert isinstance(open_dataset(str(path), "shards"), ShardedDataset)


# --- browser sources (Pyodide) ------------------------------------------------------------------
def js_stream(parts: list[bytes]) -> Any:
    from jsstreams import Parts

    return Parts(parts).stream


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
@given(sizes=st.lists(st.integers(1, 97), min_size=1, max_size=4))
def test_a_readable_stream_in_odd_chunks_as_a_dataset(sizes: list[int]) -> None:
    values = [{"t": TEXT * (i % 3), "i": i} for i in range(40)]
    ds = StreamingDataset(js_stream(cut(jsonl(values), sizes)), "jsonl")

    async def batches() -> list[Any]:
        return [b["i"].tolist() async for b in DataLoader(ds, batch_size=16)]

    assert run(batches()) == [list(range(16)), list(range(16, 32)), list(range(32, 40))]


@pytest.mark.needs_jspi(reason="reads a Blob (Blob.arrayBuffer answers with a promise)")
@PYODIDE
def test_a_file_blob_as_a_dataset() -> None:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js

    rows = [["a", "b"]] + [[str(i), f"{TEXT}{i}"] for i in range(500)]
    data = csv_bytes(rows)
    opts = to_js({"type": "text/csv"}, dict_converter=js.Object.fromEntries)
    blob = js.File.new(to_js([to_js(p) for p in cut(data, [1000])]), "upload.bin", opts)
    ds = StreamingDataset(blob, chunk_size=333)
    assert ds.format == "csv" and ds.name == "upload.bin"
    got = run(ds.load())
    assert len(got) == 500 and got[499] == {"a": 499, "b": f"{TEXT}499"}
    with pytest.raises(DataTypeError, match="async for"):
        list(ds)


@pytest.mark.needs_jspi(reason="reads a JavaScript stream or Response, whose reads are promises")
@PYODIDE
def test_a_truncated_browser_stream_names_the_source() -> None:
    ds = StreamingDataset(js_stream([b'{"a": 1}\n{"a"']), "jsonl", name="upload.jsonl")
    got: list[Any] = []

    async def consume() -> None:
        async for rec in ds:
            got.append(rec)

    with pytest.raises(FormatError, match=r"upload\.jsonl"):
        run(consume())
    assert got == [{"a": 1}]


@pytest.mark.parametrize("chunk", [1, 7, 1 << 16])
def test_csv_text_column_empty_field_is_empty_string(chunk: int) -> None:
    # issue 17 cause 7: as Python's csv gives it; once a column has held text its empty fields
    # are "", and any chunking gives the same records.
    data = b"name,n\nann,1\n,2\nbob,\n"
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    ds = StreamingDataset(chunks, format="csv", missing="nan")
    got = list(ds)
    assert got[:2] == [{"name": "ann", "n": 1}, {"name": "", "n": 2}]
    assert got[2]["name"] == "bob" and got[2]["n"] != got[2]["n"]  # NaN: n stays numeric
    with pytest.raises(FormatError, match=r"line 4, column 'n': missing value") as info:
        list(StreamingDataset(chunks, format="csv"))
    assert isinstance(info.value, ValueError)
    # a text column that starts empty: declared, or it is a missing value
    starts_empty = [b"s,n\n,1\nx,2\n"]
    with pytest.raises(FormatError, match=r"dtypes=\{'s': 'str'\} for a text column"):
        list(StreamingDataset(starts_empty, format="csv"))
    assert list(StreamingDataset(starts_empty, format="csv", dtypes={"s": "str"})) == [
        {"s": "", "n": 1},
        {"s": "x", "n": 2},
    ]
