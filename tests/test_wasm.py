"""The WebAssembly kernels (NOTE [ WebAssembly kernels ] in ``torsh_data/_wasm``): the shipped
modules are what their sources assemble to, load in Pyodide, and give exactly the bytes of
the pure-Python kernels they stand in for."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import Tensor, _wasm
from torsh_data import transforms as T
from torsh_data._runtime import IN_PYODIDE
from torsh_data._streams import lane_streams
from torsh_data._wasm import image
from torsh_data._wasm.image import lookup_float32
from torsh_data.random import randbelow_each, random_each, sample_generators
from torsh_data.transforms._fused import FusedImage
from torsh_data.transforms._fused import crop_flip as strip_crop_flip
from torsh_data.transforms._pixels import translate_float32

ROOT = Path(__file__).resolve().parents[1]
WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python one; natively there is none"
)


@pytest.fixture(autouse=True)
def _kernels_for_small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis's small inputs reach the kernels too."""
    monkeypatch.setattr(image, "MIN_BYTES", 0)


@pytest.mark.native_only(reason="runs wabt under Node.js in a subprocess; tools/ is not mounted")
def test_shipped_modules_are_what_their_sources_assemble_to() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed to assemble the .wat sources (./dev setup)"
    run = subprocess.run(
        [node, str(ROOT / "tools/wasm/build.mjs"), "--check"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    sources = sorted(p.stem for p in (ROOT / "src/torsh_data/_wasm").glob("*.wat"))
    shipped = sorted(p.stem for p in (ROOT / "src/torsh_data/_wasm").glob("*.wasm"))
    assert sources == shipped and sources


@pytest.mark.native_only(reason="natively no WebAssembly kernel is used; says why")
def test_natively_no_kernels_and_the_reason() -> None:
    assert _wasm.kernels("image") is None
    assert "only where Python runs on WebAssembly" in (_wasm.unavailable("image") or "")
    assert lookup_float32(b"x", (b"\0" * 256,) * 4, bytearray(4), 0) is False


@WASM_ONLY
def test_every_shipped_module_loads_in_pyodide() -> None:
    names = [p.name[: -len(".wasm")] for p in Path(_wasm.__file__).parent.glob("*.wasm")]
    assert names, "the wheel ships no .wasm"
    for name in names:
        assert _wasm.unavailable(name) is None
        assert _wasm.kernels(name) is not None


def test_disabled_turns_kernels_off_and_nests() -> None:
    with _wasm.disabled():
        with _wasm.disabled():
            assert _wasm.kernels("image") is None
        assert _wasm.kernels("image") is None
        assert _wasm.unavailable("image") == "turned off by disabled()"
    assert (_wasm.kernels("image") is not None) is IN_PYODIDE


@WASM_ONLY
@given(
    src=st.binary(max_size=300),
    tables=st.lists(st.binary(min_size=256, max_size=256), min_size=4, max_size=4),
    start=st.integers(0, 9),
)
def test_lookup_float32_is_the_translate_tables(
    src: bytes, tables: list[bytes], start: int
) -> None:
    fast = bytearray(b"\xaa" * (4 * len(src) + start + 3))
    pure = bytearray(fast)
    translate_float32(src, tuple(tables), fast, start)
    with _wasm.disabled():
        translate_float32(src, tuple(tables), pure, start)
    assert fast == pure


@WASM_ONLY
def test_layout_grows_memory_for_large_buffers() -> None:
    src = bytes(range(256)) * 1100  # 281,600 bytes in, 4x out: several 64 KiB pages
    tables = tuple(bytes((v * 7 + k) % 256 for v in range(256)) for k in range(4))
    fast, pure = bytearray(4 * len(src)), bytearray(4 * len(src))
    assert lookup_float32(src, tables, fast, 0)
    with _wasm.disabled():
        translate_float32(src, tables, pure, 0)
    assert fast == pure


@WASM_ONLY
def test_addresses_locate_buffers_in_place() -> None:
    data, out = b"\x01\x02\x03", bytearray(12)
    table = tuple(bytes(range(256)) for _ in range(4))
    assert lookup_float32(data, table, out, 0)
    assert out == bytes([1] * 4 + [2] * 4 + [3] * 4)
    assert lookup_float32(bytearray(b"\x05"), table, memoryview(out)[4:], 0)
    assert out[4:8] == b"\x05" * 4
    assert _wasm.addresses(b"", bytearray()) == [0, 0]
    with pytest.raises(TypeError, match="read-only"):
        _wasm.addresses(memoryview(b"abc")[1:])


def test_lookup_float32_checks_sizes_before_writing() -> None:
    tables = (bytes(256),) * 4
    if IN_PYODIDE:
        with pytest.raises(ValueError, match="4 tables of 256"):
            lookup_float32(b"ab", tables, bytearray(7), 0)
        with pytest.raises(ValueError, match="4 tables of 256"):
            lookup_float32(b"ab", (bytes(255),) * 4, bytearray(8), 0)
    else:
        assert lookup_float32(b"ab", tables, bytearray(7), 0) is False


def test_module_bytes_are_a_wasm_binary() -> None:
    data = (Path(_wasm.__file__).parent / "image.wasm").read_bytes()
    assert data[:8] == b"\0asm\x01\0\0\0", data[:8]


# --- crop_flip: the fused crop + flip (+ ToTensor tables) of NOTE [ Strip crops ] -------------


def _windows(
    data: bytes,
    shape: tuple[int, int, int, int],
    ltrb: tuple[int, int, int, int],
    size: tuple[int, int],
    cols: int,
    ks: list[int],
    flips: list[bool],
    fill: bytes,
) -> bytes:
    """The definition, pixel by pixel: output pixel ``(y, x)`` of image ``i`` is the padded
    image's pixel at ``(top + y, left + x)``, ``x`` mirrored where ``flips[i]``."""
    n, h, w, u = shape
    th, tw = size
    out = bytearray()
    for i in range(n):
        top, left = divmod(ks[i], cols)
        for y in range(th):
            for x in range(tw):
                r = top + y - ltrb[1]
                c = left + (tw - 1 - x if flips[i] else x) - ltrb[0]
                at = ((i * h + r) * w + c) * u
                out += data[at : at + u] if 0 <= r < h and 0 <= c < w else fill
    return bytes(out)


@st.composite
def crop_flip_cases(draw: st.DrawFn, narrow: bool) -> dict[str, Any]:
    """A batch and its crop-flip parameters; with ``narrow`` the window is at most as wide as
    the image (what the pure ``crop_flip`` takes), else up to the padded width."""
    n, h, w, u = (draw(st.integers(1, hi)) for hi in (12, 8, 8, 4))
    ltrb = draw(st.tuples(*[st.integers(0, 3)] * 4))
    ph, pw = h + ltrb[1] + ltrb[3], w + ltrb[0] + ltrb[2]
    th, tw = draw(st.integers(1, ph)), draw(st.integers(1, w if narrow else pw))
    cols = pw - tw + 1
    ks = draw(st.lists(st.integers(0, (ph - th + 1) * cols - 1), min_size=n, max_size=n))
    return {
        "data": draw(st.binary(min_size=n * h * w * u, max_size=n * h * w * u)),
        "shape": (n, h, w, u),
        "ltrb": ltrb,
        "size": (th, tw),
        "cols": cols,
        "ks": ks,
        "flips": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "fill": draw(st.binary(min_size=u, max_size=u)),
    }


@WASM_ONLY
@given(case=crop_flip_cases(narrow=True))
def test_crop_flip_gives_the_strip_crops_bytes(case: dict[str, Any]) -> None:
    corners = [divmod(k, case["cols"]) for k in case["ks"]]
    args = case["data"], case["shape"], case["ltrb"], case["size"]
    pure = strip_crop_flip(*args, corners, case["flips"], case["fill"])
    fast = image.crop_flip(*args, case["cols"], case["ks"], case["flips"], case["fill"])
    assert fast is not None and bytes(fast) == bytes(pure) == _windows(**case)


@WASM_ONLY
@given(case=crop_flip_cases(narrow=False))
def test_crop_flip_windows_wider_than_the_image(case: dict[str, Any]) -> None:
    args = case["data"], case["shape"], case["ltrb"], case["size"], case["cols"], case["ks"]
    fast = image.crop_flip(*args, case["flips"], case["fill"])
    assert fast is not None and bytes(fast) == _windows(**case)


@WASM_ONLY
@given(case=crop_flip_cases(narrow=False), data=st.data())
def test_crop_flip_through_tables_is_the_translate_of_the_bytes(
    case: dict[str, Any], data: st.DataObject
) -> None:
    """With tables: each channel's bytes (channels first) through its four tables, as
    ``translate_float32`` without the kernels writes them."""
    n, _, _, u = case["shape"]
    th, tw = case["size"]
    four = st.lists(st.binary(min_size=256, max_size=256), min_size=4, max_size=4)
    tables = [tuple(t) for t in data.draw(st.lists(four, min_size=u, max_size=u))]
    fast = image.crop_flip(*case.values(), tables)
    window = _windows(**case)
    pure = bytearray(4 * len(window))
    with _wasm.disabled():
        for i in range(n):
            for c in range(u):
                plane = window[i * th * tw * u + c : (i + 1) * th * tw * u : u]
                translate_float32(plane, tables[c], pure, 4 * (i * u + c) * th * tw)
    assert fast == pure


@WASM_ONLY
@given(
    steps=st.lists(st.booleans(), min_size=4, max_size=4),
    n=st.integers(1, 40),
    side=st.integers(1, 30),
    channels=st.sampled_from([0, 1, 3]),
    padding=st.integers(0, 4),
    fill=st.integers(0, 255),
    p=st.sampled_from([0.0, 0.5, 1.0]),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_fused_step_gives_the_pure_paths_bytes(
    steps: list[bool],
    n: int,
    side: int,
    channels: int,
    padding: int,
    fill: int,
    p: float,
    seed: int,
    data: st.DataObject,
) -> None:
    """FusedImage's batch kernel (NOTE [ Strip crops ]) with the kernel and without."""
    crop, flip, tail, normalize = steps
    chosen: list[Any] = []
    if crop:
        size = data.draw(st.integers(1, side), label="crop")
        chosen.append(T.RandomCrop(size, padding=padding, fill=fill))
    if flip or not chosen:
        chosen.append(T.RandomHorizontalFlip(p))
    if tail or len(chosen) == 1:
        chosen.append(T.ToTensor())
        if normalize:
            chosen.append(
                T.Normalize([0.25, 0.5, 0.75][: channels or 1], [0.3, 0.2, 0.1][: channels or 1])
            )
    (fused,) = T.Compose(chosen)._steps
    assert type(fused) is FusedImage
    shape = (n, side, side, channels) if channels else (n, side, side)
    x = Tensor(
        data.draw(st.binary(min_size=math.prod(shape), max_size=math.prod(shape))), shape=shape
    )
    fast_gens, pure_gens = (
        sample_generators(seed, 0, range(n)),
        sample_generators(seed, 0, range(n)),
    )
    fast = fused.kernel(x, fast_gens)  # in lanes from 8 streams: draw_crop_flip
    with _wasm.disabled():
        pure = fused.kernel(x, pure_gens)
    assert fast.shape == pure.shape and fast.dtype is pure.dtype
    assert fast.tobytes() == pure.tobytes()
    assert random_each(fast_gens) == random_each(pure_gens)  # the streams went on the same


@WASM_ONLY
def test_fused_step_on_a_p2_batch_uses_the_kernel() -> None:
    """P2's batch (64 28x28 images, RandomCrop(28, padding=2), flip, ToTensor, Normalize)."""
    pipe = T.Compose(
        [
            T.RandomCrop(28, padding=2),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(0.1307, 0.3081),
        ]
    )
    (fused,) = pipe._steps
    x = Tensor(bytes((i * 37 + i // 784) % 256 for i in range(64 * 784)), shape=(64, 28, 28))
    calls = []
    real = image.draw_crop_flip

    def counting(*args: Any) -> Any:
        calls.append(args[1])
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(image, "draw_crop_flip", counting)
        mp.setattr(image, "crop_flip", None)  # not called: the draws and the crop in one
        fast = fused.kernel(x, sample_generators(7, 3, range(64)))
    with _wasm.disabled():
        pure = fused.kernel(x, sample_generators(7, 3, range(64)))
        centred = T.Compose([T.CenterCrop(28), T.ToTensor(), T.Normalize(0.1307, 0.3081)])
    assert calls == [25]  # one call, 25 windows to draw from
    assert fast.shape == (64, 1, 28, 28) and fast.tobytes() == pure.tobytes()
    assert fast.tobytes() != centred(x).tobytes()  # the windows were drawn


@WASM_ONLY
@given(data=st.data(), p=st.none() | st.floats(0, 1), seed=st.integers(0, 2**64 - 1))
def test_draw_crop_flip_is_draw_windows_then_crop_flip(
    data: st.DataObject, p: float | None, seed: int
) -> None:
    case = data.draw(crop_flip_cases(narrow=False))
    n, h, _, _ = case["shape"]
    windows = (h + case["ltrb"][1] + case["ltrb"][3] - case["size"][0] + 1) * case["cols"]
    positions = data.draw(st.integers(1, windows), label="positions")
    one_call, two_calls = lane_streams(seed, range(n)), lane_streams(seed, range(n))
    args = case["data"], case["shape"], case["ltrb"], case["size"], case["cols"]
    fast = image.draw_crop_flip(one_call, positions, p, *args, case["fill"])
    drawn = image.draw_windows(two_calls, positions, p)
    assert fast is not None and drawn is not None
    assert fast == image.crop_flip(*args, drawn[:n].tolist(), drawn[n:].tolist(), case["fill"])
    assert random_each(one_call) == random_each(two_calls)  # the streams went on the same


def test_crop_flip_checks_sizes_before_writing() -> None:
    good: dict[str, Any] = {
        "data": bytes(2 * 3 * 3 * 2),
        "shape": (2, 3, 3, 2),
        "ltrb": (1, 1, 1, 1),
        "size": (2, 2),
        "cols": 4,
        "ks": [0, 15],
        "flips": [True, False],
        "fill": b"ab",
    }
    wrong = [
        {"data": bytes(35)},
        {"shape": (2, 3, 3, -2)},
        {"size": (6, 2)},
        {"size": (0, 2)},
        {"cols": 3},
        {"ks": [0]},
        {"ks": [0, 16]},
        {"ks": [-1, 0]},
        {"flips": [True]},
        {"fill": b"a"},
        {"ltrb": (1, 1, 1, 2**31)},
        {"tables": [(bytes(256),) * 4]},
        {"tables": [(bytes(256),) * 4, (bytes(256),) * 3]},
        {"tables": [(bytes(256),) * 4, (bytes(255),) * 4]},
    ]
    if not IN_PYODIDE:
        assert image.crop_flip(**good) is None
        return
    found = image.crop_flip(**good)
    assert found is not None and len(found) == 2 * 2 * 2 * 2
    for change in wrong:
        with pytest.raises(ValueError, match="do not agree"):
            image.crop_flip(**{**good, **change})


def test_draw_crop_flip_checks_sizes_before_drawing() -> None:
    geometry = {"shape": (2, 3, 3, 2), "ltrb": (1, 1, 1, 1), "size": (2, 2), "cols": 4}
    good: dict[str, Any] = {"positions": 16, "p": 0.5, "data": bytes(36), "fill": b"ab"}
    good.update(geometry)
    if not IN_PYODIDE:
        assert image.draw_crop_flip(lane_streams(0, range(2)), **good) is None
        return
    found = image.draw_crop_flip(lane_streams(0, range(2)), **good)
    assert found is not None and len(found) == 2 * 2 * 2 * 2
    for change in [{"positions": 17}, {"positions": 0}, {"data": bytes(35)}, {"fill": b"a"}]:
        gens = lane_streams(0, range(2))
        with pytest.raises(ValueError, match="do not agree"):
            image.draw_crop_flip(gens, **{**good, **change})
        assert gens.lanes() == lane_streams(0, range(2)).lanes()  # nothing drawn
    with pytest.raises(ValueError, match="3 streams"):
        image.draw_crop_flip(lane_streams(0, range(3)), **good)
    objects = sample_generators(0, 0, range(2))  # fewer than 8: objects, drawn in Python
    assert image.draw_crop_flip(objects, **good) is None
    assert image.draw_crop_flip(lane_streams(0, range(2)), **{**good, "positions": 2**31}) is None


# --- draw_windows: the fused step's draws in lanes (NOTE [ Streams in lanes ]) ------------------


@WASM_ONLY
@given(
    seed=st.integers(0, 2**64 - 1),
    epoch=st.integers(0, 5),
    indices=st.lists(st.integers(0, 2**40), min_size=8, max_size=70),
    positions=st.sampled_from([1, 2, 3, 25, 2**20 + 1, 2**31 - 1]) | st.integers(1, 2**31 - 1),
    p=st.none() | st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0, 1),
)
def test_draw_windows_draws_the_numbers_of_the_python_draws(
    seed: int, epoch: int, indices: list[int], positions: int, p: float | None
) -> None:
    fast = sample_generators(seed, epoch, indices)
    drawn = image.draw_windows(fast, positions, p)
    assert drawn is not None
    n = len(indices)
    pure = sample_generators(seed, epoch, indices)
    with _wasm.disabled():
        ks = randbelow_each(pure, positions) if positions > 1 else [0] * n
        flips = [int(v < p) for v in random_each(pure)] if p is not None else [0] * n
    assert list(drawn) == ks + flips
    assert random_each(fast) == random_each(pure)  # the streams went on the same
    assert [g.next64() for g in fast] == [g.next64() for g in pure]


@WASM_ONLY
def test_draw_windows_leaves_streams_that_are_objects_to_python() -> None:
    gens = sample_generators(0, 0, range(10))
    gens[0].next64()  # the streams are objects from now on: they hold the states
    assert image.draw_windows(gens, 25, 0.5) is None
    assert image.draw_windows(list(sample_generators(0, 0, range(10))), 25, 0.5) is None
    assert image.draw_windows(sample_generators(0, 0, range(10)), 2**31, 0.5) is None
    with _wasm.disabled():
        assert image.draw_windows(sample_generators(0, 0, range(10)), 25, 0.5) is None


def test_stream_lanes_hand_their_states_out_and_back() -> None:
    gens, peer = sample_generators(3, 1, range(9)), sample_generators(3, 1, range(9))
    randbelow_each(gens, 25), randbelow_each(peer, 25)
    lanes = gens.lanes()  # type: ignore[attr-defined]
    assert lanes is not None and len(lanes) == 16 * 9 and not any(lanes[8::16])
    gens.set_lanes(bytes(lanes))  # type: ignore[attr-defined]
    assert random_each(gens) == random_each(peer)
    with pytest.raises(ValueError, match="9 streams"):
        gens.set_lanes(lanes[:-1])  # type: ignore[attr-defined]
    gens[0]
    assert gens.lanes() is None  # type: ignore[attr-defined]
