"""The runtime's own image scaler, for ``Resize(..., exact=False)``-style fast paths.

:func:`fast_resize` scales with what the runtime has in C: Pillow natively when it is
installed (``_scale_native.py``), the canvas's scaler in a browser page or Web Worker
(``_scale_web.py``), chosen once here. It returns ``None`` when there is nothing faster than
the exact pure-Python path (no Pillow; Pyodide under Node.js; a translucent image in a browser;
a reduction without antialiasing natively), and the caller then runs the exact path.

NOTE [ Exact and fast image paths ]: the exact paths (this package's PNG and Netpbm decoders,
the pure-Python resize) give the same bytes on every runtime. The fast ones do not: Pillow
resamples in fixed point (values within 1 of the exact bilinear), browsers scale their own
way (Chromium's mipmapped bilinear differs by more on reductions), and JPEG decoders differ
by a step or two. PNG is lossless, so every PNG decoder gives the same pixels. In a browser,
``io.DecodeImage`` followed by ``RandomResizedCrop(exact=False)`` decodes and scales only the
crop in one ``createImageBitmap`` call (NOTE [ Decoding only the crop ]), whose scaling is not
the canvas's either.
"""

from __future__ import annotations

from .._dtype import uint8
from .._runtime import IN_BROWSER
from ..tensor import Tensor

if IN_BROWSER:
    from ._scale_web import scale
else:
    from ._scale_native import scale

__all__ = ["fast_resize"]


def fast_resize(image: Tensor, size: tuple[int, int], antialias: bool) -> Tensor | None:
    """``image`` (uint8, ``(H, W)`` or ``(H, W, C)``) scaled bilinearly to ``size`` =
    ``(height, width)``, or ``None`` when this runtime has no faster scaler.

    ``antialias=True`` widens the filter on a reduction (as torch's ``antialias=True``); the
    result has the input's layout and dtype. Not bit-identical across runtimes (NOTE [ Exact
    and fast image paths ]).
    """
    shape = image.shape
    if image.dtype is not uint8 or len(shape) not in (2, 3) or 0 in shape or min(size) <= 0:
        return None
    return scale(image, (shape[0], shape[1], shape[2] if len(shape) == 3 else 1), size, antialias)
