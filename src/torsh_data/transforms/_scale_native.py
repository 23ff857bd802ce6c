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

__all__ = ["fast_resize"]

_MODES = {1: "L", 3: "RGB", 4: "RGBX"}  # RGBX: four bands resampled alone (RGBA premultiplies)


def _resize(image: Any, mode: str, data: Any, size: tuple[int, int], out: tuple[int, int]) -> bytes:
    """``data`` (``size`` = (width, height), ``mode``) resampled to ``out`` = (width, height)."""
    im = image.frombuffer(mode, size, data, "raw", mode, 0, 1)
    return im.resize(out, image.BILINEAR, reducing_gap=None).tobytes()


def fast_resize(image: Tensor, size: tuple[int, int], antialias: bool) -> Tensor | None:
    """See :func:`torsh_data.transforms._scale.fast_resize`."""
    try:
        pil = optional_import("PIL.Image", "pillow", "resizing with Pillow")
    except MissingExtraError:
        return None
    shape = image.shape
    if image.dtype is not uint8 or len(shape) not in (2, 3):
        return None
    h, w = shape[0], shape[1]
    c = shape[2] if len(shape) == 3 else 1
    oh, ow = size
    if h == 0 or w == 0 or c == 0 or oh <= 0 or ow <= 0:
        return None
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
    return Tensor._make(memoryview(out), uint8, (oh, ow, *shape[2:]))
