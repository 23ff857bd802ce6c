"""``io.DecodeImage`` and its fusion with ``RandomResizedCrop(exact=False)`` (NOTE [ Decoding
only the crop ]): the fused step makes the draws of the two steps on every runtime and, where
the runtime has no one-call crop decoder (natively, Pyodide under Node.js), gives their bytes;
in Chromium it decodes the crop in one ``createImageBitmap`` call, close to the exact path.

Draw order and window as torchvision's ``RandomResizedCrop.get_params``
(pytorch/vision@v0.28.0:test/test_transforms.py::test_randomresized_params), checked here
against our own two-step path rather than copied.
"""

from __future__ import annotations

import struct
from array import array

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from torsh_data import DataLoader, DataValueError, FormatError, Tensor, TransformDataset
from torsh_data import random as tdr
from torsh_data._runtime import runtime_name
from torsh_data.formats import decode_image
from torsh_data.io import DecodeImage, decode_resized_crop, image_size
from torsh_data.io._decode_step import DecodeResizedCrop
from torsh_data.transforms import (
    Compose,
    Normalize,
    RandomHorizontalFlip,
    RandomResizedCrop,
    ToTensor,
)
from torsh_data.vision import encode_png

IN_BROWSER = runtime_name() == "pyodide-browser"
JSPI = pytest.mark.needs_jspi(reason="the browser's decoder is waited for from synchronous code")


def smooth(h: int, w: int, c: int, seed: int) -> bytes:
    """A gradient (no wrap-around: no hard edges) with a little noise: photograph-like
    content, where scalers agree closely."""
    return bytes(
        x * 140 // w + y * 60 // h + k * 20 + (x * 7 + y * 13 + seed) % 9
        for y in range(h)
        for x in range(w)
        for k in range(c)
    )


def png(h: int, w: int, c: int = 3, seed: int = 0) -> bytes:
    return encode_png(Tensor(smooth(h, w, c, seed), shape=(h, w, c)))


def exact_crop(data: bytes, box: tuple[int, int, int, int], size: tuple[int, int]) -> bytes:
    """The float-free exact path: decode, crop, bilinear antialiased resample."""
    img = decode_image(data, mode="RGB", backend="python")
    return RandomResizedCrop(size).resized_crop(img, box).tobytes()


def test_fuses_only_a_fast_bilinear_crop() -> None:
    fast = RandomResizedCrop(8, exact=False)
    steps = Compose([DecodeImage("RGB"), fast, RandomHorizontalFlip()])._steps
    assert [type(s) for s in steps[:1]] == [DecodeResizedCrop]
    assert steps[0].parts[1] is fast
    for crop in (RandomResizedCrop(8), RandomResizedCrop(8, interpolation="nearest", exact=False)):
        assert type(Compose([DecodeImage(), crop])._steps[0]) is DecodeImage


def test_decode_image_is_decode_image() -> None:
    data = png(5, 7, 3, seed=2)
    got = DecodeImage()(data)
    assert got.shape == (5, 7, 3) and got.tobytes() == decode_image(data).tobytes()
    assert DecodeImage("L")(bytearray(data)).shape == (5, 7, 1)


def test_decode_image_says_what_is_wrong() -> None:
    with pytest.raises(DataValueError, match="mode must be"):
        DecodeImage("CMYK")
    with pytest.raises(TypeError, match="encoded bytes of an image, not a Tensor"):
        DecodeImage()(Tensor(bytes(3), shape=(1, 1, 3)))
    with pytest.raises(FormatError):
        DecodeImage()(b"\x89PNG\r\n\x1a\n" + bytes(10))
    with pytest.raises(FormatError, match="not a recognised image format"):
        DecodeImage()(b"")  # empty: no format to decode with


def test_image_size_from_headers() -> None:
    assert image_size(png(5, 9)) == (5, 9)
    jpeg = b"\xff\xd8\xff\xc0\x00\x11\x08" + struct.pack(">HH", 33, 44) + b"\x03" + bytes(9)
    assert image_size(jpeg) == (33, 44)
    assert image_size(b"P2 2 1 255 0 200") is None
    assert image_size(b"") is None
    with pytest.raises(FormatError, match="truncated PNG header"):
        image_size(b"\x89PNG\r\n\x1a\n" + bytes(4))


def test_decode_resized_crop_checks_its_arguments() -> None:
    data = png(6, 6)
    with pytest.raises(DataValueError, match="not inside the 6x6 image"):
        decode_resized_crop(data, (2, 0, 5, 3), (4, 4))
    with pytest.raises(DataValueError, match="cannot scale"):
        decode_resized_crop(data, (0, 0, 2, 2), (0, 4))
    with pytest.raises(DataValueError, match="mode must be"):
        decode_resized_crop(data, (0, 0, 2, 2), (4, 4), mode="P")
    assert decode_resized_crop(b"P2 2 1 255 0 200", (0, 0, 1, 1), (2, 2)) is None
    rgba = png(6, 6, 4)  # alpha: the canvas would premultiply, so never the one-call path
    assert decode_resized_crop(rgba, (0, 0, 2, 2), (4, 4)) is None


@JSPI
@settings(max_examples=15, deadline=None)
@given(
    hw=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    size=st.tuples(st.integers(1, 24), st.integers(1, 24)),
    seed=st.integers(0, 2**32),
    index=st.integers(0, 1000),
)
@example(hw=(2, 2), size=(1, 4), seed=0, index=9)  # Firefox: a mean of 6.4 (a 2-pixel box)
@example(hw=(3, 3), size=(1, 2), seed=136, index=0)  # Chromium: 30 (3 rows to 1)
@example(hw=(14, 5), size=(1, 3), seed=0, index=12)  # Chromium: 12 (6 rows to 1)
def test_fused_step_draws_as_the_two_steps(
    hw: tuple[int, int], size: tuple[int, int], seed: int, index: int
) -> None:
    data = png(*hw, 3, seed % 97)
    crop = RandomResizedCrop(size, exact=False)
    fused, decode = Compose([DecodeImage("RGB"), crop]), DecodeImage("RGB")
    with tdr.sample_scope(seed=seed, epoch=0, index=index):
        got = fused(data)
        after_fused = tdr.sample_generator().random()
    with tdr.sample_scope(seed=seed, epoch=0, index=index):
        box = crop.get_params(*hw)
        after_two = tdr.sample_generator().random()
    with tdr.sample_scope(seed=seed, epoch=0, index=index):
        want = crop(decode(data))
    assert after_fused == after_two
    assert got.shape == want.shape == (*size, 3)
    if not IN_BROWSER:  # no one-call decoder: the fused step is the two steps, byte for byte
        assert got.tobytes() == want.tobytes()
        return
    exact = exact_crop(data, box, size)  # the browser scales its way: close to the exact path
    diffs = [abs(a - b) for a, b in zip(got.tobytes(), exact, strict=True)]
    # The exact path averages each output pixel's footprint in the source (antialiased); a
    # browser's scaler may weigh it otherwise (Chromium reduced 6 rows to 1 17 away from their
    # mean, Firefox stretched 2 columns to 4 6.4 away), within half the change of smooth()'s
    # value across the footprint (140/w a column, 60/h a row) plus a little. A wrong crop,
    # flip or channel order on a box of some size is tens away everywhere; on a box a few
    # pixels across this bound is loose, and the draws and the shape (above) are the test.
    (h, w), (bh, bw) = hw, box[2:]
    across = 140 / w * max(1, bw / size[1]) + 60 / h * max(1, bh / size[0])
    bound = 6 + across / 2
    assert sum(diffs) / len(diffs) <= bound, (box, size, sum(diffs) / len(diffs), bound)


@JSPI
@pytest.mark.parametrize("mode", [None, "L", "RGB", "RGBA"])
def test_browser_decodes_only_the_crop(mode: str | None) -> None:
    data = png(64, 48, 3, seed=5)
    box, size = (10, 6, 30, 36), (20, 24)
    got = decode_resized_crop(data, box, size, mode=mode)
    if not IN_BROWSER:
        assert got is None  # natively and under Node.js the caller decodes the whole image
        return
    assert got is not None
    channels = {None: 3, "L": 1, "RGB": 3, "RGBA": 4}[mode]
    assert got.shape == (*size, channels)
    exact = exact_crop(data, box, size)
    rgb = got.tobytes() if channels == 3 else None
    if channels == 4:
        raw = got.tobytes()
        assert raw[3::4] == b"\xff" * (size[0] * size[1])
        rgb = b"".join(raw[i : i + 3] for i in range(0, len(raw), 4))
    if rgb is not None:
        diffs = [abs(a - b) for a, b in zip(rgb, exact, strict=True)]
        assert sum(diffs) / len(diffs) <= 6


@JSPI
def test_the_fused_step_falls_back_for_images_with_alpha() -> None:
    data = png(20, 20, 4, seed=1)
    crop = RandomResizedCrop(8, exact=False)
    with tdr.sample_scope(seed=1, epoch=0, index=0):
        got = Compose([DecodeImage(), crop])(data)
    with tdr.sample_scope(seed=1, epoch=0, index=0):
        want = crop(DecodeImage()(data))
    assert got.tobytes() == want.tobytes()  # both: whole decode, then the runtime's scaler


@JSPI
def test_a_loader_over_encoded_files() -> None:
    """P4's pipeline (bench/bench_p4.py) on encoded files against the dataset decoding them."""
    files = [png(30 + i, 26, 3, seed=i) for i in range(6)]
    tail = [RandomHorizontalFlip(), ToTensor(), Normalize((0.5, 0.4, 0.3), (0.2, 0.2, 0.2))]
    crop = RandomResizedCrop(16, exact=False)
    fused = TransformDataset(files, Compose([DecodeImage("RGB"), crop, *tail]))
    decoded = TransformDataset([DecodeImage("RGB")(f) for f in files], Compose([crop, *tail]))
    a = list(DataLoader(fused, batch_size=4, seed=3))
    b = list(DataLoader(decoded, batch_size=4, seed=3))
    assert [x.shape for x in a] == [x.shape for x in b] == [(4, 3, 16, 16), (2, 3, 16, 16)]
    if not IN_BROWSER:
        assert [x.tobytes() for x in a] == [x.tobytes() for x in b]
    else:  # the same windows and flips, scaled by two browser paths: close
        fa = array("f", b"".join(x.tobytes() for x in a))
        fb = array("f", b"".join(x.tobytes() for x in b))
        assert sum(abs(p - q) for p, q in zip(fa, fb, strict=True)) / len(fa) < 0.15
