"""PNG decoding without dependencies.

:func:`decode_png` reads every PNG colour type (grey, grey+alpha, RGB, RGBA, palette) at every
bit depth, interlaced (Adam7) or not, into 8-bit samples:

* 1/2/4-bit grey is scaled to 0–255 (a 1-bit 1 becomes 255); 16-bit samples keep their high
  byte (as libpng's ``strip_16`` does).
* A palette image becomes RGB, or RGBA when it has a ``tRNS`` chunk (entries it leaves out are
  opaque). A ``tRNS`` colour key on a grey or RGB image is ignored (no alpha channel is added).

Every chunk's CRC is checked, the header is validated before anything is allocated, and the
compressed image data is inflated with a bound of exactly the size the header implies, so a
zlib bomb fails fast.

>>> import struct, zlib
>>> def chunk(kind, data):
...     return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
>>> png = (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 0, 0, 0, 0))
...        + chunk(b"IDAT", zlib.compress(b"\\x00\\x07\\x09")) + chunk(b"IEND", b""))
>>> pixels, (height, width, channels) = decode_png(png)
>>> list(pixels), height, width, channels
([7, 9], 1, 2, 1)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple

from .._errors import FormatError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "PNG_SIGNATURE",
    "check_pixels",
    "decode_png",
    "inflate_png",
    "unfilter",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Default cap on width × height, checked before any pixel memory is allocated.
DEFAULT_MAX_PIXELS = 1 << 26


def check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    """Refuse an image of ``width × height`` pixels (read from its header) above ``max_pixels``,
    before any pixel memory is allocated: every image decoder's guard against decompression bombs.

    >>> check_pixels(4, 2, 8, "a.png")
    >>> check_pixels(4, 3, 8, "a.png")
    Traceback (most recent call last):
    torsh_data.FormatError: a.png: 4×3 is more than max_pixels=8 pixels (a decompression bomb?); raise max_pixels if the image is genuine
    """
    if width * height > max_pixels:
        raise FormatError(
            f"{width}×{height} is more than max_pixels={max_pixels} pixels "
            "(a decompression bomb?); raise max_pixels if the image is genuine",
            source=name,
        )


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
# Adam7 passes: (x0, y0, dx, dy)
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _chunks(data: bytes, name: str) -> list[tuple[bytes, memoryview, int]]:
    """The (type, data, offset) of each chunk up to IEND, every CRC verified."""
    if data[:8] != PNG_SIGNATURE:
        raise FormatError("not a PNG file (bad signature)", source=name, offset=0)
    view = memoryview(data)
    pos, end, out = 8, len(data), []
    while True:
        if pos + 8 > end:
            raise FormatError(
                "truncated: the file ends before the IEND chunk", source=name, offset=pos
            )
        length, kind = struct.unpack_from(">I4s", data, pos)
        if length > 0x7FFFFFFF or not kind.isalpha() or not kind.isascii():
            raise FormatError(
                f"bad chunk header {kind!r} (length {length})", source=name, offset=pos
            )
        stop = pos + 8 + length
        if stop + 4 > end:
            raise FormatError(
                f"truncated: chunk {kind.decode()} needs {length} bytes of data",
                source=name,
                offset=pos,
            )
        (crc,) = struct.unpack_from(">I", data, stop)
        if zlib.crc32(view[pos + 4 : stop]) != crc:
            raise FormatError(f"CRC mismatch in chunk {kind.decode()}", source=name, offset=pos)
        out.append((kind, view[pos + 8 : stop], pos))
        if kind == b"IEND":
            return out
        pos = stop + 4


def _row_bytes(width: int, channels: int, depth: int) -> int:
    return (width * channels * depth + 7) // 8


def _passes(width: int, height: int, interlaced: bool) -> list[tuple[int, int, int, int, int, int]]:
    """(x0, y0, dx, dy, pass width, pass height) of each non-empty pass."""
    if not interlaced:
        return [(0, 0, 1, 1, width, height)]
    out = []
    for x0, y0, dx, dy in _ADAM7:
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            out.append((x0, y0, dx, dy, w, h))
    return out


class _Parsed(NamedTuple):
    width: int
    height: int
    depth: int
    color: int
    interlace: int
    palette: bytes | None
    trns: bytes | None
    idat: list[memoryview]


def _parse(data: bytes, name: str, max_pixels: int) -> _Parsed:
    """Every check that needs no inflating: chunks and CRCs, header, size, palette, data."""
    chunks = _chunks(data, name)
    kind, ihdr, offset = chunks[0]
    if kind != b"IHDR" or len(ihdr) != 13:
        raise FormatError("the first chunk must be a 13-byte IHDR", source=name, offset=offset)
    width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", ihdr)
    if not (0 < width < 1 << 31 and 0 < height < 1 << 31):
        raise FormatError(f"IHDR: invalid size {width}×{height}", source=name, offset=offset)
    if color not in _CHANNELS or depth not in _DEPTHS[color]:
        raise FormatError(
            f"IHDR: invalid colour type {color} with bit depth {depth}", source=name, offset=offset
        )
    if compression != 0 or filtering != 0 or interlace > 1:
        raise FormatError(
            f"IHDR: unknown compression/filter/interlace method {compression}/{filtering}/{interlace}",
            source=name,
            offset=offset,
        )
    check_pixels(width, height, max_pixels, name)
    palette = trns = None
    idat: list[memoryview] = []
    for kind, body, offset in chunks[1:]:
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            if len(body) % 3 or not 0 < len(body) <= 768 or idat:
                raise FormatError("bad PLTE chunk", source=name, offset=offset)
            palette = bytes(body)
        elif kind == b"tRNS":
            trns = bytes(body)
        elif kind == b"IHDR" or (kind[0] < 97 and kind != b"IEND"):  # uppercase: critical
            raise FormatError(
                f"unexpected critical chunk {kind.decode()}", source=name, offset=offset
            )
    if color == 3:
        if palette is None:
            raise FormatError("palette image without a PLTE chunk", source=name)
        if trns is not None and len(trns) > len(palette) // 3:
            raise FormatError("tRNS has more entries than the palette", source=name)
    if not idat:
        raise FormatError("no IDAT chunk (no image data)", source=name)
    return _Parsed(width, height, depth, color, interlace, palette, trns, idat)


def _inflate(p: _Parsed, passes: list[tuple[int, int, int, int, int, int]], name: str) -> bytes:
    """The filtered scanlines: the image data inflated to exactly the size the header implies."""
    channels = _CHANNELS[p.color]
    expected = sum(h * (1 + _row_bytes(w, channels, p.depth)) for *_, w, h in passes)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(p.idat), expected + 1)
    except zlib.error as exc:
        raise FormatError(f"corrupt image data ({exc})", source=name) from None
    if len(raw) > expected:
        raise FormatError(
            f"image data inflates to more than the {expected} bytes the header allows", source=name
        )
    if len(raw) < expected or not inflater.eof:
        raise FormatError(f"truncated image data: {len(raw)} of {expected} bytes", source=name)
    return raw


def inflate_png(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytes, tuple[int, int, int]] | None:
    """The scanlines (each a filter-type byte and the filtered row) of an 8-bit, not
    interlaced grey, grey+alpha, RGB or RGBA PNG, with ``(height, width, channels)``; None
    for other kinds of PNG. Everything :func:`decode_png` checks before unfiltering is checked,
    so a faster unfilterer (Pillow's) given these bytes gives the pixels :func:`decode_png`
    gives, or fails on a bad filter type (and :func:`decode_png` then names the scanline).

    Raises:
        FormatError: as :func:`decode_png`, for everything but the filter types.
    """
    p = _parse(data, name, max_pixels)
    if p.depth != 8 or p.color == 3 or p.interlace:
        return None
    raw = _inflate(p, _passes(p.width, p.height, False), name)
    return raw, (p.height, p.width, _CHANNELS[p.color])


def decode_png(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytearray, tuple[int, int, int]]:
    """Decode a PNG to 8-bit samples: ``(pixels, (height, width, channels))``.

    Raises:
        FormatError: a bad signature, header, CRC (naming the chunk and byte offset), palette,
            truncated or oversized image data, or more than ``max_pixels`` pixels.
    """
    parsed = _parse(data, name, max_pixels)
    width, height, depth, color, interlace, palette, trns, _ = parsed
    channels = _CHANNELS[color]
    passes = _passes(width, height, bool(interlace))
    raw = _inflate(parsed, passes, name)

    bpp = max(1, channels * depth // 8)
    unpack = _unpacker(depth, gray=color in (0, 4))
    if not interlace:
        stride = _row_bytes(width, channels, depth)
        rows = unfilter(raw, stride, height, bpp, name)
        samples = bytearray().join(map(unpack, rows) if unpack else rows)
        if depth < 8:
            samples = _trim_rows(samples, len(samples) // height, width * channels)
    else:
        samples = _deinterlace(raw, passes, width, height, channels, depth, bpp, unpack, name)
    if color == 3:
        assert palette is not None
        return _expand_palette(samples, palette, trns, name), (height, width, 4 if trns else 3)
    return samples, (height, width, channels)


def _trim_rows(samples: bytearray, have: int, want: int) -> bytearray:
    """Drop the padding samples low bit depths leave at the end of each row."""
    if have == want:
        return samples
    return bytearray().join([samples[i : i + want] for i in range(0, len(samples), have)])


def _deinterlace(
    raw: bytes,
    passes: list[tuple[int, int, int, int, int, int]],
    width: int,
    height: int,
    channels: int,
    depth: int,
    bpp: int,
    unpack: Callable[[bytes], bytes] | None,
    name: str,
) -> bytearray:
    line = width * channels
    image = bytearray(line * height)
    pos = 0
    for x0, y0, dx, dy, w, h in passes:
        stride = _row_bytes(w, channels, depth)
        rows = unfilter(raw[pos : pos + h * (stride + 1)], stride, h, bpp, name)
        pos += h * (stride + 1)
        n = w * channels
        for r, row in enumerate(rows):
            row = unpack(row)[:n] if unpack else row
            base = (y0 + r * dy) * line
            if dx == 1:
                image[base : base + line] = row
                continue
            step = dx * channels
            for c in range(channels):
                start = base + x0 * channels + c
                image[start : base + line : step] = row[c::channels]
    return image


def _unpacker(depth: int, gray: bool) -> Callable[[bytes], bytes] | None:
    """Row → one byte per sample: bits unpacked (grey scaled to 0–255), 16-bit high bytes kept."""
    if depth == 8:
        return None
    if depth == 16:
        return lambda row: row[0::2]
    per = 8 // depth
    scale = (255 // ((1 << depth) - 1)) if gray else 1
    mask = (1 << depth) - 1
    table = [
        bytes(((b >> (8 - depth * (k + 1))) & mask) * scale for k in range(per)) for b in range(256)
    ]
    getter = table.__getitem__
    return lambda row: b"".join(map(getter, row))


def _expand_palette(indices: bytearray, palette: bytes, trns: bytes | None, name: str) -> bytearray:
    entries = len(palette) // 3
    if indices and max(indices) >= entries:
        raise FormatError(
            f"pixel refers to palette entry {max(indices)} of a {entries}-entry palette",
            source=name,
        )
    if trns:
        alpha = trns + b"\xff" * (entries - len(trns))
        table = [palette[3 * i : 3 * i + 3] + alpha[i : i + 1] for i in range(entries)]
    else:
        table = [palette[3 * i : 3 * i + 3] for i in range(entries)]
    return bytearray().join(map(table.__getitem__, indices))


def unfilter(raw: bytes, stride: int, height: int, bpp: int, name: str = "<bytes>") -> list[bytes]:
    """Undo PNG's per-scanline filters: ``height`` rows of ``1 + stride`` bytes → the rows.

    None is a slice; Up and Sub are bulk big-integer operations (see ``_Lanes``); Average
    and Paeth need a loop per byte, run on each byte plane (``row[k::bpp]``) separately so
    the left neighbour is a local variable.

    >>> unfilter(b"\\x01\\x01\\x01\\x01" + b"\\x02\\x01\\x01\\x01", 3, 2, 1)
    [b'\\x01\\x02\\x03', b'\\x02\\x03\\x04']
    """
    rows: list[bytes] = []
    prior = bytes(stride)
    lanes = _Lanes(stride)
    first = True
    for y in range(height):
        pos = y * (stride + 1)
        kind = raw[pos]
        line = raw[pos + 1 : pos + 1 + stride]
        if kind == 0:
            row = line
        elif kind == 1:
            row = lanes.sub(line, bpp)
        elif kind == 2:
            row = line if first else lanes.up(line, prior)
        elif kind == 3:
            row = _planes(_average, line, prior, bpp)
        elif kind == 4:
            row = lanes.sub(line, bpp) if first else _planes(_paeth, line, prior, bpp)
        else:
            raise FormatError(f"unknown filter type {kind} on scanline {y}", source=name)
        rows.append(row)
        prior = row
        first = False
    return rows


class _Lanes:
    """A row as one little-endian big integer: byte-wise adds without carries (SWAR).

    ``add`` adds the low 7 bits of every byte (no carry can cross a byte) and puts back the
    top bits with XOR. Sub (``out[i] = x[i] + out[i - bpp]``) is a prefix sum per lane, done
    as a Hillis–Steele scan: log2(width) shifted adds of the whole row.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.low = int.from_bytes(b"\x7f" * n, "little")
        self.high = self.low << 1 & ~self.low & ((1 << 8 * n) - 1)
        self.full = (1 << 8 * n) - 1

    def add(self, a: int, b: int) -> int:
        low = self.low
        return ((a & low) + (b & low)) ^ ((a ^ b) & self.high)

    def up(self, line: bytes, prior: bytes) -> bytes:
        a, b = int.from_bytes(line, "little"), int.from_bytes(prior, "little")
        return self.add(a, b).to_bytes(self.n, "little")

    def sub(self, line: bytes, bpp: int) -> bytes:
        s = int.from_bytes(line, "little")
        shift, bits, full = 8 * bpp, 8 * self.n, self.full
        while shift < bits:
            s = self.add(s, s << shift & full)
            shift <<= 1
        return s.to_bytes(self.n, "little")


def _planes(fn: Callable[[bytes, bytes], list[int]], line: bytes, prior: bytes, bpp: int) -> bytes:
    if bpp == 1:
        return bytes(fn(line, prior))
    out = bytearray(len(line))
    for k in range(bpp):
        out[k::bpp] = bytes(fn(line[k::bpp], prior[k::bpp]))
    return bytes(out)


def _average(plane: bytes, above: bytes) -> list[int]:
    out: list[int] = []
    append = out.append
    a = 0
    for x, b in zip(plane, above, strict=False):
        a = (x + ((a + b) >> 1)) & 255
        append(a)
    return out


def _paeth(plane: bytes, above: bytes) -> list[int]:
    # NOTE [Paeth loop]: the left neighbour comes from the output, so this is a loop per byte
    # (no bulk trick applies). Per byte plane, a (left) and c (upper left) are locals; this
    # beat indexing a whole row, and nested tests beat ``abs()`` and ``and``.
    out: list[int] = []
    append = out.append
    a = c = 0
    for x, b in zip(plane, above, strict=False):
        pa = b - c
        pb = a - c
        pc = pa + pb
        if pa < 0:
            pa = -pa
        if pb < 0:
            pb = -pb
        if pc < 0:
            pc = -pc
        if pa <= pb:
            a = (x + a if pa <= pc else x + c) & 255
        elif pb <= pc:
            a = (x + b) & 255
        else:
            a = (x + c) & 255
        append(a)
        c = b
    return out
