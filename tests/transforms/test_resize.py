"""Resize and RandomResizedCrop: torch's bytes where torch is installed, a per-pixel reference
everywhere (so Pyodide checks the same bytes), torchvision's crop sampling, bad input."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import uint8_images
from support import needs_numpy, needs_torch

from torsh_data import DataTypeError, DataValueError, ShapeError, Tensor, TorshDataError
from torsh_data import random as tdr
from torsh_data.transforms import (
    Compose,
    InterpolationMode,
    RandomResizedCrop,
    Resize,
    ToTensor,
    _scale,
)

sizes = st.integers(1, 12)


def resize_cases(channels: list[int]) -> list[st.SearchStrategy]:
    """Strategies of ``(n, c, h, w, oh, ow, antialias, raw)``: up to 3 images of up to 12 x 12
    pixels of ``c`` bytes, an output size, and enough random bytes."""
    side = sizes
    raw = st.binary(min_size=3 * 4 * 12 * 12, max_size=3 * 4 * 12 * 12)
    return [
        st.integers(1, 3),
        st.sampled_from(channels),
        side,
        side,
        side,
        side,
        st.booleans(),
        raw,
    ]


# --- a per-pixel reference of torch's uint8 bilinear path ------------------------------------


def ref_taps(n_in: int, n_out: int, antialias: bool) -> list[tuple[int, list[int]]]:
    """Per output index: first source index and 15-bit weights, written out plainly from
    torch's description (triangle filter, support widened by the scale when antialiasing)."""
    scale = n_in / n_out
    support = scale if antialias and scale >= 1 else 1.0
    inv = 1 / scale if antialias and scale >= 1 else 1.0
    taps = []
    for i in range(n_out):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        ws = [max(0.0, 1 - abs((x - center + 0.5) * inv)) for x in range(lo, hi)]
        total = 0.0
        for v in ws:
            total += v
        taps.append((lo, [v / total for v in ws]))
    biggest = max(v for _, ws in taps for v in ws)
    prec = 0
    while prec < 22 and int(0.5 + biggest * 2 ** (prec + 1)) < 2**15:
        prec += 1
    return [(lo, [int(v * 2**prec + 0.5) for v in ws]) for lo, ws in taps], prec


def ref_pass(lines: list[list[int]], n_in: int, n_out: int, antialias: bool) -> list[list[int]]:
    """Resample every line (a list of values) from ``n_in`` to ``n_out`` values."""
    taps, prec = ref_taps(n_in, n_out, antialias)
    out = []
    for line in lines:
        row = []
        for lo, ws in taps:
            acc = 1 << (prec - 1)
            for k, wgt in enumerate(ws):
                acc += wgt * line[lo + k]
            row.append(min(max(acc >> prec, 0), 255))
        out.append(row)
    return out


def ref_bilinear_u8(img: Tensor, oh: int, ow: int, antialias: bool) -> list:
    """Horizontal pass then vertical pass (each skipped when the size is kept), per channel."""
    hwc = img.tolist() if len(img.shape) == 3 else [[[v] for v in row] for row in img.tolist()]
    h, w, c = len(hwc), len(hwc[0]), len(hwc[0][0])
    chans = []
    for k in range(c):
        grid = [[px[k] for px in row] for row in hwc]
        if w != ow:
            grid = ref_pass(grid, w, ow, antialias)
        if h != oh:
            cols = ref_pass([list(col) for col in zip(*grid, strict=True)], h, oh, antialias)
            grid = [list(row) for row in zip(*cols, strict=True)]
        chans.append(grid)
    out = [[[chans[k][y][x] for k in range(c)] for x in range(ow)] for y in range(oh)]
    return out if len(img.shape) == 3 else [[px[0] for px in row] for row in out]


@given(uint8_images(max_side=9), sizes, sizes, st.booleans())
def test_bilinear_uint8_is_the_integer_reference(img, oh, ow, antialias):
    got = Resize((oh, ow), "bilinear", antialias=antialias)(img)
    assert got.shape[:2] == (oh, ow) and got.dtype == img.dtype
    assert got.tolist() == ref_bilinear_u8(img, oh, ow, antialias)


def test_bilinear_known_bytes():
    """Values torch 2.13 gives (``F.interpolate(uint8, mode="bilinear", antialias=...)``)."""
    img = Tensor(bytes([0, 100, 200, 50]), shape=(2, 2))
    assert Resize((2, 4), "bilinear")(img).tolist() == [[0, 25, 75, 100], [200, 163, 88, 50]]
    big = Tensor(bytes(range(0, 256, 16)), shape=(4, 4))
    assert Resize((2, 2), "bilinear", antialias=True)(big).tolist() == [[57, 83], [157, 183]]
    assert Resize((2, 2), "bilinear", antialias=False)(big).tolist() == [[40, 72], [168, 200]]


def test_wide_uint8_lines_stay_exact():
    """Large images and large downscales (many taps, high weight precision) keep lanes apart."""
    img = Tensor(bytes((i * 7919) % 256 for i in range(3 * 97 * 5)), shape=(97, 5, 3))
    for oh, ow in ((3, 2), (1, 1), (200, 9)):
        assert Resize((oh, ow), "bilinear")(img).tolist() == ref_bilinear_u8(img, oh, ow, True)
    white = Tensor(b"\xff" * (61 * 61), shape=(61, 61))
    assert set(Resize((7, 29), "bilinear")(white).tobytes()) == {255}


@needs_torch
@pytest.mark.native_only(reason="compares with torch, which Pyodide does not have")
@given(*resize_cases([1, 3, 4]))
def test_uint8_equals_torch(n, c, h, w, oh, ow, antialias, raw):
    """uint8 bilinear (antialias on and off) and nearest give torch's bytes exactly, batches
    through the kernel as well."""
    import torch
    import torch.nn.functional as F

    data = raw[: n * h * w * c]
    x = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(n, h, w, c).permute(0, 3, 1, 2)
    batch = Tensor(data, shape=(n, h, w, c))
    for mode in ("bilinear", "nearest"):
        kw = {"antialias": antialias} if mode == "bilinear" else {}
        want = F.interpolate(x, size=(oh, ow), mode=mode, **kw).permute(0, 2, 3, 1)
        t = Resize((oh, ow), mode, antialias=antialias)
        assert t.kernel(batch, [None] * n).tobytes() == want.contiguous().numpy().tobytes()
        assert t(batch[0]).tobytes() == want[0].contiguous().numpy().tobytes()


@needs_torch
@pytest.mark.native_only(reason="compares with torch, which Pyodide does not have")
@given(uint8_images(max_side=9, channels=(1, 3)), st.integers(2, 12), st.integers(2, 12))
def test_float_close_to_torch(img, oh, ow):
    """Float images: float64 arithmetic rounded once, torch rounds every step to float32, so
    they agree to a few float32 ulps. (Sides of 1 are left out: torch 2.13's antialiased
    float kernel returns the first row for every row of a 1-wide image.)"""
    import torch
    import torch.nn.functional as F

    f = ToTensor()(img)
    if min(f.shape[1:]) < 2:
        return
    x = torch.tensor(f.tolist()).unsqueeze(0)
    for mode, aa in (("bilinear", True), ("bilinear", False), ("nearest", False)):
        kw = {"antialias": aa} if mode == "bilinear" else {}
        want = F.interpolate(x, size=(oh, ow), mode=mode, **kw)[0]
        got = torch.tensor(Resize((oh, ow), mode, antialias=aa)(f).tolist())
        assert torch.allclose(got, want, atol=2e-6, rtol=0), (mode, aa)


@given(uint8_images(max_side=6, channels=(None, 3)), sizes, sizes)
def test_other_integer_types_round_the_same_blend(img, oh, ow):
    """int16 bilinear blends in float64 and rounds halves up; uint8 uses 15-bit weights: the
    two differ by at most 1 (the reason torch's uint8 bytes can differ from a float blend)."""
    wide = img.astype("int16")
    got = Resize((oh, ow), "bilinear", antialias=False)(wide)
    assert got.dtype.name == "int16" and got.shape[:2] == (oh, ow)
    assert _max_diff(got.tolist(), Resize((oh, ow), "bilinear", antialias=False)(img).tolist()) <= 1
    assert Resize((oh, ow))(wide).tolist() == Resize((oh, ow))(img).tolist()


def _max_diff(a, b):
    if isinstance(a, list):
        return max((_max_diff(x, y) for x, y in zip(a, b, strict=True)), default=0)
    return abs(a - b)


def test_int_size_max_size_and_modes():
    img = Tensor(bytes(2 * 16), shape=(2, 16))
    assert Resize(4)(img).shape == (4, 32)
    assert Resize(4, max_size=16)(img).shape == (2, 16)
    assert Resize(3, max_size=10)(Tensor(bytes(8 * 2), shape=(8, 2))).shape == (10, 2)
    same = Tensor(bytes(4), shape=(2, 2))
    assert Resize(2)(same) is same
    assert Resize((2, 2), InterpolationMode.BILINEAR).interpolation == "bilinear"


def test_batch_method_equals_per_image():
    imgs = [
        Tensor(bytes((i * 31 + k) % 256 for k in range(5 * 7 * 3)), shape=(5, 7, 3))
        for i in range(3)
    ]
    from torsh_data import stack

    t = Resize((4, 9), "bilinear")
    assert t.batch(stack(imgs)).equal(stack([t(im) for im in imgs]))
    f = stack([ToTensor()(im) for im in imgs])
    assert t.batch(f).equal(stack([t(ToTensor()(im)) for im in imgs]))


def test_exact_false_uses_the_runtime_scaler_when_there_is_one(monkeypatch):
    img = Tensor(bytes(range(16)), shape=(4, 4))
    exact = Resize((2, 2), "bilinear")(img)
    fast = _scale.fast_resize(img, (2, 2), True)  # Pillow, a browser's canvas, or none
    want = exact if fast is None else fast
    assert Resize((2, 2), "bilinear", exact=False)(img).equal(want)
    marker = Tensor(bytes(4), shape=(2, 2))
    calls = []

    def fake(image, size, antialias):
        calls.append((image.shape, size, antialias))
        return marker

    monkeypatch.setattr(_scale, "fast_resize", fake)
    assert Resize((2, 2), "bilinear", exact=False)(img) is marker
    assert Resize((2, 2), "bilinear")(img).equal(exact)  # exact=True never asks
    assert (
        Resize((2, 2), "bilinear", exact=False).kernel(img.reshape(1, 4, 4), [None])
        is NotImplemented
    )
    with tdr.sample_scope(0, 0, 0):
        RandomResizedCrop(3, scale=(1.0, 1.0), ratio=(1.0, 1.0), exact=False)(img)
    assert calls == [((4, 4), (2, 2), True), ((4, 4), (3, 3), True)]


# --- RandomResizedCrop -------------------------------------------------------------------------


def ref_params(gen, h, w, scale, ratio):
    """torchvision's ``RandomResizedCrop.get_params`` written out, drawing uniforms with
    ``gen.random()`` and integers with ``gen.randbelow``: ``(box, sampled)``."""
    area = h * w
    for _ in range(10):
        target = area * (scale[0] + (scale[1] - scale[0]) * gen.random())
        lr = (math.log(ratio[0]), math.log(ratio[1]))
        aspect = math.exp(lr[0] + (lr[1] - lr[0]) * gen.random())
        cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            return (gen.randbelow(h - ch + 1), gen.randbelow(w - cw + 1), ch, cw), True
    if w / h < min(ratio):
        cw, ch = w, max(round(w / min(ratio)), 1)  # (torchvision lets a side round to 0)
    elif w / h > max(ratio):
        ch, cw = h, max(round(h * max(ratio)), 1)
    else:
        cw, ch = w, h
    return ((h - ch) // 2, (w - cw) // 2, ch, cw), False


@given(
    st.integers(0, 2**32),
    st.integers(1, 40),
    st.integers(1, 40),
    st.tuples(st.floats(0.01, 1.0), st.floats(0.01, 1.0)).map(sorted),
    st.tuples(st.floats(0.2, 5.0), st.floats(0.2, 5.0)).map(sorted),
)
def test_crop_parameters_follow_torchvision(seed, h, w, scale, ratio):
    """The draws and the box are torchvision's; a sampled box lies in the image, its area
    fraction and aspect ratio within the ranges up to the rounding of each side by 0.5."""
    t = RandomResizedCrop(3, scale=scale, ratio=ratio)
    for index in range(10):
        with tdr.sample_scope(seed, 0, index):
            got = t.get_params(h, w)
        want, sampled = ref_params(tdr.sample_generators(seed, 0, [index])[0], h, w, scale, ratio)
        assert got == want
        top, left, ch, cw = got
        assert 0 < ch <= h and 0 < cw <= w and 0 <= top <= h - ch and 0 <= left <= w - cw
        if sampled:
            lo, hi = math.sqrt(scale[0] * h * w), math.sqrt(scale[1] * h * w)
            assert (lo - 1) ** 2 <= ch * cw <= (hi + 1) ** 2
            assert (cw - 0.5) / (ch + 0.5) <= ratio[1] and (cw + 0.5) / (ch - 0.5) >= ratio[0]


def test_crop_fallback_is_the_central_crop_with_clamped_ratio():
    t = RandomResizedCrop(4, scale=(5.0, 6.0))  # no attempt fits: more area than the image
    with tdr.sample_scope(0, 0, 0):
        assert t.get_params(10, 40) == (0, 13, 10, 13)  # ratio 4 clamped to 4/3
        assert t.get_params(40, 10) == (13, 0, 13, 10)  # ratio 1/4 clamped to 3/4
        assert t.get_params(10, 11) == (0, 0, 10, 11)  # ratio inside the range: everything
    img = Tensor(bytes(range(40)), shape=(4, 10))
    with tdr.sample_scope(0, 0, 0):
        out = t(img)
    center = Tensor(bytes(img.tolist()[r][c] for r in range(4) for c in range(2, 7)), shape=(4, 5))
    assert out.equal(Resize(4, "bilinear")(center)) or out.equal(Resize((4, 4), "bilinear")(center))


def test_crop_is_the_same_per_seed_epoch_and_index():
    img = Tensor(bytes((i * 13) % 256 for i in range(30 * 20 * 3)), shape=(30, 20, 3))
    t = RandomResizedCrop((8, 6))

    def run(seed, epoch, index):
        with tdr.sample_scope(seed, epoch, index):
            return t(img).tobytes()

    assert run(1, 2, 3) == run(1, 2, 3)
    outs = {run(1, 2, i) for i in range(8)}
    assert len(outs) > 1
    assert t(img).shape == (8, 6, 3)
    f = ToTensor()(img)
    with tdr.sample_scope(1, 2, 3):
        assert t(f).shape == (3, 8, 6)


def test_transforms_pickle():
    img = Tensor(bytes(range(64)), shape=(8, 8))
    for t in (
        Resize((3, 5), "bilinear"),
        RandomResizedCrop(4, scale=(0.3, 0.9)),
        Compose([RandomResizedCrop(5), Resize(3)]),
    ):
        again = pickle.loads(pickle.dumps(t))
        with tdr.sample_scope(4, 0, 1):
            a = t(img)
        with tdr.sample_scope(4, 0, 1):
            b = again(img)
        assert a.equal(b) and repr(again) == repr(t)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Resize(0),
        lambda: Resize((2, -1)),
        lambda: Resize((2, 2.5)),
        lambda: Resize(4, interpolation="bicubic"),
        lambda: Resize((4, 4), max_size=8),
        lambda: Resize(4, max_size=4),
        lambda: RandomResizedCrop(0),
        lambda: RandomResizedCrop(4, scale=(0.9, 0.1)),
        lambda: RandomResizedCrop(4, ratio=(2.0, 1.0)),
        lambda: RandomResizedCrop(4, ratio=(0.0, 1.0)),
        lambda: RandomResizedCrop(4, scale=(-0.1, 1.0)),
        lambda: RandomResizedCrop(4, scale=(0.1, float("nan"))),
    ],
)
def test_bad_arguments_raise_data_value_error(make):
    with pytest.raises(DataValueError):
        make()


def test_bad_images_raise_package_errors():
    for t in (Resize((2, 2), "bilinear"), RandomResizedCrop(2)):
        with pytest.raises(ShapeError):
            t(Tensor(bytes(4), shape=(4,)))  # not an image
        with pytest.raises(ShapeError):
            t(Tensor(bytes(16), shape=(1, 2, 2, 4)))  # 4-D: a batch, not an image
        with pytest.raises(DataTypeError):
            t(Tensor([[True, False]]))
        with pytest.raises(TorshDataError):
            t(Tensor(b"", shape=(0, 3)))
        with pytest.raises(ShapeError):
            t.kernel(Tensor(bytes(4), shape=(4,)), [None] * 4)


@needs_numpy
@pytest.mark.native_only(reason="numpy is not installed in the Pyodide test environment")
@given(*resize_cases([1, 2, 3, 4]))
def test_numpy_path_gives_the_pure_bytes(n, c, h, w, oh, ow, antialias, raw):
    """With numpy imported the uint8 passes run in numpy; the bytes are the pure path's."""
    import sys

    import numpy  # noqa: F401  (imported: the numpy path is taken)

    batch = Tensor(raw[: n * h * w * c], shape=(n, h, w, c))
    t = Resize((oh, ow), "bilinear", antialias=antialias)
    fast = t.batch(batch).tobytes()
    saved = sys.modules["numpy"]
    sys.modules["numpy"] = None  # type: ignore[assignment]  # what sys.modules.get sees
    try:
        pure = t.batch(batch).tobytes()
    finally:
        sys.modules["numpy"] = saved
    assert fast == pure


def test_lanes_above_255_are_clamped():
    """torch clamps each pass to [0, 255]; rounded weights can sum above one in principle, so
    a plan whose lanes may exceed 255 clamps them (forced here by doubling the weights)."""
    from torsh_data.transforms import _resample

    plan = _resample._IntPlan(2, 1, False)  # one output from two sources, 1/2 each
    ((srcs, ws),) = plan.lines
    plan.lines = [(srcs, tuple(2 * w for w in ws))]
    plan.overflow, plan.lane = True, plan.byte + 2
    assert _resample._int_pass(bytes([200, 10, 100, 20]), 2, plan) == bytes([255, 30])


def test_images_without_channels_resize_to_empty_images():
    for mode in ("nearest", "bilinear"):
        out = Resize((2, 3), mode)(Tensor(b"", shape=(1, 1, 0)))
        assert out.shape == (2, 3, 0) and out.tobytes() == b""


def test_resized_crop_is_the_crop_then_resize() -> None:
    img = Tensor(bytes(range(90)), shape=(6, 5, 3))
    t = RandomResizedCrop((3, 4))
    crop = Tensor(
        bytes(img.tobytes()[(r * 5 + 1) * 3 + k] for r in range(1, 5) for k in range(9)),
        shape=(4, 3, 3),
    )
    assert t.resized_crop(img, (1, 1, 4, 3)).tobytes() == Resize((3, 4), "bilinear")(crop).tobytes()
    with pytest.raises(DataValueError, match=r"crop \(1, 3, 4, 3\) .* not inside 6x5"):
        t.resized_crop(img, (1, 3, 4, 3))
