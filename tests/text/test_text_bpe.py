"""Byte-level BPE (GPT-2/RoBERTa): vocab.json + merges.txt, live parity, and bad input.

The tokenizer.json fixture comparisons for BPE run in test_text_wordpiece.py (parametrized
over both models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from text_reference import (
    DATA,
    HAS_TOKENIZERS,
    TEXTS,
    TOKENIZERS_REASON,
    as_dict,
    assert_same,
    expected,
    reference_tokenizer,
)

from torsh_data import DataValueError, FormatError
from torsh_data.text import Tokenizer, bpe_from_files

_BPE = Tokenizer.from_file(DATA / "bpe_tokenizer.json")
GOOD = json.loads((DATA / "bpe_tokenizer.json").read_text(encoding="utf-8"))


def test_from_vocab_json_and_merges_txt() -> None:
    tok = bpe_from_files(
        DATA / "bpe-vocab.json", DATA / "bpe-merges.txt", add_prefix_space=True, trim_offsets=True
    )
    ref = expected("bpe_files")
    for e in ref["single"]:
        assert_same(tok.encode(e["text"]), e, e["text"])
    for e in ref["pair"]:
        assert_same(tok.encode(*e["text"]), e, e["text"])
    lines = (DATA / "bpe-merges.txt").read_text(encoding="utf-8").splitlines()
    again = bpe_from_files(DATA / "bpe-vocab.json", lines, add_prefix_space=True, trim_offsets=True)
    assert again.encode("Hello world").ids == tok.encode("Hello world").ids


def test_byte_level_round_trip_examples() -> None:
    for text in [
        "Hello, world!",
        " leading",
        "日本語 😀👍🏽",
        "tabs\tand\nnewlines  ",
        "x\u0301\u0301",
    ]:
        e = _BPE.encode(text, add_special_tokens=False)
        assert _BPE.decode(e.ids) == text
        assert all(0 <= s <= t <= len(text) for s, t in e.offsets)


@given(TEXTS)
def test_decode_inverts_encode(text: str) -> None:
    e = _BPE.encode(text, add_special_tokens=False)
    assert _BPE.decode(e.ids, skip_special_tokens=False) == text
    for s, t in e.offsets:
        assert 0 <= s <= t <= len(text)


def test_lone_surrogate_is_an_error() -> None:
    with pytest.raises(DataValueError, match="surrogate"):
        _BPE.encode("a\ud800b")


def _with(**changes: object) -> str:
    doc = json.loads(json.dumps(GOOD))
    for key, value in changes.items():
        if value is KeyError:
            del doc["model"][key]
        else:
            doc["model"][key] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (_with(merges=KeyError), "no merges"),
        (_with(merges="a b"), "no merges"),
        (_with(merges=[["a"]]), "not a pair"),
        (_with(merges=["a b c"]), "not a pair"),
        (_with(merges=[["zz", "qq"]]), "not in the vocabulary"),
        (_with(dropout=0.1), "dropout"),
        (_with(byte_fallback=True), "byte_fallback"),
        (_with(continuing_subword_prefix="##"), "continuing_subword_prefix"),
        (_with(end_of_word_suffix="</w>"), "end_of_word_suffix"),
        (_with(unk_token="<nope>"), "unk_token"),
        (_with(type="WordLevel"), "'WordLevel' is not supported"),
    ],
)
def test_bad_bpe_json(doc: str, match: str) -> None:
    with pytest.raises(FormatError, match=match):
        Tokenizer.from_str(doc)


def test_bad_vocab_json(tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text("[1]")
    with pytest.raises(FormatError, match=r"model\.vocab"):
        bpe_from_files(tmp_path / "v.json", ["#version: 0.2"])
    (tmp_path / "v.json").write_text("{")
    with pytest.raises(FormatError, match="JSON"):
        bpe_from_files(tmp_path / "v.json", [])
    (tmp_path / "v.json").write_text('{"a": 0}')
    with pytest.raises(FormatError, match="not a pair"):
        bpe_from_files(tmp_path / "v.json", ["a"])


@given(st.binary(max_size=60))
def test_random_bytes_as_tokenizer_json(data: bytes) -> None:
    try:
        Tokenizer.from_str(data)
    except FormatError:
        pass


@pytest.mark.skipif(not HAS_TOKENIZERS, reason=TOKENIZERS_REASON)
@pytest.mark.native_only(reason="compares with the tokenizers library, which has no Pyodide wheel")
@pytest.mark.parametrize("name", ["bpe", "bpe_variant"])
@given(a=TEXTS, b=TEXTS)
def test_parity_with_tokenizers_library(name: str, a: str, b: str) -> None:
    ours, ref = _OURS[name], reference_tokenizer(name)
    assert as_dict(ours.encode(a)) == as_dict(ref.encode(a))
    assert as_dict(ours.encode(a, b)) == as_dict(ref.encode(a, b))
    assert as_dict(ours.encode(a, add_special_tokens=False)) == as_dict(
        ref.encode(a, add_special_tokens=False)
    )
    ids = ref.encode(a).ids
    assert ours.decode(ids) == ref.decode(ids)
    assert ours.decode(ids, skip_special_tokens=False) == ref.decode(ids, skip_special_tokens=False)


_OURS = {n: Tokenizer.from_file(DATA / f"{n}_tokenizer.json") for n in ("bpe", "bpe_variant")}


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=4),
    st.lists(st.one_of(st.integers(-1, 3), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(-1, 3), max_size=2),
)
_SECTIONS = ["model", "normalizer", "pre_tokenizer", "post_processor", "decoder", None]


@pytest.mark.parametrize("name", ["wordpiece", "bpe", "wordpiece_variant", "bpe_variant"])
@given(data=st.data())
def test_mutated_tokenizer_json_gives_tokenizer_or_format_error(
    name: str, data: st.DataObject
) -> None:
    doc = json.loads((DATA / f"{name}_tokenizer.json").read_text(encoding="utf-8"))
    section = data.draw(st.sampled_from(_SECTIONS))
    node = doc if section is None or not isinstance(doc.get(section), dict) else doc[section]
    key = data.draw(st.sampled_from([*sorted(node), "type", "added_tokens", "extra"]))
    node[key] = data.draw(_JSON_VALUES)
    try:
        tok = Tokenizer.from_str(json.dumps(doc))
    except FormatError:
        return
    for text in ("Hello, world! <mask> [MASK]", "", "日本 é"):
        tok.decode(tok.encode(text, "pair").ids)


@given(st.lists(st.text(max_size=6), max_size=12))
def test_random_vocab_and_merges_lines(lines: list[str]) -> None:
    from torsh_data.text import wordpiece_from_vocab

    try:
        tok = wordpiece_from_vocab(["[UNK]", "[CLS]", "[SEP]", *lines])
    except FormatError:
        pass
    else:
        tok.encode("".join(lines))
