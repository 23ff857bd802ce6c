"""Tar shards (WebDataset convention), written with :mod:`tarfile` in the tests."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import DataLoader, DataTypeError, FormatError, Tensor, _worker_info
from torsh_data.formats.tar import (
    TarDataset,
    TarSampleReader,
    base_plus_ext,
    iter_tar_samples,
)


def make_tar(members, fmt=tarfile.PAX_FORMAT, compress=False, end=True) -> bytes:
    """``members``: (name, bytes) for files, or prepared ``TarInfo`` objects (no data)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
                continue
            name, data = m
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    if not end:
        data = data.rstrip(b"\0")
        data += bytes(-len(data) % 512)
    return gzip.compress(data, mtime=0) if compress else data


def info(name, kind, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = linkname
    return ti


def set_field(data: bytes, header: int, start: int, value: bytes) -> bytes:
    """Overwrite a header field and fix the header checksum."""
    block = bytearray(data[header : header + 512])
    block[start : start + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return data[:header] + bytes(block) + data[header + 512 :]


def png_bytes(values, width):
    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    height = len(values) // width
    raw = b"".join(b"\0" + bytes(values[r * width : (r + 1) * width]) for r in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SIMPLE = [("a.txt", b"hello"), ("a.cls", b"3"), ("b.txt", b"world"), ("b.cls", b" 5\n")]


# --- grouping and decoding ---------------------------------------------------------------
@pytest.mark.parametrize(
    "path,want",
    [
        ("a.txt", ("a", "txt")),
        ("train/0001.seg.png", ("train/0001", "seg.png")),
        ("a/b.c/d.e.f", ("a/b.c/d", "e.f")),
        ("./x.jpg", ("./x", "jpg")),
        ("noext", None),
        ("dir/.hidden", ("dir/", "hidden")),  # as webdataset: [^.]+ matches "dir/"
        (".hidden", None),
        ("d.x/", None),
    ],
)
def test_base_plus_ext(path, want):
    assert base_plus_ext(path) == want


def test_samples_grouped_and_decoded():
    samples = list(iter_tar_samples(make_tar(SIMPLE)))
    assert samples == [
        {"__key__": "a", "txt": "hello", "cls": 3},
        {"__key__": "b", "txt": "world", "cls": 5},
    ]


def test_directories_skipped_keys_keep_dirs_and_extensions_lowercased():
    members = [
        info("train", tarfile.DIRTYPE),
        ("train/0001.JPG.TXT", b"x"),
        ("train/0001.Json", b"[1, 2]"),
        ("train/README", b"no extension: skipped"),
        ("train/0002.seg.cls", b"7"),
    ]
    samples = list(iter_tar_samples(make_tar(members)))
    assert samples == [
        {"__key__": "train/0001", "jpg.txt": "x", "json": [1, 2]},
        {"__key__": "train/0002", "seg.cls": 7},
    ]


def test_same_key_again_later_is_a_new_sample():
    samples = list(iter_tar_samples(make_tar([("a.x", b"1"), ("b.x", b"2"), ("a.y", b"3")])))
    assert [s["__key__"] for s in samples] == ["a", "b", "a"]


def test_decode_false_and_dict_overrides():
    raw = list(iter_tar_samples(make_tar(SIMPLE), decode=False))
    assert raw[0] == {"__key__": "a", "txt": b"hello", "cls": b"3"}
    custom = list(iter_tar_samples(make_tar(SIMPLE), decode={".TXT": bytes.upper, "cls": None}))
    assert custom[1] == {"__key__": "b", "txt": b"WORLD", "cls": b" 5\n"}
    full = list(
        iter_tar_samples(make_tar([("k.seg.bin", b"ab")]), decode={"seg.bin": len, "bin": list})
    )
    assert full[0]["seg.bin"] == 2
    with pytest.raises(DataTypeError):
        list(iter_tar_samples(make_tar(SIMPLE), decode="yes"))  # type: ignore[arg-type]
    with pytest.raises(DataTypeError):
        TarDataset(make_tar(SIMPLE), decode={"txt": 3})  # type: ignore[dict-item]


def test_image_npy_idx_and_bytes_members():
    npy = (
        b"\x93NUMPY\x01\x00v\x00"
        + b"{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }".ljust(117)
        + b"\n"
    )
    npy += struct.pack("<3h", 1, -2, 3)
    idx = b"\x00\x00\x08\x01" + struct.pack(">I", 3) + bytes([9, 8, 7])
    members = [
        ("s.png", png_bytes([1, 2, 3, 4, 5, 6], 3)),
        ("s.npy", npy),
        ("s.idx", idx),
        ("s.bin", b"\x00\x01"),
        ("s.pgm", b"P5 1 1 255\n\x09"),
    ]
    (sample,) = iter_tar_samples(make_tar(members))
    assert isinstance(sample["png"], Tensor) and sample["png"].shape == (2, 3, 1)
    assert sample["png"].tobytes() == bytes([1, 2, 3, 4, 5, 6])
    assert sample["npy"].tolist() == [1, -2, 3]
    assert sample["idx"].tolist() == [9, 8, 7]
    assert sample["bin"] == b"\x00\x01"
    assert sample["pgm"].tolist() == [[[9]]]


# --- header variants ---------------------------------------------------------------------
LONG = "deep/" * 30 + "sample-with-a-long-name"


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_names_in_every_format(fmt):
    name = LONG if fmt != tarfile.USTAR_FORMAT else "p/" * 60 + "x"
    samples = list(
        iter_tar_samples(make_tar([(name + ".txt", b"t"), (name + ".cls", b"1")], fmt=fmt))
    )
    assert samples == [{"__key__": name, "txt": "t", "cls": 1}]


def test_pax_unicode_path():
    samples = list(iter_tar_samples(make_tar([("données/été.txt", b"ok")], fmt=tarfile.PAX_FORMAT)))
    assert samples == [{"__key__": "données/été", "txt": "ok"}]


def test_pax_size_record_overrides_header():
    ti = tarfile.TarInfo("a.bin")
    ti.size = 5
    ti.pax_headers = {"size": "5", "comment": "x"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(ti, io.BytesIO(b"12345"))
    data = buf.getvalue()
    member = data.index(b"a.bin", 512) // 512 * 512  # the ustar header after the pax one
    data = set_field(data, member, 124, b"00000000000\0")
    assert next(iter_tar_samples(data))["bin"] == b"12345"


def test_base256_size():
    data = make_tar([("a.bin", b"xyz")], fmt=tarfile.GNU_FORMAT)
    data = set_field(data, 0, 124, b"\x80" + (3).to_bytes(11, "big"))
    assert next(iter_tar_samples(data))["bin"] == b"xyz"
    with pytest.raises(FormatError, match="negative size"):
        list(iter_tar_samples(set_field(data, 0, 124, b"\xff" * 12)))


def test_gzip_shard_and_sources(tmp_path):
    data = make_tar(SIMPLE, compress=True)
    (tmp_path / "s.tar.gz").write_bytes(data)
    want = list(iter_tar_samples(make_tar(SIMPLE)))
    assert list(iter_tar_samples(data)) == want
    assert list(iter_tar_samples(tmp_path / "s.tar.gz")) == want
    with open(tmp_path / "s.tar.gz", "rb") as f:
        assert list(iter_tar_samples(f)) == want


def test_missing_end_marker_is_tolerated():
    assert len(list(iter_tar_samples(make_tar(SIMPLE, end=False)))) == 2


def test_empty_archive_has_no_samples():
    assert list(iter_tar_samples(make_tar([]))) == []


# --- incremental feeding -----------------------------------------------------------------
def test_sample_completes_when_next_key_starts():
    data = make_tar(SIMPLE)
    reader = TarSampleReader("s.tar")
    second_header = data.index(b"b.txt") // 512 * 512
    assert reader.feed(data[:second_header]) == []
    first = reader.feed(data[second_header : second_header + 512])
    assert [s["__key__"] for s in first] == ["a"]
    assert [s["__key__"] for s in reader.feed(data[second_header + 512 :]) + reader.close()] == [
        "b"
    ]


@given(st.lists(st.integers(1, 1500), min_size=1, max_size=30), st.booleans())
def test_any_chunking_gives_same_samples(sizes, compress):
    data = make_tar([*SIMPLE, (LONG + ".txt", b"z" * 700)], compress=compress)
    reader = TarSampleReader()
    got, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        got += reader.feed(data[pos : pos + n])
        pos, i = pos + n, i + 1
    got += reader.close()
    assert got == list(iter_tar_samples(data))


NAME = st.text("abcXY_-", min_size=1, max_size=8)


@given(
    st.lists(
        st.tuples(
            NAME,
            st.dictionaries(
                st.text("abcz.", min_size=1, max_size=5).filter(lambda e: e[0] != "."),
                st.binary(max_size=600),
                min_size=1,
                max_size=3,
            ),
        ),
        max_size=6,
    ),
    st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]),
    st.booleans(),
)
def test_round_trip_with_tarfile(samples, fmt, compress):
    members, want = [], []
    for i, (key, files) in enumerate(samples):
        key = f"d{i % 2}/{key}{i}"
        exts = {}
        for ext, data in files.items():
            exts.setdefault(ext.lower(), (ext, data))
        for ext, data in exts.values():
            members.append((f"{key}.{ext}", data))
        want.append({"__key__": key, **{e: d for e, (_, d) in exts.items()}})
    got = list(iter_tar_samples(make_tar(members, fmt=fmt, compress=compress), decode=False))
    assert got == want


# --- hostile and malformed ---------------------------------------------------------------
@pytest.mark.parametrize(
    "member,match",
    [
        (info("s.lnk", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (info("s.hard", tarfile.LNKTYPE, "a.txt"), "hard link"),
        (info("s.chr", tarfile.CHRTYPE), "character device"),
        (info("s.blk", tarfile.BLKTYPE), "block device"),
        (info("s.fifo", tarfile.FIFOTYPE), "FIFO"),
        (("/etc/evil.txt", b"x"), "absolute path"),
        (("../evil.txt", b"x"), r"'\.\.' component"),
        (("a/../../evil.txt", b"x"), r"'\.\.' component"),
        (("C:/evil.txt", b"x"), "absolute path"),
    ],
)
def test_hostile_members_refused_by_name(member, match):
    name = member.name if isinstance(member, tarfile.TarInfo) else member[0]
    data = make_tar([*SIMPLE[:2], member, *SIMPLE[2:]], fmt=tarfile.GNU_FORMAT)
    with pytest.raises(FormatError, match=match) as exc:
        list(iter_tar_samples(data, name="evil.tar"))
    assert repr(name) in str(exc.value) and "evil.tar" in str(exc.value)
    seen = []
    skipped = list(iter_tar_samples(data, handler=lambda e: seen.append(e) or True))
    assert [s["__key__"] for s in skipped] == ["a", "b"] and len(seen) == 1
    stopped = list(iter_tar_samples(data, handler=lambda e: False))
    assert [s["__key__"] for s in stopped] == ["a"]


def test_unsupported_member_type():
    data = make_tar([info("x.sparse", b"S")], fmt=tarfile.GNU_FORMAT)
    with pytest.raises(FormatError, match="unsupported type 'S'"):
        list(iter_tar_samples(data))


def test_oversized_member_refused_and_skipped_without_buffering():
    data = make_tar([("a.bin", b"x" * 5000), ("b.bin", b"ok")])
    with pytest.raises(
        FormatError, match=r"'a.bin' has 5000 bytes, more than max_member_bytes=1000"
    ):
        list(iter_tar_samples(data, max_member_bytes=1000))
    reader = TarSampleReader(max_member_bytes=1000, handler=lambda e: True)
    got = []
    for i in range(0, len(data), 100):
        got += reader.feed(data[i : i + 100])
        assert len(reader._buf) < 1200
    assert got + reader.close() == [{"__key__": "b", "bin": b"ok"}]


def test_duplicate_extension_in_sample():
    data = make_tar([("a.txt", b"1"), ("a.TXT", b"2")])
    with pytest.raises(FormatError, match=r"'a.TXT' repeats extension 'txt' in sample 'a'"):
        list(iter_tar_samples(data))
    assert list(iter_tar_samples(data, handler=lambda e: True)) == [{"__key__": "a", "txt": "1"}]


@pytest.mark.parametrize(
    "member,match",
    [
        (("a.json", b"{bad"), "a.json: not valid JSON at line 1, column 2"),
        (("a.json", b"[" * 100_000), "a.json: JSON nested deeper than 500"),
        (("a.cls", b"seven"), "a.cls: not an integer"),
        (("a.txt", b"\xff\xfe"), "a.txt: byte 0: not UTF-8"),
        (("a.png", b"\x89PNG\r\n\x1a\nxxxx"), "a.png"),
        (("a.npy", b"\x93NUMPY junk"), "a.npy"),
    ],
)
def test_decode_errors_name_member_and_handler_drops_sample(member, match):
    data = make_tar([member, ("b.txt", b"fine")])
    with pytest.raises(FormatError, match=match):
        list(iter_tar_samples(data, name="s.tar"))
    assert list(iter_tar_samples(data, handler=lambda e: True)) == [{"__key__": "b", "txt": "fine"}]


def test_user_decoder_exception_becomes_format_error():
    def boom(data):
        raise KeyError("nope")

    with pytest.raises(FormatError, match=r"s.tar:a.txt: decoder failed: KeyError") as exc:
        list(iter_tar_samples(make_tar(SIMPLE), decode={"txt": boom}, name="s.tar"))
    assert isinstance(exc.value.__cause__, KeyError)


def test_bad_checksum_and_garbage():
    data = bytearray(make_tar(SIMPLE))
    data[600] ^= 0xFF  # inside the first member's data: fine
    assert len(list(iter_tar_samples(bytes(data)))) == 2
    data[1024 + 10] ^= 0x01  # inside the second header
    with pytest.raises(FormatError, match="byte 1024: bad tar header checksum"):
        list(iter_tar_samples(bytes(data)))
    with pytest.raises(FormatError, match="checksum"):
        list(iter_tar_samples(b"this is not a tar file at all".ljust(600, b"!")))


@pytest.mark.parametrize("data", [b"", b"\x1f", gzip.compress(b"")])
def test_empty_and_tiny(data):
    with pytest.raises(FormatError):
        list(iter_tar_samples(data))


def test_truncation_anywhere_is_an_error_or_a_clean_prefix():
    data = make_tar([("a.txt", b"x" * 700), ("b.txt", b"y")])
    full = list(iter_tar_samples(data))
    boundaries = {0, 512 * 3, 512 * 5}  # member boundaries: a tar may end there
    for cut in range(1, len(data), 37):
        try:
            got = list(iter_tar_samples(data[:cut]))
        except FormatError as exc:
            assert "truncated" in str(exc)
            assert cut not in boundaries
            continue
        assert cut in boundaries or cut >= 512 * 5
        assert got == full[: len(got)]
    with pytest.raises(FormatError, match=r"truncated inside member 'a.txt'"):
        list(iter_tar_samples(data[:700]))


def test_truncated_and_bomb_gzip():
    data = make_tar(SIMPLE, compress=True)
    with pytest.raises(FormatError, match="truncated"):
        list(iter_tar_samples(data[:-10]))
    bomb = gzip.compress(make_tar([("a.bin", bytes(200_000))]))
    with pytest.raises(FormatError, match="decompression bomb"):
        list(iter_tar_samples(bomb, max_bytes=50_000))


@pytest.mark.parametrize(
    "pax,match",
    [(b"7 path=x\n", "malformed pax"), (b"x path=x\n", "malformed pax"), (b"8 pathx\n", "no '='")],
)
def test_malformed_pax(pax, match):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("a.bin")
        ti.pax_headers = {"comment": "c"}
        tf.addfile(ti, io.BytesIO(b""))
    data = buf.getvalue()
    at, end = 512, data.index(b"comment=c\n") + 10  # the only pax record
    body = pax.ljust(end - at, b"\0")
    data = data[:at] + body + data[end:]
    data = set_field(data, 0, 124, b"%011o\0" % len(body))
    with pytest.raises(FormatError, match=match):
        list(iter_tar_samples(data))


def test_oversized_metadata_header():
    data = make_tar([(LONG + ".txt", b"x")], fmt=tarfile.GNU_FORMAT)
    data = set_field(data, 0, 124, b"%011o\0" % (1 << 21))
    with pytest.raises(FormatError, match="extended header is larger"):
        list(iter_tar_samples(data))


@given(st.binary(max_size=1600))
def test_random_bytes_give_samples_or_format_error(data):
    for blob in (data, make_tar(SIMPLE)[:512] + data, gzip.compress(data)):
        try:
            samples = list(iter_tar_samples(blob, decode=False))
        except FormatError:
            continue
        assert all("__key__" in s for s in samples)


@given(st.data())
def test_mutated_shards_give_samples_or_format_error(data):
    shard = bytearray(
        make_tar(
            [*SIMPLE, ("c.json", b'{"k": [1, 2]}'), ("c.png", png_bytes([1, 2], 2))],
            fmt=tarfile.GNU_FORMAT,
        )
    )
    for _ in range(data.draw(st.integers(1, 6))):
        shard[data.draw(st.integers(0, len(shard) - 1))] = data.draw(st.integers(0, 255))
    try:
        samples = list(iter_tar_samples(bytes(shard)))
    except FormatError:
        return
    assert all("__key__" in s for s in samples)


# --- dataset -----------------------------------------------------------------------------
def shard(i):
    return make_tar([(f"s{i}_{j}.cls", str(10 * i + j).encode()) for j in range(3)])


def test_dataset_reads_all_shards_in_order():
    ds = TarDataset(shard(0), shard(1))
    assert [s["cls"] for s in ds] == [0, 1, 2, 10, 11, 12]
    assert [s["cls"] for s in TarDataset([shard(2)])] == [20, 21, 22]
    with pytest.raises(DataTypeError):
        TarDataset()


def test_dataset_splits_shards_across_workers(monkeypatch):
    shards = [shard(i) for i in range(5)]
    ds = TarDataset(*shards)
    seen = []
    for wid in range(2):
        monkeypatch.setattr(_worker_info, "_info", _worker_info.WorkerInfo(wid, 2, 0, ds))
        seen.append([s["cls"] // 10 for s in ds])
    assert seen == [[0, 0, 0, 2, 2, 2, 4, 4, 4], [1, 1, 1, 3, 3, 3]]
    monkeypatch.setattr(_worker_info, "_info", _worker_info.WorkerInfo(0, 1, 0, ds))
    assert len(list(ds)) == 15


def test_dataset_in_a_loader():
    loader = DataLoader(TarDataset(shard(0), shard(1)), batch_size=4)
    batches = list(loader)
    assert [b["cls"].tolist() for b in batches] == [[0, 1, 2, 10], [11, 12]]
    assert batches[0]["__key__"] == ["s0_0", "s0_1", "s0_2", "s1_0"]


@pytest.mark.native_only(
    reason="starts worker processes (tests/loader/test_webworkers.py: Web Workers)"
)
@pytest.mark.parametrize("workers", [2, 3])
def test_dataset_in_a_loader_with_workers_reads_every_sample_once(workers):
    loader = DataLoader(
        TarDataset(*[shard(i) for i in range(5)]), batch_size=2, num_workers=workers
    )
    assert sorted(v for b in loader for v in b["cls"].tolist()) == [
        10 * i + j for i in range(5) for j in range(3)
    ]


def test_json_sample_values_survive():
    (s,) = iter_tar_samples(make_tar([("k.json", json.dumps({"a": [1, None, "x"]}).encode())]))
    assert s["json"] == {"a": [1, None, "x"]}
