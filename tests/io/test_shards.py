"""Sharded, progressive datasets: manifests, brace patterns, ShardedDataset.

Shards are written here with the standard ``tarfile`` module (independent of the package's
writer). Local-file tests run natively and in Pyodide; the HTTP tests start a file server
thread, so they are native only (the browser run is ``tests/runtimes/shards.test.mjs``).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import os
import tarfile
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import run

from torsh_data import (
    DataLoader,
    DataTypeError,
    DataValueError,
    FormatError,
    SourceError,
    _worker_info,
)
from torsh_data._worker_info import WorkerInfo
from torsh_data.io import (
    Cache,
    IntegrityError,
    ShardedDataset,
    expand_braces,
    load_manifest,
    open_dataset,
)
from torsh_data.io._manifest import MAX_COUNT, MAX_PATTERN_SHARDS, parse_manifest

NEEDS_SERVER = pytest.mark.native_only(
    reason="starts an HTTP server thread; the browser run is tests/runtimes/shards.test.mjs"
)


def make_tar(samples: list[tuple[str, dict[str, bytes]]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for key, members in samples:
            for ext, data in members.items():
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_shards(root: Any, n: int = 5, per: int = 3, *, meta: bool = True) -> dict[str, Any]:
    """``n`` shards of ``per`` samples in ``root``; returns the manifest (also written)."""
    entries = []
    for s in range(n):
        data = make_tar(
            [
                (f"{s:03d}-{r}", {"txt": f"s{s}r{r}".encode(), "cls": str(s * per + r).encode()})
                for r in range(per)
            ]
        )
        name = f"shard-{s:03d}.tar"
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        entry: dict[str, Any] = {"url": name}
        if meta:
            entry.update(size=len(data), records=per, sha256=hashlib.sha256(data).hexdigest())
        entries.append(entry)
    manifest = {"version": 1, "format": "tar", "shards": entries}
    with open(os.path.join(root, "data.shards.json"), "w") as f:
        json.dump(manifest, f)
    return manifest


def labels(records: Any) -> list[int]:
    return [r["cls"] for r in records]


# ------------------------------------------------------------------ brace expansion
def test_expand_braces_examples() -> None:
    assert expand_braces("data-{000..003}.tar") == [f"data-{i:03d}.tar" for i in range(4)]
    assert expand_braces("{a,b}/{1..2}") == ["a/1", "a/2", "b/1", "b/2"]
    assert expand_braces("x{3..1}") == ["x3", "x2", "x1"]
    assert expand_braces("{8..10}") == ["8", "9", "10"]  # no leading zero: no padding
    assert expand_braces("{08..10}") == ["08", "09", "10"]
    assert expand_braces("plain.tar") == ["plain.tar"]
    assert expand_braces("{literal}.tar") == ["{literal}.tar"]  # as a shell does
    assert expand_braces("{,x}y") == ["y", "xy"]


@pytest.mark.parametrize(
    "pattern",
    ["d-{0..99999999999999}.tar", "{0..999}{0..999}{0..9}", "{0..1000000}", "{-5..999999999}"],
)
def test_expand_braces_refuses_absurd_ranges(pattern: str) -> None:
    with pytest.raises(FormatError, match="more than"):
        expand_braces(pattern)
    with pytest.raises(FormatError, match="more than"):
        parse_manifest({"shards": pattern})


def test_expand_braces_limit_and_type() -> None:
    assert len(expand_braces("{0..9}{0..9}", limit=100)) == 100
    with pytest.raises(FormatError):
        expand_braces("{0..9}{0..9}{0..1}", limit=100)
    with pytest.raises(DataTypeError):
        expand_braces(b"x")  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="nested"):
        expand_braces("{a,{0..2}}")


_literal = st.text(alphabet="abcxyz_-./", max_size=4)
_range = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 4))
_alts = st.lists(st.text(alphabet="abcxyz_-.", max_size=3), min_size=2, max_size=4)


@given(st.lists(st.one_of(_literal, _range, _alts), max_size=4))
@example([(0, 17, 1)] * 4)  # 18**4 names: over the cap (found in Chromium)
def test_expand_braces_against_structure(parts: list[Any]) -> None:
    """The pattern is rendered from a structure whose expansion is known independently."""
    pattern, choices = "", []
    for part in parts:
        if isinstance(part, str):
            pattern += part
            choices.append([part])
        elif isinstance(part, tuple):
            lo, hi, width = part
            pattern += f"{{{lo:0{width}d}..{hi:0{width}d}}}"
            step = 1 if hi >= lo else -1
            # width > 1 writes a leading zero, so every name is padded to that width
            choices.append(
                [f"{i:0{width}d}" if width > 1 else str(i) for i in range(lo, hi + step, step)]
            )
        else:
            pattern += "{" + ",".join(part) + "}"
            choices.append(part)
    if math.prod(map(len, choices)) > MAX_PATTERN_SHARDS:  # refused, counted up front
        with pytest.raises(FormatError, match="names more than"):
            expand_braces(pattern)
        return
    expected = ["".join(c) for c in itertools.product(*choices)]
    assert expand_braces(pattern) == expected


# ------------------------------------------------------------------ hostile manifests (issue 17)
def test_a_30_byte_pattern_is_counted_before_it_is_expanded() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"more than 100000 shards") as info:
            parse_manifest({"shards": "s{0..999999}.tar"}, source="m.shards.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith("m.shards.json: 'shards' pattern 's{0..999999}.tar'")
    assert peak < 1 << 20  # the old expansion built a million names first (600 MB in all)
    assert MAX_PATTERN_SHARDS == 100_000
    assert len(expand_braces("s{0..99}{0..99}", limit=10_000)) == 10_000


def test_pattern_names_are_capped_in_characters_too() -> None:
    wide = "x{" + "0" * 5000 + "1..9999}"  # 9999 names of 5000 characters
    with pytest.raises(FormatError, match="MAX_PATTERN_CHARS"):
        expand_braces(wide)
    assert expand_braces("x{" + "0" * 40 + "1..3}")[-1] == "x" + "0" * 40 + "3"


def test_many_single_name_groups_expand_in_one_pass() -> None:
    # 20,000 groups of one name: joined once per name, not re-copied once per group
    assert expand_braces("{1..1}-" * 20_000) == ["1-" * 20_000]


HALF = MAX_COUNT // 2 + 1  # sys.maxsize: 2**63 - 1 natively, 2**31 - 1 in Pyodide


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"shards": [{"url": "a.tar", "records": 10**30}]}, r"shards\[0\]\.records must be"),
        ({"shards": "s{0..1}.tar", "records": [1, 10**30]}, r"shards\[1\]\.records must be"),
        ({"shards": [{"url": "a.tar", "size": 10**5000}]}, r"shards\[0\]\.size .* of 16610 bits"),
        (
            {"shards": [{"url": "a.tar", "records": HALF}, {"url": "b.tar", "records": HALF}]},
            r"'records' add up to",
        ),
        ({"shards": "s{0.." + "9" * 5000 + "}.tar"}, r"'shards' pattern .* a bound of 5000 digits"),
        ({"shards": "s{-" + "1" * 4400 + "..0}.tar"}, r"'shards' pattern .* 4400 digits"),
        ({"shards": ["a\0.tar"]}, r"shards\[0\]\.url 'a\\x00.tar' contains a NUL"),
        ({"shards": [{"url": "https://x.org/a\0.tar"}]}, r"shards\[0\]\.url .* NUL"),
    ],
)
def test_numbers_and_names_a_manifest_cannot_hold(data: Any, match: str) -> None:
    with pytest.raises(FormatError, match=match) as info:
        parse_manifest(data, source="m.shards.json")
    assert str(info.value).startswith("m.shards.json: ")
    assert isinstance(info.value, ValueError)


def test_hostile_numbers_fail_when_the_manifest_file_is_read(tmp_path: Any) -> None:
    path = tmp_path / "m.shards.json"
    path.write_text('{"shards": [{"url": "a.tar", "records": 1000000000000000000000000000000}]}')
    with pytest.raises(FormatError, match=r"shards\[0\]\.records") as info:
        ShardedDataset(path)
    assert str(path) in str(info.value)
    path.write_text(json.dumps({"shards": ["a\u0000.tar"]}))
    with pytest.raises(FormatError, match="NUL"):
        ShardedDataset(path)


# ------------------------------------------------------------------ manifests
@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([], "JSON object"),
        ({}, "missing field 'shards'"),
        ({"shards": []}, "empty"),
        ({"shards": 3}, "list or a brace pattern"),
        ({"shards": [{"size": 3}]}, r"shards\[0\] has no 'url'"),
        ({"shards": [7]}, r"shards\[0\] must be an object"),
        ({"shards": [{"url": ""}]}, r"shards\[0\].url must be a non-empty"),
        ({"shards": [{"url": "a.tar", "size": -1}]}, r"shards\[0\].size must be an integer"),
        ({"shards": [{"url": "a.tar", "records": True}]}, r"shards\[0\].records"),
        ({"shards": [{"url": "a.tar", "sha256": "abc"}]}, r"shards\[0\].sha256 must be 64 hex"),
        ({"shards": ["../etc/passwd"]}, "leaves the manifest's directory"),
        ({"shards": ["a/../../b.tar"]}, "leaves the manifest's directory"),
        ({"shards": ["/etc/passwd"]}, "leaves the manifest's directory"),
        ({"shards": ["C:\\x.tar"]}, "leaves the manifest's directory"),
        ({"shards": ["file:///etc/passwd"]}, "only http"),
        ({"shards": "s{0..2}.tar", "records": [1, 2]}, "one item per shard"),
        ({"shards": "s{0..1}.tar", "sha256": ["x", "y"]}, r"shards\[0\].sha256"),
        ({"shards": ["a.tar"], "version": 2}, "unsupported manifest version"),
        ({"shards": ["a.tar"], "format": ""}, "'format'"),
        ({"shards": ["a.tar"], "base_url": "ftp://x/"}, "'base_url' must be an http"),
    ],
)
def test_bad_manifests(data: Any, match: str) -> None:
    with pytest.raises(FormatError, match=match) as info:
        parse_manifest(data, source="m.shards.json")
    assert str(info.value).startswith("m.shards.json: ")


def test_bad_manifest_files(tmp_path: Any) -> None:
    bad = tmp_path / "bad.shards.json"
    bad.write_bytes(b'{"shards": ["a.tar",')
    with pytest.raises(FormatError, match="not valid JSON") as info:
        ShardedDataset(bad)
    assert str(bad) in str(info.value)
    empty = tmp_path / "empty.shards.json"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="not valid JSON"):
        run(load_manifest(str(empty)))
    with pytest.raises(SourceError, match="cannot read the manifest"):
        ShardedDataset(tmp_path / "missing.shards.json")
    escape = tmp_path / "escape.shards.json"
    escape.write_text(json.dumps({"shards": ["../outside.tar"]}))
    with pytest.raises(FormatError, match="leaves"):
        ShardedDataset(escape)
    with pytest.raises(DataTypeError):
        ShardedDataset(42)  # type: ignore[arg-type]


def test_manifest_resolution_and_totals(tmp_path: Any) -> None:
    m = parse_manifest(
        {
            "shards": "p-{0..1}.tar",
            "sizes": [10, 20],
            "records": [1, 2],
            "base_url": "../shards/",
        },
        base="https://example.org/a/b/m.shards.json",
    )
    assert [s.url for s in m.shards] == [
        "https://example.org/a/shards/p-0.tar",
        "https://example.org/a/shards/p-1.tar",
    ]
    assert (m.size, m.records, m.format) == (30, 3, "tar")
    assert parse_manifest(m.to_dict()) == parse_manifest(m.to_dict())
    local = (
        run(load_manifest(os.fspath(tmp_path / "data.shards.json")))
        if make_shards(tmp_path, 2)
        else None
    )
    assert local is not None
    assert [s.url for s in local.shards] == [
        os.path.join(str(tmp_path), f"shard-00{i}.tar") for i in range(2)
    ]
    assert all(s.local for s in local.shards)


# ------------------------------------------------------------------ local datasets
def test_local_epoch_sync_and_async(tmp_path: Any) -> None:
    make_shards(tmp_path, 4, 3)
    ds = ShardedDataset(tmp_path / "data.shards.json")
    assert len(ds) == 12 and ds.progress_unit == "bytes"
    records = list(ds)
    assert labels(records) == list(range(12))
    assert records[0]["txt"] == "s0r0" and records[0]["__key__"] == "000-0"
    assert records[-1]["__url__"].endswith("shard-003.tar")
    assert ds.progress == 1.0

    async def collect() -> tuple[list[Any], ShardedDataset]:
        fresh = ShardedDataset(str(tmp_path / "data.shards.json"))
        assert fresh.progress == 0.0
        return [r async for r in fresh], fresh

    again, fresh = run(collect())
    assert labels(again) == list(range(12))
    assert fresh.progress == 1.0


def test_open_dataset_dispatches_manifests(tmp_path: Any) -> None:
    manifest = make_shards(tmp_path, 2, 2)
    ds = open_dataset(str(tmp_path / "data.shards.json"))
    assert isinstance(ds, ShardedDataset) and labels(ds) == [0, 1, 2, 3]
    assert isinstance(open_dataset(manifest, base=str(tmp_path)), ShardedDataset)


def test_progress_is_monotonic_and_only_counts_verified_shards(tmp_path: Any) -> None:
    make_shards(tmp_path, 6, 2)
    calls: list[tuple[int, int]] = []
    seen: list[bool] = []

    async def go() -> ShardedDataset:
        ds = ShardedDataset(
            tmp_path / "data.shards.json", on_progress=lambda d, t: calls.append((d, t))
        )
        async for r in ds:
            index = int(r["__key__"][:3])
            seen.append(ds.is_loaded(index))
        return ds

    ds = run(go())
    assert all(seen) and len(seen) == 12
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(set(done)) == len(done) == 6
    assert (
        calls[-1][0]
        == calls[-1][1]
        == sum(os.path.getsize(tmp_path / f"shard-00{i}.tar") for i in range(6))
    )
    assert ds.progress == 1.0


def test_progress_in_shards_without_sizes(tmp_path: Any) -> None:
    make_shards(tmp_path, 3, 1, meta=False)
    calls: list[tuple[int, int]] = []
    ds = ShardedDataset(
        tmp_path / "data.shards.json", on_progress=lambda d, t: calls.append((d, t))
    )
    assert ds.progress_unit == "shards"
    with pytest.raises(DataTypeError, match="record count"):
        len(ds)
    run(ds.load())
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_load_then_sync_iteration(tmp_path: Any) -> None:
    make_shards(tmp_path, 3, 2)
    ds = run(ShardedDataset(tmp_path / "data.shards.json").load())
    assert isinstance(ds, ShardedDataset)
    assert ds.progress == 1.0 and labels(ds.iter_loaded()) == list(range(6))
    assert labels(ds) == list(range(6))


# ------------------------------------------------------------------ bad shards
def _corrupt(path: Any, how: str) -> None:
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if how == "flip":
        data[600] ^= 0xFF
    else:
        del data[700:]
    with open(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_mismatching_shard_is_never_yielded(tmp_path: Any, how: str) -> None:
    make_shards(tmp_path, 3, 2)
    _corrupt(tmp_path / "shard-001.tar", how)
    ds = ShardedDataset(tmp_path / "data.shards.json")
    got: list[Any] = []
    with pytest.raises(IntegrityError, match=r"shard-001\.tar") as info:
        for r in ds:
            got.append(r)
    assert isinstance(info.value, SourceError)
    assert labels(got) == [0, 1]  # shard 0 only: nothing of the bad shard
    fresh = ShardedDataset(tmp_path / "data.shards.json")
    with pytest.raises(IntegrityError, match="sha256 mismatch" if how == "flip" else "truncated"):
        run(fresh.load())
    assert fresh.is_loaded(0) and not fresh.is_loaded(1) and fresh.is_loaded(2)
    assert fresh.progress == pytest.approx(2 / 3, rel=0.01)


def test_truncated_shard_without_checks_is_a_format_error(tmp_path: Any) -> None:
    make_shards(tmp_path, 2, 2, meta=False)
    _corrupt(tmp_path / "shard-000.tar", "truncate")
    with pytest.raises(FormatError, match="truncated"):
        list(ShardedDataset(tmp_path / "data.shards.json"))


def test_empty_and_garbage_shards(tmp_path: Any) -> None:
    (tmp_path / "e.tar").write_bytes(b"")
    (tmp_path / "g.tar").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(FormatError, match="empty"):
        list(ShardedDataset({"shards": ["e.tar"]}, base=str(tmp_path)))
    with pytest.raises(FormatError):
        list(ShardedDataset({"shards": ["g.tar"]}, base=str(tmp_path)))
    with pytest.raises(SourceError, match="cannot read the shard"):
        list(ShardedDataset({"shards": ["missing.tar"]}, base=str(tmp_path)))


def test_record_count_mismatch(tmp_path: Any) -> None:
    manifest = make_shards(tmp_path, 1, 3)
    manifest["shards"][0]["records"] = 4
    with pytest.raises(FormatError, match="the manifest says 4"):
        list(ShardedDataset(manifest, base=str(tmp_path)))


def test_bad_arguments(tmp_path: Any) -> None:
    make_shards(tmp_path, 2, 1)
    path = tmp_path / "data.shards.json"
    with pytest.raises(DataValueError):
        ShardedDataset(path, rank=2, world_size=2)
    with pytest.raises(DataValueError):
        ShardedDataset(path, world_size=0)
    with pytest.raises(DataValueError, match="needs a seed"):
        ShardedDataset(path, rank=0, world_size=2, shuffle_shards=True)
    with pytest.raises(DataTypeError):
        ShardedDataset(path, on_progress=3)  # type: ignore[arg-type]
    with pytest.raises(DataValueError):
        ShardedDataset(path).load_state_dict({"version": 9})


# ------------------------------------------------------------------ split, shuffle, resume
def _with_worker(worker: int | None, workers: int, fn: Any) -> Any:
    old = _worker_info._info
    _worker_info._info = None if worker is None else WorkerInfo(worker, workers, 0, None)
    try:
        return fn()
    finally:
        _worker_info._info = old


@given(st.integers(1, 40), st.integers(1, 5), st.integers(1, 4))
def test_rank_worker_split_is_disjoint_and_complete(n: int, world: int, workers: int) -> None:
    manifest = {"shards": f"s-{{0..{n - 1}}}.tar"}
    shares = []
    for rank in range(world):
        ds = ShardedDataset(manifest, rank=rank, world_size=world)
        rank_share = _with_worker(None, 1, ds.shard_indices)
        per_worker = [_with_worker(w, workers, ds.shard_indices) for w in range(workers)]
        assert sorted(itertools.chain(*per_worker)) == rank_share
        shares.extend(per_worker)
    flat = list(itertools.chain(*shares))
    assert sorted(flat) == list(range(n))  # complete, and disjoint (no index twice)
    rank_sizes = [
        len(ShardedDataset(manifest, rank=r, world_size=world).shard_indices())
        for r in range(world)
    ]
    assert max(rank_sizes) - min(rank_sizes) <= 1  # balanced between ranks


def test_split_between_ranks_reads_each_record_once(tmp_path: Any) -> None:
    make_shards(tmp_path, 7, 2)
    path = tmp_path / "data.shards.json"
    parts = [labels(ShardedDataset(path, rank=r, world_size=3)) for r in range(3)]
    assert sorted(itertools.chain(*parts)) == list(range(14))
    assert [len(ShardedDataset(path, rank=r, world_size=3)) for r in range(3)] == [6, 4, 4]


def test_shuffled_shards_are_seeded_per_epoch(tmp_path: Any) -> None:
    make_shards(tmp_path, 8, 1)
    path = tmp_path / "data.shards.json"
    a = ShardedDataset(path, shuffle_shards=True, seed=5)
    b = ShardedDataset(path, shuffle_shards=True, seed=5)
    first, second = labels(a), labels(a)
    assert first == labels(b) and second == labels(b)  # same seed, same epochs
    assert sorted(first) == sorted(second) == list(range(8))
    assert first != second and first != list(range(8))
    a.set_epoch(0)
    assert labels(a) == first


def test_resume_from_every_position(tmp_path: Any) -> None:
    make_shards(tmp_path, 4, 3)
    path = tmp_path / "data.shards.json"
    full = labels(ShardedDataset(path, shuffle_shards=True, seed=1))
    for stop in range(len(full) + 1):
        ds = ShardedDataset(path, shuffle_shards=True, seed=1)
        it = iter(ds)
        head = [next(it)["cls"] for _ in range(stop)]
        state = json.loads(json.dumps(ds.state_dict()))
        resumed = ShardedDataset(path, shuffle_shards=True, seed=99)
        resumed.load_state_dict(state)
        assert head + labels(resumed) == full, stop


def test_async_resume(tmp_path: Any) -> None:
    make_shards(tmp_path, 3, 2)
    path = tmp_path / "data.shards.json"

    async def go() -> tuple[list[int], list[int]]:
        ds = ShardedDataset(path)
        head = []
        async for r in ds:
            head.append(r["cls"])
            if len(head) == 3:
                break
        again = ShardedDataset(path)
        again.load_state_dict(ds.state_dict())
        return head, [r["cls"] async for r in again]

    head, tail = run(go())
    assert head + tail == list(range(6))


def test_in_a_dataloader(tmp_path: Any) -> None:
    make_shards(tmp_path, 4, 3)
    ds = ShardedDataset(tmp_path / "data.shards.json")
    loader = DataLoader(ds, batch_size=5, seed=0)
    assert len(loader) == 3
    assert [b["cls"].tolist() for b in loader] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]

    async def go() -> list[list[int]]:
        fresh = DataLoader(ShardedDataset(tmp_path / "data.shards.json"), batch_size=5, seed=0)
        return [b["cls"].tolist() async for b in fresh]

    assert run(go()) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


def test_dataloader_resume_mid_epoch(tmp_path: Any) -> None:
    make_shards(tmp_path, 4, 3)
    path = tmp_path / "data.shards.json"
    full = [b["cls"].tolist() for b in DataLoader(ShardedDataset(path), batch_size=2, seed=0)]
    loader = DataLoader(ShardedDataset(path), batch_size=2, seed=0)
    it = iter(loader)
    head = [next(it)["cls"].tolist() for _ in range(3)]
    resumed = DataLoader(ShardedDataset(path), batch_size=2, seed=0)
    resumed.load_state_dict(json.loads(json.dumps(loader.state_dict())))
    assert head + [b["cls"].tolist() for b in resumed] == full


def test_gzipped_tar_and_jsonl_shards(tmp_path: Any) -> None:
    import gzip

    (tmp_path / "a.tar.gz").write_bytes(gzip.compress(make_tar([("k", {"cls": b"7"})]), mtime=0))
    ds = ShardedDataset({"shards": ["a.tar.gz"]}, base=str(tmp_path))
    assert [(r["__key__"], r["cls"]) for r in ds] == [("k", 7)]
    # any format the stream readers know (reader_for), here JSON lines
    for i in range(2):
        (tmp_path / f"p{i}.jsonl").write_text(f'{{"i": {2 * i}}}\n{{"i": {2 * i + 1}}}\n')
    lines = ShardedDataset({"format": "jsonl", "shards": "p{0..1}.jsonl"}, base=str(tmp_path))
    assert list(lines) == [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}]
    bad = ShardedDataset({"format": "nope", "shards": ["p0.jsonl"]}, base=str(tmp_path))
    with pytest.raises(DataValueError, match="unknown format"):
        list(bad)


def test_pickled_copy_carries_no_bytes_nor_callback(tmp_path: Any) -> None:
    import pickle

    make_shards(tmp_path, 2, 1)
    ds = ShardedDataset(tmp_path / "data.shards.json", on_progress=lambda d, t: None)
    run(ds.load())
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.progress == 0.0 and copy.on_progress is None and ds.progress == 1.0
    assert labels(copy) == [0, 1]


@pytest.mark.native_only(reason="worker processes")
def test_in_a_dataloader_with_workers(tmp_path: Any) -> None:
    make_shards(tmp_path, 6, 2)
    loader = DataLoader(ShardedDataset(tmp_path / "data.shards.json"), batch_size=2, num_workers=2)
    got = [x for b in loader for x in b["cls"].tolist()]
    assert sorted(got) == list(range(12))


# ------------------------------------------------------------------ over HTTP (native)
class _Files:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.corrupt: dict[str, int] = {}  # name -> times to serve it with a byte flipped
        self.log: list[str] = []
        self.lock = threading.Lock()


def _handler(state: _Files) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.lstrip("/")
            with state.lock:
                state.log.append(name)
                data = state.files.get(name)
                if data is not None and state.corrupt.get(name, 0) > 0:
                    state.corrupt[name] -= 1
                    data = data[:-1] + bytes([data[-1] ^ 1])
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture()
def served(tmp_path: Any) -> Iterator[tuple[str, _Files]]:
    state = _Files()
    make_shards(tmp_path, 5, 2)
    for name in os.listdir(tmp_path):
        state.files[f"d/{name}"] = (tmp_path / name).read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _shard_requests(state: _Files) -> list[str]:
    return [p for p in state.log if p.endswith(".tar")]


@NEEDS_SERVER
def test_http_progressive_dataset(served: tuple[str, _Files]) -> None:
    base, _ = served
    url = f"{base}/d/data.shards.json"
    progress: list[float] = []

    async def go() -> tuple[list[Any], list[bool], ShardedDataset]:
        ds = ShardedDataset(url, on_progress=lambda d, t: progress.append(d / t))
        assert ds.progress == 0.0
        seen, out = [], []
        async for r in ds:
            seen.append(ds.is_loaded(int(r["__key__"][:3])))
            out.append(r)
        return out, seen, ds

    records, seen, ds = run(go())
    assert labels(records) == list(range(10)) and all(seen)
    assert records[0]["__url__"] == f"{base}/d/shard-000.tar"
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) == 5
    assert len(ds) == 10
    assert labels(ShardedDataset(url)) == list(range(10))  # sync, natively, fetches itself
    by_url = open_dataset(url)  # what the JS package's load_from_url calls
    assert isinstance(by_url, ShardedDataset) and labels(by_url) == list(range(10))


@NEEDS_SERVER
def test_http_cache_means_no_shard_requests_on_reload(
    served: tuple[str, _Files], tmp_path: Any
) -> None:
    base, state = served
    cache = Cache("shards", root=tmp_path / "cache")
    url = f"{base}/d/data.shards.json"
    first = run(ShardedDataset(url, cache=cache).load())
    assert len(_shard_requests(state)) == 5
    state.log.clear()
    again = ShardedDataset(url, cache=Cache("shards", root=tmp_path / "cache"))
    run(again.load())
    assert _shard_requests(state) == []
    assert labels(again) == labels(first) == list(range(10))


@NEEDS_SERVER
def test_http_corrupt_shard_is_refetched_then_reported(served: tuple[str, _Files]) -> None:
    base, state = served
    url = f"{base}/d/data.shards.json"
    state.corrupt["d/shard-002.tar"] = 1  # once: the refetch is good
    ds = run(ShardedDataset(url).load())
    assert labels(ds) == list(range(10))
    assert _shard_requests(state).count("d/shard-002.tar") == 2
    state.corrupt["d/shard-002.tar"] = 10  # always: reported, never yielded
    state.log.clear()
    bad = ShardedDataset(url, verify_retries=2)
    with pytest.raises(IntegrityError, match=r"shard-002\.tar"):
        run(bad.load())
    assert _shard_requests(state).count("d/shard-002.tar") == 3
    assert not bad.is_loaded(2) and bad.is_loaded(3)
    got: list[int] = []

    async def partial() -> None:
        async for r in ShardedDataset(url, verify_retries=0):
            got.append(r["cls"])

    with pytest.raises(IntegrityError):
        run(partial())
    assert got == [0, 1, 2, 3]


@NEEDS_SERVER
def test_http_manifest_errors(served: tuple[str, _Files]) -> None:
    base, state = served
    state.files["d/bad.shards.json"] = b"{not json"
    with pytest.raises(FormatError, match=r"bad\.shards\.json: not valid JSON"):
        run(ShardedDataset(f"{base}/d/bad.shards.json", retries=0).load())
    with pytest.raises(SourceError, match="404"):
        run(ShardedDataset(f"{base}/d/none.shards.json", retries=0).load())
    pending = ShardedDataset(f"{base}/d/data.shards.json")
    with pytest.raises(DataTypeError, match="not loaded yet"):
        len(pending)
    state.files["d/abs.shards.json"] = json.dumps(
        {"shards": ["shard-000.tar"], "base_url": f"{base}/d/"}
    ).encode()
    assert labels(ShardedDataset(f"{base}/d/abs.shards.json")) == [0, 1]


@NEEDS_SERVER
def test_http_body_longer_than_promised_is_cut_off(
    served: tuple[str, _Files], tmp_path: Any
) -> None:
    base, _ = served
    cache = Cache("capped", root=tmp_path / "cache")
    ds = ShardedDataset(
        {"shards": [{"url": "shard-000.tar", "size": 1000}]}, base=f"{base}/d/", cache=cache
    )
    with pytest.raises(IntegrityError, match="more than the 1000 bytes"):
        run(ds.load())
    assert run(cache.keys()) == []  # nothing half-checked is kept


@NEEDS_SERVER
def test_http_offline_reload_from_the_cache(tmp_path: Any) -> None:
    state = _Files()
    make_shards(tmp_path, 3, 2)
    for name in os.listdir(tmp_path):
        state.files[f"d/{name}"] = (tmp_path / name).read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/d/data.shards.json"
    try:
        online = ShardedDataset(url, cache=Cache("offline", root=tmp_path / "c"), retries=0)
        assert labels(online) == list(range(6))
    finally:
        server.shutdown()
        server.server_close()
    offline = ShardedDataset(url, cache=Cache("offline", root=tmp_path / "c"), retries=0)
    assert labels(offline) == list(range(6))  # manifest and shards from the cache
    with pytest.raises(SourceError):
        list(ShardedDataset(url, retries=0))  # no cache: the network error stands


def test_a_manifest_file_over_the_cap_is_refused_without_reading_the_cap_at_once(
    tmp_path: Any, monkeypatch: Any
) -> None:
    from torsh_data.io import _manifest

    path = tmp_path / "big.shards.json"
    path.write_text(json.dumps({"shards": ["a.tar"], "pad": "x" * 5000}))
    monkeypatch.setattr(_manifest, "MAX_MANIFEST_BYTES", 4096)
    with pytest.raises(FormatError, match=r"big\.shards\.json.*larger than the 4096-byte limit"):
        _manifest.read_manifest_file(path)
    monkeypatch.setattr(_manifest, "MAX_MANIFEST_BYTES", 1 << 26)
    tracemalloc.start()
    try:
        assert _manifest.read_manifest_file(path).shards[0].url.endswith("a.tar")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # not the 64 MiB cap allocated up front
