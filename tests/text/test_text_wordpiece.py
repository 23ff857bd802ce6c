"""WordPiece (BERT) tokenizers: identical to the tokenizers library on the fixtures and, natively,
on generated text; tokenizer.json bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from text_reference import (
    DATA,
    HAS_TOKENIZERS,
    TEXTS,
    TOKENIZERS_REASON,
    as_dict,
    assert_same,
    expected,
    padding_token,
    reference_tokenizer,
)

from torsh_data import DataTypeError, DataValueError, FormatError, SourceError
from torsh_data.text import Tokenizer, wordpiece_from_vocab

# the fixture comparisons below run for both trained models and for variants of them built
# with other pipeline parts (Sequence, NFKD, StripAccents, lstrip/rstrip and normalized added
# tokens, BertProcessing, the ByteLevel post-processor)
NAMES = ["wordpiece", "bpe", "wordpiece_variant", "bpe_variant"]


@pytest.fixture(scope="module", params=NAMES)
def case(request: pytest.FixtureRequest) -> tuple[Tokenizer, dict[str, object]]:
    name = request.param
    return Tokenizer.from_file(DATA / f"{name}_tokenizer.json"), expected(name)


def test_single_texts(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    assert len(ref["single"]) >= 70
    for e in ref["single"]:
        assert_same(tok.encode(e["text"]), e, e["text"])
    for e in ref["no_special"]:
        assert_same(tok.encode(e["text"], add_special_tokens=False), e, e["text"])


def test_pairs(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    for e in ref["pair"]:
        assert_same(tok.encode(*e["text"]), e, e["text"])


def test_truncation(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    try:
        for e in ref["truncated"]:
            tok.enable_truncation(**e["settings"])
            if "error" in e:
                with pytest.raises(DataValueError):
                    tok.encode(*e["text"])
            else:
                assert_same(tok.encode(*e["text"]), e, (e["text"], e["settings"]))
    finally:
        tok.no_truncation()


def test_overflowing_with_stride(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    try:
        for e in ref["strided"]:
            tok.enable_truncation(**e["settings"])
            got = tok.encode(e["text"])
            assert_same(got, e, (e["text"], e["settings"]))
            assert len(got.overflowing) == len(e["overflowing"])
            for g, w in zip(got.overflowing, e["overflowing"], strict=True):
                assert_same(g, w, (e["text"], e["settings"], "overflowing"))
    finally:
        tok.no_truncation()


def test_padding_and_batches(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    pad = padding_token(tok)
    try:
        tok.enable_padding(pad_id=tok.token_to_id(pad), pad_token=pad)
        got = tok.encode_batch(ref["padded_batch"]["texts"])
        for g, w in zip(got, ref["padded_batch"]["encodings"], strict=True):
            assert_same(g, w, "padded batch")
        tok.enable_padding(direction="left", length=40, pad_id=tok.token_to_id(pad), pad_token=pad)
        got = tok.encode_batch(ref["padded_left"]["texts"])
        for g, w in zip(got, ref["padded_left"]["encodings"], strict=True):
            assert_same(g, w, "left padded batch")
    finally:
        tok.no_padding()


def test_decode(case: tuple[Tokenizer, dict]) -> None:
    tok, ref = case
    for d in ref["decode"]:
        assert tok.decode(d["ids"]) == d["skip"]
        assert tok.decode(d["ids"], skip_special_tokens=False) == d["keep"]
    assert tok.decode_batch([d["ids"] for d in ref["decode"][:3]]) == [
        d["skip"] for d in ref["decode"][:3]
    ]


def test_vocab_accessors(case: tuple[Tokenizer, dict]) -> None:
    tok, _ = case
    pad = padding_token(tok)
    i = tok.token_to_id(pad)
    assert i is not None and tok.id_to_token(i) == pad
    assert tok.token_to_id("no such token") is None and tok.id_to_token(10**9) is None
    assert tok.get_vocab_size() == len(tok.get_vocab()) > 100
    raw = json.loads((DATA / f"{NAMES[0]}_tokenizer.json").read_text())
    assert (
        Tokenizer.from_str(json.dumps(raw)).encode("hello").ids
        == Tokenizer.from_file(DATA / "wordpiece_tokenizer.json").encode("hello").ids
    )


def test_wordpiece_from_vocab_txt() -> None:
    tok = wordpiece_from_vocab(DATA / "wordpiece-vocab.txt")
    ref = expected("wordpiece_vocab")
    for e in ref["single"]:
        assert_same(tok.encode(e["text"]), e, e["text"])
    for e in ref["pair"]:
        assert_same(tok.encode(*e["text"]), e, e["text"])
    lines = (DATA / "wordpiece-vocab.txt").read_text(encoding="utf-8").splitlines()
    assert wordpiece_from_vocab(lines).encode("Hello!").ids == tok.encode("Hello!").ids


def test_max_input_chars_and_unk() -> None:
    tok = wordpiece_from_vocab(["[UNK]", "[CLS]", "[SEP]", "a", "##a"], max_input_chars_per_word=3)
    assert tok.encode("aaa aaaa", add_special_tokens=False).tokens == ["a", "##a", "##a", "[UNK]"]
    assert tok.encode("ab", add_special_tokens=False).offsets == [(0, 2)]


# --- bad input ---------------------------------------------------------------------------------

GOOD = json.loads((DATA / "wordpiece_tokenizer.json").read_text(encoding="utf-8"))


def _with(**changes: object) -> str:
    doc = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = doc
        for p in parents:
            node = node[p]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("{", "not valid JSON"),
        (_with(model__type="Unigram"), "model type 'Unigram' is not supported"),
        (_with(model=KeyError), "missing model"),
        (_with(model__vocab=[1, 2]), "model.vocab"),
        (_with(model__vocab={"a": -1}), "model.vocab"),
        (_with(model__unk_token="<nope>"), "unk_token"),
        (_with(normalizer__type="Precompiled"), "normalizer type 'Precompiled' is not supported"),
        (_with(normalizer={"type": "Sequence", "normalizers": [{"type": "NFC"}]}), "'NFC'"),
        (_with(pre_tokenizer__type="Metaspace"), "pre-tokenizer type 'Metaspace'"),
        (_with(post_processor__type="Mystery"), "post-processor type 'Mystery'"),
        (_with(post_processor__single=[{"Bogus": {}}]), "template piece"),
        (_with(post_processor__single=[{"SpecialToken": {"id": "[XX]"}}]), "not in special_tokens"),
        (_with(decoder__type="Metaspace"), "decoder type 'Metaspace'"),
        (_with(added_tokens=[{"id": 1, "content": "x", "single_word": True}]), "single_word"),
        (_with(added_tokens=[{"id": "1", "content": "x"}]), "integer id"),
        (_with(added_tokens=[{"id": 1, "content": ""}]), "content"),
        (_with(truncation={"max_length": -1}), "truncation"),
        (_with(padding={"strategy": {"Fixed": 0}}), "padding"),
        (_with(normalizer__lowercase="yes"), "lowercase"),
    ],
)
def test_bad_tokenizer_json(doc: str, match: str) -> None:
    with pytest.raises(FormatError, match=match):
        Tokenizer.from_str(doc)


def test_bad_files_and_arguments(tmp_path: object) -> None:
    from pathlib import Path

    tmp = Path(str(tmp_path))
    with pytest.raises(SourceError):
        Tokenizer.from_file(tmp / "missing.json")
    (tmp / "bad.json").write_bytes(b'{"model": "\xff"}')
    with pytest.raises(FormatError, match="not UTF-8"):
        Tokenizer.from_file(tmp / "bad.json")
    with pytest.raises(FormatError, match="no '\\[SEP\\]'"):
        wordpiece_from_vocab(["[UNK]", "[CLS]", "a"])
    tok = Tokenizer.from_file(DATA / "wordpiece_tokenizer.json")
    with pytest.raises(DataTypeError):
        tok.encode(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(DataValueError):
        tok.encode_batch([("a", "b", "c")])
    for bad in (
        {"max_length": -1},
        {"max_length": 5, "strategy": "shortest"},
        {"max_length": 4, "stride": -1},
    ):
        with pytest.raises(DataValueError):
            tok.enable_truncation(**bad)  # type: ignore[arg-type]
    with pytest.raises(DataValueError):
        tok.enable_padding(direction="up")
    with pytest.raises(DataValueError):
        tok.enable_padding(length=0)
    with pytest.raises(DataValueError, match="pad_id"):
        tok.enable_padding(pad_id="0")  # type: ignore[arg-type]
    tok.enable_truncation(4, strategy="only_second")
    with pytest.raises(DataValueError, match="pair"):
        tok.encode("hello world again and again")


def test_reading_a_small_file_allocates_about_its_size(tmp_path: object) -> None:
    """A vocab.txt or tokenizer.json is read in chunks up to the 1 GiB cap; reading it with
    ``f.read(cap + 1)`` allocated the whole cap for every file (found by tests/fuzz)."""
    import tracemalloc
    from pathlib import Path

    vocab = Path(str(tmp_path)) / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi\n")
    tracemalloc.start()
    try:
        tok = wordpiece_from_vocab(vocab)
        Tokenizer.from_file(DATA / "wordpiece_tokenizer.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tok.encode("hi").tokens == ["[CLS]", "hi", "[SEP]"]
    assert peak < 16 << 20


_WP = Tokenizer.from_file(DATA / "wordpiece_tokenizer.json")


@given(TEXTS)
def test_random_json_documents_fail_cleanly(text: str) -> None:
    try:
        Tokenizer.from_str(text)
    except FormatError:
        pass


@given(TEXTS)
def test_any_text_encodes_consistently(text: str) -> None:
    e = _WP.encode(text)
    n = len(e.ids)
    assert len(e.tokens) == len(e.offsets) == len(e.type_ids) == n
    assert e.special_tokens_mask[0] == e.special_tokens_mask[-1] == 1
    for s, t in e.offsets:
        assert 0 <= s <= t <= len(text)


@pytest.mark.skipif(not HAS_TOKENIZERS, reason=TOKENIZERS_REASON)
@pytest.mark.native_only(reason="compares with the tokenizers library, which has no Pyodide wheel")
@pytest.mark.parametrize("name", ["wordpiece", "wordpiece_variant"])
@given(a=TEXTS, b=TEXTS)
def test_parity_with_tokenizers_library(name: str, a: str, b: str) -> None:
    ours, ref = _OURS[name], reference_tokenizer(name)
    assert as_dict(ours.encode(a)) == as_dict(ref.encode(a))
    assert as_dict(ours.encode(a, b)) == as_dict(ref.encode(a, b))
    ids = ref.encode(a).ids
    assert ours.decode(ids) == ref.decode(ids)
    assert ours.decode(ids, skip_special_tokens=False) == ref.decode(ids, skip_special_tokens=False)


_OURS = {n: Tokenizer.from_file(DATA / f"{n}_tokenizer.json") for n in NAMES}


# --- hostile tokenizer.json (issue 17, causes 4 and 5) -----------------------------------
@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ('{"model": ' + "[" * 100_000, "nested deeper than 500"),
        (_with(truncation={"max_length": 8, "strategy": ["LongestFirst"]}), "truncation.strategy"),
        (_with(truncation={"max_length": 8, "strategy": "Widest"}), "truncation.strategy"),
        (_with(truncation={"max_length": 8, "direction": {}}), "truncation.direction"),
        (_with(truncation={"stride": 1}), "truncation.max_length is missing"),
        (_with(padding={"strategy": {"Fixed": 10**9}}), "padding.strategy.Fixed: length"),
        (_with(padding={"strategy": ["Fixed", 3]}), "padding.strategy must be"),
        (_with(padding={"pad_to_multiple_of": 10**9}), "pad_to_multiple_of"),
    ],
)
def test_hostile_settings_name_the_file_and_field(tmp_path: object, doc: str, match: str) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "tok.json"
    path.write_text(doc)
    with pytest.raises(FormatError, match=match) as info:
        Tokenizer.from_file(path)
    assert str(info.value).startswith(f"{path}: ")
    with pytest.raises(ValueError):
        Tokenizer.from_str(doc)


def test_fixed_padding_is_capped_but_large_values_work() -> None:
    from torsh_data.text._tokenizer import MAX_PAD_LENGTH

    tok = Tokenizer.from_str(_with(padding={"strategy": {"Fixed": 4096}}))
    assert len(tok.encode("hello").ids) == 4096
    with pytest.raises(
        DataValueError, match=f"length must be None or an integer in \\[1, {MAX_PAD_LENGTH}\\]"
    ):
        tok.enable_padding(length=MAX_PAD_LENGTH + 1)
