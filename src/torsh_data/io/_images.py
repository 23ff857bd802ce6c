"""Image decoding that uses the browser's own decoders when there is a browser.

:func:`decode_image_async` gives what :func:`torsh_data.formats.decode_image` gives (a uint8
Tensor of shape ``(height, width, channels)``, the file's channels or ``mode``), but in a
browser page or Web Worker running Pyodide it decodes PNG, JPEG and WebP with
``createImageBitmap`` and an ``OffscreenCanvas`` (the browser's compiled decoders), and
elsewhere (natively, Pyodide under Node.js), or for other formats, with the Python decoders
(and Pillow natively for JPEG/WebP/GIF/BMP/TIFF).

NOTE [exact browser pixels]: the bitmap is made with ``colorSpaceConversion: "none"`` and
``premultiplyAlpha: "none"``, so no colour profile or gamma is applied; the canvas holds
premultiplied pixels, though, so a pixel that is not opaque comes back with its colour
rounded (or, fully transparent, black). Hence a PNG whose decoded alpha is not all 255 is
decoded again by Python (exact, as everywhere else); a WebP with transparency keeps the
browser's values. 16-bit PNGs also go to Python (browsers round 16→8 bits where
:func:`decode_png` keeps the high byte). Chromium applies an EXIF orientation (JPEG ``APP1``,
PNG ``eXIf``; not WebP's), which ``decode_image`` (like Pillow) does not: it is undone, so
both give the pixels as stored. The header's width × height is checked
against ``max_pixels`` before the browser is given the bytes.

:class:`~torsh_data.io.AsyncMapDataset` is how an async pipeline uses it, e.g.
``AsyncMapDataset(TarDataset(shards, decode={"png": None}), decode_images_async)`` under
``async for batch in DataLoader(...)``.

>>> import asyncio
>>> from torsh_data.formats import decode_image
>>> img = asyncio.run(decode_image_async(b"P2 2 1 255 0 200", mode="RGB"))
>>> img.shape, img.tolist() == decode_image(b"P2 2 1 255 0 200", mode="RGB").tolist()
((1, 2, 3), True)
"""

from __future__ import annotations

import array
import struct
from typing import Any

from .._dtype import uint8
from .._errors import DataValueError, FormatError
from .._ffi import js_array, js_object, to_bytes, to_uint8array
from .._runtime import IN_PYODIDE, can_block, js_module
from .._wasm.pixels import rgb_from_rgba
from ..formats.image import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, convert_mode, decode_image
from ..formats.png import PNG_SIGNATURE, check_pixels
from ..tensor import Tensor

__all__ = [
    "browser_decoding",
    "decode_image_async",
    "decode_images_async",
    "decode_resized_crop",
    "image_size",
]

_MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_BACKENDS = ("auto", "browser", "python")


def browser_decoding() -> bool:
    """True when this runtime can decode images with the browser (page or Web Worker)."""
    if not IN_PYODIDE:
        return False
    js = js_module()
    return hasattr(js, "OffscreenCanvas") and hasattr(js, "createImageBitmap")


# --- headers: format, size and channels before any decoding ------------------------------
def _png_info(data: bytes, name: str) -> tuple[int, int, int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise FormatError("truncated PNG header", source=name, offset=8)
    width, height, depth, colour = struct.unpack_from(">IIBB", data, 16)
    channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(colour)
    if channels is None:
        raise FormatError(f"invalid PNG colour type {colour}", source=name, offset=25)
    _png_check_chunks(data, name)
    if colour == 3 and _png_has_trns(data):
        channels = 4
    return width, height, channels, depth


def _png_check_chunks(data: bytes, name: str) -> None:
    """Refuse a PNG whose chunks do not run whole to an ``IEND`` after image data: some
    browsers (Firefox) decode a truncated PNG as far as it goes instead of failing."""
    pos, seen_idat = 8, False
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if pos + 12 + length > len(data):
            break
        if kind == b"IEND":
            if not seen_idat:
                raise FormatError("PNG without image data (no IDAT chunk)", source=name, offset=pos)
            return
        seen_idat = seen_idat or kind == b"IDAT"
        pos += 12 + length
    raise FormatError(
        f"truncated PNG: a chunk at byte {pos} runs past the end ({len(data)} bytes) or the "
        "IEND chunk is missing",
        source=name,
        offset=pos,
    )


def _png_has_trns(data: bytes) -> bool:
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"tRNS":
            return True
        if kind in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False


def _jpeg_info(data: bytes, name: str) -> tuple[int, int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise FormatError("bad JPEG marker", source=name, offset=pos)
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if pos + 10 > len(data):
                break
            height, width, components = struct.unpack_from(">HHB", data, pos + 5)
            return width, height, 1 if components == 1 else 3
        if marker in (0xD9, 0xDA) or length < 2:
            break
        pos += 2 + length
    raise FormatError("JPEG without a frame header (truncated or corrupt)", source=name)


def _webp_info(data: bytes, name: str) -> tuple[int, int, int]:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h, 4 if data[20] & 0x10 else 3
    if kind == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, 4 if bits >> 28 & 1 else 3
    if kind == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF, 3
    raise FormatError("truncated or unknown WebP header", source=name, offset=12)


def _header(data: bytes, name: str) -> tuple[str, int, int, int] | None:
    """``(format, width, height, channels decode_image gives)`` for browser-decodable
    formats, None for the others (Netpbm, TIFF, unknown: left to the Python path)."""
    if data[:8] == PNG_SIGNATURE:
        w, h, c, depth = _png_info(data, name)
        return ("PNG16" if depth == 16 else "PNG"), w, h, c
    if data[:3] == b"\xff\xd8\xff":
        return ("JPEG", *_jpeg_info(data, name))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("WebP", *_webp_info(data, name))
    return None


# --- EXIF orientation: browsers apply it, decode_image (like Pillow) does not -------------
def _tiff_orientation(tiff: bytes) -> int:
    """The Orientation tag (0x0112) of an Exif/TIFF block, 1 when absent or unreadable."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    (ifd,) = struct.unpack_from(order + "I", tiff, 4)
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack_from(order + "H", tiff, ifd)
    for k in range(min(count, (len(tiff) - ifd - 2) // 12)):
        tag, kind, _, value = struct.unpack_from(order + "HHIH", tiff, ifd + 2 + 12 * k)
        if tag == 0x0112 and kind == 3:
            return value if 1 <= value <= 8 else 1
    return 1


def _orientation(fmt: str, data: bytes) -> int:
    """The EXIF orientation the browser will apply to this image (1: none). Chromium applies
    it to JPEG (``APP1``) and PNG (``eXIf``), not to WebP."""
    if fmt == "WebP":
        return 1
    if fmt == "JPEG":
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] not in (0xDA, 0xD9):
            (length,) = struct.unpack_from(">H", data, pos + 2)
            if data[pos + 1] == 0xE1 and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
                return _tiff_orientation(data[pos + 10 : pos + 2 + length])
            pos += 2 + length
        return 1
    pos = 8  # PNG: the eXIf chunk
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body, step = pos + 8, 12 + length
        if kind == b"eXIf":
            exif = data[body : body + length]
            return _tiff_orientation(exif[6:] if exif.startswith(b"Exif\x00\x00") else exif)
        if kind == b"IEND":
            break
        pos += step
    return 1


def _unorient(rgba: bytes, width: int, height: int, orientation: int) -> bytes:
    """Undo the EXIF ``orientation`` the browser applied to a ``width``×``height`` (as
    displayed) RGBA image: the pixels as stored, i.e. as :func:`decode_image` gives them."""
    px = array.array("I", rgba)  # one 32-bit item per pixel
    w, h = width, height
    if orientation == 2:  # mirrored: mirror back
        rows = [px[r * w : (r + 1) * w][::-1] for r in range(h)]
    elif orientation == 3:  # rotated 180°
        return px[::-1].tobytes()
    elif orientation == 4:  # flipped: flip back
        rows = [px[r * w : (r + 1) * w] for r in reversed(range(h))]
    elif orientation == 5:  # transposed: transpose back
        rows = [px[c::w] for c in range(w)]
    elif orientation == 6:  # shown rotated 90° clockwise: rotate counter-clockwise
        rows = [px[c::w] for c in reversed(range(w))]
    elif orientation == 7:  # transversed: transverse back
        rows = [px[c::w][::-1] for c in reversed(range(w))]
    elif orientation == 8:  # shown rotated 90° counter-clockwise: rotate clockwise
        rows = [px[c::w][::-1] for c in range(w)]
    else:
        return rgba
    return b"".join(r.tobytes() for r in rows)


# --- the browser path ---------------------------------------------------------------------
_OPTIONS = {"colorSpaceConversion": "none", "premultiplyAlpha": "none"}
_RESIZE_OPTIONS: dict[tuple[int, int, str], Any] = {}  # (width, height, quality) -> JS options


def _blob(data: bytes) -> Any:
    return js_module().Blob.new(js_array([to_uint8array(data)]))


async def _browser_rgba(data: bytes, width: int, height: int, name: str, orientation: int) -> bytes:
    """RGBA pixels of the image in ``data`` decoded by the browser, as stored (the EXIF
    ``orientation`` it applies undone)."""
    try:
        bitmap = await js_module().createImageBitmap(_blob(data), js_object(**_OPTIONS))
    except Exception as e:  # a rejected promise: InvalidStateError and the like
        raise FormatError(f"the browser cannot decode this image ({e})", source=name) from None
    shown = (width, height) if orientation < 5 else (height, width)
    rgba = _bitmap_rgba(bitmap, shown, name, f"the header says {width}×{height}")
    return _unorient(rgba, *shown, orientation) if orientation != 1 else rgba


def _bitmap_rgba(bitmap: Any, size: tuple[int, int], name: str, expected: str) -> bytes:
    """The RGBA pixels of ``bitmap`` (closed here), which must be ``size`` = (width, height)."""
    try:
        if (bitmap.width, bitmap.height) != size:
            raise FormatError(
                f"{expected}, the decoder {bitmap.width}×{bitmap.height}", source=name
            )
        ctx = _context(*size)
        ctx.drawImage(bitmap, 0, 0)  # "copy": no blending with the previous image
        return to_bytes(ctx.getImageData(0, 0, *size).data)
    finally:
        bitmap.close()


def _from_rgba(rgba: bytes, want: int) -> bytes | bytearray:
    """Opaque RGBA pixels as ``want`` channels (the WebAssembly kernel for RGB where used)."""
    if want == 4:
        return rgba
    return rgb_from_rgba(rgba) if want == 3 else convert_mode(rgba, 4, want)


_canvas: list[Any] = []  # one OffscreenCanvas context, reused (draw and read never await)


def _context(width: int, height: int) -> Any:
    if not _canvas:
        canvas = js_module().OffscreenCanvas.new(width, height)
        _canvas.append(canvas.getContext("2d", js_object(willReadFrequently=True, alpha=True)))
    ctx = _canvas[0]
    if (ctx.canvas.width, ctx.canvas.height) != (width, height):
        ctx.canvas.width, ctx.canvas.height = width, height  # resets the context's state
    ctx.globalCompositeOperation = "copy"
    return ctx


def _check_size(fmt: str, width: int, height: int, max_pixels: int, label: str) -> None:
    if width == 0 or height == 0:
        raise FormatError(f"invalid {fmt} size {width}×{height}", source=label)
    check_pixels(width, height, max_pixels, label)


async def decode_image_async(
    data: bytes | bytearray | memoryview,
    *,
    mode: str | None = None,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    backend: str = "auto",
) -> Tensor:
    """Decode an image like :func:`~torsh_data.formats.decode_image`, with the browser's
    decoders when available.

    Args:
        data: the encoded bytes: PNG, JPEG, WebP (by the browser when there is one), or
            what :func:`~torsh_data.formats.decode_image` reads.
        mode: ``None`` keeps the file's channels; ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``.
        name: how errors name the image (default ``<bytes>``).
        max_pixels: refuse images with more pixels than this, from their header.
        backend: ``"auto"`` (the browser when there is one, else as
            :func:`~torsh_data.formats.decode_image` does: Pillow's C code natively where
            it is installed), ``"browser"`` (raise :class:`~torsh_data.DataValueError` if
            there is none) or ``"python"`` (this package's decoders, as ``decode_image(...,
            backend="python")``).

    Returns:
        A uint8 Tensor of shape ``(height, width, channels)``.

    Raises:
        FormatError: corrupt, truncated or oversized image data, or an unknown format.
    """
    if mode is not None and mode not in _MODES:
        raise DataValueError(f"mode must be None, 'L', 'LA', 'RGB' or 'RGBA', not {mode!r}")
    if backend not in _BACKENDS:
        raise DataValueError(f"backend must be one of {_BACKENDS}, not {backend!r}")
    if backend == "browser" and not browser_decoding():
        raise DataValueError("backend='browser' needs a browser page or worker (Pyodide)")
    data = bytes(data)
    label = name or "<bytes>"
    use_browser = backend == "browser" or (backend == "auto" and browser_decoding())
    info = _header(data, label) if use_browser else None
    if info is None or info[0] == "PNG16":
        exact = "python" if backend == "python" else "auto"
        return decode_image(data, mode=mode, name=label, max_pixels=max_pixels, backend=exact)
    fmt, width, height, channels = info
    _check_size(fmt, width, height, max_pixels, label)
    rgba = await _browser_rgba(data, width, height, label, _orientation(fmt, data))
    if fmt == "PNG" and rgba[3::4].translate(None, b"\xff"):  # NOTE [exact browser pixels]
        return decode_image(data, mode=mode, name=label, max_pixels=max_pixels)
    want = _MODES[mode] if mode is not None else channels
    return Tensor._make(memoryview(_from_rgba(rgba, want)), uint8, (height, width, want))


def image_size(
    data: bytes | bytearray | memoryview, name: str | None = None
) -> tuple[int, int] | None:
    """``(height, width)`` of a PNG, JPEG or WebP image from its header (nothing decoded),
    None for other formats; a corrupt header raises :class:`~torsh_data.FormatError`.

    >>> image_size(b"P2 2 1 255 0 200") is None
    True
    """
    info = _header(bytes(data), name or "<bytes>")
    return None if info is None else (info[2], info[1])


def decode_resized_crop(
    data: bytes | bytearray | memoryview,
    box: tuple[int, int, int, int],
    size: tuple[int, int],
    *,
    mode: str | None = None,
    antialias: bool = True,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Tensor | None:
    """Decode only the window ``box = (top, left, height, width)`` of an image, scaled to
    ``size = (height, width)``, in one call to the browser (``createImageBitmap`` with a crop
    rectangle and ``resizeWidth``/``resizeHeight``); None where this runtime cannot (natively,
    under Node.js, without JSPI) or the image is not one it does exactly this way (not opaque
    by its header, 16-bit, EXIF-oriented, not PNG/JPEG/WebP): the caller decodes the whole
    image and crops and resizes it itself. Not bit-identical to that path (NOTE [ Exact and
    fast image paths ] in ``transforms._scale``): the browser scales as it does
    (``resizeQuality`` ``"medium"`` with ``antialias``, else ``"low"``).

    >>> decode_resized_crop(b"P2 2 1 255 0 200", (0, 0, 1, 1), (2, 2)) is None
    True
    """
    if mode is not None and mode not in _MODES:
        raise DataValueError(f"mode must be None, 'L', 'LA', 'RGB' or 'RGBA', not {mode!r}")
    oh, ow = size
    if oh < 1 or ow < 1:
        raise DataValueError(f"cannot scale an image to {oh}x{ow}")
    data = bytes(data)
    label = name or "<bytes>"
    info = _header(data, label)
    if info is None:
        return None
    fmt, width, height, channels = info
    _check_size(fmt, width, height, max_pixels, label)
    top, left, ch, cw = box
    if not (0 <= top and 0 <= left and 0 < ch <= height - top and 0 < cw <= width - left):
        raise DataValueError(f"{label}: the crop {box} is not inside the {height}x{width} image")
    if fmt == "PNG16" or channels in (2, 4) or not (browser_decoding() and can_block()):
        return None  # alpha: NOTE [exact browser pixels]; 16 bits: decode_image_async's rule
    if _orientation(fmt, data) != 1:
        return None
    from pyodide.ffi import run_sync  # type: ignore[import-not-found,unused-ignore]

    key = (ow, oh, "medium" if antialias else "low")
    options = _RESIZE_OPTIONS.get(key)
    if options is None:
        options = js_object(**_OPTIONS, resizeWidth=ow, resizeHeight=oh, resizeQuality=key[2])
        _RESIZE_OPTIONS[key] = options
    try:
        bitmap = run_sync(js_module().createImageBitmap(_blob(data), left, top, cw, ch, options))
    except Exception as e:  # a rejected promise: InvalidStateError and the like
        raise FormatError(f"the browser cannot decode this image ({e})", source=label) from None
    if (bitmap.width, bitmap.height) == (cw, ch) != (ow, oh):  # resize options ignored
        bitmap.close()
        return None
    rgba = _bitmap_rgba(bitmap, (ow, oh), label, f"asked for {ow}×{oh}")
    want = _MODES[mode] if mode is not None else channels
    return Tensor._make(memoryview(_from_rgba(rgba, want)), uint8, (oh, ow, want))


async def decode_images_async(sample: Any, *, mode: str | None = None) -> Any:
    """Decode the images in one sample: bytes that are an image, the image-extension values
    of a dict (a tar sample kept as bytes), or such items of a tuple or list.

    >>> import asyncio
    >>> s = asyncio.run(decode_images_async({"__key__": "a", "pgm": b"P2 1 1 255 7", "cls": 3}))
    >>> s["pgm"].tolist(), s["cls"]
    ([[[7]]], 3)
    """
    if isinstance(sample, (bytes, bytearray, memoryview)):
        return await decode_image_async(sample, mode=mode)
    if isinstance(sample, dict):
        out = dict(sample)
        for key, value in sample.items():
            ext = str(key).rsplit(".", 1)[-1].lower()
            if ext in IMAGE_EXTENSIONS and isinstance(value, (bytes, bytearray, memoryview)):
                label = f"{sample.get('__key__', '<sample>')}.{key}"
                out[key] = await decode_image_async(value, mode=mode, name=label)
        return out
    if isinstance(sample, (tuple, list)):
        items = [await decode_images_async(v, mode=mode) for v in sample]
        return type(sample)(items) if isinstance(sample, list) else tuple(items)
    return sample
