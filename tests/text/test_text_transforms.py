"""Text transforms, text_collate / TokenCollate and BucketBatchSampler."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import DataLoader, DataTypeError, DataValueError, ShapeError, Tensor, int64
from torsh_data.text import (
    AddToken,
    BucketBatchSampler,
    PadTransform,
    Sequential,
    TokenCollate,
    ToTensor,
    Truncate,
    Vocab,
    VocabTransform,
    text_collate,
)


def test_transforms_single_and_batch() -> None:
    assert Truncate(2)(["a", "b", "c"]) == ["a", "b"]
    assert Truncate(5)([["a"], ["b", "c"]]) == [["a"], ["b", "c"]]
    assert AddToken("<s>")([["a"], []]) == [["<s>", "a"], ["<s>"]]
    assert AddToken(2, begin=False)([1]) == [1, 2]
    v = Vocab(["<unk>", "a", "b"], default_index=0)
    assert VocabTransform(v)([["a", "zz"], ["b"]]) == [[1, 0], [2]]
    assert PadTransform(3, 0)([[1], [1, 2, 3, 4]]) == [[1, 0, 0], [1, 2, 3, 4]]
    t = PadTransform(4, -1)(Tensor([1, 2]))
    assert t.tolist() == [1, 2, -1, -1] and t.dtype is int64
    assert PadTransform(3, 0)(Tensor([[1, 2], [3, 4]])).tolist() == [[1, 2, 0], [3, 4, 0]]
    assert ToTensor()([1, 2]).tolist() == [1, 2]
    assert ToTensor()([]).shape == (0,)
    assert ToTensor()([[1, 2], [3, 4]]).shape == (2, 2)
    assert ToTensor(padding_value=0)([[], []]).shape == (2, 0)
    pipe = Sequential(Truncate(3), VocabTransform(v), AddToken(9), ToTensor(padding_value=0))
    assert pipe([["a", "b", "a", "b"], ["b"]]).tolist() == [[9, 1, 2, 1], [9, 2, 0, 0]]
    assert len(pipe) == 4 and isinstance(pipe[0], Truncate)


def test_transform_errors() -> None:
    with pytest.raises(DataValueError):
        Truncate(-1)
    with pytest.raises(DataValueError):
        PadTransform(1.5, 0)  # type: ignore[arg-type]
    with pytest.raises(DataTypeError):
        AddToken(None)  # type: ignore[arg-type]
    with pytest.raises(DataTypeError):
        VocabTransform({"a": 1})  # type: ignore[arg-type]
    with pytest.raises(DataTypeError):
        Sequential(Truncate(1), 3)  # type: ignore[arg-type]
    with pytest.raises(DataTypeError):
        Truncate(1)("abc")
    with pytest.raises(ShapeError, match="padding_value"):
        ToTensor()([[1, 2], [3]])
    with pytest.raises(DataValueError):
        VocabTransform(Vocab(["a"]))(["b"])  # no default index


def test_text_collate() -> None:
    b = text_collate([[1, 2, 3], Tensor([4]), []], pad_id=-1)
    assert b.ids.tolist() == [[1, 2, 3], [4, -1, -1], [-1, -1, -1]]
    assert b.lengths.tolist() == [3, 1, 0]
    assert b.attention_mask.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert b.ids.dtype is int64 and b.attention_mask.dtype is int64 and b.lengths.dtype is int64
    left = text_collate([[1, 2], [3]], padding_side="left", max_length=1)
    assert left.ids.tolist() == [[1], [3]] and left.lengths.tolist() == [1, 1]
    left = TokenCollate(pad_id=0, padding_side="left")([[1, 2], [3]])
    assert left.ids.tolist() == [[1, 2], [0, 3]] and left.attention_mask.tolist() == [
        [1, 1],
        [0, 1],
    ]
    assert text_collate([[], []]).ids.shape == (2, 0)


@pytest.mark.parametrize(
    ("batch", "kwargs", "err"),
    [
        ([], {}, DataValueError),
        ([[1]], {"padding_side": "middle"}, DataValueError),
        ([[1]], {"pad_id": 1.0}, DataTypeError),
        ([[1]], {"max_length": -2}, DataValueError),
        ([["a"]], {}, DataValueError),
        ([[1 << 70]], {}, DataValueError),
        ([3], {}, DataTypeError),
        ([Tensor([[1]])], {}, DataValueError),
    ],
)
def test_text_collate_errors(batch: list[object], kwargs: dict[str, object], err: type) -> None:
    with pytest.raises(err):
        text_collate(batch, **kwargs)  # type: ignore[arg-type]


@given(st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=6), min_size=1, max_size=6))
def test_text_collate_round_trip(seqs: list[list[int]]) -> None:
    b = text_collate(seqs, pad_id=7)
    for row, mask, n, s in zip(
        b.ids.tolist(), b.attention_mask.tolist(), b.lengths.tolist(), seqs, strict=True
    ):
        assert n == len(s) and row[:n] == s and set(row[n:]) <= {7}
        assert mask == [1] * n + [0] * (len(row) - n)


def test_bucket_sampler_groups_lengths_and_is_seeded() -> None:
    lengths = [(i * 37) % 101 for i in range(1000)]
    s = BucketBatchSampler(lengths, batch_size=10, bucket_size_multiplier=10, seed=3)
    e0 = list(s)
    assert s.epoch == 1
    e1 = list(s)
    assert e0 != e1 and len(e0) == len(s) == 100
    assert sorted(i for b in e0 for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in e0) / len(e0)
    assert spread < 20  # random batches would spread over ~80
    s.set_epoch(0)
    assert list(s) == e0
    again = BucketBatchSampler(lengths, batch_size=10, bucket_size_multiplier=10, seed=3)
    assert again.batches(1) == e1
    # a fixed value, the same on every runtime
    assert e0[0] == BucketBatchSampler(lengths, 10, 10, seed=3).batches(0)[0]


@given(
    st.lists(st.integers(0, 50), max_size=60),
    st.integers(1, 7),
    st.integers(1, 4),
    st.booleans(),
    st.integers(0, 2**64 - 1),
)
def test_bucket_sampler_properties(
    lengths: list[int], bs: int, mult: int, drop_last: bool, seed: int
) -> None:
    s = BucketBatchSampler(lengths, bs, mult, drop_last=drop_last, seed=seed)
    batches = list(s)
    assert len(batches) == len(s)
    flat = [i for b in batches for i in b]
    assert len(flat) == len(set(flat))
    if drop_last:
        assert all(len(b) == bs for b in batches)
    else:
        assert sorted(flat) == list(range(len(lengths)))


def test_bucket_sampler_errors_and_loader() -> None:
    with pytest.raises(DataValueError):
        BucketBatchSampler([1, 2], batch_size=0)
    with pytest.raises(DataValueError):
        BucketBatchSampler([1, -2], batch_size=1)
    with pytest.raises(DataValueError):
        BucketBatchSampler([1], batch_size=1, bucket_size_multiplier=0)
    with pytest.raises(DataValueError):
        BucketBatchSampler([1], batch_size=1).set_epoch(-1)
    data = [[1] * n for n in (3, 1, 2, 5, 4, 1)]
    sampler = BucketBatchSampler([len(x) for x in data], batch_size=2, seed=0)
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=TokenCollate(pad_id=0))
    total = sum(int(b.lengths.tolist()[0] + b.lengths.tolist()[-1]) for b in loader)
    assert total == 16


# --- one sample's tokens and batches take the same path's results (NOTE [ One sample's tokens ])

TOKEN = st.text(st.sampled_from("ab<é"), max_size=3)


@given(st.lists(TOKEN, max_size=8), st.integers(0, 9), st.sampled_from([list, tuple]))
def test_truncate_and_lookup_of_one_sample_as_of_a_batch(
    tokens: list[str], n: int, kind: type
) -> None:
    vocab = Vocab(["<unk>", "a", "b", "ab"], default_index=0)
    sample = kind(tokens)
    cut = Truncate(n)(sample)
    assert type(cut) is list and cut == list(tokens[:n])
    assert cut is not sample
    ids = VocabTransform(vocab)(sample)
    assert ids == [vocab[t] for t in tokens]
    if tokens:  # the same rows as a batch (an empty list is one empty sample, not a batch)
        assert Truncate(n)([sample, sample]) == [cut, cut]
        assert VocabTransform(vocab)([sample, sample]) == [ids, ids]
    cut.append("x")  # the result is the caller's: the input is untouched
    assert list(sample) == tokens


def test_one_sample_paths_refuse_what_is_no_token_list() -> None:
    for bad in ("ab", 3, None, {"a": 1}):
        with pytest.raises(DataTypeError, match="list of tokens"):
            Truncate(2)(bad)
        with pytest.raises(DataTypeError, match="list of tokens"):
            VocabTransform(Vocab(["a"], default_index=0))(bad)
    strict = VocabTransform(Vocab(["a"]))
    with pytest.raises(DataValueError, match="no default index"):
        strict(["a", "zz"])
    with pytest.raises(DataValueError, match="no default index"):
        strict(["zz"])


@given(
    st.lists(st.lists(st.integers(-(2**40), 2**40), max_size=6), min_size=1, max_size=5),
    st.sampled_from(["right", "left"]),
    st.data(),
)
def test_text_collate_of_mixed_kinds_equals_lists(
    seqs: list[list[int]], side: str, data: st.DataObject
) -> None:
    # Plain sequences are taken as they are, any other kind per sample: the bytes agree.
    import array

    from torsh_data.text import Encoding

    def as_kind(s: list[int], kind: str) -> object:
        if kind == "tuple":
            return tuple(s)
        if kind == "array":
            return array.array("q", s)
        if kind == "tensor":
            return Tensor(s, dtype="int64") if s else Tensor._make(memoryview(b""), int64, (0,))
        if kind == "encoding":
            return Encoding(s, ["t"] * len(s), [(0, 0)] * len(s))
        return s

    kinds = data.draw(
        st.lists(
            st.sampled_from(["list", "tuple", "array", "tensor", "encoding"]),
            min_size=len(seqs),
            max_size=len(seqs),
        )
    )
    mixed = [as_kind(s, k) for s, k in zip(seqs, kinds, strict=True)]
    want = text_collate(seqs, pad_id=-3, padding_side=side)
    got = text_collate(mixed, pad_id=-3, padding_side=side)
    for a, b in zip(want, got, strict=True):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()


def test_text_collate_names_the_sample_that_is_no_id_sequence() -> None:
    with pytest.raises(DataTypeError, match="sample 1: expected a list of token ids"):
        text_collate([[1], "23"])
    with pytest.raises(DataTypeError, match="sample 0: expected a list of token ids"):
        text_collate([b"\x01", [2]])
    with pytest.raises(DataValueError, match="int64"):
        text_collate([[1], [[2]]])  # a nested list is no id
    with pytest.raises(DataValueError, match="int64"):
        text_collate([(1, "2")])
