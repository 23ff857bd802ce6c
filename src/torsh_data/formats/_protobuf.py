"""The protocol-buffer wire format, as far as ``tf.train.Example`` needs it.

A message is a sequence of fields, each a varint key ``(field_number << 3) | wire_type``
followed by a varint (type 0), 8 bytes (type 1), a varint length and that many bytes (type
2) or 4 bytes (type 5). Unknown fields are skipped, as protobuf parsers do; groups (types 3
and 4, deprecated) and anything that runs past its message are :class:`FormatError`.

``tf.train.Example`` (tensorflow/core/example/{example,feature}.proto)::

    Example   { Features features = 1; }
    Features  { map<string, Feature> feature = 1; }   // entries: key = 1, value = 2
    Feature   { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2;
                             Int64List int64_list = 3; } }
    BytesList { repeated bytes value = 1; }
    FloatList { repeated float value = 1 [packed = true]; }
    Int64List { repeated int64 value = 1 [packed = true]; }

>>> feats = {"label": [3], "score": [0.5], "name": [b"cat"]}
>>> decoded = decode_example(encode_example(feats))
>>> decoded["label"].tolist(), decoded["score"].tolist(), decoded["name"]
([3], [0.5], [b'cat'])
"""

from __future__ import annotations

import array
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from .._errors import DataTypeError, DataValueError, FormatError
from ..tensor import Tensor

__all__ = ["decode_example", "encode_example"]

_LITTLE = sys.byteorder == "little"
_MASK64 = (1 << 64) - 1
Field = tuple[int, int, Any]  # (number, wire type, int value or (start, end) of the bytes)


def read_varint(buf: bytes, pos: int, end: int, label: str) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = shift = 0
    while True:
        if pos >= end:
            raise FormatError(
                "protobuf varint runs past the end of its message", source=label, offset=pos
            )
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise FormatError("protobuf varint longer than 10 bytes", source=label, offset=pos)


def iter_fields(buf: bytes, start: int, end: int, label: str) -> Iterator[Field]:
    """The fields of the message in ``buf[start:end]``."""
    pos = start
    while pos < end:
        key = buf[pos]  # one-byte keys and lengths are the rule: skip the call for them
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos, end, label)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise FormatError("protobuf field number 0", source=label, offset=pos)
        if wire == 0:
            value, pos = read_varint(buf, pos, end, label)
            yield number, wire, value
        elif wire == 2:
            if pos < end and buf[pos] < 0x80:
                n = buf[pos]
                pos += 1
            else:
                n, pos = read_varint(buf, pos, end, label)
            if n > end - pos:
                raise FormatError(
                    f"protobuf field {number} claims {n} bytes; its message has {end - pos} left",
                    source=label,
                    offset=pos,
                )
            yield number, wire, (pos, pos + n)
            pos += n
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise FormatError(
                    "protobuf fixed-size field is truncated", source=label, offset=pos
                )
            yield number, wire, (pos, pos + size)
            pos += size
        else:
            raise FormatError(
                f"protobuf wire type {wire} (groups are not supported)", source=label, offset=pos
            )


def _floats(raw: bytes, label: str, at: int) -> array.array[float]:
    if len(raw) % 4:
        raise FormatError(
            f"packed float field of {len(raw)} bytes, not a multiple of 4", source=label, offset=at
        )
    a = array.array("f")
    a.frombytes(raw)
    if not _LITTLE:
        a.byteswap()
    return a


def _int64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _decode_feature(buf: bytes, start: int, end: int, label: str) -> list[bytes] | Tensor:
    for number, wire, value in iter_fields(buf, start, end, label):
        if wire != 2 or number not in (1, 2, 3):
            continue
        s, e = value
        if number == 1:  # BytesList
            return [bytes(buf[a:b]) for n, w, (a, b) in _len_fields(buf, s, e, label)]
        if number == 2:  # FloatList: packed (wire 2) and/or unpacked (wire 5) values
            floats = array.array("f")
            for n, w, v in iter_fields(buf, s, e, label):
                if n == 1 and w in (2, 5):
                    floats.extend(_floats(bytes(buf[v[0] : v[1]]), label, v[0]))
            return Tensor(floats.tobytes(), dtype="float32")
        ints: list[int] = []
        for n, w, v in iter_fields(buf, s, e, label):
            if n != 1:
                continue
            if w == 0:
                ints.append(_int64(v & _MASK64))
            elif w == 2:
                pos, stop = v
                while pos < stop:
                    x, pos = read_varint(buf, pos, stop, label)
                    ints.append(_int64(x & _MASK64))
        return Tensor(array.array("q", ints).tobytes(), dtype="int64")
    return []  # a Feature with no kind set


def _len_fields(
    buf: bytes, start: int, end: int, label: str
) -> Iterator[tuple[int, int, tuple[int, int]]]:
    for number, wire, value in iter_fields(buf, start, end, label):
        if number == 1 and wire == 2:
            yield number, wire, value


def decode_example(
    data: bytes | bytearray | memoryview, name: str = "<bytes>"
) -> dict[str, list[bytes] | Tensor]:
    """Decode a serialised ``tf.train.Example`` into ``{name: value}``.

    A ``bytes_list`` becomes a list of ``bytes``, a ``float_list`` a float32 Tensor, an
    ``int64_list`` an int64 Tensor (both 1-D). Unknown fields are skipped.

    Raises:
        FormatError: bytes that are not a well-formed message, or a feature name that is
            not UTF-8.
    """
    buf = bytes(data)
    out: dict[str, list[bytes] | Tensor] = {}
    for number, wire, value in iter_fields(buf, 0, len(buf), name):
        if number != 1 or wire != 2:
            continue
        for _, _, (es, ee) in _len_fields(buf, value[0], value[1], name):
            key, feature = b"", None
            for kn, kw, kv in iter_fields(buf, es, ee, name):
                if kw != 2:
                    continue
                if kn == 1:
                    key = buf[kv[0] : kv[1]]
                elif kn == 2:
                    feature = kv
            try:
                text = key.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(
                    f"feature name {key[:40]!r} is not UTF-8", source=name, offset=es
                ) from None
            out[text] = (
                [] if feature is None else _decode_feature(buf, feature[0], feature[1], name)
            )
    return out


# --- encoding ------------------------------------------------------------------------------


def _varint(v: int) -> bytes:
    v &= _MASK64
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _encode_value(name: str, value: Any) -> bytes:
    """A ``Feature`` message for ``value``."""
    if isinstance(value, Tensor):
        items: list[Any] = value.reshape(value.numel()).tolist() if value.ndim else [value.item()]
        if value.dtype.name.startswith("float"):
            return _len_field(2, _len_field(1, _pack_floats(items)))
        return _len_field(3, _len_field(1, b"".join(_varint(int(x)) for x in items)))
    if isinstance(value, (bytes, bytearray, memoryview, str)) or not isinstance(
        value, (list, tuple)
    ):
        value = [value]
    if not value:
        raise DataValueError(
            f"feature {name!r} is an empty list, whose type cannot be told; give an empty "
            "Tensor (float32 or int64) or leave the feature out"
        )
    if all(isinstance(x, (bytes, bytearray, memoryview, str)) for x in value):
        parts = [
            _len_field(1, x.encode("utf-8") if isinstance(x, str) else bytes(x)) for x in value
        ]
        return _len_field(1, b"".join(parts))
    if all(isinstance(x, (bool, int)) for x in value):
        for x in value:
            if not -(1 << 63) <= x < 1 << 63:
                raise DataValueError(f"feature {name!r}: {x} does not fit in an int64")
        return _len_field(3, _len_field(1, b"".join(_varint(int(x)) for x in value)))
    if all(isinstance(x, (bool, int, float)) for x in value):
        return _len_field(2, _len_field(1, _pack_floats(value)))
    kinds = sorted({type(x).__name__ for x in value})
    raise DataTypeError(
        f"feature {name!r} mixes or holds unsupported types ({', '.join(kinds)}); a feature is "
        "a list of bytes/str, of ints or of floats"
    )


def _pack_floats(values: list[Any]) -> bytes:
    a = array.array("f", [float(x) for x in values])
    if not _LITTLE:
        a.byteswap()
    return a.tobytes()


def encode_example(features: Mapping[str, Any]) -> bytes:
    """Serialise ``{name: value}`` as a ``tf.train.Example`` (names in sorted order).

    A value is bytes or str (or a list of them) for a ``bytes_list``, an int or bool (or a
    list) for an ``int64_list``, a float (or a list with a float) for a ``float_list``, or a
    Tensor (float dtypes to ``float_list``, integer and bool dtypes to ``int64_list``).
    Floats are stored as float32, as ``tf.train.FloatList`` does.
    """
    if not isinstance(features, Mapping):
        raise DataTypeError(
            f"features must be a mapping of name to value, got {type(features).__name__}"
        )
    entries = []
    for name in sorted(features):
        if not isinstance(name, str):
            raise DataTypeError(f"feature names are strings, got {name!r}")
        entry = _len_field(1, name.encode("utf-8")) + _len_field(
            2, _encode_value(name, features[name])
        )
        entries.append(_len_field(1, entry))
    return _len_field(1, b"".join(entries))
