"""The JavaScript package's loader on sources that stream (NOTE [ Streaming facade ])."""

from __future__ import annotations

import asyncio
import json
import math
import struct
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import digest, run

from torsh_data import DataTypeError, DataValueError, FormatError, SourceError
from torsh_data._jsapi import JsLoader


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def row(i: int) -> tuple[float, float, int]:  # the generated data's definition
    return i * 0.25, float((i * i) % 11), i % 3


def csv_lines(n: int) -> Iterator[bytes]:
    yield b"a,b,label\n"
    for i in range(n):
        a, b, y = row(i)
        yield f"{a},{b:g},{y}\n".encode()


async def stream(n: int, chunk: int = 1 << 16) -> AsyncIterator[bytes]:
    """``n`` CSV rows, produced lazily in chunks of about ``chunk`` bytes."""
    buf: list[bytes] = []
    size = 0
    for line in csv_lines(n):
        buf.append(line)
        size += len(line)
        if size >= chunk:
            yield b"".join(buf)
            buf, size = [], 0
            await asyncio.sleep(0)
    if buf:
        yield b"".join(buf)


def loader(batch_size: int, **options: Any) -> JsLoader:
    return JsLoader(batch_size, json.dumps({"name": "big.csv", "label": "label", **options}))


async def epoch(ld: JsLoader) -> list[dict[str, Any]]:
    out = []
    while (b := await ld.next_batch()) is not None:
        out.append(b)
    return out


async def streamed_epoch(n: int, bs: int) -> tuple[int, int, int]:
    """Stream ``n`` generated rows through ``next_batch()``, checking every batch against the
    rows' definition; returns (rows, batches, peak traced memory)."""
    ld = loader(bs, inMemoryBytes=1 << 14)
    tracemalloc.start()
    try:
        assert await ld.load_stream(stream(n, chunk=1 << 13)) == -1
        assert ld.num_batches() is None and ld.num_samples() is None
        info = json.loads(ld.info_json())
        assert info["streaming"] and info["len"] is None
        assert [(f["name"], f["shape"]) for f in info["schema"]] == [("x", [2]), ("y", [])]
        seen, batches = 0, 0
        while (b := await ld.next_batch()) is not None:
            x, y = b["x"].tolist(), b["y"].tolist()
            expected = [row(i) for i in range(seen, seen + len(y))]
            assert x == [[f32(a), f32(c)] for a, c, _ in expected]
            assert y == [t for _, _, t in expected]
            assert b["x"].dtype.name == "float32" and b["y"].dtype.name == "float32"
            seen += len(y)
            batches += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ld.num_batches() == batches and ld.num_samples() == n
    return seen, batches, peak


def test_a_large_stream_goes_through_in_bounded_memory() -> None:
    small, large = 15_000, 60_000
    n1, b1, peak_small = run(streamed_epoch(small, 250))
    n2, b2, peak_large = run(streamed_epoch(large, 250))
    assert (n1, b1, n2, b2) == (small, 60, large, 240)
    # four times the data, not four times the memory: what is held does not grow with it
    # (native CPython: the same peak; Pyodide: 1.8x, what its event loop and proxies hold
    # until they are collected; kept as records, the peak would grow with the data, 4x)
    assert peak_large < 2.5 * peak_small, (peak_small, peak_large)


def test_streamed_batches_equal_in_memory_batches(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"".join(csv_lines(5000)))
    data = path.read_bytes()

    async def go() -> tuple[Any, Any, JsLoader]:
        kept = loader(64)
        await kept.load_bytes(data, name="d.csv")
        streamed = loader(64, inMemoryBytes=4096)
        assert await streamed.load_source(str(path), name="d.csv") == -1
        first = await epoch(streamed)
        assert streamed.num_batches() == len(kept) == math.ceil(5000 / 64)
        assert streamed.num_samples() == 5000 and streamed.progress == 1.0
        second = await epoch(streamed)  # a path is read again
        assert digest(second) == digest(first)
        return first, await epoch(kept), streamed

    first, kept_batches, streamed = run(go())
    assert digest(first) == digest(kept_batches)
    assert len(streamed) == math.ceil(5000 / 64)


def test_a_one_shot_stream_streams_one_epoch() -> None:
    async def go() -> None:
        ld = loader(100, inMemoryBytes=1024)
        await ld.load_stream(stream(2000, chunk=512))
        with pytest.raises(DataTypeError, match="once an epoch has ended"):
            len(ld)
        assert sum(len(b["y"].tolist()) for b in await epoch(ld)) == 2000
        with pytest.raises(SourceError, match="one-shot"):
            await ld.next_batch()

    run(go())


def test_shuffle_and_small_streams_are_kept_in_memory() -> None:
    async def go() -> None:
        ld = loader(100, shuffle=True, seed=1, inMemoryBytes=1024)
        assert await ld.load_stream(stream(2000, chunk=512)) == 2000
        assert len(ld) == 20
        for _ in range(2):  # a one-shot stream kept in memory: any number of epochs
            ys = [y for b in await epoch(ld) for y in b["y"].tolist()]
            assert sorted(ys) == sorted(i % 3 for i in range(2000))
        small = loader(7)
        assert await small.load_stream(stream(30, chunk=5)) == 30 and len(small) == 5

    run(go())


def test_streaming_refuses_fitted_transforms_and_runs_per_sample_ones() -> None:
    async def go() -> None:
        fit = loader(10, inMemoryBytes=0, transforms=[{"name": "Standardize", "column": "x"}])
        with pytest.raises(DataValueError, match="shuffle: true"):
            await fit.load_stream(stream(100, chunk=64))
        spec = [{"name": "ConvertDtype", "column": "x", "args": ["float64"]}]
        per_sample = loader(10, inMemoryBytes=0, transforms=spec)
        await per_sample.load_stream(stream(100, chunk=64))
        assert per_sample.schema()[0] == {
            "name": "x",
            "dtype": "float64",
            "shape": [2],
            "kind": "tensor",
        }
        b = await per_sample.next_batch()
        assert b["x"].dtype.name == "float64"
        assert b["x"].tolist()[3] == [f32(row(3)[0]), f32(row(3)[1])]

    run(go())


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"a,b,label\n1,2,0\n" * 300 + b"1,2\n", FormatError),  # a short row, past the head
        (b"a,b,label\n1,2,0\n" * 300 + b"1,x,0\n", FormatError),  # not a number
        (b"a,b,label\n1,2,0\n" * 300 + b"1,2,0.5\n", FormatError),  # not an integer label
    ],
)
def test_bad_rows_while_streaming(data: bytes, error: type[Exception]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 100):
            yield data[i : i + 100]

    async def go() -> None:
        ld = loader(50, inMemoryBytes=200)
        await ld.load_stream(chunks())
        with pytest.raises(error):
            await epoch(ld)

    run(go())


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 60),
    cuts=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    limit=st.integers(0, 400),
    batch_size=st.integers(1, 9),
)
def test_any_chunking_and_limit_gives_the_in_memory_batches(
    n: int, cuts: list[int], limit: int, batch_size: int
) -> None:
    data = b"".join(csv_lines(n))

    async def chunks() -> AsyncIterator[bytes]:
        i, k = 0, 0
        while i < len(data):
            step = cuts[k % len(cuts)]
            yield data[i : i + step]
            i, k = i + step, k + 1

    async def go() -> tuple[Any, Any]:
        kept = loader(batch_size)
        await kept.load_bytes(data)
        ld = loader(batch_size, inMemoryBytes=limit)
        await ld.load_stream(chunks())
        return await epoch(ld), await epoch(kept)

    streamed, kept = run(go())
    assert digest(streamed) == digest(kept)
    assert [y for b in kept for y in b["y"].tolist()] == [row(i)[2] for i in range(n)]


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (b"a,b,label\n1,2,0\n3,x,1\n", FormatError, "not a number: 'x'"),
        (b"a,b,label\n1,2,0\n3,4,1.5\n", FormatError, "not an integer"),
        (b"a,b\n1,2\n", DataValueError, "no label column"),
    ],
)
def test_bad_rows_kept_in_memory(data: bytes, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        run(loader(2).load_bytes(data, name="t.csv"))


def test_integral_float_labels_and_one_feature() -> None:
    ld = loader(3, columns=["b"])
    assert run(ld.load_bytes(b"a,b,label\n1,2.5,0.0\n3,4,2e0\n", name="t.csv")) == 2
    b = run(ld.next_batch())
    assert b["x"].tolist() == [[2.5], [4.0]] and b["y"].tolist() == [0, 2]


# --- NOTE [ Loading yields ] ------------------------------------------------------------------


def test_progress_is_indeterminate_while_the_total_is_unknown_and_counts_decoded_bytes() -> None:
    n = 3000
    data = b"".join(csv_lines(n))
    seen: list[tuple[float | None, int]] = []
    loader = JsLoader(64, {"shuffle": True, "label": "label", "format": "csv"})

    async def chunks() -> AsyncIterator[bytes]:  # no total: as a gzipped response
        for i in range(0, len(data), 4096):
            seen.append((loader.progress, loader.bytes_loaded))
            yield data[i : i + 4096]

    assert run(loader.load_stream(chunks())) == n
    during = seen[2:]  # after the first chunk was counted
    assert during and all(p is None for p, _ in during)
    counts = [b for _, b in during]
    assert counts == sorted(counts) and len(set(counts)) > 5
    assert loader.progress == 1.0 and loader.bytes_loaded == len(data)


def test_progress_is_a_fraction_when_the_total_is_known() -> None:
    data = b"".join(csv_lines(2000))
    seen: list[float | None] = []
    loader = JsLoader(64, {"shuffle": True, "label": "label", "format": "csv"})

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 4096):
            seen.append(loader.progress)
            yield data[i : i + 4096]

    run(loader.load_stream(chunks(), len(data)))
    assert all(p is not None and 0 <= p < 1 for p in seen)
    assert seen == sorted(seen) and seen[-1] > 0.9  # type: ignore[type-var]
    assert loader.progress == 1.0


def test_a_load_gives_the_event_loop_a_turn_between_chunks_once_its_slice_is_used() -> None:
    from torsh_data._jsapi.stream import CountedSource, TimeSlicer

    data = b"x" * (10 * 4096)

    async def read(slicer: TimeSlicer) -> int:
        src = CountedSource(
            data, "x.bin", None, lambda done, total: None, chunk_size=4096, slicer=slicer
        )
        return len(b"".join([chunk async for chunk in src]))

    # the first chunk is handed out as a 2 KiB piece, a turn after it, then the rest
    # (NOTE [ First pieces ])
    every = TimeSlicer(0.0)  # its slice is always used up: a turn after each chunk
    assert run(read(every)) == len(data) and every.turns == 1 + 10
    never = TimeSlicer(3600.0)
    assert run(read(never)) == len(data) and never.turns == 1


def test_the_first_bytes_of_a_load_are_read_in_small_growing_pieces_a_turn_after_each() -> None:
    from torsh_data._jsapi.stream import FIRST_PIECES, CountedSource, TimeSlicer

    data = bytes(range(256)) * 512  # 128 KiB, read 32 KiB at a time
    slicer = TimeSlicer(3600.0)  # no turn for time used: only the first pieces' turns
    turns_before: list[int] = []

    async def read(src: CountedSource) -> list[bytes]:
        out = []
        async for chunk in src:
            turns_before.append(slicer.turns)
            out.append(chunk)
        return out

    src = CountedSource(data, "x.bin", None, lambda d, t: None, chunk_size=1 << 15, slicer=slicer)
    for _ in range(2):  # every pass begins with the pieces
        turns_before.clear()
        start = slicer.turns
        pieces = run(read(src))
        assert b"".join(pieces) == data
        assert [len(p) for p in pieces] == [2048, 4096, 8192, 16384, 2048, 32768, 32768, 32768]
        assert tuple(len(p) for p in pieces[:4]) == FIRST_PIECES
        assert [t - start for t in turns_before] == [0, 1, 2, 3, 4, 4, 4, 4]


def test_the_cycle_collector_is_paused_while_loads_run_and_restored_after() -> None:
    """NOTE [ Loading yields ]: no automatic collection while records are read (seen from
    inside the source), on again once the last of two overlapping loads ends, also after one
    failed; a collector the user had turned off stays off."""
    import gc

    seen: list[bool] = []

    async def chunks(n: int, fail: bool = False) -> AsyncIterator[bytes]:
        async for chunk in stream(n, 256):
            seen.append(gc.isenabled())
            await asyncio.sleep(0)  # the other load runs meanwhile
            yield chunk
        if fail:
            raise OSError("the connection dropped")

    async def both() -> list[Any]:
        csv = {"format": "csv", "label": "label"}
        ok, bad = JsLoader(4, csv), JsLoader(4, csv)
        return await asyncio.gather(
            ok.load_stream(chunks(300)), bad.load_stream(chunks(40, fail=True)),
            return_exceptions=True,
        )  # fmt: skip

    assert gc.isenabled()
    n, error = run(both())
    assert n == 300 and isinstance(error, OSError)
    assert seen and not any(seen)
    assert gc.isenabled()
    gc.disable()
    try:
        assert run(JsLoader(4, {"format": "csv"}).load_stream(chunks(10))) == 10
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("label", ["label", None])
def test_sliced_columns_equal_the_whole(label: str | None) -> None:
    """A CSV made into columns a slice at a time gives the tensors of the whole at once."""
    from torsh_data._jsapi.stream import SLICE_RECORDS, TimeSlicer, materialise, materialise_sliced

    records = [{"a": i * 0.5, "b": i % 7, "label": i % 3} for i in range(2 * SLICE_RECORDS + 17)]
    opts = {"label": label} if label else {}
    whole = materialise("csv", records, opts, "x.csv")
    sliced = run(materialise_sliced("csv", records, opts, "x.csv", TimeSlicer(0.0)))
    assert records == []  # freed a slice at a time
    assert len(sliced.tensors) == len(whole.tensors) == (2 if label else 1)
    for s, w in zip(sliced.tensors, whole.tensors, strict=True):
        assert s.equal(w)


def test_sliced_columns_name_the_bad_record_by_its_index_in_the_whole() -> None:
    from torsh_data._jsapi.stream import SLICE_RECORDS, TimeSlicer, materialise_sliced

    records: list[dict[str, Any]] = [{"a": 1.0, "label": 0} for _ in range(SLICE_RECORDS + 10)]
    records[SLICE_RECORDS + 3] = {"a": "oops", "label": 0}
    with pytest.raises(DataValueError, match=str(SLICE_RECORDS + 3)):
        run(materialise_sliced("csv", records, {"label": "label"}, "x.csv", TimeSlicer(0.0)))


@pytest.mark.parametrize("bad_slice", [None, 2])
def test_sliced_string_labels_equal_the_whole(bad_slice: int | None) -> None:
    """String labels learnt and encoded a slice at a time give the classes, indices and errors
    of the whole at once (the codec's classes are sorted over every record)."""
    from torsh_data._jsapi.labels import LabelCodec
    from torsh_data._jsapi.stream import SLICE_RECORDS, TimeSlicer, materialise, materialise_sliced

    names = ["virginica", "setosa", "versicolor"]
    n = 2 * SLICE_RECORDS + 17
    bad_at = None if bad_slice is None else bad_slice * SLICE_RECORDS + 5

    def records() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"a": i * 0.5, "label": names[(i * 7) % 3] if i < n - 1 else "zzz"} for i in range(n)
        ]
        if bad_at is not None:
            out[bad_at]["a"] = "oops"
        return out

    opts = {"label": "label"}
    whole_codec, sliced_codec = (LabelCodec("label", None, "float32") for _ in range(2))
    if bad_at is not None:
        with pytest.raises(DataValueError, match=str(bad_at)):
            run(materialise_sliced("csv", records(), opts, "x.csv", TimeSlicer(0.0), sliced_codec))
        return
    whole = materialise("csv", records(), opts, "x.csv", whole_codec)
    sliced = run(materialise_sliced("csv", records(), opts, "x.csv", TimeSlicer(0.0), sliced_codec))
    assert sliced_codec.classes == whole_codec.classes == sorted([*names, "zzz"])
    for s, w in zip(sliced.tensors, whole.tensors, strict=True):
        assert s.equal(w)
    assert sliced.tensors[1][n - 1].item() == 3.0  # "zzz", seen only in the last slice


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_sliced_labels_in_their_dtype_equal_the_whole(dtype: str) -> None:
    """Labels put in their dtype a slice at a time give the whole's tensor, and a label the
    dtype cannot hold, in a later slice, the whole's error (NOTE [ Last steps ])."""
    from torsh_data._jsapi.labels import LabelCodec
    from torsh_data._jsapi.stream import SLICE_RECORDS, TimeSlicer, materialise, materialise_sliced

    n = 3 * SLICE_RECORDS + 9
    big = (1 << 24) + 1  # not exactly a float32

    def records(bad: bool) -> list[dict[str, Any]]:
        labels = [(i * 5) % 7 - 3 for i in range(n)]
        if bad:
            labels[2 * SLICE_RECORDS + 1] = big
        return [{"a": i * 0.5, "label": y} for i, y in enumerate(labels)]

    opts = {"label": "label"}
    for bad in (False, True) if dtype == "float32" else (False,):
        codecs = [LabelCodec("label", None, dtype) for _ in range(2)]
        try:
            whole = materialise("csv", records(bad), opts, "x.csv", codecs[0])
        except DataValueError as e:
            with pytest.raises(DataValueError) as sliced_error:
                run(
                    materialise_sliced(
                        "csv", records(bad), opts, "x.csv", TimeSlicer(0.0), codecs[1]
                    )
                )
            assert str(sliced_error.value) == str(e) and str(big) in str(e)
            continue
        assert not bad
        sliced = run(
            materialise_sliced("csv", records(bad), opts, "x.csv", TimeSlicer(0.0), codecs[1])
        )
        assert sliced.tensors[1].dtype.name == dtype
        for s, w in zip(sliced.tensors, whole.tensors, strict=True):
            assert s.equal(w)


def test_sliced_columns_turn_while_labels_are_converted_and_columns_joined() -> None:
    """Every step of making columns is a slice, up to the last (NOTE [ Last steps ]): with a
    slicer whose time is always used up, a turn after each slice's label values, columns,
    labels in their dtype, bytes of each column, and records freed."""
    from torsh_data._jsapi.labels import LabelCodec
    from torsh_data._jsapi.stream import SLICE_RECORDS, TimeSlicer, materialise_sliced

    slices = 4
    records = [{"a": float(i), "label": i % 3} for i in range(slices * SLICE_RECORDS - 1)]
    slicer = TimeSlicer(0.0)
    codec = LabelCodec("label", None, "float32")
    run(materialise_sliced("csv", records, {"label": "label"}, "x.csv", slicer, codec))
    # values, columns, labels' dtype, x's bytes, y's bytes, freeing
    assert slicer.turns == 6 * slices


def test_a_shuffled_load_takes_the_records_without_indexing_each() -> None:
    """The records read for a shuffled load are taken as the list they are, not copied out of
    their dataset one index at a time (a Python call a record, at the end of reading)."""
    from torsh_data.formats import RecordDataset

    calls = 0
    getitem = RecordDataset.__getitem__

    def counting(self: Any, index: int) -> Any:
        nonlocal calls
        calls += 1
        return getitem(self, index)

    RecordDataset.__getitem__ = counting  # type: ignore[method-assign]
    try:
        ld = loader(16, shuffle=True, seed=0)
        assert run(ld.load_stream(stream(3000, chunk=4096))) == 3000
    finally:
        RecordDataset.__getitem__ = getitem  # type: ignore[method-assign]
    assert calls == 0
