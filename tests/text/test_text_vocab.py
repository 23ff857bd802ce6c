"""Vocab and build_vocab_from_iterator: order, specials, limits, lookups, JSON."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import DataIndexError, DataTypeError, DataValueError, FormatError
from torsh_data.text import Vocab, basic_english, build_vocab_from_iterator


def test_order_frequency_then_first_appearance() -> None:
    v = build_vocab_from_iterator([["c", "b", "a", "b"], ["a", "d"]])
    assert v.get_itos() == ["b", "a", "c", "d"]
    assert v.get_stoi() == {"b": 0, "a": 1, "c": 2, "d": 3}


def test_specials_min_freq_max_tokens() -> None:
    data = [["x", "y", "y", "z", "z", "z", "<unk>"]]
    assert build_vocab_from_iterator(data, specials=["<unk>", "<pad>"]).get_itos() == [
        "<unk>", "<pad>", "z", "y", "x",
    ]  # fmt: skip
    last = build_vocab_from_iterator(data, specials=["<unk>", "<pad>"], special_first=False)
    assert last.get_itos() == ["z", "y", "x", "<unk>", "<pad>"]
    assert build_vocab_from_iterator(data, min_freq=2).get_itos() == ["z", "y"]
    capped = build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=3)
    assert capped.get_itos() == ["<unk>", "z", "y"]
    assert build_vocab_from_iterator([]).get_itos() == []


def test_lookups_and_default() -> None:
    v = Vocab(["a", "b", "c"])
    assert len(v) == 3 and "b" in v and "q" not in v and list(v) == ["a", "b", "c"]
    assert v["c"] == 2 and v.lookup_indices(["a", "c"]) == [0, 2]
    with pytest.raises(DataValueError, match="set_default_index"):
        v["q"]
    with pytest.raises(DataValueError, match="set_default_index"):
        v.lookup_indices(["q"])
    v.set_default_index(1)
    assert v["q"] == 1 and v.lookup_indices(["q", "a"]) == [1, 0]
    assert v.get_default_index() == 1
    assert v.lookup_tokens([2, 0]) == ["c", "a"] and v.lookup_token(1) == "b"
    with pytest.raises(DataIndexError):
        v.lookup_tokens([3])
    with pytest.raises(DataIndexError):
        v.lookup_token(-1)
    with pytest.raises(DataValueError):
        v.set_default_index(3)
    v.set_default_index(None)
    with pytest.raises(DataValueError):
        v["q"]
    v.append_token("d")
    assert v["d"] == 3
    with pytest.raises(DataValueError, match="already"):
        v.append_token("a")
    with pytest.raises(DataTypeError):
        v.append_token(5)  # type: ignore[arg-type]


def test_bad_build_arguments() -> None:
    with pytest.raises(DataValueError, match="min_freq"):
        build_vocab_from_iterator([["a"]], min_freq=0)
    with pytest.raises(DataValueError, match="max_tokens"):
        build_vocab_from_iterator([["a"]], specials=["<unk>"], max_tokens=1)
    with pytest.raises(DataValueError, match="distinct"):
        build_vocab_from_iterator([["a"]], specials=["<unk>", "<unk>"])
    with pytest.raises(DataTypeError, match="lists of tokens"):
        build_vocab_from_iterator(["abc"])
    with pytest.raises(DataValueError, match="already"):
        Vocab(["a", "a"])


@pytest.mark.parametrize(
    "doc",
    [b"", b"{", b"[]", b'{"itos": 3}', b'{"itos": ["a", "a"]}', b'{"itos": [1]}',
     b'{"itos": ["a"], "default_index": 5}', b"\xff\xfe"],
)  # fmt: skip
def test_from_json_malformed(doc: bytes) -> None:
    with pytest.raises(FormatError, match="vocab json"):
        Vocab.from_json(doc)


@given(st.lists(st.lists(st.text(max_size=4), max_size=8), max_size=8), st.booleans())
def test_json_round_trip_and_invariants(lines: list[list[str]], default: bool) -> None:
    v = build_vocab_from_iterator(lines, specials=["<unk>"])
    if default:
        v.set_default_index(0)
    w = Vocab.from_json(v.to_json())
    assert w == v and w.get_default_index() == v.get_default_index()
    itos = v.get_itos()
    assert v.lookup_tokens(v.lookup_indices(itos)) == itos
    assert sorted(set(itos)) == sorted(itos)
    counts: dict[str, int] = {}
    for line in lines:
        for t in line:
            counts[t] = counts.get(t, 0) + 1
    freqs = [counts[t] for t in itos[1:]]
    assert freqs == sorted(freqs, reverse=True)


@given(st.binary(max_size=40))
def test_from_json_random_bytes(data: bytes) -> None:
    try:
        Vocab.from_json(data)
    except FormatError:
        pass


def test_basic_english_vocab_pipeline() -> None:
    lines = ["The cat sat.", "the dog sat!", "A cat?"]
    v = build_vocab_from_iterator(map(basic_english, lines), specials=["<unk>", "<pad>"])
    v.set_default_index(v["<unk>"])
    assert v.lookup_indices(basic_english("The cat flew.")) == [v["the"], v["cat"], 0, v["."]]


def test_from_json_deep_document_is_refused() -> None:
    # issue 17 cause 4: natively a RecursionError, in Pyodide a WebAssembly stack overflow
    with pytest.raises(FormatError, match="<vocab json>: JSON nested deeper than 500"):
        Vocab.from_json('{"itos": ' + "[" * 200_000)
