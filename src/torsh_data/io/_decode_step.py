"""Decoding as a pipeline step: :class:`DecodeImage`, and its fusion with ``RandomResizedCrop``.

NOTE [ Decoding only the crop ]: ``RandomResizedCrop`` draws its window from the image's
height and width alone, and PNG, JPEG and WebP headers give those without decoding. So
``Compose([DecodeImage(), RandomResizedCrop(..., exact=False), ...])`` fuses its first two
steps (NOTE [ Fusion ] in ``transforms._compose``) into one that reads the header, draws the
window from the sample's stream exactly as ``RandomResizedCrop`` does, and asks the runtime to
decode just that window at the output size (:func:`~torsh_data.io.decode_resized_crop`): in a
browser page one ``createImageBitmap`` call decodes, crops and scales, where the two steps
would decode the whole image, read it back, crop it in Python and scale it through two
canvases. Where there is no such call (natively, under Node.js, without JSPI, images with
alpha or an EXIF orientation) the fused step decodes the whole image and crops and resizes it
as the two steps do: the same bytes. The draws are the same everywhere; in a browser the
pixels are the browser's scaling, as ``exact=False`` allows (NOTE [ Exact and fast image
paths ] in ``transforms._scale``), not the canvas scaling the unfused steps would use. With
``exact=True`` nothing is fused: the exact path gives the same bytes on every runtime.

>>> from torsh_data.transforms import Compose, RandomResizedCrop
>>> pipe = Compose([DecodeImage("RGB"), RandomResizedCrop(8, exact=False)])
>>> [type(step).__name__ for step in pipe._steps]
['DecodeResizedCrop']
"""

from __future__ import annotations

from typing import Any

from .._errors import DataTypeError, DataValueError, FormatError
from .._runtime import can_block, run_blocking
from ..formats.image import DEFAULT_MAX_PIXELS, decode_image
from ..random import sample_generator
from ..tensor import Tensor
from ..transforms import RandomResizedCrop, Transform
from ._images import browser_decoding, decode_image_async, decode_resized_crop, image_size

__all__ = ["DecodeImage"]

_LABEL = "<image bytes>"


class DecodeImage(Transform):
    """Decode an encoded image (bytes) into a uint8 ``(height, width, channels)`` Tensor, as
    :func:`~torsh_data.io.decode_image_async` does: with the browser's decoders in a page or
    Web Worker where Python may wait for them (JSPI), else as
    :func:`~torsh_data.formats.decode_image` does (Pillow's C code natively where installed).
    Followed by ``RandomResizedCrop(..., exact=False)`` in a ``Compose``, it decodes only the
    crop (NOTE [ Decoding only the crop ]).

    Args:
        mode: ``None`` keeps the file's channels; ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``.
        max_pixels: refuse images with more pixels than this, from their header.

    >>> DecodeImage("RGB")(b"P2 2 1 255 0 200").tolist()
    [[[0, 0, 0], [200, 200, 200]]]
    """

    deterministic = True

    def __init__(self, mode: str | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        if mode not in (None, "L", "LA", "RGB", "RGBA"):
            raise DataValueError(f"mode must be None, 'L', 'LA', 'RGB' or 'RGBA', not {mode!r}")
        self.mode, self.max_pixels = mode, max_pixels

    def __call__(self, data: Any) -> Tensor:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DataTypeError(
                f"DecodeImage takes the encoded bytes of an image, not a {type(data).__name__}"
            )
        if browser_decoding() and can_block():
            coro = decode_image_async(data, mode=self.mode, max_pixels=self.max_pixels)
            return run_blocking(coro, operation="decoding", alternative="decode_image_async")
        return decode_image(bytes(data), mode=self.mode, name=_LABEL, max_pixels=self.max_pixels)

    def _fuse_next(self, nxt: Any) -> Any:
        if type(nxt) is RandomResizedCrop and not nxt.exact and nxt.interpolation == "bilinear":
            return DecodeResizedCrop(self, nxt)
        return None

    def __repr__(self) -> str:
        return f"DecodeImage(mode={self.mode!r})"


class DecodeResizedCrop(Transform):
    """``decode`` then ``crop`` as one step that decodes only the crop where the runtime can
    (NOTE [ Decoding only the crop ]); the same draws as the two steps."""

    def __init__(self, decode: DecodeImage, crop: RandomResizedCrop) -> None:
        self.decode, self.crop = decode, crop
        self.parts = [decode, crop]

    def __call__(self, data: Any) -> Tensor:
        gen = sample_generator()
        size = image_size(data, _LABEL) if isinstance(data, (bytes, bytearray)) else None
        if size is None:  # another format (or not bytes: DecodeImage says what is wrong)
            return self.crop._one(self.decode(data), gen)
        if size[0] == 0 or size[1] == 0:
            raise FormatError(f"invalid image size {size[1]}×{size[0]}", source=_LABEL)
        box = self.crop.get_params(*size, gen)
        c = self.crop
        out = decode_resized_crop(
            data,
            box,
            c.size,
            mode=self.decode.mode,
            antialias=c.antialias,
            name=_LABEL,
            max_pixels=self.decode.max_pixels,
        )
        if out is not None:
            return out
        img = self.decode(data)
        if img.shape[:2] != size:
            got = f"{img.shape[1]}×{img.shape[0]}"
            raise FormatError(
                f"the header says {size[1]}×{size[0]}, the decoder {got}", source=_LABEL
            )
        return c.resized_crop(img, box)

    def __repr__(self) -> str:
        return f"{self.decode!r}+{self.crop!r}"
