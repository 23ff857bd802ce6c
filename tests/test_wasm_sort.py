"""The sorting and gathering WebAssembly kernels (``_wasm/sort.wat``, ``_wasm/gather.wat``):
they give exactly the order and the bytes of the pure-Python paths they stand in for, so
permutations, samplers and batches do not depend on which ran (NOTE [ WebAssembly kernels ])."""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data import _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm import gather, sort
from torsh_data._wasm.gather import gather_rows
from torsh_data._wasm.sort import argsort_u64
from torsh_data.random import Generator

WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python path; natively there is none"
)
U64 = 2**64 - 1

# keys with many ties: few distinct values, or values that differ in one 11-bit digit only
tied_keys = st.one_of(
    st.lists(st.integers(0, U64)),
    st.lists(st.sampled_from([0, 1, 2**11, 2**33 + 5, 2**63, U64])),
    st.integers(0, 63).flatmap(
        lambda shift: st.lists(st.integers(0, 3).map(lambda v: (v << shift) & U64))
    ),
)


@pytest.fixture(autouse=True)
def _kernels_for_small_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis's small inputs reach the kernels too."""
    monkeypatch.setattr(sort, "MIN_KEYS", 0)
    monkeypatch.setattr(gather, "MIN_ROWS", 0)


def kernel_order(keys: list[int]) -> list[int]:
    buf, out = array("Q", keys), array("I", bytes(4 * len(keys)))
    assert argsort_u64(buf, out)
    return out.tolist()


@WASM_ONLY
@given(keys=tied_keys)
def test_argsort_is_the_stable_sort_of_the_keys(keys: list[int]) -> None:
    assert kernel_order(keys) == sorted(range(len(keys)), key=keys.__getitem__)


@WASM_ONLY
def test_argsort_of_no_key_one_key_and_many() -> None:
    assert kernel_order([]) == []
    assert kernel_order([U64]) == [0]
    r = random.Random(5)
    many = [r.getrandbits(64) for _ in range(70_000)]
    many[::7] = [r.choice([0, 2**40, U64]) for _ in many[::7]]  # ties in every pass's digits
    assert kernel_order(many) == sorted(range(len(many)), key=many.__getitem__)


@WASM_ONLY
@given(n=st.integers(0, 3000), seed=st.integers(0, U64))
def test_permutation_is_the_pure_one(n: int, seed: int) -> None:
    fast = Generator(seed).permutation(n)
    with _wasm.disabled():
        assert fast == Generator(seed).permutation(n)


@WASM_ONLY
@pytest.mark.parametrize("num_samples", [None, 300, 1000, 2500])
def test_random_sampler_orders_are_the_pure_ones(num_samples: int | None) -> None:
    def orders() -> list[list[int]]:
        sampler = td.RandomSampler(range(1000), num_samples=num_samples, seed=11)
        return [list(sampler) for _ in range(3)]  # three epochs

    fast = orders()
    with _wasm.disabled():
        assert fast == orders()


@WASM_ONLY
def test_loader_batches_are_the_pure_ones() -> None:
    """A shuffled TensorDataset loader: the permutation and both gathers run as kernels."""
    x = td.Tensor([[i * 0.5, -i, i % 7] for i in range(700)], dtype="float32")
    ds = td.TensorDataset(x, td.Tensor([i % 5 for i in range(700)], dtype="int64"))

    def epoch() -> list[bytes]:
        loader = td.DataLoader(ds, batch_size=96, shuffle=True, seed=3)
        return [t.tobytes() for batch in loader for t in batch]

    fast = epoch()
    with _wasm.disabled():
        assert fast == epoch()


@WASM_ONLY
@given(
    rows=st.integers(1, 40),
    row_bytes=st.sampled_from([1, 3, 8, 16, 80, 136, 200]),
    data=st.data(),
)
def test_gather_rows_is_the_join_of_the_rows(
    rows: int, row_bytes: int, data: st.DataObject
) -> None:
    raw = memoryview(
        bytearray(data.draw(st.binary(min_size=rows * row_bytes, max_size=rows * row_bytes)))
    )
    indices = data.draw(st.lists(st.integers(-rows, rows - 1), max_size=90))
    out = gather_rows(raw, rows, row_bytes, indices)
    assert out is not None
    assert out == b"".join(
        raw[(i % rows) * row_bytes : (i % rows + 1) * row_bytes] for i in indices
    )


@WASM_ONLY
@given(
    shape=st.sampled_from([(30,), (30, 4), (30, 2, 3), (12, 20)]),
    dtype=st.sampled_from(["uint8", "int16", "int64", "float32", "float64"]),
    data=st.data(),
)
def test_take_is_the_pure_take(shape: tuple[int, ...], dtype: str, data: st.DataObject) -> None:
    n, size = shape[0], td.zeros(shape, dtype=dtype).nbytes
    t = td.Tensor(bytearray(data.draw(st.binary(min_size=size, max_size=size))), dtype, shape)
    indices = data.draw(st.lists(st.integers(-n, n - 1), max_size=70))
    fast = t.take(indices)
    with _wasm.disabled():
        pure = t.take(indices)
    assert (fast.shape, fast.dtype, fast.tobytes()) == (pure.shape, pure.dtype, pure.tobytes())


@WASM_ONLY
@pytest.mark.parametrize("bad", [30, -31, 2**63, -(2**64), 2**70])
def test_take_out_of_range_is_the_same_error(bad: int) -> None:
    t = td.Tensor(list(range(30)), dtype="int64")
    assert gather_rows(t._data, 30, 8, [1, 2, bad]) is None
    with pytest.raises(
        td.DataIndexError, match=f"index {bad} is out of range for a first axis of size 30"
    ):
        t.take([0, 1, 2, bad, 3])


def test_sizes_are_checked_before_a_call() -> None:
    keys = array("Q", [3, 1, 2])
    if not IN_PYODIDE:
        assert argsort_u64(keys, array("I", bytes(12))) is False
        assert gather_rows(memoryview(bytearray(8)), 2, 4, [1, 0]) is None
        return
    with pytest.raises(ValueError, match="3 format 'I' items"):
        argsort_u64(keys, array("I", bytes(8)))
    with pytest.raises(ValueError, match="format 'Q'"):
        argsort_u64(array("I", bytes(12)), array("I", bytes(12)))
    with pytest.raises(ValueError, match="format 'Q'"):
        argsort_u64(memoryview(bytes(24)).cast("Q"), array("I", bytes(12)))  # read-only keys
    with pytest.raises(ValueError, match="at least 12 bytes"):
        gather_rows(memoryview(bytearray(8)), 3, 4, [0])
    assert gather_rows(memoryview(bytes(12)), 3, 4, [0]) is None  # read-only: the pure path


@pytest.mark.native_only(reason="natively no WebAssembly kernel is used; says why")
def test_natively_the_pure_paths_run() -> None:
    assert _wasm.kernels("sort") is None and _wasm.kernels("gather") is None
    assert argsort_u64(array("Q", [2, 1]), array("I", bytes(8))) is False
    assert gather_rows(memoryview(bytearray(4)), 2, 2, [1]) is None
