"""Python sides of the kernels in ``pixels.wat`` (NOTE [ WebAssembly kernels ]): RGBA <-> RGB,
the conversions around a browser canvas (``getImageData``/``putImageData`` hold RGBA).

Each function runs its kernel where the WebAssembly kernels are used, else its pure-Python
form (strided slice copies, ``out[k::3] = rgba[k::4]``), which is the reference: the same
bytes either way.

>>> rgb_from_rgba(b"abcdefgh")
bytearray(b'abcefg')
>>> rgba_from_rgb(b"abcdef")
bytearray(b'abc\\xffdef\\xff')
"""

from __future__ import annotations

from typing import Any

from . import addresses, kernels

__all__ = ["rgb_from_rgba", "rgba_from_rgb"]


def _convert(export: str, src: Any, size_in: int, size_out: int) -> bytearray:
    data = src if type(src) is bytes else bytes(src)  # alive until the kernel has run
    n, rest = divmod(len(data), size_in)
    if rest:
        raise ValueError(f"{export}: {len(data)} bytes are not whole {size_in}-byte pixels")
    k = kernels("pixels") if n else None
    if k is None:
        out = bytearray(b"\xff") * (n * size_out)
        for j in range(3):
            out[j::size_out] = data[j::size_in]
        return out
    out = bytearray(n * size_out)
    s, o = addresses(data, out)
    getattr(k, export)(s, n, o)
    return out


def rgb_from_rgba(rgba: Any) -> bytearray:
    """``rgba`` (4 bytes a pixel) with every fourth byte dropped."""
    return _convert("rgba_to_rgb", rgba, 4, 3)


def rgba_from_rgb(rgb: Any) -> bytearray:
    """``rgb`` (3 bytes a pixel) with an alpha byte 255 after each pixel."""
    return _convert("rgb_to_rgba", rgb, 3, 4)
