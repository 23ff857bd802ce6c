"""Between encoded images and tensors: :class:`ImageToTensor`, :class:`TensorToImage` and a
small PNG encoder (:func:`encode_png`), the inverse of :func:`~torsh_data.formats.decode_png`.

>>> img = Tensor(bytes([0, 255, 128, 64]), shape=(2, 2))
>>> chw = ImageToTensor()(encode_png(img))
>>> chw.shape, chw.dtype.name
((1, 2, 2), 'float32')
>>> TensorToImage()(chw) == encode_png(img)
True
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from .. import _dtype
from .._errors import DataTypeError, DataValueError, ShapeError
from ..formats import decode_image
from ..tensor import Tensor
from ..transforms import ToTensor, Transform

__all__ = [
    "ImageToTensor",
    "TensorToImage",
    "TensorToVideo",
    "VideoToTensor",
    "encode_png",
    "to_uint8_hwc",
]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> grey, grey+alpha, RGB, RGBA


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def to_uint8_hwc(img: Any) -> Tensor:
    """An image as uint8 ``(H, W, C)``: uint8 images as they are (``(H, W)`` gets ``C = 1``),
    float ``(C, H, W)`` images in [0, 1] scaled by 255, clamped and rounded to nearest."""
    t = img if isinstance(img, Tensor) else Tensor(img)
    if t.dtype is _dtype.uint8:
        if t.ndim == 2:
            return t.reshape(*t.shape, 1)
        if t.ndim != 3:
            raise ShapeError(f"a uint8 image is (H, W) or (H, W, C), got shape {t.shape}")
        return t
    if t.dtype.kind != "f":
        raise DataTypeError(f"images are uint8 (H, W[, C]) or float (C, H, W), not {t.dtype}")
    if t.ndim == 2:
        t = t.reshape(1, *t.shape)
    if t.ndim != 3:
        raise ShapeError(f"a float image is (C, H, W) or (H, W), got shape {t.shape}")
    c, h, w = t.shape
    vals = t.dtype.unpack(t._data)
    hw = h * w
    out = bytearray(c * hw)
    for k in range(c):
        plane = vals[k * hw : (k + 1) * hw]
        if any(v != v for v in plane):
            raise DataValueError("the image has NaN values; it cannot be written as pixels")
        out[k::c] = bytes(round(min(max(v, 0.0), 1.0) * 255) for v in plane)
    return Tensor._make(memoryview(out), _dtype.uint8, (h, w, c))


def encode_png(img: Any, compress_level: int = 6) -> bytes:
    """Encode an image as an 8-bit PNG (grey, grey+alpha, RGB or RGBA by its channels).

    Args:
        img: uint8 ``(H, W[, C])`` or float ``(C, H, W)`` in [0, 1] (see :func:`to_uint8_hwc`).
        compress_level: zlib level 0-9.
    """
    t = to_uint8_hwc(img)
    h, w, c = t.shape
    if c not in _COLOR_TYPE:
        raise ShapeError(f"PNG images have 1 to 4 channels, not {c}")
    if h == 0 or w == 0 or h >= 2**31 or w >= 2**31:
        raise ShapeError(f"PNG images are 1 to 2**31-1 pixels wide and high, not {w}x{h}")
    if isinstance(compress_level, bool) or compress_level not in range(10):
        raise DataValueError(f"compress_level must be 0..9, got {compress_level!r}")
    stride = w * c
    data = bytes(t._data)
    raw = b"\x00" + b"\x00".join(data[i : i + stride] for i in range(0, h * stride, stride))
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPE[c], 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, compress_level)),
            _chunk(b"IEND", b""),
        )
    )


class ImageToTensor(Transform):
    """Decode an image (bytes, path or file; PNG/PNM natively, JPEG and others through
    Pillow) to a float32 ``(C, H, W)`` tensor in [0, 1]; a decoded uint8 tensor is converted
    the same way.

    Args:
        mode: ``None`` keeps the file's channels; ``"L"``, ``"LA"``, ``"RGB"``, ``"RGBA"``.
        decoder: ``decoder(source) -> uint8 (H, W, C) tensor`` used instead of
            :func:`~torsh_data.formats.decode_image` (for example a browser decoder).
    """

    def __init__(self, mode: str | None = None, decoder: Any = None) -> None:
        if decoder is not None and not callable(decoder):
            raise DataTypeError(f"decoder must be callable, got {decoder!r}")
        self.mode, self.decoder = mode, decoder
        if mode is not None:
            decode_image(b"P2 1 1 1 0", mode=mode)  # checks the mode now, not per sample
        self._to_tensor = ToTensor()

    def __call__(self, source: Any) -> Tensor:
        if isinstance(source, Tensor):
            img = source
        elif self.decoder is not None:
            img = self.decoder(source)
        else:
            img = decode_image(source, mode=self.mode)
        return self._to_tensor(img)

    def __repr__(self) -> str:
        return f"ImageToTensor(mode={self.mode!r})"


class TensorToImage(Transform):
    """Encode an image tensor as PNG bytes (float ``(C, H, W)`` in [0, 1], or uint8
    ``(H, W[, C])``); floats are scaled by 255 and rounded to nearest, so
    ``TensorToImage()(ImageToTensor()(png))`` gives back the same pixels."""

    def __init__(self, compress_level: int = 6) -> None:
        if isinstance(compress_level, bool) or compress_level not in range(10):
            raise DataValueError(f"compress_level must be 0..9, got {compress_level!r}")
        self.compress_level = compress_level

    def __call__(self, img: Any) -> bytes:
        return encode_png(img, self.compress_level)

    def __repr__(self) -> str:
        return f"TensorToImage(compress_level={self.compress_level})"


class VideoToTensor(Transform):
    """uint8 frames ``(T, H, W[, C])`` -> float32 ``(T, C, H, W)`` in [0, 1] (each frame as
    :class:`~torsh_data.transforms.ToTensor` converts it, in one batch operation)."""

    def __call__(self, frames: Any) -> Tensor:
        t = frames if isinstance(frames, Tensor) else Tensor(frames)
        if t.ndim not in (3, 4):
            raise ShapeError(f"video frames are (T, H, W[, C]), got shape {t.shape}")
        return ToTensor().batch(t)

    def __repr__(self) -> str:
        return "VideoToTensor()"


class TensorToVideo(Transform):
    """A ``(T, C, H, W)`` float (or ``(T, H, W[, C])`` uint8) clip -> a list of PNG frames,
    each encoded as :class:`TensorToImage` does (write them as ``clip/00001.png`` ...)."""

    def __init__(self, compress_level: int = 6) -> None:
        self._frame = TensorToImage(compress_level)

    def __call__(self, clip: Any) -> list[bytes]:
        t = clip if isinstance(clip, Tensor) else Tensor(clip)
        if t.ndim not in (3, 4):
            raise ShapeError(f"a clip is (T, C, H, W) or (T, H, W[, C]), got shape {t.shape}")
        return [self._frame(frame) for frame in t]

    def __repr__(self) -> str:
        return "TensorToVideo()"
