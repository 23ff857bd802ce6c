"""TFRecord: CRC-32C against published values, framing and Example bytes against the specs."""

from __future__ import annotations

import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.formats import (
    TFRecordDataset,
    TFRecordReader,
    TFRecordWriter,
    crc32c,
    decode_example,
    encode_example,
    masked_crc32c,
    read_tfrecord,
    write_tfrecord,
)


def test_crc32c_published_check_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC catalogue's check value
    # RFC 3720 (iSCSI), appendix B.4
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C
    assert crc32c(b"") == 0


def bitwise_crc32c(data: bytes) -> int:
    """The CRC by its definition: reflected polynomial 0x82F63B78, one bit at a time."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


@given(st.binary(max_size=100), st.integers(0, 99))
def test_crc32c_matches_the_definition_and_continues(data: bytes, cut: int) -> None:
    assert crc32c(data) == bitwise_crc32c(data)
    assert crc32c(data[cut:], crc32c(data[:cut])) == crc32c(data)


def test_masking_definition() -> None:
    for data in (b"", b"a", b"123456789", bytes(range(256))):
        c = bitwise_crc32c(data)
        rotated = ((c >> 15) | (c << 17)) & 0xFFFFFFFF
        assert masked_crc32c(data) == (rotated + 0xA282EAD8) % 2**32


def hand_record(data: bytes) -> bytes:
    """One record laid out by the format's description, with the reference CRC."""

    def masked(b: bytes) -> int:
        c = bitwise_crc32c(b)
        return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))


def test_writer_output_is_the_specified_layout() -> None:
    f = io.BytesIO()
    assert write_tfrecord(f, [b"hello", b"", b"x" * 300]) == 3
    assert f.getvalue() == hand_record(b"hello") + hand_record(b"") + hand_record(b"x" * 300)
    assert list(read_tfrecord(f.getvalue())) == [b"hello", b"", b"x" * 300]


# Example{features{feature{key:"a" value{int64_list{value:[1,-1]}}}
#                  feature{key:"b" value{float_list{value:[1.5]}}}
#                  feature{key:"c" value{bytes_list{value:["hi",""]}}}}}
# encoded by hand from the protobuf wire format (keys in order, packed repeated scalars).
NEG1 = b"\xff" * 9 + b"\x01"
FEAT_A = b"\x1a\x0d" + b"\x0a\x0b" + b"\x01" + NEG1  # Feature.int64_list{packed value}
FEAT_B = b"\x12\x06" + b"\x0a\x04" + struct.pack("<f", 1.5)  # Feature.float_list
FEAT_C = b"\x0a\x06\x0a\x02hi\x0a\x00"


def entry(key: bytes, feature: bytes) -> bytes:
    body = b"\x0a" + bytes([len(key)]) + key + b"\x12" + bytes([len(feature)]) + feature
    return b"\x0a" + bytes([len(body)]) + body


FEATURES = entry(b"a", FEAT_A) + entry(b"b", FEAT_B) + entry(b"c", FEAT_C)
EXAMPLE = b"\x0a" + bytes([len(FEATURES)]) + FEATURES


def test_example_bytes_match_the_wire_format() -> None:
    assert encode_example({"c": [b"hi", ""], "a": [1, -1], "b": [1.5]}) == EXAMPLE
    got = decode_example(EXAMPLE)
    assert got["a"].tolist() == [1, -1] and got["a"].dtype == td.int64
    assert got["b"].tolist() == [1.5] and got["b"].dtype == td.float32
    assert got["c"] == [b"hi", b""]


def test_decoder_accepts_unpacked_values_and_skips_unknown_fields() -> None:
    unpacked_ints = b"\x1a\x04\x08\x05\x08\x07"  # int64_list{value:5 value:7}
    unpacked_floats = b"\x12\x0a" + (b"\x0d" + struct.pack("<f", 2.0)) * 2
    unknown = b"\x98\x06\x01" + b"\x22\x03abc"  # field 99 varint, field 4 bytes
    features = entry(b"i", unpacked_ints) + entry(b"f", unpacked_floats) + unknown
    got = decode_example(b"\x0a" + bytes([len(features)]) + features + b"\x10\x01")
    assert got["i"].tolist() == [5, 7] and got["f"].tolist() == [2.0, 2.0]
    assert decode_example(b"") == {}
    assert decode_example(b"\x0a\x00") == {}


names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
feature_values = st.one_of(
    st.lists(st.binary(max_size=20), min_size=1, max_size=5),
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=5),
    st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=5),
)


@given(st.dictionaries(names, feature_values, max_size=5))
def test_example_round_trip(features: dict[str, list]) -> None:  # type: ignore[type-arg]
    got = decode_example(encode_example(features))
    assert set(got) == set(features)
    for k, v in features.items():
        out = got[k]
        if isinstance(v[0], bytes):
            assert out == v
        elif all(isinstance(x, int) for x in v):
            assert out.tolist() == v  # type: ignore[union-attr]
        else:
            assert out.tolist() == [struct.unpack("<f", struct.pack("<f", x))[0] for x in v]  # type: ignore[union-attr]


@given(st.lists(st.binary(max_size=40), max_size=8), st.integers(1, 30))
def test_incremental_reading_any_chunking(records: list[bytes], step: int) -> None:
    data = b"".join(hand_record(r) for r in records)
    reader = TFRecordReader()
    out = []
    for i in range(0, len(data), step):
        out += reader.feed(data[i : i + step])
    assert out + reader.close() == records


@pytest.mark.parametrize(
    ("compression", "decompress"), [("gzip", gzip.decompress), ("zlib", zlib.decompress)]
)
def test_compressed_files(tmp_path: Path, compression: str, decompress: object) -> None:
    path = tmp_path / f"d.tfrecord.{compression}"
    write_tfrecord(path, [{"y": i, "x": [float(i)] * 3} for i in range(5)], compression=compression)
    plain = decompress(path.read_bytes())  # type: ignore[operator]
    assert list(read_tfrecord(plain)) == [
        encode_example({"y": i, "x": [float(i)] * 3}) for i in range(5)
    ]
    ds = TFRecordDataset([path, path], compression=compression)
    ys = [ex["y"].item() for ex in ds]
    assert ys == list(range(5)) * 2
    batch = next(iter(td.DataLoader(ds, batch_size=4)))
    assert batch["y"].tolist() == [[0], [1], [2], [3]] and batch["x"].shape == (4, 3)


def test_dataset_decode_options() -> None:
    data = b"".join(hand_record(r) for r in (b"ab", b"c"))
    assert list(TFRecordDataset(data, decode=False)) == [b"ab", b"c"]
    assert list(TFRecordDataset(data, decode=len)) == [2, 1]


def test_writer_leaves_nothing_half_written(tmp_path: Path) -> None:
    path = tmp_path / "out.tfrecord"
    with pytest.raises(td.DataTypeError, match="mixes"):
        write_tfrecord(path, [{"ok": [1]}, {"bad": [1, "x"]}])
    assert list(tmp_path.iterdir()) == []
    with TFRecordWriter(path) as w:
        w.write(b"done")
    assert list(read_tfrecord(path)) == [b"done"] and list(tmp_path.iterdir()) == [path]
    with pytest.raises(td.DataValueError, match="closed"):
        w.write(b"more")


def test_corrupt_and_hostile_files() -> None:
    good = hand_record(b"payload") + hand_record(b"second")
    flipped = bytearray(good)
    flipped[14] ^= 1  # a data byte of record 0
    with pytest.raises(td.FormatError, match="record 0: byte 12: data checksum"):
        list(read_tfrecord(bytes(flipped)))
    assert len(list(read_tfrecord(bytes(flipped), check_crc=False))) == 2
    bad_length = bytearray(good)
    bad_length[0] ^= 1
    with pytest.raises(td.FormatError, match="length checksum"):
        list(read_tfrecord(bytes(bad_length)))
    with pytest.raises(td.FormatError, match=r"record 1.*truncated"):
        list(read_tfrecord(good[:-3]))
    with pytest.raises(td.FormatError, match="truncated"):
        list(read_tfrecord(good[:5]))
    # A valid header claiming 2**60 bytes is refused before anything is allocated.
    header = struct.pack("<Q", 2**60)
    hostile = header + struct.pack("<I", masked_crc32c(header))
    with pytest.raises(td.FormatError, match="max_record_bytes"):
        list(read_tfrecord(hostile))
    with pytest.raises(td.FormatError, match="corrupt compressed"):
        list(read_tfrecord(b"\x1f\x8bnot gzip at all", compression="gzip"))
    with pytest.raises(td.FormatError, match="decompression bomb"):
        list(read_tfrecord(gzip.compress(bytes(10_000)), compression="gzip", max_bytes=1000))
    with pytest.raises(td.FormatError, match=r"record 0: .*claims 5 bytes"):
        list(TFRecordDataset(hand_record(b"\x0a\x05ab")))
    assert list(read_tfrecord(b"")) == []


def entry_example(feature: bytes) -> bytes:
    features = entry(b"k", feature)
    return b"\x0a" + bytes([len(features)]) + features


def test_bad_arguments() -> None:
    with pytest.raises(td.DataValueError, match="compression"):
        read_tfrecord(b"", compression="lz4").__next__()
    with pytest.raises(td.DataValueError, match="compression"):
        TFRecordDataset(b"", compression="brotli")
    with pytest.raises(td.DataTypeError, match="decode"):
        TFRecordDataset(b"", decode=3)  # type: ignore[arg-type]
    with pytest.raises(td.DataValueError, match="empty list"):
        encode_example({"e": []})
    with pytest.raises(td.DataValueError, match="int64"):
        encode_example({"big": [2**64]})
    with pytest.raises(td.DataTypeError, match="mapping"):
        encode_example([("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(td.DataTypeError):
        TFRecordWriter(io.BytesIO()).write(3)  # type: ignore[arg-type]
    with pytest.raises(td.FormatError, match="wire type"):
        decode_example(b"\x0b")
    with pytest.raises(td.FormatError, match="multiple of 4"):
        decode_example(entry_example(b"\x12\x05\x0a\x03abc"))
    with pytest.raises(td.FormatError, match="not UTF-8"):
        decode_example(b"\x0a\x07" + b"\x0a\x05\x0a\x03\xff\xfe\xfd")
    assert math.isfinite(crc32c(b"x"))


@given(st.binary(max_size=64))
def test_random_bytes_decode_or_raise_format_error(data: bytes) -> None:
    try:
        decode_example(data)
    except td.FormatError:
        pass
    try:
        decode_example(EXAMPLE[: len(data) % len(EXAMPLE)] + data)
    except td.FormatError:
        pass


def test_overlong_int64_varints_wrap_as_protobuf_does() -> None:
    # A 10-byte varint carries 70 bits; protobuf keeps the low 64 (two's complement).
    ten = b"\xff" * 9 + b"\x7f"
    for feature in (b"\x1a\x0d\x08" + ten + b"\x08\x01", b"\x1a\x0d\x0a\x0b" + b"\x01" + ten):
        values = decode_example(entry_example(feature))["k"].tolist()  # type: ignore[union-attr]
        assert -1 in values
