"""Batch kernels give exactly the per-sample path's bytes (NOTE [ Batch kernels ]), and a
loader gives the same batches with its pipeline lifted and without.

``KERNEL_CASES`` is the one table: every transform class with a ``kernel`` has an entry (a
strategy of instances and a strategy of the batches it accepts), and
``test_every_kernel_has_a_case`` fails for a class that defines ``kernel`` without one, so a
new kernel is checked here as soon as it exists. Corresponds to torchvision's
``test/test_transforms_v2.py`` consistency checks between the batched and per-image paths.
"""

from __future__ import annotations

import array
import contextlib
import importlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import NUMPY_REASON, has_module

import torsh_data as td
from torsh_data import Tensor
from torsh_data import transforms as T
from torsh_data.random import sample_generators, sample_scope
from torsh_data.tensor import stack
from torsh_data.testing import batch_digest
from torsh_data.transforms._fused import FusedImage

# --- strategies -------------------------------------------------------------------------------


@st.composite
def batches(draw: st.DrawFn, kinds: tuple[str, ...] = ("hw", "hwc", "chw")) -> list[Tensor]:
    """1 to 6 random images of one shape: uint8 ``(H, W)`` / ``(H, W, C)`` or float32
    ``(C, H, W)`` with values in [0, 1] (exact multiples of 1/256)."""
    kind = draw(st.sampled_from(list(kinds)))
    h, w, n = draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 6))
    c = draw(st.sampled_from([1, 3, 4] if kind == "hwc" else [1, 2, 3]))
    shape = {"hw": (h, w), "hwc": (h, w, c), "chw": (c, h, w)}[kind]
    size = math.prod(shape)
    out = []
    for _ in range(n):
        raw = draw(st.binary(min_size=size, max_size=size))
        if kind == "chw":
            out.append(Tensor([b / 256 for b in raw], dtype="float32").reshape(shape))
        else:
            out.append(Tensor(raw, shape=shape))
    return out


def _channels(xs: list[Tensor]) -> int:
    s = xs[0].shape
    return 1 if len(s) == 2 else (s[0] if xs[0].dtype.kind == "f" else s[2])


side = st.integers(1, 6)
sizes = st.one_of(side, st.tuples(side, side))
paddings = st.one_of(
    st.integers(0, 3), st.tuples(*[st.integers(0, 3)] * 2), st.tuples(*[st.integers(0, 3)] * 4)
)
probabilities = st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0, 1)


def _any(t: Any) -> st.SearchStrategy[list[Tensor]]:
    return batches()


def _uint8(t: Any) -> st.SearchStrategy[list[Tensor]]:
    return batches(("hw", "hwc"))


def _float(t: Any) -> st.SearchStrategy[list[Tensor]]:
    return batches(("chw",))


@st.composite
def random_crops(draw: st.DrawFn) -> T.RandomCrop:
    padding = draw(st.none() | paddings)
    return T.RandomCrop(
        draw(sizes), padding=padding, fill=draw(st.integers(0, 1)), pad_if_needed=True
    )


@st.composite
def pipelines(draw: st.DrawFn) -> T.Compose:
    """uint8 images through geometry (with a step that has no kernel inside) and the
    ToTensor + Normalize tail, which fuses."""
    steps: list[Any] = [
        T.RandomCrop(draw(side), padding=draw(st.integers(0, 2)), pad_if_needed=True)
    ]
    if draw(st.booleans()):
        steps.insert(0, T.Pad(draw(paddings)))
    steps.append(T.RandomHorizontalFlip(draw(probabilities)))
    if draw(st.booleans()):
        steps.append(T.Lambda(lambda x: x))
    steps.append(T.RandomVerticalFlip(draw(probabilities)))
    steps.append(T.ToTensor())
    if draw(st.booleans()):
        steps.append(T.Normalize(draw(st.floats(-1, 1)), draw(st.floats(0.1, 2))))
    return T.Compose(steps)


@st.composite
def image_batches(draw: st.DrawFn, max_side: int = 9, floats: bool = True) -> list[Tensor]:
    """``N`` images of one shape: uint8 ``(N, H, W)`` / ``(N, H, W, C)``, or, with
    ``floats``, float32 ``(N, C, H, W)`` / float64 ``(N, H, W)`` with values in [0, 1]."""
    n = draw(st.integers(1, 4))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kinds = ["u8", "u8c"] + (["f32", "f64"] if floats else [])
    kind = draw(st.sampled_from(kinds))
    c = draw(st.sampled_from([1, 3, 4]))
    if kind == "u8":
        shape: tuple[int, ...] = (n, h, w)
    elif kind == "u8c":
        shape = (n, h, w, c)
    elif kind == "f32":
        shape = (n, c, h, w)
    else:
        shape = (n, h, w)
    count = 1
    for s in shape:
        count *= s
    raw = draw(st.binary(min_size=count, max_size=count))
    if kind.startswith("u8"):
        x = Tensor(raw, shape=shape)
    else:
        dtype = "float32" if kind == "f32" else "float64"
        x = Tensor([v / 255 for v in raw], dtype=dtype).reshape(*shape)
    return list(x)


@st.composite
def fused_images(draw: st.DrawFn) -> Any:
    """A fused step (NOTE [ Fusion ]): some of RandomCrop, RandomHorizontalFlip and ToTensor
    (+ Normalize), at least two of them, as ``Compose`` fuses them."""
    steps: list[Any] = []
    if draw(st.booleans()):
        crop = T.RandomCrop(
            draw(sizes), draw(st.none() | paddings), draw(st.integers(0, 255)), True
        )
        steps.append(crop)
    if not steps or draw(st.booleans()):
        steps.append(T.RandomHorizontalFlip(draw(probabilities)))
    if len(steps) == 1 or draw(st.booleans()):
        steps.append(T.ToTensor())
        if draw(st.booleans()):
            steps.append(T.Normalize(draw(st.floats(-1, 1)), draw(st.floats(0.1, 2))))
    (fused,) = T.Compose(steps)._steps
    return fused


@st.composite
def strip_batches(draw: st.DrawFn, floats: bool) -> list[Tensor]:
    """Up to 12 images (enough for the streams in lanes and for runs of equal draws):
    uint8 ``(H, W)`` / ``(H, W, C)``, or with ``floats`` also float64 ``(H, W)``."""
    n, h, w = draw(st.integers(1, 12)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kind = draw(st.sampled_from(["u8", "u8c", "f64"] if floats else ["u8", "u8c"]))
    shape = (n, h, w, draw(st.sampled_from([3, 4]))) if kind == "u8c" else (n, h, w)
    raw = draw(st.binary(min_size=math.prod(shape), max_size=math.prod(shape)))
    if kind == "f64":
        return list(Tensor([v / 255 for v in raw], dtype="float64").reshape(*shape))
    return list(Tensor(raw, shape=shape))


resize_sides = st.integers(1, 12)
out_sizes = st.one_of(resize_sides, st.tuples(resize_sides, resize_sides))
modes = st.sampled_from(["nearest", "bilinear"])
ranges = st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(lambda v: tuple(sorted(v)))
ratios = st.tuples(st.floats(0.3, 3.0), st.floats(0.3, 3.0)).map(lambda v: tuple(sorted(v)))
fills = st.one_of(st.just("random"), st.integers(0, 255), st.just((1, 2, 3)))


def _images(t: Any) -> st.SearchStrategy[list[Tensor]]:
    return image_batches()


def _cells(nan: bool) -> st.SearchStrategy[float]:
    return st.floats(-1e6, 1e6, allow_nan=False, width=32) | (
        st.just(math.nan) if nan else st.nothing()
    )


#: tables of 3 float features: what the tabular transforms are fitted on and run over
tables = st.lists(st.lists(_cells(False), min_size=3, max_size=3), min_size=2, max_size=6)


def _rows(t: Any) -> st.SearchStrategy[list[Tensor]]:
    nan = isinstance(t, T.FillMissing)
    rows = st.lists(st.lists(_cells(nan), min_size=3, max_size=3), min_size=1, max_size=6)
    return rows.map(lambda r: list(Tensor(r, dtype="float32")))


def _labels(t: Any) -> st.SearchStrategy[list[Tensor]]:
    return st.lists(st.integers(0, 9), min_size=1, max_size=6).map(
        lambda v: list(Tensor(v, dtype="int64"))
    )


#: transform class -> (strategy of instances, the strategy of batches an instance accepts)
KERNEL_CASES: dict[type, tuple[st.SearchStrategy[Any], Callable[[Any], st.SearchStrategy[Any]]]] = {
    T.Pad: (st.builds(T.Pad, paddings, st.integers(0, 1)), _any),
    T.RandomCrop: (random_crops(), _any),
    T.CenterCrop: (st.builds(T.CenterCrop, sizes), _any),
    T.RandomHorizontalFlip: (st.builds(T.RandomHorizontalFlip, probabilities), _any),
    T.RandomVerticalFlip: (st.builds(T.RandomVerticalFlip, probabilities), _any),
    T.ToTensor: (st.just(T.ToTensor()), _uint8),
    T.Normalize: (st.builds(T.Normalize, st.floats(-1, 1), st.floats(0.05, 3)), _float),
    T.ConvertDtype: (
        st.builds(T.ConvertDtype, st.sampled_from(["float32", "float64", "uint8", "int16"])),
        _any,
    ),
    T.Compose: (pipelines(), _uint8),
    FusedImage: (fused_images(), lambda t: strip_batches(t.tail is None)),
    T.Resize: (st.builds(T.Resize, out_sizes, modes, antialias=st.booleans()), _images),
    T.RandomResizedCrop: (
        st.builds(T.RandomResizedCrop, out_sizes, ranges, ratios, modes, st.booleans()),
        _images,
    ),
    T.Standardize: (tables.map(lambda r: T.Standardize().fit(r)), _rows),
    T.MinMaxScale: (
        st.tuples(tables, st.sampled_from([(0.0, 1.0), (-1.0, 1.0)])).map(
            lambda a: T.MinMaxScale(a[1]).fit(a[0])
        ),
        _rows,
    ),
    T.SelectColumns: (st.sampled_from([[0], [-1, 0], [2, 1]]).map(T.SelectColumns), _rows),
    T.FillMissing: (st.sampled_from([0.5, {0: 2.0}]).map(T.FillMissing), _rows),
    T.OneHot: (st.just(T.OneHot(10)), _labels),
    T.RandomErasing: (
        st.builds(T.RandomErasing, st.sampled_from([0.0, 0.5, 1.0]), ranges, ratios, fills),
        _images,
    ),
}


def _per_sample(t: Any, xs: list[Tensor], seed: int) -> tuple[Any, list[int]]:
    """The per-sample path in the loader's streams, and where each stream ends."""
    outs, ends = [], []
    for i, x in enumerate(xs):
        with sample_scope(seed, 0, i):
            outs.append(t(x))
            ends.append(td.random.sample_generator().next64())
    return stack(outs), ends


def _check(t: Any, xs: list[Tensor], seed: int) -> None:
    try:
        want, ends = _per_sample(t, xs, seed)
    except td.TorshDataError as exc:  # the kernel refuses the same input the same way
        with pytest.raises(type(exc)):
            t.kernel(stack(xs), sample_generators(seed, 0, range(len(xs))))
        return
    gens = sample_generators(seed, 0, range(len(xs)))
    got = t.kernel(stack(xs), gens)
    assert got is not NotImplemented, f"{t!r} refused a batch of {xs[0].shape} {xs[0].dtype}"
    assert got.shape == want.shape and got.dtype is want.dtype
    assert got.tobytes() == want.tobytes(), f"{t!r} on {len(xs)} x {xs[0].shape} {xs[0].dtype}"
    assert [g.next64() for g in gens] == ends, f"{t!r} drew differently from the per-sample path"


NUMPY_MODES = [
    "bare",
    pytest.param(
        "numpy", marks=pytest.mark.native_only(reason="numpy kernels (Pyodide here has no numpy)")
    ),
]


@contextlib.contextmanager
def _numpy_mode(mode: str) -> Iterator[None]:
    """numpy hidden from the kernels (``bare``) or loaded (``numpy``) inside."""
    if mode == "numpy":
        if not has_module("numpy"):
            pytest.skip(NUMPY_REASON)
        importlib.import_module("numpy")
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "numpy", None)
        yield


@pytest.mark.parametrize("mode", NUMPY_MODES)
@pytest.mark.parametrize("cls", list(KERNEL_CASES), ids=lambda c: c.__name__)
@given(data=st.data(), seed=st.integers(0, 2**32))
def test_kernel_gives_the_per_sample_bytes(
    cls: type, mode: str, data: st.DataObject, seed: int
) -> None:
    instances, inputs = KERNEL_CASES[cls]
    t = data.draw(instances)
    assert type(t) is cls
    xs = data.draw(inputs(t))
    if cls is T.Normalize:
        c = _channels(xs)
        t = T.Normalize(t.mean * c, t.std * c) if data.draw(st.booleans()) else t
    with _numpy_mode(mode):  # drawn first: Hypothesis itself looks for numpy
        _check(t, xs, seed)


def _transform_modules() -> list[Any]:
    mods = [T, importlib.import_module("torsh_data.transforms._fused")]  # fused steps too
    for name in ("vision", "text", "tabular", "audio"):
        try:
            mods.append(importlib.import_module(f"torsh_data.{name}"))
        except ImportError:  # pragma: no cover - every one is part of the package
            raise
    return mods


def test_every_kernel_has_a_case() -> None:
    """A transform class that offers a kernel is checked by the test above."""
    found = {
        obj
        for mod in _transform_modules()
        for obj in (getattr(mod, name) for name in mod.__all__)
        if isinstance(obj, type) and callable(getattr(obj, "kernel", None))
    }
    assert T.RandomCrop in found and T.Compose in found  # the scan sees the kernels
    missing = sorted(c.__name__ for c in found - set(KERNEL_CASES))
    assert not missing, f"kernels without a KERNEL_CASES entry: {missing}"


def test_different_shapes_fall_back_per_sample_or_name_the_sample() -> None:
    small, big = Tensor(bytes(range(9)), shape=(3, 3)), Tensor(bytes(range(16)), shape=(4, 4))
    gens = sample_generators(0, 0, [0, 1])
    # a crop to one size makes the samples stackable again: the later steps run batch-wise
    out = T.apply_kernels(T.Compose([T.RandomCrop(2), T.ToTensor()]), [small, big], gens)
    assert type(out) is Tensor and out.shape == (2, 1, 2, 2)
    # a pipeline that keeps the shapes apart gives the samples, and collating them names both
    out = T.apply_kernels(T.Compose([T.RandomHorizontalFlip(), T.ToTensor()]), [small, big], gens)
    assert isinstance(out, list) and [o.shape for o in out] == [(1, 3, 3), (1, 4, 4)]
    with pytest.raises(
        td.BatchShapeError, match=r"sample 0 has shape \(1, 3, 3\).*sample 1 has shape \(1, 4, 4\)"
    ):
        td.default_collate(out)
    other = Tensor(bytes(range(1, 10)), shape=(3, 3))
    grow = T.Lambda(lambda x: x if x.tobytes()[0] == 0 else big)
    with pytest.raises(td.ShapeError, match=r"element 0 is \(1, 3, 3\).*element 1 is \(1, 4, 4\)"):
        T.Compose([grow, T.Lambda(lambda x: x), T.ToTensor()]).kernel(stack([small, other]), gens)
    with pytest.raises(td.ShapeError, match=r"element 0 is \(3, 3\).*element 1 is \(4, 4\)"):
        T.Compose([grow, T.RandomHorizontalFlip()]).kernel(stack([small, other]), gens)


def test_batch_is_the_kernel_of_deterministic_transforms_only() -> None:
    x = Tensor(bytes(range(8)), shape=(2, 2, 2))
    assert T.Compose([T.Pad(1), T.ToTensor()]).batch(x).shape == (2, 1, 4, 4)
    with pytest.raises(td.DataTypeError, match="no batch mode"):
        T.RandomVerticalFlip().batch(x)
    with pytest.raises(td.DataTypeError, match="no batch mode"):
        T.Lambda(abs).batch(x)


# --- the loader: lifted and not ---------------------------------------------------------------


class Drawing(td.Dataset):
    """Images of two shapes whose base fetch draws from the sample's stream."""

    def __init__(self, n: int, shapes: tuple[tuple[int, ...], ...] = ((6, 6),)) -> None:
        self.n, self.shapes = n, shapes

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[Tensor, int, str]:
        g = td.random.sample_generator()
        shape = self.shapes[i % len(self.shapes)]
        return Tensor(g.bytes(math.prod(shape)), shape=shape), i, f"s{i}"


def _images(n: int = 23) -> td.TensorDataset:
    g = td.random.Generator(5)
    return td.TensorDataset(Tensor(g.bytes(n * 8 * 8 * 3), shape=(n, 8, 8, 3)), list(range(n)))


def _pipeline() -> T.Compose:
    return T.Compose(
        [
            T.RandomCrop(6, padding=1),
            T.RandomHorizontalFlip(),
            T.Lambda(lambda x: x),
            T.RandomVerticalFlip(0.3),
            T.ToTensor(),
            T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3)),
        ]
    )


DATASETS: dict[str, Callable[[], Any]] = {
    "tensor_dataset": lambda: td.TransformDataset(_images(), _pipeline()),
    "target_transform": lambda: td.TransformDataset(
        _images(),
        _pipeline(),
        target_transform=lambda y: y.item() + td.random.sample_generator().randbelow(3),
    ),
    "drawing_base": lambda: td.TransformDataset(
        Drawing(17), T.Compose([T.RandomCrop(4), T.ToTensor()])
    ),
    "mixed_shapes": lambda: td.TransformDataset(
        Drawing(17, ((6, 6), (7, 5))), T.Compose([T.RandomHorizontalFlip(), T.ToTensor()])
    ),
    "bare_transform": lambda: td.TransformDataset(_images(), T.RandomHorizontalFlip()),
    "tensor_base": lambda: td.TransformDataset(_images().tensors[0], _pipeline()),
    "subset": lambda: td.Subset(
        td.TransformDataset(_images(), _pipeline()), [3, 1, 4, 1, 5, 9, 2, 6]
    ),
    "nested": lambda: td.TransformDataset(
        td.TransformDataset(_images(), T.RandomHorizontalFlip()),
        T.Compose([T.CenterCrop(5), T.ToTensor()]),
    ),
}


def _digests(make: Callable[[], Any], lifted: bool, **kw: Any) -> list[str]:
    old = os.environ.get("TORSH_DATA_KERNELS")
    os.environ["TORSH_DATA_KERNELS"] = "1" if lifted else "0"
    try:
        loader = td.DataLoader(make(), **kw)
        return [batch_digest(b) for _ in range(2) for b in loader]
    finally:
        if old is None:
            del os.environ["TORSH_DATA_KERNELS"]
        else:
            os.environ["TORSH_DATA_KERNELS"] = old


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize(
    ("seed", "batch_size", "shuffle"), [(0, 4, True), (1, 5, False), (7, 1, True)]
)
def test_lifted_loader_gives_the_per_sample_batches(
    name: str, seed: int, batch_size: int, shuffle: bool
) -> None:
    kw = {"batch_size": batch_size, "shuffle": shuffle, "seed": seed}
    if name == "mixed_shapes" and batch_size > 1:  # the same error, naming sample and shapes
        errors = []
        for lifted in (True, False):
            with pytest.raises(
                td.BatchShapeError, match=r"sample \d+ has shape \(1, 7, 5\)"
            ) as exc:
                _digests(DATASETS[name], lifted, **kw)
            errors.append(str(exc.value))
        assert errors[0] == errors[1]
        return
    assert _digests(DATASETS[name], True, **kw) == _digests(DATASETS[name], False, **kw)


@pytest.mark.native_only(
    reason="worker processes; Web Workers are checked in tests/loader/test_webworkers.py"
)
@pytest.mark.parametrize("shuffle", [True, False])
def test_lifted_loader_with_workers(shuffle: bool) -> None:
    kw = {"batch_size": 6, "shuffle": shuffle, "seed": 11}
    want = _digests(DATASETS["tensor_dataset"], False, **kw)
    assert _digests(DATASETS["tensor_dataset"], True, **kw) == want
    assert _digests(DATASETS["tensor_dataset"], True, num_workers=2, **kw) == want
    assert _digests(DATASETS["drawing_base"], True, num_workers=2, **kw) == _digests(
        DATASETS["drawing_base"], False, **kw
    )


def test_batch_transform_collate_takes_the_lifted_fetch() -> None:
    tail = T.BatchTransform(T.Compose([T.ToTensor(), T.Normalize(0.5, 0.5)]))
    geometry = T.Compose([T.RandomCrop(6, padding=1), T.RandomHorizontalFlip()])
    whole = T.Compose([*geometry.transforms, T.ToTensor(), T.Normalize(0.5, 0.5)])
    make = lambda: td.TransformDataset(_images(), geometry)  # noqa: E731
    lifted = _digests(make, True, batch_size=4, shuffle=True, seed=2, collate_fn=tail)
    plain = _digests(
        lambda: td.TransformDataset(_images(), whole), False, batch_size=4, shuffle=True, seed=2
    )
    assert lifted == plain
    plan = td.DataLoader(make(), batch_size=4, collate_fn=tail).plan()
    assert (
        plan[0] == "TensorDataset: batched fetch (__getbatch__)"
        and "on the collated batch" in plan[-1]
    )


def test_plan_says_why() -> None:
    ds = DATASETS["tensor_dataset"]()
    plan = td.DataLoader(ds, batch_size=4).plan()
    assert plan[:2] == [  # the crop and the flip fused into one step (NOTE [ Fusion ])
        "TensorDataset: batched fetch (__getbatch__)",
        "RandomCrop(size=(6, 6), padding=(1, 1, 1, 1), fill=0)+RandomHorizontalFlip(p=0.5): batch",
    ]
    assert any(line.endswith("Lambda(<lambda>): per sample (no kernel)") for line in plan)
    assert td.DataLoader(ds, batch_size=4, collate_fn=list).plan() == [
        "TransformDataset: per sample (collate_fn list takes the samples)"
    ]
    assert "per index" in td.DataLoader(DATASETS["drawing_base"](), batch_size=2).plan()[0]
    assert td.DataLoader(DATASETS["tensor_base"](), batch_size=2).plan()[0] == (
        "Tensor: batched fetch (take)"
    )
    assert "per sample" in td.DataLoader(DATASETS["subset"](), batch_size=2).plan()[0]
    assert td.DataLoader(td.Subset(_images(), [1, 2]), batch_size=2).plan() == [
        "Subset of TensorDataset: batched fetch (__getbatch__)"
    ]
    assert (
        "no transform step has a kernel"
        in td.DataLoader(td.TransformDataset(_images(), T.Lambda(abs)), batch_size=2).plan()[0]
    )


@given(
    seed=st.integers(0, 2**64 - 1),
    epoch=st.integers(0, 2**40),
    indices=st.lists(st.integers(0, 2**64) | st.integers(0, 50), max_size=40),
    n=st.integers(1, 2**64 + 1) | st.integers(1, 40),
)
def test_streams_in_lanes_are_the_streams(
    seed: int, epoch: int, indices: list[int], n: int
) -> None:
    """NOTE [ Streams in lanes ]: the batch draws are the per-stream draws, and leave every
    stream where the per-stream calls leave it."""
    lanes = sample_generators(seed, epoch, indices)
    one_by_one = []
    for i in indices:
        with sample_scope(seed, epoch, i):
            one_by_one.append(td.random.sample_generator())
    assert td.random.randbelow_each(lanes, n) == [g.randbelow(n) for g in one_by_one]
    assert td.random.random_each(lanes) == [g.random() for g in one_by_one]
    # the stream objects, made where the lanes stand, go on from there
    assert [g.seed for g in lanes] == [g.seed for g in one_by_one]
    assert td.random.randbelow_each(lanes, n) == [g.randbelow(n) for g in one_by_one]
    assert [g.next64() for g in lanes] == [g.next64() for g in one_by_one]


# --- the numpy kernels (NOTE [ numpy kernels ]): the pure path's bytes on full batches ----------


def _p2_digests(mode: str, tail: bool, channels: int, seed: int) -> list[str]:
    """Two epochs of a P2-shaped loader (pad + random crop, flip, ToTensor, Normalize; 64
    images a batch, the last one short) with numpy hidden or loaded."""
    g = td.random.Generator(seed)
    n, shape = 150, ((28, 28) if channels == 1 else (28, 28, channels))
    images = Tensor(g.bytes(n * math.prod(shape)), shape=(n, *shape))
    ds = td.TensorDataset(images, list(range(n)))
    mean, std = [0.1307, 0.2, 0.7][:channels], [0.3081, 0.5, 1e-3][:channels]
    geometry = [T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(), T.RandomVerticalFlip(0.2)]
    finish = [T.ToTensor(), T.Normalize(mean, std)]
    kw: dict[str, Any] = {"batch_size": 64, "shuffle": True, "seed": seed}
    if tail:
        kw["collate_fn"] = T.BatchTransform(T.Compose(finish))
    steps = geometry if tail else geometry + finish
    with _numpy_mode(mode):
        loader = td.DataLoader(td.TransformDataset(ds, T.Compose(steps)), **kw)
        return [batch_digest(b) for _ in range(2) for b in loader]


@pytest.mark.native_only(reason="compares the numpy kernels with the pure ones (no numpy there)")
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("tail", [False, True], ids=["all_per_sample", "batch_tail"])
def test_numpy_kernels_give_the_pure_batches(tail: bool, channels: int) -> None:
    """Full batches of 64 (the sizes the benchmarks run) through every numpy kernel: crop
    from the padded batch, flips, ToTensor + Normalize by formula or table."""
    want = _p2_digests("bare", tail, channels, seed=3)
    assert _p2_digests("numpy", tail, channels, seed=3) == want
    # and the per-sample path (no kernels at all) agrees with both
    os.environ["TORSH_DATA_KERNELS"] = "0"
    try:
        assert _p2_digests("bare", tail, channels, seed=3) == want
    finally:
        del os.environ["TORSH_DATA_KERNELS"]


@pytest.mark.native_only(reason="compares the numpy kernels with the pure ones (no numpy there)")
@given(
    mean=st.floats(-1e3, 1e3) | st.sampled_from([0.0, -0.0, 1e-40, 3e38]),
    std=st.floats(1e-6, 1e3) | st.sampled_from([1.0, 1e-40, 1e-30, 3e38, -2.0]),
    data=st.data(),
)
def test_numpy_normalize_formula_or_table_gives_the_table_bits(
    mean: float, std: float, data: st.DataObject
) -> None:
    """The fused ToTensor + Normalize kernel with numpy computes ``(v/255 - mean)/std`` only
    where that gives the table's float32 bits (overflow, underflow, -0.0 included), and
    gathers from the table elsewhere: the bytes equal the pure path's either way."""
    xs = data.draw(batches(("hw", "hwc")))
    step = T.Compose([T.ToTensor(), T.Normalize(mean, std)])._steps[0]
    with _numpy_mode("bare"):
        want = step.kernel(stack(xs), [None] * len(xs))
    with _numpy_mode("numpy"):
        got = step.kernel(stack(xs), [None] * len(xs))
    assert got.shape == want.shape and got.tobytes() == want.tobytes()


@pytest.mark.native_only(reason="calls numpy directly (no numpy there)")
def test_numpy_lookup_checks_the_formula_against_the_table() -> None:
    """Given statistics the table was not made with, the lookup keeps the table's values."""
    if not has_module("numpy"):
        pytest.skip(NUMPY_REASON)
    import numpy as np

    from torsh_data.transforms import _image, _np_kernels

    x, shape, tables = bytes(range(256)), (1, 16, 16, 1), _image._unit_tables
    unit = array.array("f", [v / 255 for v in range(256)]).tobytes()  # the pure path's values
    assert bytes(_np_kernels.lookup(np, x, shape, tables)) == unit
    assert bytes(_np_kernels.lookup(np, x, shape, tables, lambda c: (0.0, 1.0))) == unit
    # the formula (v/255 - 0.5) / 2 does not give this table: it is refused, the table used
    assert bytes(_np_kernels.lookup(np, x, shape, tables, lambda c: (0.5, 2.0))) == unit
