"""Hostile sizes and quadratic inputs (issue 17, causes 1-3), on every runtime.

Each input is small and made here with a streaming compressor (a few KiB standing for many
MiB of zeros). Memory is checked with ``tracemalloc`` (peak Python allocations during the
call): the fixed readers inflate a header, never the stream, before they refuse. The
quadratic cases are checked by what makes them linear (the string scan of ``_depth`` never
starts a match that fails; ``base_plus_ext`` equals WebDataset's expression) and by a 1 MiB
hostile input, never by timing.
"""

from __future__ import annotations

import io
import re
import struct
import tarfile
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import FormatError
from torsh_data._json import _STRING
from torsh_data._json import nesting_depth as _depth
from torsh_data.formats._binary import MAX_EMPTY_ROWS, checked_nbytes
from torsh_data.formats._source import DEFAULT_MAX_BYTES, read_records
from torsh_data.formats.idx import IdxReader, read_idx
from torsh_data.formats.jsonfmt import read_json, read_jsonl
from torsh_data.formats.npy import NpyReader, npy_header, read_npy, read_npz
from torsh_data.formats.tar import (
    MAX_TRAILER_BYTES,
    TarSampleReader,
    base_plus_ext,
    iter_tar_samples,
)
from torsh_data.tensor import Tensor

MiB = 1 << 20
ZEROS = 16 * MiB  # what each bomb inflates to past its header
PEAK = 6 * MiB  # the most a refusal may allocate (the old readers took >= ZEROS)
_ZERO_MIB = bytes(MiB)
U8 = Tensor([0], dtype="uint8").dtype


def gzip_of(head: bytes, zeros: int, *, wbits: int = 31) -> bytes:
    """``head`` then ``zeros`` zero bytes, gzip-compressed a MiB at a time."""
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [z.compress(head)]
    for _ in range(zeros // MiB):
        out.append(z.compress(_ZERO_MIB))
    out.append(z.compress(bytes(zeros % MiB)))
    out.append(z.flush())
    return b"".join(out)


def refused(call: Callable[[], Any], match: str) -> tuple[FormatError, int]:
    """The FormatError ``call`` raises (also a ValueError) and the peak bytes it allocated."""
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=match) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(info.value, ValueError)
    return info.value, peak


def idx_header(code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def feed_all(reader: Any, data: bytes, chunk: int = 1 << 16) -> list[Any]:
    out = []
    for i in range(0, len(data), chunk):
        out += reader.feed(data[i : i + chunk])
    return out + reader.close()


def idx_sources(packed: bytes, tmp_path: Any) -> list[tuple[str, Callable[[], Any]]]:
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(packed)
    return [
        ("<bytes>", lambda: read_idx(packed)),
        ("<BytesIO>", lambda: read_idx(io.BytesIO(packed))),
        (str(path), lambda: read_idx(path)),
        ("stream.gz", lambda: feed_all(IdxReader("stream.gz"), packed)),
    ]


# --- cause 1: decompressing before the header is checked ----------------------------------------
def test_gzip_idx_claiming_10_gib_fails_at_its_header(tmp_path: Any) -> None:
    # 40960 x 65536 x 4 bytes = 10 GiB declared; the stream inflates to 16 MiB of zeros.
    packed = gzip_of(idx_header(0x08, (40960, 65536, 4)), ZEROS)
    assert len(packed) < 64 << 10
    for name, call in idx_sources(packed, tmp_path):
        exc, peak = refused(call, r"claims more than the \d+-byte limit")
        assert name in str(exc) and "(40960, 65536, 4)" in str(exc)
        assert peak < PEAK, (name, peak)


def test_gzip_idx_claiming_more_than_the_input_can_hold(tmp_path: Any) -> None:
    # 512 MiB declared (under the cap on every runtime) from a ~16 KiB stream.
    packed = gzip_of(idx_header(0x08, (8192, 65536)), ZEROS)
    assert 512 * MiB <= DEFAULT_MAX_BYTES
    for name, call in idx_sources(packed, tmp_path)[:3]:  # sources whose size is known
        exc, peak = refused(call, r"more than the input can hold")
        assert name in str(exc) and str(512 * MiB) in str(exc)
        assert peak < PEAK, (name, peak)


def test_gzip_idx_with_a_bomb_after_its_data(tmp_path: Any) -> None:
    packed = gzip_of(idx_header(0x08, (1000,)) + bytes(range(250)) * 4, ZEROS)
    for name, call in idx_sources(packed, tmp_path):
        exc, peak = refused(call, r"trailing data")
        assert name in str(exc)
        assert peak < PEAK, (name, peak)


def test_gzip_idx_genuine_data_still_reads(tmp_path: Any) -> None:
    packed = gzip_of(idx_header(0x08, (3, 4)) + bytes(range(12)), 0)
    for _, call in idx_sources(packed, tmp_path):
        got = call()
        rows = got if isinstance(got, list) else list(got)
        assert [r.tolist() for r in rows] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def zip_with(member: str, head: bytes, zeros: int) -> bytes:
    """A zip whose one deflated member is ``head`` then ``zeros`` zero bytes, written a MiB
    at a time (zipfile's own writer, so the sizes in the headers are true)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(member, "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(zeros // MiB):
                f.write(_ZERO_MIB)
    return buf.getvalue()


def test_npz_member_is_refused_at_its_npy_header() -> None:
    packed = zip_with("x.npy", b"", ZEROS)  # 16 MiB of zeros: no NPY magic
    exc, peak = refused(lambda: read_npz(packed, name="bomb.npz"), r"not an NPY file")
    assert "bomb.npz[x.npy]" in str(exc)
    assert peak < PEAK


def test_npz_member_larger_than_its_npy_header_says() -> None:
    packed = zip_with("x.npy", npy_header(U8, (10,)), ZEROS)
    exc, peak = refused(lambda: read_npz(packed, name="bomb.npz"), r"trailing data")
    assert "bomb.npz[x.npy]" in str(exc)
    assert peak < PEAK


def tar_bytes(samples: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in samples.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_gzip_tar_with_a_bomb_after_the_end_of_archive() -> None:
    packed = gzip_of(tar_bytes({"a.txt": b"hi", "a.cls": b"3"}), ZEROS)
    exc, peak = refused(
        lambda: list(iter_tar_samples(packed, name="shard.tar.gz")),
        r"more than \d+ bytes follow the end-of-archive marker",
    )
    assert "shard.tar.gz" in str(exc)
    assert peak < PEAK
    reader = TarSampleReader("shard.tar.gz")
    with pytest.raises(FormatError):  # fed whole: the samples come, then the error
        reader.feed(packed)
        reader.close()


def test_gzip_tar_padding_within_the_trailer_limit_reads() -> None:
    for extra in (0, 10240, MAX_TRAILER_BYTES - 20480):
        packed = gzip_of(tar_bytes({"a.txt": b"hi", "a.cls": b"3"}), extra)
        assert [(s["__key__"], s["txt"]) for s in iter_tar_samples(packed)] == [("a", "hi")]
        for chunk in (7, 4096):
            rows = list(read_records(TarSampleReader(), packed, chunk_size=chunk))
            assert [s["cls"] for s in rows] == [3]


def test_gzip_tar_stream_is_still_verified_after_the_end() -> None:
    packed = gzip_of(tar_bytes({"a.txt": b"hi"}), 4096)
    with pytest.raises(FormatError, match=r"truncated|corrupt"):
        list(iter_tar_samples(packed[:-6]))


# --- cause 2: zero-width rows ----------------------------------------------------------------------
@pytest.mark.parametrize("rows", [2**31, 2**29])
def test_npy_and_idx_with_billions_of_empty_rows_are_refused(rows: int) -> None:
    npy = npy_header(U8, (rows, 0))
    idx = idx_header(0x08, (rows, 0))
    # (2**31, 0) is also over Pyodide's 1 GiB cap counted as (2**31, 1); 2**29 is under it.
    match = rf"{rows} rows of no data, more than MAX_EMPTY_ROWS" + (
        "|limit" if rows > 2**29 else ""
    )
    for call in (
        lambda: read_npy(npy, name="rows.npy"),
        lambda: feed_all(NpyReader("rows.npy"), npy),
        lambda: read_idx(idx, name="rows.npy"),
        lambda: feed_all(IdxReader("rows.npy"), idx),
        lambda: read_idx(gzip_of(idx, 0), name="rows.npy"),
    ):
        exc, peak = refused(call, match)
        assert "rows.npy" in str(exc) and f"({rows}, 0)" in str(exc)
        assert peak < MiB


def test_small_zero_width_arrays_still_read() -> None:
    npy = npy_header(U8, (3, 0))
    assert read_npy(npy).shape == (3, 0)
    assert [r.shape for r in feed_all(NpyReader(), npy, chunk=5)] == [(0,)] * 3
    idx = idx_header(0x0C, (2, 0, 7))
    assert read_idx(idx).shape == (2, 0, 7)
    assert [r.shape for r in feed_all(IdxReader(), gzip_of(idx, 0))] == [(0, 7)] * 2
    assert read_npy(npy_header(U8, (0, 2**20))).shape == (0, 2**20)


def test_empty_row_cap_boundary() -> None:
    assert checked_nbytes((MAX_EMPTY_ROWS, 0), 8, 1 << 32, "x", 0) == 0
    assert checked_nbytes((2, MAX_EMPTY_ROWS // 2, 0, 9), 8, 1 << 32, "x", 0) == 0
    with pytest.raises(FormatError, match="MAX_EMPTY_ROWS"):
        checked_nbytes((MAX_EMPTY_ROWS + 1, 0), 1, 1 << 32, "x", 0)
    with pytest.raises(FormatError, match="MAX_EMPTY_ROWS"):
        checked_nbytes((2, MAX_EMPTY_ROWS, 0), 1, 1 << 32, "x", 0)


# --- cause 3: quadratic text handling ------------------------------------------------------------
HOSTILE_JSON = b"[" * 600 + b'"' + b'\\"' * (MiB // 2)  # 1 MiB: 36 s per 80 KB before


def test_deep_json_with_an_unterminated_escaped_string() -> None:
    for call in (
        lambda: read_json(HOSTILE_JSON, name="deep.json"),
        lambda: read_jsonl(HOSTILE_JSON, name="deep.json"),
    ):
        exc, _ = refused(call, r"nested more than max_depth=500")
        assert "deep.json" in str(exc)
    shallow = b"[" * 400 + b'"' + b'\\"' * (MiB // 2)  # not too deep: the parser's error
    with pytest.raises(FormatError, match="invalid JSON"):
        read_json(shallow)


@given(st.text(alphabet='"\\[]{}a\n', max_size=60))
def test_string_scan_never_starts_a_match_that_fails(text: str) -> None:
    # What makes _depth linear: every quote outside a string begins a match that succeeds,
    # so no quote is scanned from twice (the old pattern failed, and rescanned, at each one).
    pos = 0
    for m in _STRING.finditer(text):
        assert '"' not in text[pos : m.start()]
        pos = m.end()
    assert '"' not in text[pos:]


@given(st.text(alphabet='"\\[]{},:1 ', max_size=40))
def test_depth_is_at_least_the_parsers(text: str) -> None:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return

    def depth(v: Any) -> int:
        kids = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if kids is None else 1 + max(map(depth, kids), default=0)

    assert _depth(text) == depth(value)


_WEBDATASET = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")  # webdataset's base_plus_ext


@given(st.text(alphabet="a./\n", max_size=14))
def test_base_plus_ext_is_webdatasets(name: str) -> None:
    m = _WEBDATASET.match(name)
    assert base_plus_ext(name) == (None if m is None else (m.group(1), m.group(2)))


def test_long_dotless_pax_names() -> None:
    assert base_plus_ext("a/" * (MiB // 2)) is None
    assert base_plus_ext("d/" * (MiB // 2) + "x.txt") == ("d/" * (MiB // 2) + "x", "txt")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in (("a/" * (256 << 10) + "b", b"skipped"), ("k.txt", b"kept")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert [s["txt"] for s in iter_tar_samples(buf.getvalue())] == ["kept"]
