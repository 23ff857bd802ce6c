"""Colour jitter, rotation, noise, erasing and the strength-scheduled pipelines, checked
against textbook formulas (colorsys for HSV, analytic rotations, sampling statistics)."""

from __future__ import annotations

import colorsys
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import uint8_images

from torsh_data import (
    DataLoader,
    DataTypeError,
    DataValueError,
    ShapeError,
    Tensor,
    TensorDataset,
    TransformDataset,
)
from torsh_data import random as tdr
from torsh_data.transforms import (
    AdaptiveAugmentation,
    AugmentationPipeline,
    ColorJitter,
    Compose,
    Conditional,
    DynamicAugmentationStrategy,
    GaussianNoise,
    InterpolationMode,
    Lambda,
    ProgressionMode,
    ProgressiveAugmentation,
    RandomBrightness,
    RandomErasing,
    RandomHue,
    RandomRotation,
    Resize,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    rotate,
)


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def rgb_u8(h: int, w: int, data: bytes) -> Tensor:
    return Tensor(data[: h * w * 3].ljust(h * w * 3, b"\x00"), shape=(h, w, 3))


def pixels(t: Tensor) -> list[tuple[int, ...]]:
    return [tuple(px) for row in t.tolist() for px in row]


GOLDEN = "941d9d3d94d88173ed0ae49cc505a1a60893f08d184629eb1c07b1f202bdeadd"

images = uint8_images(max_side=5, channels=(3,))


# --- colour -----------------------------------------------------------------------------------


@given(images, st.floats(0, 3))
def test_brightness_and_saturation_match_the_blend_formula(img, f):
    t = img
    got = pixels(adjust_brightness(t, f))
    assert got == [tuple(int(min(f * v, 255)) for v in px) for px in pixels(t)]
    got = pixels(adjust_saturation(t, f))
    want = []
    for r, g, b in pixels(t):
        gray = int(0.2989 * r + 0.587 * g + 0.114 * b)
        want.append(tuple(int(min(max(f * v + (1 - f) * gray, 0), 255)) for v in (r, g, b)))
    assert got == want


@given(images, st.floats(0, 3))
def test_contrast_blends_with_the_mean_grey(img, f):
    t = img
    px = pixels(t)
    mean = sum(int(0.2989 * r + 0.587 * g + 0.114 * b) for r, g, b in px) / len(px)
    want = [tuple(int(min(max(f * v + (1 - f) * mean, 0), 255)) for v in p) for p in px]
    assert pixels(adjust_contrast(t, f)) == want


@given(images, st.floats(-0.5, 0.5))
def test_hue_matches_colorsys(img, f):
    t = img
    chw = Tensor([[[v / 255 for v in row] for row in plane] for plane in _chw(t)], dtype="float64")
    got = adjust_hue(chw, f).tolist()
    for y, row in enumerate(t.tolist()):
        for x, (r, g, b) in enumerate(row):
            hh, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
            want = colorsys.hsv_to_rgb((hh + f) % 1.0, s, v)
            for k in range(3):
                assert got[k][y][x] == pytest.approx(want[k], abs=1e-9)
    for p_in, p_out in zip(pixels(t), pixels(adjust_hue(t, f)), strict=True):
        hh, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in p_in))
        want = colorsys.hsv_to_rgb((hh + f) % 1.0, s, v)
        assert all(abs(o - 255 * w) <= 0.5 + 1e-9 for o, w in zip(p_out, want, strict=True))


def _chw(t: Tensor) -> list:
    v = t.tolist()
    return [[[px[c] for px in row] for row in v] for c in range(3)]


def test_float_images_are_clamped_to_one_and_grey_is_left_alone():
    img = Tensor([[[0.2, 0.8]]])  # (1, 1, 2) float: one channel
    assert adjust_brightness(img, 2.0).tolist() == [[[f32(0.4), 1.0]]]
    assert adjust_saturation(img, 0.0).equal(img) and adjust_hue(img, 0.3).equal(img)
    gray_u8 = Tensor(bytes([10, 20]), shape=(1, 2))
    assert adjust_contrast(gray_u8, 0.0).tolist() == [[15, 15]]


def test_color_jitter_factor_ranges_and_determinism():
    img = Tensor(bytes([100]), shape=(1, 1))
    jitter = RandomBrightness(0.5)
    outs = []
    for i in range(400):
        with tdr.sample_scope(seed=3, epoch=0, index=i):
            outs.append(jitter(img).item())
    assert min(outs) >= 50 and max(outs) <= 150
    mean = sum(outs) / len(outs)  # E[int(100 f)] = 99.5 for f ~ U(0.5, 1.5); sd 28.9/sqrt(400)
    assert abs(mean - 99.5) < 5
    rgb = rgb_u8(3, 3, bytes(range(0, 250, 9)))
    cj = ColorJitter(0.4, 0.4, 0.4, 0.1)
    with tdr.sample_scope(seed=1, epoch=2, index=5):
        a = cj(rgb)
    with tdr.sample_scope(seed=1, epoch=2, index=5):
        b = cj(rgb)
    assert a.equal(b) and a.shape == rgb.shape
    with tdr.sample_scope(seed=1, epoch=2, index=5):
        order, factors = cj.get_params()
    assert sorted(order) == [0, 1, 2, 3] and set(factors) == {0, 1, 2, 3}
    assert -0.1 <= factors[3] <= 0.1 and 0.6 <= factors[0] <= 1.4


def test_color_bad_input():
    with pytest.raises(DataValueError):
        ColorJitter(brightness=-1)
    with pytest.raises(DataValueError):
        RandomHue(0.7)
    with pytest.raises(DataValueError):
        ColorJitter(contrast=(2.0, 1.0))
    with pytest.raises(DataValueError):
        adjust_brightness(Tensor(bytes(4), shape=(2, 2)), float("nan"))
    with pytest.raises(ShapeError):
        adjust_saturation(Tensor(bytes(8), shape=(2, 2, 2)), 0.5)
    with pytest.raises(DataTypeError):
        ColorJitter(0.1)(Tensor([True, False]))


# --- rotation ---------------------------------------------------------------------------------


def rot90_ccw(rows: list) -> list:
    return [list(r) for r in zip(*rows, strict=True)][::-1]


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("h,w", [(3, 3), (4, 4), (5, 5)])
def test_right_angle_rotations_are_exact(interpolation, h, w):
    img = Tensor(bytes(range(h * w * 3)), shape=(h, w, 3))
    rows = img.tolist()
    want = rows
    for k in range(1, 4):
        want = rot90_ccw(want)
        assert rotate(img, 90 * k, interpolation).tolist() == want
    fimg = Tensor([[[float(v) for v in range(y * w, (y + 1) * w)] for y in range(h)]])
    assert rotate(fimg, 180, interpolation).tolist() == [[r[::-1] for r in fimg.tolist()[0][::-1]]]
    assert rotate(img, 0, interpolation).equal(img)


def test_bilinear_rotation_of_a_linear_ramp_is_the_analytic_value():
    h, w, theta = 9, 11, 23.0
    a, b, c = 0.5, -0.25, 3.0
    img = Tensor([[[a * x + b * y + c for x in range(w)] for y in range(h)]], dtype="float64")
    out = rotate(img, theta, "bilinear", fill=-1.0).tolist()[0]
    cx, cy = (w - 1) / 2, (h - 1) / 2
    t = math.radians(theta)
    checked = 0
    for y in range(h):
        for x in range(w):
            sx = cx + math.cos(t) * (x - cx) - math.sin(t) * (y - cy)
            sy = cy + math.sin(t) * (x - cx) + math.cos(t) * (y - cy)
            if 0 <= sx <= w - 1 and 0 <= sy <= h - 1:
                assert out[y][x] == pytest.approx(a * sx + b * sy + c, abs=1e-9)
                checked += 1
            elif not (-1 < sx < w and -1 < sy < h):
                assert out[y][x] == pytest.approx(-1.0, abs=1e-12)
    assert checked > h * w // 2


def test_random_rotation_draws_and_fill():
    img = Tensor(bytes([7] * 25), shape=(5, 5))
    rr = RandomRotation((45, 45), fill=200)
    corner = rr(img).tolist()
    assert corner[0][0] == 200 and corner[2][2] == 7  # the corners come from outside
    spin = RandomRotation(180)
    with tdr.sample_scope(seed=0, epoch=0, index=1):
        a = spin(Tensor(bytes(range(25)), shape=(5, 5)))
    with tdr.sample_scope(seed=0, epoch=0, index=1):
        u = tdr.sample_generator().random()
        b = rotate(Tensor(bytes(range(25)), shape=(5, 5)), -180 + 360 * u)
    assert a.equal(b)
    with pytest.raises(DataValueError):
        RandomRotation(-3)
    with pytest.raises(DataValueError):
        RandomRotation(10, interpolation="cubic")
    with pytest.raises(DataValueError):
        rotate(img, float("inf"))
    with pytest.raises(DataValueError):
        rotate(img, 10, fill=300)


# --- noise and erasing ------------------------------------------------------------------------


def test_gaussian_noise_statistics():
    n = 4096
    img = Tensor([0.5] * n, dtype="float64")
    with tdr.sample_scope(seed=11, epoch=0, index=0):
        vals = GaussianNoise(0.0, 0.1, clip=False)(img).tolist()
    mean = sum(vals) / n
    var = sum((v - mean) ** 2 for v in vals) / (n - 1)
    assert abs(mean - 0.5) < 5 * 0.1 / math.sqrt(n)
    assert abs(math.sqrt(var) - 0.1) < 0.1 * 5 / math.sqrt(2 * n)
    within = sum(abs(v - 0.5) < 0.1 for v in vals) / n  # P(|Z| < 1) = 0.6827
    assert abs(within - 0.6827) < 5 * math.sqrt(0.6827 * 0.3173 / n)
    clipped = GaussianNoise(0.0, 5.0)(Tensor([0.5] * 100)).tolist()
    assert all(0.0 <= v <= 1.0 for v in clipped)
    u8 = GaussianNoise(0.0, 300.0)(Tensor(bytes([128] * 64), shape=(8, 8))).tolist()
    assert all(0 <= v <= 255 for row in u8 for v in row)
    with pytest.raises(DataValueError):
        GaussianNoise(sigma=-1)
    with pytest.raises(DataTypeError):
        GaussianNoise()(Tensor([True]))


def test_random_erasing_erases_one_rectangle_within_the_scale():
    img = Tensor([[[1.0] * 20 for _ in range(16)]] * 2)  # (2, 16, 20)
    erase = RandomErasing(p=1.0, value=(0.0, 0.5))
    for i in range(50):
        with tdr.sample_scope(seed=5, epoch=0, index=i):
            out = erase(img).tolist()
        cells = [(y, x) for y in range(16) for x in range(20) if out[0][y][x] != 1.0]
        assert cells, "p=1 with a fitting size must erase"
        ys, xs = {y for y, _ in cells}, {x for _, x in cells}
        assert len(cells) == len(ys) * len(xs) == (max(ys) - min(ys) + 1) * (max(xs) - min(xs) + 1)
        assert all(out[0][y][x] == 0.0 and out[1][y][x] == 0.5 for y, x in cells)
        assert 0.02 * 320 * 0.5 <= len(cells) <= 0.33 * 320 * 1.5
    hits = 0
    half = RandomErasing(p=0.5)
    for i in range(400):
        with tdr.sample_scope(seed=6, epoch=0, index=i):
            hits += not half(img).equal(img)
    assert abs(hits / 400 - 0.5) < 5 * math.sqrt(0.25 / 400)
    assert RandomErasing(p=0.0)(img).equal(img)
    with tdr.sample_scope(seed=5, epoch=0, index=0):
        rnd = RandomErasing(p=1.0, value="random")(Tensor(bytes(300), shape=(10, 10, 3)))
    assert rnd.shape == (10, 10, 3) and any(rnd.tobytes())
    for bad in ({"p": 2}, {"scale": (0.5, 0.1)}, {"ratio": (0, 1)}, {"value": "noise"}):
        with pytest.raises(DataValueError):
            RandomErasing(**bad)


# --- pipelines, progressive and adaptive strength ---------------------------------------------


def test_pipeline_applies_each_step_with_its_probability_times_strength():
    pipe = AugmentationPipeline(
        [(Lambda(lambda s: (s[0] + 1, s[1])), 0.8), (Lambda(lambda s: (s[0], s[1] + 1)), 0.3)],
        strength=0.5,
    )
    n = 2000
    a = b = 0
    for i in range(n):
        with tdr.sample_scope(seed=9, epoch=0, index=i):
            x, y = pipe((0, 0))
        a, b = a + x, b + y
    for count, p in ((a, 0.4), (b, 0.15)):
        assert abs(count / n - p) < 5 * math.sqrt(p * (1 - p) / n)
    pipe.set_strength(0.0)
    assert pipe((0, 0)) == (0, 0)
    with pytest.raises(DataTypeError):
        AugmentationPipeline([(3, 0.5)])
    with pytest.raises(DataValueError):
        AugmentationPipeline([(abs, 1.5)])


def test_progression_modes_follow_their_formulas():
    lin = ProgressiveAugmentation([abs], 0.2, 1.0, epochs=8)
    assert [lin.strength_at(e) for e in (0, 4, 8, 20)] == pytest.approx([0.2, 0.6, 1.0, 1.0])
    exp = ProgressiveAugmentation([abs], 0.1, 0.8, epochs=3, mode="exponential")
    assert [exp.strength_at(e) for e in range(4)] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    step = ProgressiveAugmentation([abs], 0.0, 1.0, epochs=8, mode=ProgressionMode.STEP, n_steps=4)
    assert [step.strength_at(e) for e in range(9)] == pytest.approx(
        [0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0]
    )
    lin.set_epoch(4)
    assert lin.strength == pytest.approx(0.6)
    for bad in ({"mode": "cubic"}, {"epochs": 0}, {"start": 0.0, "mode": "exponential"}):
        with pytest.raises(DataValueError):
            ProgressiveAugmentation([abs], **bad)


def test_adaptive_strategies_and_state():
    thr = AdaptiveAugmentation([abs], target=1.0, initial=0.5, step=0.1)
    assert [thr.update(v) for v in (0.5, 0.5, 2.0, 1.0)] == [0.6, 0.7, 0.6, 0.6]
    assert thr.stats.updates == 4 and thr.stats.mean_feedback == pytest.approx(1.0)
    assert thr.stats.min_feedback == 0.5 and thr.stats.max_feedback == 2.0
    prop = AdaptiveAugmentation([abs], "proportional", target=1.0, initial=0.5, gain=0.5)
    assert prop.update(0.6) == pytest.approx(0.7) and prop.update(5.0) == 0.0
    plat = AdaptiveAugmentation(
        [abs], DynamicAugmentationStrategy.PLATEAU, initial=0.2, step=0.3, patience=2
    )
    assert [plat.update(v) for v in (3.0, 2.0, 2.5, 2.1, 1.0, 1.5)] == [
        0.2,
        0.2,
        0.2,
        0.5,
        0.5,
        0.5,
    ]
    state = plat.state_dict()
    again = AdaptiveAugmentation([abs], "plateau", initial=0.9, step=0.3, patience=2)
    again.load_state_dict(state)
    assert again.strength == 0.5 and again.update(1.2) == 0.8 and again.stats.updates == 7
    with pytest.raises(DataValueError):
        thr.update(float("nan"))
    with pytest.raises(DataValueError):
        again.load_state_dict({"strength": 0.5})
    with pytest.raises(DataValueError):
        AdaptiveAugmentation([abs], "random")


def test_conditional_and_then():
    big = Conditional(Lambda(lambda x: x * 10), lambda x: x > 2, otherwise=Lambda(lambda x: -x))
    assert big(5) == 50 and big(1) == -1
    chain = Lambda(abs).then(Lambda(str)) >> Lambda(len)
    assert chain(-123) == 3 and len(chain.transforms) == 3
    with pytest.raises(DataTypeError):
        Conditional(abs, 3)


@given(st.integers(0, 2**32), st.integers(0, 50))
def test_same_sample_same_augmentation_in_any_batch(seed, index):
    """T16/T17: the loader augments on the fly; a sample's result depends on (seed, epoch,
    index) only, not on the batch it is in."""
    ds = TransformDataset(
        TensorDataset(
            Tensor(bytes(i % 256 for i in range(51 * 16)), shape=(51, 4, 4)), list(range(51))
        ),
        AugmentationPipeline([RandomRotation(30), (RandomErasing(p=1.0), 0.5)]),
    )
    loaders = [DataLoader(ds, batch_size=bs, shuffle=True, seed=seed) for bs in (1, 7)]
    by_index = []
    for loader in loaders:
        seen = {}
        for x, y in loader:
            for img, label in zip(x, y.tolist(), strict=True):
                seen[label] = img.tobytes()
        by_index.append(seen)
    assert by_index[0][index] == by_index[1][index]


@pytest.mark.native_only(reason="worker processes")
def test_augmentation_in_workers_matches_the_main_process():
    ds = TransformDataset(
        TensorDataset(Tensor(bytes(range(256)) * 2, shape=(32, 4, 4)), list(range(32))),
        ColorJitter(0.5, 0.5),
    )
    runs = [
        [x.tobytes() for x, _ in DataLoader(ds, batch_size=4, seed=2, num_workers=n)]
        for n in (0, 2)
    ]
    assert runs[0] == runs[1]


def test_interpolation_mode_names():
    img = Tensor(bytes(range(9)), shape=(3, 3))
    for mode in InterpolationMode:
        assert Resize((2, 2), mode)(img).equal(Resize((2, 2), mode.value)(img))
        assert RandomRotation(10, mode).interpolation == mode.value


def test_golden_augmentation_is_the_same_on_every_runtime():
    """T17: a fixed (seed, epoch, index) gives these bytes natively and in Pyodide (the
    digest was recorded natively; libm-dependent steps included)."""
    import hashlib

    img = Tensor(bytes((i * 37) % 256 for i in range(8 * 8 * 3)), shape=(8, 8, 3))
    pipeline = Compose(
        [
            ColorJitter(0.4, 0.4, 0.4, 0.1),
            RandomRotation(30, "bilinear"),
            RandomErasing(p=1.0, value="random"),
            GaussianNoise(sigma=20.0),
        ]
    )
    with tdr.sample_scope(seed=123, epoch=1, index=7):
        out = pipeline(img)
    assert hashlib.sha256(out.tobytes()).hexdigest() == GOLDEN


def test_normal_draws_are_quantiles_of_16_bit_uniforms():
    """Each draw is the normal quantile at (k + 0.5) / 2**16 for the next 16 bits k of the
    sample stream (low bits of each 64-bit word first)."""
    from statistics import NormalDist

    from torsh_data.transforms._noise import normals

    with tdr.sample_scope(seed=8, epoch=3, index=2):
        got = normals(tdr.sample_generator(), 5, 1.0, 2.0)
        after = tdr.sample_generator().random()
    with tdr.sample_scope(seed=8, epoch=3, index=2):
        gen = tdr.sample_generator()
        words = [gen.next64(), gen.next64()]
        nxt = gen.random()
    ks = [(w >> (16 * j)) & 0xFFFF for w in words for j in range(4)]
    want = [1.0 + 2.0 * NormalDist().inv_cdf((k + 0.5) / 65536) for k in ks[:5]]
    assert got == want and after == nxt


def test_colour_on_wider_integer_images():
    img = Tensor([[[1000, 30000, 200]]], dtype="int16")  # one RGB pixel, HWC
    gray = int(0.2989 * 1000 + 0.587 * 30000 + 0.114 * 200)
    want = [min(max(int(2.0 * v - gray), 0), 32767) for v in (1000, 30000, 200)]
    assert adjust_saturation(img, 2.0).tolist() == [[want]]
    assert adjust_brightness(img, 2.0).tolist() == [[[2000, 32767, 400]]]
