"""Decode images to uint8 tensors of shape (height, width, channels).

PNG and the Netpbm formats (PBM/PGM/PPM, ASCII and binary) are decoded by this package
itself, identically on every runtime; other formats (JPEG, GIF, BMP, WebP, TIFF) go through
Pillow when it is installed (``pip install 'torsh-data[pillow]'``). Where Pillow is installed,
the scanlines of 8-bit grey, grey+alpha, RGB and RGBA PNGs (not interlaced) are unfiltered by
its C code, after this package has checked and inflated them as it always does: the same
pixels, the same errors, faster. ``backend="python"`` keeps to this package's code.

Channels follow the file: 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); a palette PNG is
RGB, or RGBA when it has transparency. ``mode="L"|"LA"|"RGB"|"RGBA"`` converts the way Pillow's
``Image.convert`` does (grey is ``(19595 R + 38470 G + 7471 B + 32768) >> 16``; alpha is dropped
or set to 255, never composited).

>>> img = decode_image(b"P2 2 1 255 0 200")
>>> img.shape, img.dtype.name, img.tolist()
((1, 2, 1), 'uint8', [[[0], [200]]])
>>> decode_image(b"P2 2 1 255 0 200", mode="RGB").tolist()
[[[0, 0, 0], [200, 200, 200]]]
"""

from __future__ import annotations

import array
import importlib
import io
import re
import struct
import sys
import zlib
from operator import add
from typing import Any

from .._dtype import uint8
from .._errors import DataValueError, FormatError, MissingExtraError, TorshDataError
from ..tensor import Tensor
from ._source import Source, read_bytes, source_name
from .png import DEFAULT_MAX_PIXELS, PNG_SIGNATURE, check_pixels, decode_png, inflate_png

__all__ = ["DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "convert_mode", "decode_image", "decode_pnm"]

_MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_BACKENDS = ("auto", "python")
_CHANNEL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
#: File extensions :func:`decode_image` understands (the last five need Pillow).
IMAGE_EXTENSIONS = (
    "png",
    "pbm",
    "pgm",
    "ppm",
    "pnm",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "webp",
    "tif",
    "tiff",
)
_PILLOW_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def decode_image(
    data_or_source: Source,
    *,
    mode: str | None = None,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    backend: str = "auto",
) -> Tensor:
    """Decode a PNG, PBM/PGM/PPM (or, with Pillow, JPEG/GIF/BMP/WebP/TIFF) image.

    Args:
        data_or_source: the encoded bytes, a path or a binary file.
        mode: ``None`` keeps the file's channels; ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``
            converts (see the module docstring).
        name: how errors name the image (default: the path or ``<bytes>``).
        max_pixels: refuse images with more pixels than this before decoding them.
        backend: ``"auto"`` decodes 8-bit PNGs with Pillow where it is installed (the same
            pixels, faster); ``"python"`` with this package's decoder everywhere.

    Returns:
        A uint8 :class:`~torsh_data.Tensor` of shape ``(height, width, channels)``.

    Raises:
        FormatError: corrupt, truncated or oversized image data, or an unknown format.
        MissingExtraError: a JPEG (or other non-PNG/Netpbm image) and Pillow is not installed.
    """
    if mode is not None and mode not in _MODES:
        raise DataValueError(f"mode must be None, 'L', 'LA', 'RGB' or 'RGBA', not {mode!r}")
    if backend not in _BACKENDS:
        raise DataValueError(f"backend must be one of {_BACKENDS}, not {backend!r}")
    label = source_name(data_or_source, name)
    data = read_bytes(data_or_source, name=label)
    pixels: bytes | bytearray
    if data[:8] == PNG_SIGNATURE:
        fast = _png_pillow(data, label, max_pixels) if backend == "auto" else None
        pixels, shape = fast if fast is not None else decode_png(data, label, max_pixels)
    elif re.match(rb"P[1-6]\s", data[:3]):
        pixels, shape = decode_pnm(data, label, max_pixels)
    else:
        pixels, shape = _decode_pillow(data, label, max_pixels)
    if mode is not None and _MODES[mode] != shape[2]:
        pixels = convert_mode(pixels, shape[2], _MODES[mode])
        shape = (shape[0], shape[1], _MODES[mode])
    return Tensor._make(memoryview(pixels), uint8, shape)


# --- channel conversion ------------------------------------------------------------------
_TR = [i * 19595 + 0x8000 for i in range(256)]
_TG = [i * 38470 for i in range(256)]
_TB = [i * 7471 for i in range(256)]
_SHIFT16 = (16).__rrshift__  # C-level "x >> 16" for map()


def convert_mode(pixels: bytes | bytearray, channels: int, to: int) -> bytearray:
    """Interleaved 8-bit pixels with ``channels`` channels → ``to`` channels (1, 2, 3 or 4).

    >>> list(convert_mode(bytes([10, 20, 30]), 3, 1))
    [18]
    """
    c = channels
    n = len(pixels) // c
    alpha = pixels[c - 1 :: c] if c in (2, 4) else None
    if c <= 2:
        planes = [pixels[0::c]] * (1 if to <= 2 else 3)
    elif to >= 3:
        planes = [pixels[0::c], pixels[1::c], pixels[2::c]]
    else:
        r, g, b = pixels[0::c], pixels[1::c], pixels[2::c]
        sums = map(
            add, map(add, map(_TR.__getitem__, r), map(_TG.__getitem__, g)), map(_TB.__getitem__, b)
        )
        planes = [bytes(map(_SHIFT16, sums))]
    if to in (2, 4):
        planes.append(alpha if alpha is not None else b"\xff" * n)
    if to == 1:
        return bytearray(planes[0])
    out = bytearray(n * to)
    for k, plane in enumerate(planes):
        out[k::to] = plane
    return out


# --- Netpbm ------------------------------------------------------------------------------
_SPACE = re.compile(rb"[ \t\r\n\v\f]*")
_NUMBER = re.compile(rb"[0-9]{1,10}")
_WHITESPACE = b" \t\r\n\v\f"


def _header_ints(data: bytes, count: int, name: str) -> tuple[list[int], int]:
    """``count`` decimal fields after the magic number (comments skipped) and the end offset."""
    pos = 2
    values: list[int] = []
    while len(values) < count:
        pos = _SPACE.match(data, pos).end()  # type: ignore[union-attr]
        if data[pos : pos + 1] == b"#":
            end = data.find(b"\n", pos)
            pos = len(data) if end < 0 else end + 1
            continue
        m = _NUMBER.match(data, pos)
        if m is None or data[m.end() : m.end() + 1].isdigit():
            what = "ends" if pos >= len(data) else "has no valid number"
            raise FormatError(
                f"Netpbm header {what} where field {len(values) + 1} belongs",
                source=name,
                offset=pos,
            )
        values.append(int(m.group()))
        pos = m.end()
    return values, pos


def decode_pnm(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[bytearray, tuple[int, int, int]]:
    """Decode PBM/PGM/PPM (P1–P6) to 8-bit samples: ``(pixels, (height, width, channels))``.

    A PBM's black (1) becomes 0 and white 255. Samples with a ``maxval`` other than 255 are
    scaled to 0–255 with rounding (16-bit files too). Data after the first image is ignored.
    """
    if not re.match(rb"P[1-6]\s", data[:3]):
        raise FormatError("not a Netpbm file (no P1-P6 magic number)", source=name, offset=0)
    kind = data[1] - 48
    bitmap = kind in (1, 4)
    fields, pos = _header_ints(data, 2 if bitmap else 3, name)
    width, height = fields[0], fields[1]
    maxval = 1 if bitmap else fields[2]
    channels = 3 if kind in (3, 6) else 1
    if width == 0 or height == 0 or not 0 < maxval < 65536:
        raise FormatError(f"invalid Netpbm size {width}×{height} or maxval {maxval}", source=name)
    check_pixels(width, height, max_pixels, name)
    count = width * height * channels
    if kind >= 4:  # binary: exactly one whitespace byte after the header
        if data[pos : pos + 1] not in (b" ", b"\t", b"\r", b"\n", b"\v", b"\f"):
            raise FormatError("no whitespace after the Netpbm header", source=name, offset=pos)
        pos += 1
        if kind == 4:
            stride = (width + 7) // 8
            raw = data[pos : pos + stride * height]
            if len(raw) < stride * height:
                raise FormatError(
                    f"truncated bitmap: {len(raw)} of {stride * height} bytes", source=name
                )
            bits = b"".join(map(_PBM_TABLE.__getitem__, raw))
            return bytearray().join(
                [bits[i : i + width] for i in range(0, len(bits), stride * 8)]
            ), (height, width, 1)
        size = count * (2 if maxval > 255 else 1)
        raw = data[pos : pos + size]
        if len(raw) < size:
            raise FormatError(
                f"truncated raster: {len(raw)} of {size} bytes", source=name, offset=pos
            )
        if maxval > 255:
            wide = array.array("H", raw)
            if sys.byteorder == "little":
                wide.byteswap()
            return _scale(wide, maxval, name), (height, width, channels)
        return _scale(raw, maxval, name), (height, width, channels)
    body = data[pos:]
    if b"#" in body:
        body = re.sub(rb"#[^\r\n]*", b"", body)
    if bitmap:
        digits = body.translate(None, _WHITESPACE)[:count]
        if len(digits) < count or digits.translate(None, b"01"):
            raise FormatError("PBM raster must be 0 and 1 digits, one per pixel", source=name)
        return bytearray(digits.translate(_PBM_ASCII)), (height, width, 1)
    tokens = body.split(maxsplit=count)[:count]
    if len(tokens) < count:
        raise FormatError(f"truncated raster: {len(tokens)} of {count} samples", source=name)
    try:
        values = [int(t) for t in tokens]
    except ValueError:
        raise FormatError("ASCII raster has a token that is not a number", source=name) from None
    if min(values) < 0:
        raise FormatError("negative sample in the ASCII raster", source=name)
    return _scale(values, maxval, name), (height, width, channels)


_PBM_TABLE = [bytes(0 if b >> (7 - k) & 1 else 255 for k in range(8)) for b in range(256)]
_PBM_ASCII = bytes.maketrans(b"01", b"\xff\x00")


def _scale(values: Any, maxval: int, name: str) -> bytearray:
    if values and max(values) > maxval:
        raise FormatError(f"sample value {max(values)} exceeds maxval {maxval}", source=name)
    if maxval == 255:
        return bytearray(values)
    half = maxval // 2
    if maxval < 255:
        table = bytes(min(255, (v * 255 + half) // maxval) for v in range(256))
        return bytearray(bytes(values).translate(table))
    return bytearray([(v * 255 + half) // maxval for v in values])


# --- Pillow ------------------------------------------------------------------------------
_BMP_DIB_SIZES = tuple(struct.pack("<I", n) for n in (12, 40, 52, 56, 64, 108, 124))


def _pillow_format(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM":  # two letters are a weak signature: check the DIB header size too
        return "BMP" if data[14:18] in _BMP_DIB_SIZES else None
    for magic, fmt in _PILLOW_SIGNATURES:
        if data.startswith(magic):
            return fmt
    return None


def _pillow() -> Any:
    """``PIL.Image``, or None where Pillow is not installed (looked up each time: an imported
    module is a dictionary lookup away)."""
    try:
        return importlib.import_module("PIL.Image")
    except ImportError:
        return None


def _png_pillow(
    data: bytes, name: str, max_pixels: int
) -> tuple[bytes, tuple[int, int, int]] | None:
    """An 8-bit grey/RGB(A) PNG whose scanlines Pillow unfilters, or None (no Pillow, another
    kind of PNG, or a bad filter type: the Python decoder then decodes it or names the row).

    :func:`~torsh_data.formats.png.inflate_png` checks and inflates the data as the Python
    decoder does (CRCs, header, exact inflated size), so both accept the same files; Pillow's
    ``zip`` decoder, given them again as a stored (level 0) zlib stream, only unfilters.
    """
    pil = _pillow()
    if pil is None:
        return None
    scanlines = inflate_png(data, name, max_pixels)
    if scanlines is None:
        return None
    raw, (height, width, channels) = scanlines
    mode = _CHANNEL_MODES[channels]
    try:
        im = pil.frombytes(mode, (width, height), zlib.compress(raw, 0), "zip", mode)
    except Exception:  # a bad filter type: ValueError, OSError, ...
        return None
    return im.tobytes(), (height, width, channels)


def _decode_pillow(data: bytes, name: str, max_pixels: int) -> tuple[bytes, tuple[int, int, int]]:
    fmt = _pillow_format(data)
    if fmt is None:
        raise FormatError(f"not a recognised image format (starts with {data[:8]!r})", source=name)
    image_module = _pillow()
    if image_module is None:
        raise MissingExtraError("Pillow", "pillow", f"decoding {fmt}")
    try:
        with image_module.open(io.BytesIO(data)) as im:
            width, height = im.size
            check_pixels(width, height, max_pixels, name)
            im.load()
            native = im.mode
            if native not in ("L", "LA", "RGB", "RGBA"):
                has_alpha = native in ("PA", "La", "RGBa") or "transparency" in im.info
                to = "RGBA" if has_alpha else "L" if native in ("1", "I", "I;16", "F") else "RGB"
                im = im.convert(to)
            raw = im.tobytes()
            mode = im.mode
    except TorshDataError:
        raise
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, ...)
        raise FormatError(f"cannot decode {fmt}: {exc}", source=name) from None
    return raw, (height, width, _MODES[mode])
