"""``torsh-data pack``: shards and manifests from CSV, JSONL, text, NPY, IDX and folders.

The shards are read back with the standard ``tarfile`` module and ``hashlib`` (independent
of the package's reader) and with :class:`~torsh_data.io.ShardedDataset`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import tarfile
from typing import Any

import pytest
from support import needs_numpy

from torsh_data import DataValueError, FormatError, SourceError
from torsh_data._cli import main as cli
from torsh_data.formats import read_npy
from torsh_data.io import ShardedDataset
from torsh_data.io._pack import main, write_shards


def members(path: Any) -> list[tuple[str, bytes, tarfile.TarInfo]]:
    with tarfile.open(path) as tf:
        return [(m.name, tf.extractfile(m).read(), m) for m in tf.getmembers()]  # type: ignore[union-attr]


def check_manifest(out: Any, prefix: str = "data") -> dict[str, Any]:
    manifest = json.loads((out / f"{prefix}.shards.json").read_text())
    for shard in manifest["shards"]:
        data = (out / shard["url"]).read_bytes()
        assert shard["size"] == len(data)
        assert shard["sha256"] == hashlib.sha256(data).hexdigest()
        assert shard["records"] == len({n.split(".")[0] for n, _, _ in members(out / shard["url"])})
    return manifest


def test_jsonl_to_shards_of_a_target_size(tmp_path: Any) -> None:
    src = tmp_path / "rows.jsonl"
    rows = [{"i": i, "text": "x" * (i * 37 % 900)} for i in range(60)]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = write_shards([src], tmp_path / "out", shard_size=8192)
    assert manifest == check_manifest(tmp_path / "out")
    assert len(manifest["shards"]) > 3
    for shard in manifest["shards"]:
        assert shard["size"] <= 8192 + 10240 or shard["records"] == 1  # tar pads to 10 KiB
    got = [
        json.loads(d)
        for s in manifest["shards"]
        for _, d, _ in members(tmp_path / "out" / s["url"])
    ]
    assert got == rows
    ds = ShardedDataset(tmp_path / "out" / "data.shards.json")
    assert [r["json"] for r in ds] == rows and len(ds) == 60
    assert [r["__key__"] for r in ds][:2] == ["000000000", "000000001"]


def test_max_records_and_csv(tmp_path: Any) -> None:
    src = tmp_path / "t.csv"
    src.write_text("a,b,name\n1,0.5,x\n2,1.5,y\n3,2.5,z\n")
    manifest = write_shards([src], tmp_path / "out", max_records=2)
    assert [s["records"] for s in manifest["shards"]] == [2, 1]
    rows = [r["json"] for r in ShardedDataset(tmp_path / "out" / "data.shards.json")]
    assert rows == [
        {"a": 1, "b": 0.5, "name": "x"},
        {"a": 2, "b": 1.5, "name": "y"},
        {"a": 3, "b": 2.5, "name": "z"},
    ]


def test_text_and_several_inputs(tmp_path: Any) -> None:
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    (tmp_path / "b.txt").write_text("three\n")
    write_shards([tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "out", prefix="lines")
    check_manifest(tmp_path / "out", "lines")
    ds = ShardedDataset(tmp_path / "out" / "lines.shards.json")
    assert [(r["__key__"], r["txt"]) for r in ds] == [
        ("000000000", "one"),
        ("000000001", "two"),
        ("000000002", "three"),
    ]


def _npy_bytes(values: list[list[int]]) -> bytes:
    """A little-endian int32 NPY file written by hand from the format's specification."""
    header = (
        f"{{'descr': '<i4', 'fortran_order': False, 'shape': ({len(values)}, {len(values[0])}), }}"
    )
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    flat = [v for row in values for v in row]
    return (
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", len(header))
        + header.encode()
        + struct.pack(f"<{len(flat)}i", *flat)
    )


def test_npy_and_idx_rows(tmp_path: Any) -> None:
    values = [[i * 3 + j for j in range(3)] for i in range(5)]
    (tmp_path / "x.npy").write_bytes(_npy_bytes(values))
    idx = struct.pack(">BBBB", 0, 0, 0x08, 2) + struct.pack(">II", 2, 2) + bytes([1, 2, 3, 4])
    (tmp_path / "y-idx2-ubyte").write_bytes(idx)
    write_shards([tmp_path / "x.npy", tmp_path / "y-idx2-ubyte"], tmp_path / "out")
    manifest = check_manifest(tmp_path / "out")
    names = [n for s in manifest["shards"] for n, _, _ in members(tmp_path / "out" / s["url"])]
    assert names == [f"{i:09d}.npy" for i in range(7)]
    rows = [r["npy"].tolist() for r in ShardedDataset(tmp_path / "out" / "data.shards.json")]
    assert rows == [*values, [1, 2], [3, 4]]


@needs_numpy
def test_npy_rows_load_in_numpy(tmp_path: Any) -> None:
    import numpy as np

    arr = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "a.npy", arr)
    manifest = write_shards([tmp_path / "a.npy"], tmp_path / "out")
    got = [
        np.load(io.BytesIO(d))
        for s in manifest["shards"]
        for _, d, _ in members(tmp_path / "out" / s["url"])
    ]
    assert all(
        np.array_equal(g, row) and g.dtype == np.float32 for g, row in zip(got, arr, strict=True)
    )


def test_folder_grouped_by_basename(tmp_path: Any) -> None:
    src = tmp_path / "imgs"
    (src / "cat").mkdir(parents=True)
    (src / "dog").mkdir()
    (src / "cat" / "001.jpg").write_bytes(b"JPEG1")
    (src / "cat" / "001.cls").write_text("0")
    (src / "dog" / "002.cls").write_text("1")
    (src / "dog" / "002.jpg").write_bytes(b"JPEG2")
    (src / "README").write_text("no extension: skipped")
    manifest = write_shards([src], tmp_path / "out")
    names = [n for s in manifest["shards"] for n, _, _ in members(tmp_path / "out" / s["url"])]
    assert names == ["cat/001.cls", "cat/001.jpg", "dog/002.cls", "dog/002.jpg"]
    ds = ShardedDataset(tmp_path / "out" / "data.shards.json", decode={"jpg": None})
    assert [(r["__key__"], r["cls"], r["jpg"]) for r in ds] == [
        ("cat/001", 0, b"JPEG1"),
        ("dog/002", 1, b"JPEG2"),
    ]
    assert manifest["shards"][0]["records"] == 2


def test_long_and_unicode_names(tmp_path: Any) -> None:
    deep = tmp_path / "src" / ("d" * 60) / ("é" * 30)
    deep.mkdir(parents=True)
    (deep / "sample.txt").write_text("long")
    (tmp_path / "src" / "short.txt").write_text("short")
    manifest = write_shards([tmp_path / "src"], tmp_path / "out")
    names = [n for s in manifest["shards"] for n, _, _ in members(tmp_path / "out" / s["url"])]
    long_name = f"{'d' * 60}/{'é' * 30}/sample.txt"
    assert len(long_name.encode()) > 100 and names == [long_name, "short.txt"]
    ds = ShardedDataset(tmp_path / "out" / "data.shards.json")
    assert [(r["__key__"], r["txt"]) for r in ds] == [(long_name[:-4], "long"), ("short", "short")]


def test_output_is_deterministic(tmp_path: Any) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_text("".join(f'{{"i": {i}}}\n' for i in range(50)))
    a = write_shards([src], tmp_path / "a", shard_size=4096)
    b = write_shards([src], tmp_path / "b", shard_size=4096)
    assert a == b
    for s in a["shards"]:
        assert (tmp_path / "a" / s["url"]).read_bytes() == (tmp_path / "b" / s["url"]).read_bytes()
        for _, _, info in members(tmp_path / "a" / s["url"]):
            assert (info.mtime, info.uid, info.gid, info.uname, info.gname) == (0, 0, 0, "", "")


def test_refuses_to_overwrite_unless_forced(tmp_path: Any) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_text("".join(f'{{"i": {i}}}\n' for i in range(10)))
    write_shards([src], tmp_path / "out", max_records=2)
    assert len(list((tmp_path / "out").glob("data-*.tar"))) == 5
    with pytest.raises(DataValueError, match="--force"):
        write_shards([src], tmp_path / "out")
    write_shards([src], tmp_path / "out", force=True)  # one shard now: stale ones removed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "data-000000.tar",
        "data.shards.json",
    ]


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', FormatError, "bad.jsonl"),
        ("bad.csv", b"a,b\n1,2\n3\n", FormatError, "bad.csv"),
        ("bad.npy", b"\x93NUMPY\x01\x00\xff\xff{", FormatError, "bad.npy"),
        ("bad.txt", b"\xff\xfe\xfa", FormatError, "bad.txt"),
        ("what.xyz", b"data", DataValueError, "what.xyz: cannot tell its format"),
        ("empty.jsonl", b"", DataValueError, "no records in .*empty.jsonl"),
    ],
)
def test_errors_name_the_input(
    tmp_path: Any, name: str, content: bytes, error: type, match: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(error, match=match):
        write_shards([tmp_path / name], tmp_path / "out")
    assert not (tmp_path / "out" / "data.shards.json").exists()


def test_bad_arguments_and_missing_input(tmp_path: Any) -> None:
    with pytest.raises(SourceError, match=r"missing\.csv"):
        write_shards([tmp_path / "missing.csv"], tmp_path / "out")
    with pytest.raises(DataValueError):
        write_shards([], tmp_path / "out")
    (tmp_path / "a.txt").write_text("x\n")
    for kwargs in ({"shard_size": 0}, {"max_records": 0}, {"prefix": "../x"}, {"format": "xml"}):
        with pytest.raises(DataValueError):
            write_shards([tmp_path / "a.txt"], tmp_path / "out", **kwargs)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataValueError, match="no files"):
        write_shards([tmp_path / "empty"], tmp_path / "out")


@pytest.mark.native_only(
    reason="Pyodide's file system has symbolic links, but keep the check native"
)
def test_folder_symlinks_are_refused(tmp_path: Any) -> None:
    src = tmp_path / "f"
    src.mkdir()
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", src / "a.txt")
    with pytest.raises(DataValueError, match="symbolic link"):
        write_shards([src], tmp_path / "out")


def test_command_line(tmp_path: Any, capsys: Any) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_text("".join(f'{{"i": {i}}}\n' for i in range(20)))
    out = tmp_path / "out"
    assert cli(["pack", str(src), "-o", str(out), "--shard-size", "8k"]) == 0
    assert "wrote" in capsys.readouterr().out
    check_manifest(out)
    assert main([str(src), "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main([str(src), "-o", str(out), "--force", "--max-records", "5"]) == 0
    assert [s["records"] for s in check_manifest(out)["shards"]] == [5, 5, 5, 5]
    assert main([str(tmp_path / "nope.csv"), "-o", str(out), "--force"]) == 1
    assert "nope.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(src), "-o", str(out), "--shard-size", "lots"])


def test_packed_npy_rows_match_reader(tmp_path: Any) -> None:
    values = [[1, 2, 3], [4, 5, 6]]
    (tmp_path / "x.npy").write_bytes(_npy_bytes(values))
    manifest = write_shards([tmp_path / "x.npy"], tmp_path / "out")
    got = [
        read_npy(d).tolist()
        for s in manifest["shards"]
        for _, d, _ in members(tmp_path / "out" / s["url"])
    ]
    assert got == values
