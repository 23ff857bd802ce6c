"""``transforms._scale.fast_resize``: the runtime's own scaler against a slow exact reference.

Natively it is Pillow's bilinear resampling (values within 1 of the float64 reference,
``scale_reference.py``, and of torch's ``interpolate(..., antialias=True)``); where it cannot
help it says so with ``None`` and the exact path runs. The browser twin (the canvas's scaler)
is checked in Chromium by ``tests/runtimes/images.test.mjs`` (``tests/io/browser/scale_checks.py``).
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scale_reference import resize as reference
from strategies import uint8_images
from support import has_module, needs_torch

from torsh_data import Tensor
from torsh_data.transforms import _scale, _scale_native

needs_pillow = pytest.mark.skipif(
    not has_module("PIL"),
    reason="Pillow is not installed here (Pyodide's npm package has no Pillow wheel; "
    "natively the test command installs it)",
)
sizes = st.tuples(st.integers(1, 12), st.integers(1, 12))


def hwc(t: Tensor) -> tuple[int, int, int]:
    return (t.shape[0], t.shape[1], t.shape[2] if len(t.shape) == 3 else 1)


@needs_pillow
@given(uint8_images(max_side=10, channels=(None, 1, 2, 3, 4, 5)), sizes, st.booleans())
def test_pillow_scales_within_one_of_the_exact_bilinear(
    image: Tensor, size: tuple[int, int], antialias: bool
) -> None:
    got = _scale.fast_resize(image, size, antialias)
    h, w, c = hwc(image)
    if not antialias and (size[0] < h or size[1] < w):
        assert got is None  # Pillow always antialiases a reduction: the exact path runs
        return
    assert got is not None
    assert got.dtype.name == "uint8"
    assert got.shape == (*size, *image.shape[2:])  # the same layout: HW stays HW
    want = reference(image.tobytes(), (h, w, c), size, antialias)
    assert max(abs(a - b) for a, b in zip(got.tobytes(), want, strict=True)) <= 1


@needs_pillow
def test_the_seam_picks_pillow_natively() -> None:
    image = Tensor(bytes(range(48)), shape=(4, 4, 3))
    got = _scale.fast_resize(image, (2, 2), True)
    assert got is not None and got.shape == (2, 2, 3)
    assert got.tobytes() == _scale_native.scale(image, (4, 4, 3), (2, 2), True).tobytes()  # type: ignore[union-attr]


@needs_torch
@needs_pillow
@given(uint8_images(max_side=16, channels=(3,)), sizes, st.booleans())
def test_pillow_and_torch_interpolate_agree_within_one(
    image: Tensor, size: tuple[int, int], antialias: bool
) -> None:
    import torch
    import torch.nn.functional as F

    got = _scale.fast_resize(image, size, antialias)
    if got is None:
        return
    h, w, c = hwc(image)
    x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).view(h, w, c)
    y = F.interpolate(x.permute(2, 0, 1)[None], size=size, mode="bilinear", antialias=antialias)[
        0
    ].permute(1, 2, 0)
    peer = y.contiguous().flatten().tolist()
    assert max(abs(a - b) for a, b in zip(got.tobytes(), peer, strict=True)) <= 1


def test_other_dtypes_shapes_and_empty_images_are_declined() -> None:
    assert _scale.fast_resize(Tensor([[0.5]]), (2, 2), True) is None  # float32
    assert _scale.fast_resize(Tensor(bytes(8), shape=(2, 2, 1, 2)), (1, 1), True) is None
    assert _scale.fast_resize(Tensor(b"", shape=(0, 3, 3)), (2, 2), True) is None
    assert _scale.fast_resize(Tensor(bytes(9), shape=(3, 3)), (0, 2), True) is None


def test_without_pillow_the_native_twin_declines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # as where Pillow is not installed
    assert _scale_native.scale(Tensor(bytes(27), shape=(3, 3, 3)), (3, 3, 3), (2, 2), True) is None


def test_the_reference_is_plain_bilinear_when_enlarging() -> None:
    # 1 -> 2 pixels: positions 0.25 and 0.75 of the input fall on its only pixel; 2 -> 4:
    # outputs at 0.25, 0.75, 1.25, 1.75 blend with weights 1, 0.75/0.25, 0.25/0.75, 1.
    assert reference(bytes([9]), (1, 1, 1), (1, 2)) == bytes([9, 9])
    assert reference(bytes([0, 100]), (1, 2, 1), (1, 4)) == bytes([0, 25, 75, 100])
    assert reference(bytes([0, 100]), (1, 2, 1), (1, 4), antialias=False) == bytes([0, 25, 75, 100])
    # 4 -> 2 with antialias: output 0 is centred at 1.0, its triangle (half-width 2) gives
    # pixels 0, 1, 2 (centres 0.5, 1.5, 2.5) weights 3/4, 3/4, 1/4 (of 7/4): 100 / 7 -> 14;
    # output 1 (centre 3.0) gives pixels 1, 2, 3 weights 1/4, 3/4, 3/4: 600 / 7 -> 86.
    assert reference(bytes([0, 0, 100, 100]), (1, 4, 1), (1, 2)) == bytes([14, 86])
