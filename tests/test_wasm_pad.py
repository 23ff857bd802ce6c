"""The padding WebAssembly kernel (``_wasm/pad.wat``, NOTE [ The padding kernel ]): the ids,
lengths and mask of ``text_collate`` are exactly the pure path's, and its errors the same,
whichever path ran."""

from __future__ import annotations

import array
import enum
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from torsh_data import DataTypeError, DataValueError, Tensor, _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm import pad as wasm_pad
from torsh_data._wasm.pad import pad_rows
from torsh_data.text import Encoding, TextBatch, text_collate

WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python path; natively there is none"
)

I64 = 2**63


@pytest.fixture(autouse=True)
def _kernel_for_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis's small batches reach the kernel too."""
    monkeypatch.setattr(wasm_pad, "MIN_CELLS", 0)


def pure(*args: Any, **kwargs: Any) -> TextBatch:
    with _wasm.disabled():
        return text_collate(*args, **kwargs)


def same(a: TextBatch, b: TextBatch) -> None:
    for x, y in zip(a, b, strict=True):
        assert (x.dtype, x.shape, x.tobytes()) == (y.dtype, y.shape, y.tobytes())


def outcome(*args: Any, **kwargs: Any) -> Any:
    try:
        return text_collate(*args, **kwargs)
    except (DataTypeError, DataValueError) as exc:
        return type(exc), str(exc)


# ids in the int32 range the kernel reads, and some int64 ones beyond it that it leaves
ids32 = st.one_of(
    st.integers(-3, 300),
    st.integers(-(2**31), 2**31 - 1),
    st.sampled_from([2**31 - 1, -(2**31)]),
)
ids64 = st.one_of(ids32, ids32, ids32, st.sampled_from([2**31, -(2**31) - 1, I64 - 1, -I64]))


def batches(ids: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    rows = st.lists(ids, max_size=12)
    return st.tuples(
        st.lists(st.one_of(rows, rows.map(tuple)), min_size=1, max_size=9),
        st.booleans(),  # the batch a tuple (as zip gives it) or a list
    ).map(lambda b: tuple(b[0]) if b[1] else b[0])


pads = st.one_of(st.integers(-1, 3), st.sampled_from([I64 - 1, -I64]))
sides = st.sampled_from(["right", "left"])
max_lengths = st.one_of(st.none(), st.integers(0, 13))


@given(batch=batches(ids64), pad_id=pads, side=sides, max_length=max_lengths)
@example(batch=[[]], pad_id=0, side="right", max_length=None)  # a (1, 0) batch
@example(batch=([], [5, 6]), pad_id=7, side="left", max_length=None)
@example(batch=[[2**31, 1], [3]], pad_id=0, side="right", max_length=None)  # left to pure
def test_the_batch_is_the_pure_paths(
    batch: Any, pad_id: int, side: str, max_length: int | None
) -> None:
    got = text_collate(batch, pad_id=pad_id, padding_side=side, max_length=max_length)
    same(got, pure(batch, pad_id=pad_id, padding_side=side, max_length=max_length))


@WASM_ONLY
@given(batch=batches(ids32), pad_id=pads, side=sides)
def test_the_kernel_gives_the_pure_bytes(batch: Any, pad_id: int, side: str) -> None:
    found = pad_rows(batch, max(map(len, batch)), pad_id, side == "right")
    want = pure(batch, pad_id=pad_id, padding_side=side)
    assert found is not None
    assert (bytes(found[0]), bytes(found[1])) == (
        want.ids.tobytes(),
        want.attention_mask.tobytes(),
    )


@WASM_ONLY
@given(batch=batches(ids64), pad_id=pads, side=sides)
def test_the_kernel_leaves_ids_beyond_int32(batch: Any, pad_id: int, side: str) -> None:
    found = pad_rows(batch, max(map(len, batch)), pad_id, side == "right")
    assert (found is None) == any(not -(2**31) <= i < 2**31 for row in batch for i in row)


@WASM_ONLY
def test_the_kernel_runs_in_pyodide() -> None:
    assert _wasm.unavailable("pad") is None
    assert pad_rows([[1, 2], [3]], 2, 0, True) is not None


@WASM_ONLY
def test_what_the_kernel_leaves_to_the_pure_path() -> None:
    assert pad_rows([[1, 2], [3]], 1, 0, True) is None  # a row longer than said
    assert pad_rows([[1, 2], [3]], 2, I64, True) is None  # a pad beyond int64
    assert pad_rows([[1, True]], 2, 0, True) is None  # a bool: marshal's own type
    assert pad_rows([[1, 2.0]], 2, 0, True) is None
    assert pad_rows([array.array("q", [1])], 1, 0, True) is None  # marshalled as bytes
    assert pad_rows([[1, [2]]], 2, 0, True) is None
    assert pad_rows([[1], {2}], 1, 0, True) is None
    assert pad_rows([[1, Tensor([1])]], 2, 0, True) is None  # not marshallable
    assert pad_rows([[1, Five.V]], 2, 0, True) is None  # an int subclass
    assert pad_rows(Rows([[1]]), 1, 0, True) is None  # a list subclass


@given(
    batch=st.lists(
        st.lists(st.one_of(ids64, st.booleans(), st.just(1.0), st.just(I64), st.just("a"))),
        min_size=1,
        max_size=5,
    ),
    side=sides,
    pad_id=pads,
)
def test_items_that_are_no_int64_fail_or_pass_as_on_the_pure_path(
    batch: list[list[Any]], side: str, pad_id: int
) -> None:
    got = outcome(batch, pad_id=pad_id, padding_side=side)
    with _wasm.disabled():
        want = outcome(batch, pad_id=pad_id, padding_side=side)
    if isinstance(want, TextBatch):
        same(got, want)
    else:
        assert got == want


class Five(enum.IntEnum):
    V = 5


class Rows(list):  # type: ignore[type-arg]
    pass


def test_other_samples_and_big_batches() -> None:
    """Encodings, arrays and Tensors (made lists before the kernel), and a batch bigger than
    the scratch buffer (it grows)."""
    same(text_collate([[1, Five.V], [2]]), pure([[1, Five.V], [2]]))
    same(text_collate(Rows([[1], Rows([2, 3])])), pure(Rows([[1], Rows([2, 3])])))
    mixed = [
        Encoding([4, 5, 6], ["a", "b", "c"], [(0, 1)] * 3),
        array.array("q", [7]),
        Tensor([8, 9], dtype="int64"),
        [1],
    ]
    same(text_collate(mixed, pad_id=3), pure(mixed, pad_id=3))
    big = [list(range(n, 5 * n)) for n in range(300)]
    same(text_collate(big, padding_side="left"), pure(big, padding_side="left"))
    same(text_collate(big[:3]), pure(big[:3]))


def test_errors_are_the_pure_paths() -> None:
    with pytest.raises(DataValueError, match="token ids must be int64 integers"):
        text_collate([[1, I64], [2]])
    with pytest.raises(DataValueError, match="token ids must be int64 integers"):
        text_collate([[1, 2], [2]], pad_id=I64)
    with pytest.raises(DataTypeError, match="sample 1: expected a list of token ids"):
        text_collate([[1], "ab"])
    assert IN_PYODIDE or _wasm.kernels("pad") is None
