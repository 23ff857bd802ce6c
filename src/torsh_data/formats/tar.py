"""Tar shards in the WebDataset convention: members grouped into samples by key.

A member's name splits into a *key* and an *extension* at the first dot of its base name
(WebDataset's ``base_plus_ext``: ``train/0001.seg.png`` → key ``train/0001``, extension
``seg.png``; the directory stays in the key). Consecutive members with the same key form one
sample ``{"__key__": key, ext: value, ...}``; extensions are lower-cased. Names without an
extension and directories are skipped.

Shards may be plain or gzip-compressed (detected by magic). The headers (ustar, GNU and pax,
with pax ``path``/``size`` records and GNU long names) are parsed here, chunk by chunk, so a
shard streams in bounded memory. Links, devices, FIFOs, absolute names and names with ``..``
are refused with :class:`~torsh_data.FormatError` naming the member.

>>> import io, tarfile
>>> buf = io.BytesIO()
>>> with tarfile.open(fileobj=buf, mode="w") as tf:
...     for name, data in [("a.txt", b"hi"), ("a.cls", b"3"), ("b.txt", b"yo"), ("b.cls", b"5")]:
...         info = tarfile.TarInfo(name); info.size = len(data)
...         tf.addfile(info, io.BytesIO(data))
>>> [(s["__key__"], s["txt"], s["cls"]) for s in iter_tar_samples(buf.getvalue())]
[('a', 'hi', 3), ('b', 'yo', 5)]
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from typing import Any

from .._errors import DataTypeError, FormatError, MissingExtraError
from ..datasets import IterableDataset
from ._decoders import Decode, decoder_table, default_decoders
from ._source import (
    DEFAULT_MAX_BYTES,
    GzipDecoder,
    IncrementalReader,
    Source,
    read_records,
    source_name,
)

__all__ = [
    "DEFAULT_MAX_MEMBER_BYTES",
    "MAX_TRAILER_BYTES",
    "TarDataset",
    "TarSampleReader",
    "base_plus_ext",
    "default_decoders",
    "iter_tar_samples",
]

Sample = dict[str, Any]
#: ``handler(exc) -> bool``: True skips the failing member or sample, False stops quietly.
Handler = Callable[[Exception], bool]

#: Default cap on one member's size; bigger members are refused (and never buffered).
DEFAULT_MAX_MEMBER_BYTES = 1 << 28
_META_LIMIT = 1 << 20  # pax headers and GNU long names
#: Most decompressed bytes read after a gzip shard's end-of-archive marker (only to check the
#: gzip stream's end; tar writers pad to a record, 10 KiB by default); more is an error.
MAX_TRAILER_BYTES = 1 << 20
_STEP = 1 << 20  # decompressed bytes parsed at a time
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_REFUSED = {
    b"1": "a hard link",
    b"2": "a symbolic link",
    b"3": "a character device",
    b"4": "a block device",
    b"6": "a FIFO",
}
_SKIPPED = (b"5", b"V")  # directories, volume labels
_SEPARATORS = re.compile(r"[/\\]")


def base_plus_ext(path: str) -> tuple[str, str] | None:
    """Split a member name into (key, extension) the way WebDataset does, or None.

    >>> base_plus_ext("train/0001.seg.png")
    ('train/0001', 'seg.png')
    >>> base_plus_ext("README") is None
    True

    NOTE [ base_plus_ext ]: WebDataset matches ``^((?:.*/|)[^.]+)[.]([^/]*)$``, which
    backtracks over every ``/`` of a long dotless name (quadratic: a 64 KiB pax name took
    seconds). The same answer comes from a few ``find`` calls: the dot is the first after the
    slash where ``.*/`` ends (the last one not after a newline, which ``.`` cannot cross), and
    it must come after the last slash; when the base name starts with a dot, ``.*/`` backs up
    one slash (or to the start). A test checks it against the expression.
    """
    last = path.rfind("/")
    newline = path.find("\n")
    slash = path.rfind("/", 0, len(path) if newline < 0 else newline)
    while True:
        dot = path.find(".", slash + 1)
        if dot <= last:  # no dot after the last slash: the extension would hold a "/"
            return None
        if dot >= slash + 2:
            return path[:dot], path[dot + 1 :]
        if slash < 0:  # the name starts with a dot
            return None
        slash = path.rfind("/", 0, slash)


# --- header fields -----------------------------------------------------------------------
def _number(field: bytes, what: str, name: str, offset: int) -> int:
    if field[0] & 0x80:  # GNU base-256
        if field[0] != 0x80:
            raise FormatError(f"negative {what} in tar header", source=name, offset=offset)
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    if text.strip(b"01234567"):
        raise FormatError(f"invalid {what} {text[:12]!r} in tar header", source=name, offset=offset)
    return int(text, 8)


def _checksum_ok(block: bytes, stored: int) -> bool:
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if stored == unsigned:
        return True
    signed = sum(struct.unpack("148b8x356b", block)) + 8 * 32  # some old tars
    return stored == signed


def _pax(data: bytes, name: str, offset: int) -> dict[str, str]:
    records, pos = {}, 0
    while pos < len(data):
        if data[pos] == 0:  # trailing padding
            break
        space = data.find(b" ", pos, pos + 24)
        length = int(data[pos:space]) if space > pos and data[pos:space].isdigit() else 0
        record = data[space + 1 : pos + length]
        if length <= space - pos + 1 or pos + length > len(data) or not record.endswith(b"\n"):
            raise FormatError("malformed pax extended header", source=name, offset=offset)
        key, eq, value = record[:-1].partition(b"=")
        if not eq:
            raise FormatError("malformed pax record (no '=')", source=name, offset=offset)
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def _hostile_name(path: str) -> str | None:
    """Why ``path`` could escape a directory it were extracted to (also Windows spellings)."""
    if path.startswith(("/", "\\")) or path[1:2] == ":":
        return "an absolute path"
    if ".." in path and ".." in _SEPARATORS.split(path):
        return "a '..' component"
    return None


# --- the reader --------------------------------------------------------------------------
_SNIFF, _HEADER, _DATA, _SKIP, _END = range(5)


class TarSampleReader(IncrementalReader[Sample]):
    """Parse a tar stream chunk by chunk into WebDataset samples.

    ``feed(chunk)`` returns the samples completed so far (a sample is complete when a member
    with another key starts); ``close()`` returns the last one and raises
    :class:`~torsh_data.FormatError` if the stream stopped mid-header or mid-member (a
    missing end-of-archive marker is tolerated, as by ``tarfile``). Memory stays bounded by
    ``max_member_bytes`` plus the chunk size. Byte offsets in errors count the uncompressed
    tar stream.

    Args:
        name: how errors name the shard.
        decode: True for :func:`default_decoders`, False for raw bytes, or a dict
            ``{ext: fn(bytes) -> value}`` merged over the defaults (``None`` keeps bytes).
            A dict key is matched against the whole extension (``"seg.png"``) first, then
            its last part (``"png"``).
        handler: what to do with a hostile, oversized or duplicate member, or a sample that
            fails to decode. ``None`` raises; otherwise ``handler(exc)`` is called and a true
            result skips the member (or sample) and continues, a false one stops the stream
            quietly (WebDataset's ``ignore_and_continue``/``ignore_and_stop``). A corrupt
            header or truncated stream always raises, as does a missing optional dependency.
        max_member_bytes: refuse members larger than this (they are skipped, not buffered).
        max_bytes: cap on the decompressed size of a gzip shard. After the end-of-archive
            marker at most :data:`MAX_TRAILER_BYTES` more are inflated (to check the gzip
            stream's end); more is an error.

    >>> import io, tarfile
    >>> buf = io.BytesIO()
    >>> with tarfile.open(fileobj=buf, mode="w") as tf:
    ...     info = tarfile.TarInfo("x/1.json"); info.size = 7
    ...     tf.addfile(info, io.BytesIO(b'{"a":1}'))
    >>> reader = TarSampleReader("shard.tar")
    >>> data = buf.getvalue()
    >>> reader.feed(data[:700]), reader.feed(data[700:]), reader.close()
    ([], [], [{'__key__': 'x/1', 'json': {'a': 1}}])
    """

    def __init__(
        self,
        name: str = "<bytes>",
        *,
        decode: Decode = True,
        handler: Handler | None = None,
        max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        super().__init__(name)
        self._decoders = decoder_table(decode)
        self._handler = handler
        self.max_member_bytes = max_member_bytes
        self.max_bytes = max_bytes
        self._gzip: GzipDecoder | None = None
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]
        self._state = _SNIFF
        self._need = 0  # bytes of member data wanted (_DATA) or to discard (_SKIP)
        self._pad = 0
        self._member: tuple[str, int] | None = None  # (kind, header offset) of kept data
        self._member_name = ""
        self._pax: dict[str, str] = {}
        self._long_name: str | None = None
        self._sample: Sample | None = None
        self._stopped = False
        self._seen = False
        self._after_end = 0  # decompressed bytes after the end-of-archive marker

    # --- feeding ---------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> list[Sample]:
        if self._stopped:
            return []
        if self._state == _END:  # the rest is padding; still check a gzip stream's integrity
            if self._gzip is not None:
                self._trailer(self._gzip, chunk)
            return []
        if chunk:
            self._seen = True
        if self._state == _SNIFF:
            self._buf += chunk
            if len(self._buf) < 2:
                return []
            chunk, self._buf = bytes(self._buf), bytearray()
            if chunk[:2] == b"\x1f\x8b":
                self._gzip = GzipDecoder(self.name, max_bytes=self.max_bytes)
            self._state = _HEADER
        gz = self._gzip
        if gz is None:
            self._buf += chunk
            return self._parse()
        # Inflated a step at a time, so a chunk's output (up to ~1000 times its size) is never
        # all in memory, and inflating stops at the end-of-archive marker.
        out: list[Sample] = []
        self._buf += gz.feed(chunk, _STEP)
        out += self._parse()
        while gz.pending and not self._stopped:
            if self._state == _END:
                self._trailer(gz, b"")
                break
            self._buf += gz.feed(b"", _STEP)
            out += self._parse()
        return out

    def _trailer(self, gz: GzipDecoder, chunk: bytes) -> None:
        """Inflate what follows the end-of-archive marker, only to check the gzip stream's
        end, and at most :data:`MAX_TRAILER_BYTES` of it."""
        self._after_end += len(gz.feed(chunk, MAX_TRAILER_BYTES - self._after_end + 1))
        if self._after_end > MAX_TRAILER_BYTES:
            raise FormatError(
                f"more than {MAX_TRAILER_BYTES} bytes follow the end-of-archive marker "
                "(tar pads to a record of a few KiB): a corrupt shard or a decompression bomb",
                source=self.name,
                offset=self._offset,
            )

    def close(self) -> list[Sample]:
        if self._stopped:
            return []
        if not self._seen:
            raise FormatError("empty: not a tar archive", source=self.name)
        out: list[Sample] = []
        if self._state == _SNIFF:  # a single byte
            self._state = _HEADER
        elif self._gzip is not None:
            if self._state == _END:
                self._trailer(self._gzip, b"")
            tail = self._gzip.close()
            if self._state != _END:
                self._buf += tail
                out = self._parse()
        if self._state == _HEADER and not self._buf and not self._offset:
            raise FormatError("empty: not a tar archive", source=self.name)
        if self._state == _HEADER and self._buf:
            raise FormatError(
                f"truncated: {len(self._buf)} bytes of a 512-byte header",
                source=self.name,
                offset=self._offset,
            )
        if self._state in (_DATA, _SKIP):
            what = f"member {self._member_name!r}" if self._member_name else "a header block"
            raise FormatError(
                f"truncated inside {what}", source=self.name, offset=self._offset + len(self._buf)
            )
        if self._sample is not None and not self._stopped:
            self._emit(out)
        self._stopped = True
        return out

    def _parse(self) -> list[Sample]:
        out: list[Sample] = []
        buf, pos = self._buf, 0
        try:
            while not self._stopped:
                avail = len(buf) - pos
                if self._state == _HEADER:
                    if avail < _BLOCK:
                        break
                    self._header(bytes(buf[pos : pos + _BLOCK]), self._offset + pos, out)
                    pos += _BLOCK
                elif self._state == _DATA:
                    if avail < self._need:
                        break
                    data = bytes(buf[pos : pos + self._need])
                    pos += self._need
                    self._state, self._need = _SKIP, self._pad
                    self._member_data(data, out)
                elif self._state == _SKIP:
                    take = min(avail, self._need)
                    pos += take
                    self._need -= take
                    if self._need:
                        break
                    self._state, self._member_name = _HEADER, ""
                else:  # _END: the rest is padding
                    self._after_end += avail
                    pos = len(buf)
                    break
        finally:
            del buf[:pos]
            self._offset += pos
        if self._stopped:  # a handler said stop: the sample in progress is the last one
            self._emit(out)
        return out

    # --- members ---------------------------------------------------------------------------
    def _skip(self, size: int) -> None:
        self._state, self._need = _SKIP, size + (-size % _BLOCK)

    def _header(self, block: bytes, offset: int, out: list[Sample]) -> None:
        if block == _ZERO_BLOCK:
            self._state = _END
            return
        if not _checksum_ok(block, _number(block[148:156], "checksum", self.name, offset)):
            raise FormatError(
                "bad tar header checksum (not a tar archive, or corrupt)",
                source=self.name,
                offset=offset,
            )
        size = _number(block[124:136], "size", self.name, offset)
        kind = block[156:157]
        if kind in (b"x", b"g", b"L", b"K"):  # metadata for the next member
            if size > _META_LIMIT:
                raise FormatError(
                    f"{size}-byte extended header is larger than {_META_LIMIT} bytes",
                    source=self.name,
                    offset=offset,
                )
            self._member = (kind.decode(), offset)
            self._state, self._need, self._pad = _DATA, size, -size % _BLOCK
            return
        pax, self._pax = self._pax, {}
        long_name, self._long_name = self._long_name, None
        if "size" in pax:
            if not pax["size"].isdigit():
                raise FormatError(
                    f"invalid pax size {pax['size'][:20]!r}", source=self.name, offset=offset
                )
            size = int(pax["size"])
        name = pax.get("path") or long_name or _ustar_name(block)
        self._member_name = name
        self._skip(size)
        if kind in _SKIPPED:
            return
        refused = _REFUSED.get(kind)
        if refused is None and kind not in (b"0", b"\0", b"7"):
            refused = f"of unsupported type {kind.decode('latin-1')!r}"
        if refused is None:
            refused = _hostile_name(name)
            refused = None if refused is None else f"named with {refused}"
        if refused is not None:
            self._fail(
                FormatError(
                    f"member {name!r} is {refused}; refused", source=self.name, offset=offset
                )
            )
            return
        if size > self.max_member_bytes:
            self._fail(
                FormatError(
                    f"member {name!r} has {size} bytes, more than max_member_bytes="
                    f"{self.max_member_bytes}",
                    source=self.name,
                    offset=offset,
                )
            )
            return
        split = base_plus_ext(name)
        if split is None:  # no extension: not part of any sample
            return
        key, ext = split[0], split[1].lower()
        if self._sample is not None and self._sample["__key__"] != key:
            self._emit(out)
        if self._sample is None:
            self._sample = {"__key__": key}
        if ext in self._sample:
            self._fail(
                FormatError(
                    f"member {name!r} repeats extension {ext!r} in sample {key!r}",
                    source=self.name,
                    offset=offset,
                )
            )
            return
        self._member = (ext, -1)
        self._state, self._need, self._pad = _DATA, size, -size % _BLOCK

    def _member_data(self, data: bytes, out: list[Sample]) -> None:
        assert self._member is not None
        what, offset = self._member
        if offset < 0:
            assert self._sample is not None
            self._sample[what] = data
        elif what == "x":
            self._pax.update(_pax(data, self.name, offset))
        elif what == "L":
            self._long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        # "g" (global pax header) and "K" (GNU long link name) carry nothing we use

    def _emit(self, out: list[Sample]) -> None:
        sample, self._sample = self._sample, None
        if sample is None:
            return
        key = sample["__key__"]
        table = self._decoders
        result: Sample = {"__key__": key}
        try:
            for ext, value in sample.items():
                if ext == "__key__":
                    continue
                fn = table[ext] if ext in table else table.get(ext.rsplit(".", 1)[-1])
                result[ext] = value if fn is None else fn(value, f"{self.name}:{key}.{ext}")
        except MissingExtraError:
            raise
        except FormatError as exc:
            self._fail(exc)
            return
        out.append(result)

    def _fail(self, exc: FormatError) -> None:
        if self._handler is None:
            raise exc
        if not self._handler(exc):
            self._stopped = True


def _ustar_name(block: bytes) -> str:
    name = block[:100].split(b"\0", 1)[0]
    if block[257:263] == b"ustar\x00":  # POSIX: a prefix field (GNU uses those bytes otherwise)
        prefix = block[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return name.decode("utf-8", "surrogateescape")


def iter_tar_samples(
    source: Source,
    *,
    decode: Decode = True,
    handler: Handler | None = None,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> Iterator[Sample]:
    """The samples of a tar shard (a path, binary file or bytes; plain or gzip), streamed.

    See :class:`TarSampleReader` for the arguments.
    """
    reader = TarSampleReader(
        source_name(source, name),
        decode=decode,
        handler=handler,
        max_member_bytes=max_member_bytes,
        max_bytes=max_bytes,
    )
    return read_records(reader, source)


class TarDataset(IterableDataset[Sample]):
    """An iterable dataset over the samples of one or more tar shards, in order.

    In a loader with several workers, worker ``i`` of ``n`` reads shards ``i, i+n, ...``
    (so use at least as many shards as workers); otherwise every shard is read.
    Keyword arguments are those of :func:`iter_tar_samples`.

    >>> import io, tarfile
    >>> buf = io.BytesIO()
    >>> with tarfile.open(fileobj=buf, mode="w") as tf:
    ...     info = tarfile.TarInfo("0.cls"); info.size = 1
    ...     tf.addfile(info, io.BytesIO(b"7"))
    >>> [s["cls"] for s in TarDataset(buf.getvalue(), buf.getvalue())]
    [7, 7]
    """

    def __init__(
        self,
        *sources: Source,
        decode: Decode = True,
        handler: Handler | None = None,
        max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if len(sources) == 1 and isinstance(sources[0], (list, tuple)):
            sources = tuple(sources[0])
        if not sources:
            raise DataTypeError("TarDataset needs at least one shard")
        decoder_table(decode)  # validate now rather than in a worker
        self.sources = list(sources)
        self.options: dict[str, Any] = {
            "decode": decode,
            "handler": handler,
            "max_member_bytes": max_member_bytes,
            "max_bytes": max_bytes,
        }

    def shards(self) -> list[Source]:
        """The shards this copy reads: all of them, or this worker's share."""
        from .._worker_info import get_worker_info

        info = get_worker_info()
        if info is None or info.num_workers <= 1:
            return list(self.sources)
        return self.sources[info.id :: info.num_workers]

    def __iter__(self) -> Iterator[Sample]:
        for shard in self.shards():
            yield from iter_tar_samples(shard, **self.options)

    def __repr__(self) -> str:
        return f"TarDataset({len(self.sources)} shards)"
