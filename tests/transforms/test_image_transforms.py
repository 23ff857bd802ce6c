"""Image transforms against obviously-correct nested-list references, on random images."""

from __future__ import annotations

import math
import struct
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import uint8_images
from support import needs_numpy, needs_torch

from torsh_data import DataTypeError, DataValueError, ShapeError, Tensor, stack
from torsh_data import random as tdr
from torsh_data.transforms import (
    CenterCrop,
    Compose,
    ConvertDtype,
    Normalize,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    Resize,
    ToTensor,
)


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


# --- references: an image is a list of channels, each a list of rows (CHW nested lists) ------


def planes(t: Tensor) -> list[list[list[float]]]:
    """CHW nested lists of any image tensor (integer: HWC or HW; float: CHW or HW)."""
    v = t.tolist()
    if t.ndim == 2:
        return [v]
    if t.dtype.kind == "f":
        return v
    return [[[px[c] for px in row] for row in v] for c in range(t.shape[2])]


def from_planes(p: list[list[list[float]]], like: Tensor) -> list:
    """Nested lists in ``like``'s layout."""
    if like.ndim == 2:
        return p[0]
    if like.dtype.kind == "f":
        return p
    h, w = len(p[0]), len(p[0][0]) if p[0] else 0
    return [[[p[c][y][x] for c in range(len(p))] for x in range(w)] for y in range(h)]


def ref_pad(p, ltrb, fills):
    left, t, r, b = ltrb
    out = []
    for c, plane in enumerate(p):
        w = (len(plane[0]) if plane else 0) + left + r
        f = fills[c]
        rows = [[f] * w for _ in range(t)]
        rows += [[f] * left + row + [f] * r for row in plane]
        rows += [[f] * w for _ in range(b)]
        out.append(rows)
    return out


def ref_crop(p, top, left, h, w):
    return [[row[left : left + w] for row in plane[top : top + h]] for plane in p]


def ref_hflip(p):
    return [[row[::-1] for row in plane] for plane in p]


def ref_vflip(p):
    return [plane[::-1] for plane in p]


# --- strategies ------------------------------------------------------------------------------


def float_images(max_side: int = 6) -> st.SearchStrategy[Tensor]:
    return uint8_images(max_side).map(ToTensor())


images = st.one_of(uint8_images(), float_images())


# --- geometry --------------------------------------------------------------------------------


@given(images, st.tuples(*[st.integers(0, 3)] * 4), st.integers(0, 255))
def test_pad_matches_reference(img, ltrb, fill):
    value = fill if img.dtype.kind != "f" else fill / 255
    out = Pad(ltrb, fill=value)(img)
    c = len(planes(img))
    assert out.dtype is img.dtype
    assert out.tolist() == from_planes(ref_pad(planes(img), ltrb, [f32(value)] * c), out)


def test_pad_per_channel_fill_and_spellings():
    img = Tensor(bytes(range(12)), shape=(2, 2, 3))
    out = Pad((1, 0), fill=(7, 8, 9))(img)
    assert out.shape == (2, 4, 3)
    assert out.tolist()[0][0] == [7, 8, 9] and out.tolist()[1][3] == [7, 8, 9]
    assert Pad(1)(img).equal(Pad((1, 1, 1, 1))(img))


@given(images, st.integers(0, 2), st.data())
def test_random_crop_matches_reference(img, padding, data):
    p = planes(img)
    h, w = len(p[0]) + 2 * padding, len(p[0][0]) + 2 * padding
    th, tw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    index = data.draw(st.integers(0, 1000))
    with tdr.sample_scope(seed=5, epoch=0, index=index):
        out = RandomCrop((th, tw), padding=padding)(img)
    with tdr.sample_scope(seed=5, epoch=0, index=index):
        gen = tdr.sample_generator()
        top = left = 0
        if h > th or w > tw:  # the documented draw: one randbelow over all positions
            top, left = divmod(gen.randbelow((h - th + 1) * (w - tw + 1)), w - tw + 1)
    padded = ref_pad(p, (padding,) * 4, [0] * len(p))
    assert out.tolist() == from_planes(ref_crop(padded, top, left, th, tw), out)


@given(images, st.integers(1, 9), st.integers(1, 9))
def test_center_crop_matches_reference(img, th, tw):
    p = planes(img)
    h, w = len(p[0]), len(p[0][0])
    if th > h or tw > w:  # torchvision pads with zeros first
        dh, dw = max(th - h, 0), max(tw - w, 0)
        p = ref_pad(p, (dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2), [0] * len(p))
        h, w = len(p[0]), len(p[0][0])
    top, left = round((h - th) / 2), round((w - tw) / 2)
    out = CenterCrop((th, tw))(img)
    assert out.tolist() == from_planes(ref_crop(p, top, left, th, tw), out)


@given(images, st.integers(0, 10_000))
def test_flips_match_reference(img, index):
    for transform, ref in ((RandomHorizontalFlip, ref_hflip), (RandomVerticalFlip, ref_vflip)):
        with tdr.sample_scope(seed=1, epoch=2, index=index):
            out = transform(p=0.5)(img)
        with tdr.sample_scope(seed=1, epoch=2, index=index):
            flip = tdr.sample_generator().random() < 0.5
        want = ref(planes(img)) if flip else planes(img)
        assert out.tolist() == from_planes(want, out)
        assert transform(p=1.0)(img).tolist() == from_planes(ref(planes(img)), img)
        assert transform(p=0.0)(img) is img


def test_flip_wide_pixels():
    """Pixel units of 2, 4, 8 and odd sizes all keep each pixel's bytes in order."""
    for shape, dt in (((2, 3, 2), "uint8"), ((2, 3), "int16"), ((2, 3, 3), "int16")):
        t = Tensor(list(range(math.prod(shape))), dtype=dt).reshape(shape)
        assert RandomHorizontalFlip(1.0)(t).tolist() == [row[::-1] for row in t.tolist()]
    f = Tensor([[[1.0, 2.0, 3.0]]], dtype="float64")
    assert RandomHorizontalFlip(1.0)(f).tolist() == [[[3.0, 2.0, 1.0]]]


# --- resize ----------------------------------------------------------------------------------


def ref_nearest_index(out_size, in_size):
    if out_size == in_size:
        return list(range(out_size))
    if out_size == 2 * in_size:
        return [i // 2 for i in range(out_size)]
    scale = f32(in_size / out_size)
    return [min(math.floor(f32(i * scale)), in_size - 1) for i in range(out_size)]


@given(images, st.integers(1, 9), st.integers(1, 9))
def test_resize_nearest_matches_reference(img, oh, ow):
    p = planes(img)
    rows, cols = ref_nearest_index(oh, len(p[0])), ref_nearest_index(ow, len(p[0][0]))
    want = [[[plane[r][c] for c in cols] for r in rows] for plane in p]
    out = Resize((oh, ow))(img)
    assert out.tolist() == from_planes(want, out)


def test_resize_bilinear_values_and_int_size():
    img = Tensor(bytes([0, 100, 200, 50]), shape=(2, 2))
    up = Resize((4, 4), interpolation="bilinear")(img)
    assert up.tolist()[0] == [0, 25, 75, 100]  # src x = -0.25 -> 0, 0.25, 0.75, 1.25 -> 1
    assert Resize(4)(Tensor(bytes(6), shape=(2, 3))).shape == (4, 6)
    assert Resize(3)(Tensor(bytes(8), shape=(4, 2))).shape == (6, 3)
    same = Tensor(bytes(4), shape=(2, 2))
    assert Resize(2)(same) is same


@needs_torch
@pytest.mark.native_only(reason="compares with torch, which Pyodide does not have")
@given(float_images(), st.integers(1, 9), st.integers(1, 9))
def test_resize_against_torch(img, oh, ow):
    import torch

    x = torch.tensor(img.tolist()).unsqueeze(0)
    near = torch.nn.functional.interpolate(x, size=(oh, ow), mode="nearest")[0]
    assert Resize((oh, ow))(img).tolist() == near.tolist()
    bil = torch.nn.functional.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
    ours = torch.tensor(Resize((oh, ow), "bilinear", antialias=False)(img).tolist())
    assert torch.allclose(ours, bil[0], atol=1e-6)


# --- values ----------------------------------------------------------------------------------


@given(uint8_images())
def test_to_tensor_matches_reference(img):
    out = ToTensor()(img)
    assert out.dtype.name == "float32"
    assert out.tolist() == [[[f32(v / 255) for v in row] for row in pl] for pl in planes(img)]


def ref_normalize(p, mean, std):
    c = len(p)
    mean = [f32(m) for m in (mean * c if len(mean) == 1 else mean)]
    std = [f32(s) for s in (std * c if len(std) == 1 else std)]
    return [[[f32(f32(v - mean[k]) / std[k]) for v in row] for row in pl] for k, pl in enumerate(p)]


stats = st.floats(-3, 3, allow_nan=False).filter(lambda x: abs(x) > 1e-3)


@given(float_images(), stats, stats)
def test_normalize_matches_reference(img, mean, std):
    out = Normalize(mean, std)(img)
    assert out.tolist() == ref_normalize(planes(img), [mean], [std])


@given(uint8_images(), st.lists(stats, min_size=1, max_size=1), st.lists(stats, min_size=1))
def test_fused_to_tensor_normalize_is_bit_identical(img, mean, std):
    c = len(planes(img))
    std = (std * c)[:c] if len(std) != 1 else std
    norm = Normalize(mean, std)
    fused = Compose([ToTensor(), norm])
    assert type(fused._steps[0]).__name__ == "_ToTensorNormalize"
    want = norm(ToTensor()(img))
    assert fused(img).equal(want)
    unit = [[[f32(v / 255) for v in row] for row in pl] for pl in planes(img)]
    assert fused(img).tolist() == ref_normalize(unit, mean, std)
    batch = stack([img, img])
    assert fused.batch(batch).equal(stack([want, want]))


@needs_numpy
@pytest.mark.native_only(reason="numpy is not installed in Pyodide here")
@given(float_images(), stats, stats)
def test_normalize_numpy_path_is_bit_identical(img, mean, std):
    import numpy  # noqa: F401  (puts numpy in sys.modules, which enables the fast path)

    fast = Normalize(mean, std)(img)
    saved = sys.modules.pop("numpy")
    try:
        pure = Normalize(mean, std)(img)
    finally:
        sys.modules["numpy"] = saved
    assert fast.equal(pure)


@needs_torch
@pytest.mark.native_only(reason="compares with torch, which Pyodide does not have")
@given(uint8_images(), stats, stats)
def test_to_tensor_normalize_against_torch(img, mean, std):
    import torch

    x = torch.tensor(planes(img), dtype=torch.uint8)
    want = x.float().div(255).sub(torch.tensor(mean)).div(torch.tensor(std))
    out = Compose([ToTensor(), Normalize(mean, std)])(img)
    assert out.tolist() == want.tolist()


def test_convert_dtype_like_torchvision():
    img = Tensor(bytes([0, 1, 128, 255]), shape=(2, 2))
    as_float = ConvertDtype("float32")(img)
    assert as_float.equal(ToTensor()(img).reshape(2, 2))
    assert ConvertDtype("uint8")(as_float).equal(img)
    assert ConvertDtype("int16")(img).tolist() == [[0, 128], [16384, 32640]]
    assert ConvertDtype("uint8")(Tensor([[0, 256, 32767]], dtype="int16")).tolist() == [[0, 2, 255]]
    f = Tensor([[-1.0, 0.5, 2.0]], dtype="float32")
    assert ConvertDtype("uint8")(f).tolist() == [[0, int(f32(0.5 * f32(255.999))), 255]]
    assert ConvertDtype("float64")(as_float).tolist() == as_float.tolist()
    assert ConvertDtype("float32")(img) is not img and ConvertDtype("uint8")(img) is img
    assert ConvertDtype("float64").batch(img).dtype.name == "float64"


@given(uint8_images())
def test_convert_dtype_round_trip(img):
    assert ConvertDtype("uint8")(ConvertDtype("float32")(img)).equal(img)
    assert ConvertDtype("uint8")(ConvertDtype("float64")(img)).equal(img)


# --- batch mode ------------------------------------------------------------------------------


@given(st.lists(uint8_images(max_side=5), min_size=1, max_size=4), st.data())
def test_batch_mode_equals_per_sample(imgs, data):
    imgs = [i for i in imgs if i.shape == imgs[0].shape]
    batch = stack(imgs)
    floats = [ToTensor()(i) for i in imgs]
    fbatch = stack(floats)
    assert ToTensor().batch(batch).equal(fbatch)
    norm = Normalize(0.25, 0.5)
    assert norm.batch(fbatch).equal(stack([norm(f) for f in floats]))
    size = (data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7)))
    for t in (Pad((1, 2, 0, 1), fill=3), CenterCrop(size), ConvertDtype("float64")):
        assert t.batch(batch).equal(stack([t(i) for i in imgs]))
        assert t.batch(fbatch).equal(stack([t(f) for f in floats]))
    pipe = Compose([Pad(1), CenterCrop(size), ToTensor(), Normalize(0.1, 0.3)])
    assert pipe.batch(batch).equal(stack([pipe(i) for i in imgs]))


# --- bad input -------------------------------------------------------------------------------


def test_bad_arguments_raise_package_errors():
    img = Tensor(bytes(16), shape=(4, 4))
    with pytest.raises(DataTypeError):
        ToTensor()("not an image")
    with pytest.raises(DataTypeError):
        ToTensor()(ToTensor()(img))
    with pytest.raises(ShapeError):
        Pad(1)(Tensor(bytes(4)))
    with pytest.raises(ShapeError):
        RandomHorizontalFlip(1.0)(Tensor(bytes(16), shape=(1, 2, 2, 4)))
    with pytest.raises(DataTypeError):
        Normalize(0.5, 0.5)(img)
    with pytest.raises(DataValueError):
        Normalize(0.5, 0.0)
    with pytest.raises(DataValueError):
        Normalize([0.5, 0.5], [1, 1, 1])
    with pytest.raises(ShapeError):
        Normalize([0.5, 0.5], [1, 1])(ToTensor()(img))
    with pytest.raises(DataValueError):
        Normalize(float("nan"), 1.0)
    with pytest.raises(DataValueError):
        RandomCrop(5)(img)
    assert RandomCrop(5, pad_if_needed=True)(img).shape == (5, 5)
    with pytest.raises(DataValueError):
        Pad(-1)
    with pytest.raises(DataValueError):
        Pad((1, 2, 3))
    with pytest.raises(DataValueError):
        Pad(1, fill=256)(img)
    with pytest.raises(DataValueError):
        Pad(1, fill=0.5)(img)
    with pytest.raises(DataTypeError):
        Pad(1, fill="red")
    with pytest.raises(DataValueError):
        Pad(1, fill=(1, 2))(img)
    with pytest.raises(DataValueError):
        RandomHorizontalFlip(1.5)
    with pytest.raises(DataValueError):
        Resize(4, interpolation="cubic")
    with pytest.raises(DataValueError):
        Resize(0)
    with pytest.raises(DataValueError):
        CenterCrop((0, 2))
    with pytest.raises(DataValueError):
        ConvertDtype("int32")(ToTensor()(img))
    with pytest.raises(DataValueError):
        ConvertDtype("uint8")(Tensor([float("nan")], dtype="float32"))
    with pytest.raises(DataTypeError):
        ConvertDtype("bool")
    with pytest.raises(DataTypeError):
        ConvertDtype("float32")(Tensor([True]))


def test_empty_images():
    empty = Tensor(b"", shape=(0, 3))
    assert Pad(1)(empty).shape == (2, 5)
    assert Pad(1)(empty).tolist() == [[0] * 5] * 2
    assert ToTensor()(empty).shape == (1, 0, 3)
    assert RandomHorizontalFlip(1.0)(empty).shape == (0, 3)
    assert CenterCrop(1)(empty).shape == (1, 1)
    with pytest.raises(DataValueError):
        Resize((2, 2))(empty)


@given(st.binary(max_size=64), st.lists(st.integers(0, 5), min_size=1, max_size=4))
def test_random_tensors_give_result_or_package_error(data, shape):
    """Whatever bytes and shape, a transform returns a Tensor or raises the package's error."""
    n = math.prod(shape)
    t = Tensor(data[:n].ljust(n, b"\0"), shape=tuple(shape))
    for transform in (
        ToTensor(),
        Pad(1),
        CenterCrop(2),
        RandomCrop(2, padding=1),
        RandomHorizontalFlip(1.0),
        RandomVerticalFlip(1.0),
        Resize((2, 3)),
        Resize((3, 2), "bilinear"),
        ConvertDtype("float32"),
        Compose([ToTensor(), Normalize(0.5, 0.2)]),
    ):
        try:
            out = transform(t)
        except (DataValueError, DataTypeError):
            continue
        assert isinstance(out, Tensor)
