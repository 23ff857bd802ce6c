"""The column-scaling kernel (``_wasm/scale.wat``): in Pyodide it gives exactly the float32
bytes of Standardize's pure-Python path; natively :func:`scale_f32` declines (None)."""

from __future__ import annotations

import array
import math

from hypothesis import given
from hypothesis import strategies as st

from torsh_data import Tensor
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm import disabled
from torsh_data._wasm.scale import MIN_VALUES, scale_f32, squares_f32
from torsh_data.random import Generator
from torsh_data.transforms import Standardize

f32s = st.floats(width=32, allow_nan=False)


@given(
    st.integers(1, 5).flatmap(
        lambda f: st.tuples(
            st.lists(f32s, min_size=f, max_size=f),
            st.lists(st.floats(-1e300, 1e300), min_size=f, max_size=f),
            st.lists(st.floats(1e-300, 1e300), min_size=f, max_size=f),
            st.integers(MIN_VALUES // f + 1, MIN_VALUES // f + 40),
        )
    )
)
def test_kernel_gives_the_pure_bits(case) -> None:
    row, mean, std, n = case
    x = Tensor([row] * n, dtype="float32")
    scaler = Standardize.from_state_dict({"type": "Standardize", "mean": mean, "std": std})
    with disabled():
        want = scaler(x).tobytes()
    assert scaler(x).tobytes() == want
    got = scale_f32(memoryview(array.array("f", x.tobytes())), mean, std)
    assert (got is not None) == IN_PYODIDE
    if got is not None:
        assert bytes(got) == want


def test_a_nan_falls_back_to_the_pure_path() -> None:
    vals = array.array("f", [1.0, 2.0] * MIN_VALUES)
    vals[MIN_VALUES + 1] = math.nan
    assert scale_f32(memoryview(vals), [0.5, 0.25], [2.0, 4.0]) is None
    x = Tensor(vals.tolist(), dtype="float32").reshape(-1, 2)
    scaler = Standardize.from_state_dict(
        {"type": "Standardize", "mean": [0.5, 0.25], "std": [2.0, 4.0]}
    )
    with disabled():
        want = scaler(x).tobytes()
    assert scaler(x).tobytes() == want


@given(st.integers(1, 4), st.integers(0, 2**32), st.integers(-100, 100))
def test_fit_with_the_squares_kernel_gives_the_pure_statistics(f, seed, exponent) -> None:
    g = Generator(seed)
    n = MIN_VALUES // f + 7
    rows = [[(u - 0.3) * 2.0**exponent for u in g.uniforms(f)] for _ in range(n)]
    x = Tensor(rows, dtype="float32")
    with disabled():
        want = Standardize().fit(x).state_dict()
    assert Standardize().fit(x).state_dict() == want
    got = squares_f32(x.tobytes(), f, want["mean"])
    assert (got is not None) == IN_PYODIDE
    if got is not None:
        cols = list(zip(*x.tolist(), strict=True))
        for col, m, sq in zip(cols, want["mean"], got, strict=True):
            assert sq.tolist() == [(v - m) * (v - m) for v in col]
