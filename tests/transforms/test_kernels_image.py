"""Batch kernels of the resizing and erasing transforms give the per-sample bytes.

NOTE [ Batch kernels ] (in ``torsh_data.transforms._compose``): ``t.kernel(x, gens)`` on a
stacked ``(N, ...)`` batch, sample ``i`` drawing from ``gens[i]``, must equal stacking
``t(x[i])`` run in the scope of sample ``i``, and leave each stream where the per-sample call
leaves it. ``KERNEL_CASES`` is a table of ``(class, strategy of instances, strategy of input
batches)``, the form of ``tests/transforms/test_kernels.py``'s table, into which it folds.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import Tensor, stack
from torsh_data import random as tdr
from torsh_data.transforms import RandomErasing, RandomResizedCrop, Resize


@st.composite
def image_batches(draw: st.DrawFn, max_side: int = 9, floats: bool = True) -> Tensor:
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
        return Tensor(raw, shape=shape)
    dtype = "float32" if kind == "f32" else "float64"
    return Tensor([v / 255 for v in raw], dtype=dtype).reshape(*shape)


sides = st.integers(1, 12)
out_sizes = st.one_of(sides, st.tuples(sides, sides))
modes = st.sampled_from(["nearest", "bilinear"])
ranges = st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)).map(lambda v: tuple(sorted(v)))
ratios = st.tuples(st.floats(0.3, 3.0), st.floats(0.3, 3.0)).map(lambda v: tuple(sorted(v)))
fills = st.one_of(st.just("random"), st.integers(0, 255), st.just((1, 2, 3)))

KERNEL_CASES = [
    (
        Resize,
        st.builds(Resize, out_sizes, modes, antialias=st.booleans()),
        image_batches(),
    ),
    (
        RandomResizedCrop,
        st.builds(RandomResizedCrop, out_sizes, ranges, ratios, modes, st.booleans()),
        image_batches(),
    ),
    (
        RandomErasing,
        st.builds(RandomErasing, st.sampled_from([0.0, 0.5, 1.0]), ranges, ratios, fills),
        image_batches(),
    ),
]


def _per_sample(t, x: Tensor, seed: int, epoch: int) -> tuple[list[Tensor], list[int]]:
    """Each sample through ``t`` in its own scope, and the stream's next word afterwards."""
    outs, after = [], []
    for i in range(x.shape[0]):
        with tdr.sample_scope(seed, epoch, i):
            outs.append(t(x[i]))
            after.append(tdr.sample_generator().next64())
    return outs, after


@pytest.mark.parametrize(
    ("cls", "instances", "inputs"), KERNEL_CASES, ids=[c[0].__name__ for c in KERNEL_CASES]
)
@given(data=st.data(), seed=st.integers(0, 2**32), epoch=st.integers(0, 3))
def test_kernel_gives_the_per_sample_bytes(cls, instances, inputs, data, seed, epoch):
    t = data.draw(instances)
    x = data.draw(inputs)
    try:
        want, after = _per_sample(t, x, seed, epoch)
    except Exception as exc:  # the per-sample path refuses: the kernel must refuse alike
        gens = tdr.sample_generators(seed, epoch, range(x.shape[0]))
        with pytest.raises(type(exc)):
            t.kernel(x, gens)
        return
    gens = tdr.sample_generators(seed, epoch, range(x.shape[0]))
    got = t.kernel(x, gens)
    assert got is not NotImplemented
    ref = stack(want)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    assert got.tobytes() == ref.tobytes()
    assert [g.next64() for g in gens] == after
