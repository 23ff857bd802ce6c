"""A slow, obviously-correct bilinear resize, the reference the fast scalers are held to.

The triangle filter of Pillow's ``BILINEAR`` and torch's ``interpolate(mode="bilinear",
antialias=True)`` (``aten/src/ATen/native/cpu/UpSampleKernel.cpp``, ported from Pillow's
``Resample.c``): output ``i`` is centred at ``scale * (i + 0.5)`` in the input, the filter's
support is ``max(scale, 1)`` pixels each side, weights are normalised over the pixels inside
the image. ``antialias=False`` keeps the support at 1 (plain ``align_corners=False``
bilinear). Float64, horizontal then vertical, rounded once (half up) and clamped to 0-255.
"""

from __future__ import annotations

import math


def weights(out_size: int, in_size: int, antialias: bool) -> list[tuple[int, list[float]]]:
    """``(first input index, normalised weights)`` of each output index."""
    scale = in_size / out_size
    widen = max(scale, 1.0) if antialias else 1.0
    out = []
    for i in range(out_size):
        centre = scale * (i + 0.5)
        if not antialias:  # the two pixels around the source position, edge clamped
            src = max(centre - 0.5, 0.0)
            i0 = min(math.floor(src), in_size - 1)
            frac = src - i0 if i0 < in_size - 1 else 0.0
            out.append((i0, [1.0 - frac, frac] if i0 < in_size - 1 else [1.0]))
            continue
        lo = max(int(centre - widen + 0.5), 0)
        hi = min(int(centre + widen + 0.5), in_size)
        ws = [max(0.0, 1.0 - abs((j + 0.5 - centre) / widen)) for j in range(lo, hi)]
        total = sum(ws)
        out.append((lo, [w / total for w in ws]))
    return out


def resize(
    pixels: bytes, shape: tuple[int, int, int], size: tuple[int, int], antialias: bool = True
) -> bytes:
    """``pixels`` (uint8, HWC ``shape``) resized to ``size`` = (height, width)."""
    h, w, c = shape
    oh, ow = size
    wx, wy = weights(ow, w, antialias), weights(oh, h, antialias)
    rows = []  # horizontal pass: h rows of ow * c floats
    for y in range(h):
        row = pixels[y * w * c : (y + 1) * w * c]
        rows.append(
            [
                sum(wt * row[(x0 + j) * c + k] for j, wt in enumerate(ws))
                for x0, ws in wx
                for k in range(c)
            ]
        )
    out = bytearray()
    for y0, ws in wy:
        for n in range(ow * c):
            v = sum(wt * rows[y0 + j][n] for j, wt in enumerate(ws))
            out.append(min(max(math.floor(v + 0.5), 0), 255))
    return bytes(out)
