"""The browser twin of :mod:`._scale`: the canvas's own scaler (``OffscreenCanvas``).

The image goes into one canvas with ``putImageData`` and is drawn scaled into another with
``drawImage`` (``imageSmoothingQuality`` ``"medium"`` when antialiasing, a mipmapped bilinear
in Chromium; ``"low"``, plain bilinear, when not), then read back with ``getImageData``. All
three are synchronous, so this needs no JSPI and runs in WebKit as well as in the middle of a
synchronous loader (``createImageBitmap`` with ``resizeWidth`` would have to wait for a
promise). Canvases hold premultiplied colour, so only opaque images are scaled here: grey,
RGB, and RGBA whose alpha is all 255; others return ``None`` (the exact path runs). Under
Node.js there is no canvas, and also ``None``.

Measured against the float64 reference (``tests/transforms/scale_checks.py``): enlarging is
within 1 in Chromium, Firefox and WebKit; reducing differs by 1.7-3.5 levels on average and
up to ~90 at hard edges (Chromium's ``"medium"`` mipmaps, the others filter without them).
"""

from __future__ import annotations

from typing import Any

from .._dtype import uint8
from .._ffi import js_object, to_bytes, to_uint8array
from .._runtime import js_module
from .._wasm.pixels import rgb_from_rgba, rgba_from_rgb
from ..tensor import Tensor

__all__ = ["scale"]

_CANVASES: list[Any] = []  # [(source context, target context)] or [None]: made once, reused


def _contexts() -> Any:
    if not _CANVASES:
        js = js_module()
        if not hasattr(js, "OffscreenCanvas"):
            _CANVASES.append(None)
        else:
            options = js_object(willReadFrequently=True, alpha=True)
            pair = tuple(js.OffscreenCanvas.new(1, 1).getContext("2d", options) for _ in "st")
            _CANVASES.append(pair)
    return _CANVASES[0]


def _sized(ctx: Any, width: int, height: int) -> Any:
    if (ctx.canvas.width, ctx.canvas.height) != (width, height):
        ctx.canvas.width, ctx.canvas.height = width, height  # resets the context's state
    ctx.globalCompositeOperation = "copy"
    return ctx


def _to_rgba(raw: bytes, c: int, n: int) -> bytes | bytearray:
    if c == 4:
        return raw
    if c == 3:
        return rgba_from_rgb(raw)  # NOTE [ WebAssembly kernels ]
    out = bytearray(b"\xff") * (4 * n)
    for k in range(3):
        out[k::4] = raw
    return bytes(out)


def scale(
    image: Tensor, hwc: tuple[int, int, int], size: tuple[int, int], antialias: bool
) -> Tensor | None:
    """``fast_resize`` of a non-empty uint8 image of ``hwc`` (checked by ``_scale``)."""
    h, w, c = hwc
    oh, ow = size
    if c not in (1, 3, 4):
        return None
    raw = image._data.tobytes()
    if c == 4 and raw[3::4].translate(None, b"\xff"):
        return None  # translucent: the canvas would round premultiplied colour
    contexts = _contexts()
    if contexts is None:
        return None
    js = js_module()
    source, target = _sized(contexts[0], w, h), _sized(contexts[1], ow, oh)
    pixels = js.Uint8ClampedArray.new(to_uint8array(_to_rgba(raw, c, h * w)).buffer)
    source.putImageData(js.ImageData.new(pixels, w, h), 0, 0)
    target.imageSmoothingEnabled = True
    target.imageSmoothingQuality = "medium" if antialias else "low"
    target.drawImage(source.canvas, 0, 0, w, h, 0, 0, ow, oh)
    rgba = to_bytes(target.getImageData(0, 0, ow, oh).data)
    out = rgba if c == 4 else rgba[0::4] if c == 1 else rgb_from_rgba(rgba)
    return Tensor._make(memoryview(out), uint8, (oh, ow, *image.shape[2:]))
