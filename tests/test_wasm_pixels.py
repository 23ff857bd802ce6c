"""The RGBA <-> RGB kernels (``_wasm/pixels.wat``): in Pyodide they give exactly the bytes of
their pure-Python form (strided slice copies) and of ``formats.image.convert_mode``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm.pixels import rgb_from_rgba, rgba_from_rgb
from torsh_data.formats.image import convert_mode

pixels4 = st.integers(0, 70).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))
pixels3 = st.integers(0, 70).flatmap(lambda n: st.binary(min_size=3 * n, max_size=3 * n))


@given(pixels4)
def test_rgb_from_rgba_is_convert_mode_and_the_pure_form(rgba: bytes) -> None:
    fast = rgb_from_rgba(rgba)
    with _wasm.disabled():
        pure = rgb_from_rgba(rgba)
    assert fast == pure == convert_mode(rgba, 4, 3)


@given(pixels3)
def test_rgba_from_rgb_is_convert_mode_and_the_pure_form(rgb: bytes) -> None:
    fast = rgba_from_rgb(bytearray(rgb))
    with _wasm.disabled():
        pure = rgba_from_rgb(rgb)
    assert fast == pure == convert_mode(rgb, 3, 4)


def test_large_images_and_views() -> None:
    rgba = bytes((i * 7 + i // 4) % 256 for i in range(4 * 224 * 224))
    rgb = rgb_from_rgba(memoryview(rgba)[4:])
    assert rgb == convert_mode(rgba[4:], 4, 3) and len(rgb) == 3 * (224 * 224 - 1)
    assert rgba_from_rgb(rgb) == convert_mode(rgb, 3, 4)


def test_partial_pixels_are_refused() -> None:
    with pytest.raises(ValueError, match="not whole 4-byte pixels"):
        rgb_from_rgba(b"abcde")
    with pytest.raises(ValueError, match="not whole 3-byte pixels"):
        rgba_from_rgb(b"abcd")


def test_the_kernel_runs_in_pyodide() -> None:
    assert (_wasm.kernels("pixels") is not None) is IN_PYODIDE
    assert rgba_from_rgb(b"\x01\x02\x03") == bytearray(b"\x01\x02\x03\xff")
