"""Batch paths of the tabular and text transforms give exactly the per-sample results.

The tabular transforms' kernels are in ``test_kernels.py``'s one table; here, what they decline.
The text tests hold the batch forms (``basic_english_batch``, a vocabulary lookup,
``text_collate``) to the per-sample ones.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import torchtext_basic_english

import torsh_data as td
from torsh_data import random as tdr
from torsh_data import transforms
from torsh_data.text import Vocab, basic_english, basic_english_batch, text_collate

FLOATS = st.floats(-1e6, 1e6, allow_nan=False, width=32)


def test_kernel_declines_what_it_cannot_take() -> None:
    scale = transforms.Standardize().fit([[1.0, 2.0], [3.0, 5.0]])
    gens = tdr.sample_generators(0, 0, range(2))
    assert scale.kernel(td.Tensor([1.0, 2.0]), gens) is NotImplemented  # not stacked rows
    assert scale.kernel(td.Tensor([[1.0, 2.0]]), gens) is NotImplemented  # 1 row, 2 streams
    assert transforms.OneHot(3).kernel(td.Tensor([[1]]), gens[:1]) is NotImplemented


# --- text -------------------------------------------------------------------------------------

_PUNCT = st.sampled_from([*"'\".,()!?;:<>/ br\t\n\u3000\x1c\0AaÉİΣς", "<br />", "<BR />", "ΟΣ"])
TEXTS = st.lists(st.lists(st.one_of(_PUNCT, st.text(max_size=4)), max_size=12).map("".join))


@given(TEXTS)
def test_basic_english_batch_equals_per_text_and_torchtext(texts: list[str]) -> None:
    got = basic_english_batch(texts)
    assert got == [basic_english(t) for t in texts]
    assert got == [torchtext_basic_english(t) for t in texts]


@given(st.lists(st.text(), max_size=6))
def test_basic_english_batch_any_text(texts: list[str]) -> None:
    assert basic_english_batch(texts) == [torchtext_basic_english(t) for t in texts]


def test_basic_english_batch_rejects_non_text() -> None:
    with pytest.raises(td.DataTypeError, match="takes a str, not bytes"):
        basic_english_batch(["a", b"b"])  # type: ignore[list-item]
    with pytest.raises(td.DataTypeError, match="takes a str, not NoneType"):
        basic_english_batch(["a", "b", None])  # type: ignore[list-item]
    with pytest.raises(td.DataTypeError, match="takes a str, not bytes"):
        basic_english(b"a")  # type: ignore[arg-type]


class _Str(str):
    """A str subclass: accepted as text (its type differs from str's)."""


@given(TEXTS, st.data())
def test_basic_english_batch_takes_str_subclasses_and_iterables(
    texts: list[str], data: st.DataObject
) -> None:
    wrap = data.draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts)))
    mixed = [_Str(t) if w else t for t, w in zip(texts, wrap, strict=True)]
    want = [torchtext_basic_english(t) for t in texts]
    assert basic_english_batch(mixed) == want
    assert basic_english_batch(iter(mixed)) == want
    assert [basic_english(t) for t in mixed] == want


WORDS = st.text(st.sampled_from("abcé!"), max_size=3)


@given(st.lists(WORDS, unique=True, min_size=1, max_size=8), st.lists(WORDS, max_size=12))
def test_vocab_lookup_equals_one_by_one(itos: list[str], tokens: list[str]) -> None:
    vocab = Vocab(itos, default_index=0)
    assert vocab.lookup_indices(tokens) == [vocab.get_stoi().get(t, 0) for t in tokens]
    assert vocab.lookup_indices(iter(tokens)) == vocab.lookup_indices(tokens)
    strict = Vocab(itos)
    unknown = [t for t in tokens if t not in strict]
    if unknown:
        with pytest.raises(td.DataValueError, match="no default index"):
            strict.lookup_indices(tokens)
    else:
        assert strict.lookup_indices(tokens) == vocab.lookup_indices(tokens)


@given(
    st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=9), min_size=1, max_size=6),
    st.integers(-5, 5),
    st.sampled_from(["right", "left"]),
    st.none() | st.integers(0, 10),
)
def test_text_collate_equals_padding_each_row(
    seqs: list[list[int]], pad: int, side: str, max_length: int | None
) -> None:
    batch = text_collate(seqs, pad_id=pad, padding_side=side, max_length=max_length)
    rows = [s[:max_length] if max_length is not None else s for s in seqs]
    width = max(map(len, rows))
    ids, mask = [], []
    for r in rows:
        gap = width - len(r)
        ids.append(r + [pad] * gap if side == "right" else [pad] * gap + r)
        mask.append([1] * len(r) + [0] * gap if side == "right" else [0] * gap + [1] * len(r))
    assert batch.ids.shape == (len(rows), width) and batch.ids.tolist() == ids
    assert batch.attention_mask.tolist() == mask
    assert batch.lengths.tolist() == [len(r) for r in rows]
    flat = [v for r in ids for v in r]
    assert batch.ids.tobytes() == struct.pack(f"<{len(flat)}q", *flat)


def test_text_collate_rejects_what_int64_cannot_hold() -> None:
    with pytest.raises(td.DataValueError, match="int64"):
        text_collate([[1], [2**63]])
    with pytest.raises(td.DataValueError, match="int64"):
        text_collate([[1.5]])


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ([float("nan")], 1),
        ([float("inf")], 1),
        ([float("inf"), float("-inf")], 1),  # fsum raises ValueError on these
        ([float("-inf"), float("nan")], 1),
    ],
)
def test_standardize_fit_names_the_first_column_that_is_not_finite(
    bad: list[float], column: int
) -> None:
    rows = [[1.0, 2.0, 3.0] for _ in range(3)]
    for i, v in enumerate(bad):
        rows[i][column] = v
    rows[2][2] = float("nan")  # a later column too: the first is named
    for data in (rows, td.Tensor(rows, dtype="float64")):
        with pytest.raises(td.DataValueError, match=f"column {column} has NaN or infinite"):
            transforms.Standardize().fit(data)


def test_standardize_fit_overflow_is_reported_after_later_columns_are_checked() -> None:
    rows = [[1e308, 1.0], [1e308, float("nan")]]
    with pytest.raises(td.DataValueError, match="column 1 has NaN"):
        transforms.Standardize().fit(rows)
    with pytest.raises(OverflowError):
        transforms.Standardize().fit([[1e308, 1.0], [1e308, 2.0]])


# --- the batched fetch of rows (P1's TensorDataset.__getbatch__) -------------------------------


@given(
    st.sampled_from(["int64", "uint8", "int16", "float32", "float64", "bool"]),
    st.integers(0, 3),
    st.integers(1, 40),
    st.data(),
)
def test_take_gives_the_bytes_of_each_row(dtype: str, width: int, n: int, data: Any) -> None:
    raw = data.draw(st.binary(min_size=n * max(width, 1) * 8, max_size=n * max(width, 1) * 8))
    base = td.Tensor(raw, dtype="uint8")  # arbitrary bytes, NaN payloads included
    itemsize = {"int64": 8, "uint8": 1, "int16": 2, "float32": 4, "float64": 8, "bool": 1}
    count = n * max(width, 1)
    shape = (n, width) if width else (n,)
    t = td.Tensor(base[: count * itemsize[dtype]].tobytes(), dtype="uint8")
    t = td.Tensor._make(t._data, td.Tensor([0], dtype=dtype).dtype, shape)
    if dtype == "bool":
        t = td.Tensor._make(memoryview(bytearray(b % 2 for b in t.tobytes())), t.dtype, shape)
    idx = data.draw(st.lists(st.integers(-n, n - 1), max_size=50))
    row = t.tobytes()[: len(t.tobytes()) // n] if n else b""
    rows = [t.tobytes()[(i % n) * len(row) : (i % n + 1) * len(row)] for i in idx]
    got = t.take(idx)
    assert got.shape == (len(idx), *shape[1:]) and got.dtype == t.dtype
    assert got.tobytes() == b"".join(rows)
    with pytest.raises(td.DataIndexError, match=f"index {n} is out of range"):
        t.take([*idx, n])
