"""The native twin of :mod:`._scale`: Pillow's bilinear resampling, when Pillow is installed.

Pillow's ``BILINEAR`` filter is a triangle whose support grows with the scale factor, so a
reduction is antialiased (the filter torch's ``antialias=True`` copies) and an enlargement is
plain ``align_corners=False`` bilinear. It works in fixed point, so values may differ by one
from the exact float path. Without antialiasing Pillow has no reduction: those return ``None``.
"""

from __future__ import annotations

from typing import Any

from .._dtype import uint8
from .._errors import MissingExtraError
from .._interop import optional_import
from ..tensor import Tensor

__all__ = ["scale"]

_MODES = {1: "L", 3: "RGB", 4: "RGBX"}  # RGBX: four bands resampled alone (RGBA premultiplies)


def _resize(image: Any, mode: str, data: Any, size: tuple[int, int], out: tuple[int, int]) -> bytes:
    """``data`` (``size`` = (width, height), ``mode``) resampled to ``out`` = (width, height)."""
    im = image.frombuffer(mode, size, data, "raw", mode, 0, 1)
    return im.resize(out, image.BILINEAR, reducing_gap=None).tobytes()


def scale(
    image: Tensor, hwc: tuple[int, int, int], size: tuple[int, int], antialias: bool
) -> Tensor | None:
    """``fast_resize`` of a non-empty uint8 image of ``hwc`` (checked by ``_scale``)."""
    try:
        pil = optional_import("PIL.Image", "pillow", "resizing with Pillow")
    except MissingExtraError:
        return None
    h, w, c = hwc
    oh, ow = size
    if not antialias and (oh < h or ow < w):
        return None  # Pillow always antialiases a reduction
    data = image._data
    mode = _MODES.get(c)
    if mode is not None:
        out = _resize(pil, mode, data, (w, h), (ow, oh))
    else:  # any other channel count: each band alone, interleaved again
        out_buf = bytearray(oh * ow * c)
        raw = data.tobytes()
        for k in range(c):
            out_buf[k::c] = _resize(pil, "L", raw[k::c], (w, h), (ow, oh))
        out = bytes(out_buf)
    return Tensor._make(memoryview(out), uint8, (oh, ow, *image.shape[2:]))
