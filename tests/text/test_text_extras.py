"""Text extras: cleaning, stop words, the Porter stemmer, n-grams, BPE training, datasets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from text_corpus import bpe_corpus

import torsh_data as td
from torsh_data import text as tt

DATA = Path(__file__).parent / "data"


# --- cleaning ---------------------------------------------------------------------------------
def test_change_case_modes() -> None:
    assert tt.ChangeCase("lower")("ÀB") == "àb"
    assert tt.ChangeCase("upper")("straße") == "STRASSE"
    assert tt.ChangeCase("title")("hello world") == "Hello World"
    assert tt.ChangeCase("casefold")("Straße") == "strasse"
    with pytest.raises(td.DataValueError, match="mode must be one of"):
        tt.ChangeCase("shout")
    with pytest.raises(td.DataTypeError):
        tt.ChangeCase()(b"bytes")  # type: ignore[arg-type]


def test_remove_punctuation_follows_unicode_categories() -> None:
    text = "¡Hola! «quote» — dash; 'x' (y) [z] {w} ¿q? 日本。"
    out = tt.RemovePunctuation()(text)
    import unicodedata

    assert out == "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    assert tt.RemovePunctuation(keep="'")("it's!") == "it's"
    assert tt.RemovePunctuation(replace_with=" ")("a,b") == "a b"


def test_remove_numbers_and_whitespace() -> None:
    assert tt.RemoveNumbers()("a1b²c½d٣") == "abcd"
    assert tt.TrimWhitespace()("\t a b \n") == "a b"
    assert tt.CollapseWhitespace()("a \u3000\t b\n\nc") == "a b c"


def test_replace_pattern_and_bad_patterns() -> None:
    assert tt.ReplacePattern(r"\d+", "#")("a1 b22") == "a# b#"
    assert tt.ReplacePattern(r"\d", "#", count=1)("11") == "#1"
    with pytest.raises(td.DataValueError, match="invalid pattern"):
        tt.ReplacePattern("(", "x")
    with pytest.raises(td.DataValueError, match="bad replacement"):
        tt.ReplacePattern("a", r"\2")("a")


def test_filter_by_length() -> None:
    f = tt.FilterByLength(2, 3)
    assert f(["a", "ab", "abc", "abcd", [1, 2]]) == ["ab", "abc", [1, 2]]
    assert f.accepts("ab") and not f.accepts("")
    with pytest.raises(td.DataValueError):
        tt.FilterByLength(3, 2)
    with pytest.raises(td.DataTypeError):
        f("a str")  # type: ignore[arg-type]
    with pytest.raises(td.DataTypeError):
        f([3])


@given(st.text())
def test_cleaning_never_raises_on_any_text(text: str) -> None:
    steps = tt.Sequential(
        tt.ChangeCase("casefold"),
        tt.RemovePunctuation(),
        tt.RemoveNumbers(),
        tt.CollapseWhitespace(),
    )
    out = steps(text)
    assert "  " not in out and out == out.strip()


# --- stop words -------------------------------------------------------------------------------
def test_stop_words() -> None:
    assert len(tt.ENGLISH_STOP_WORDS) == 179  # NLTK's English list
    assert {"the", "wouldn't", "ourselves", "y"} <= tt.ENGLISH_STOP_WORDS
    assert tt.remove_english_stopwords(["The", "cat", "IS", "here"]) == ["cat"]
    assert tt.RemoveStopwords(["Cat"], case_sensitive=True)(["Cat", "cat"]) == ["cat"]
    with pytest.raises(td.DataTypeError):
        tt.RemoveStopwords("the")
    with pytest.raises(td.DataTypeError):
        tt.RemoveStopwords()("not a list")  # type: ignore[arg-type]


# --- Porter ------------------------------------------------------------------------------------
def test_porter_matches_the_reference_stems() -> None:
    pairs = [
        line.split("\t") for line in (DATA / "porter_reference.tsv").read_text("utf-8").splitlines()
    ]
    assert len(pairs) == 6000
    stem = tt.PorterStemmer()
    wrong = [(w, s, stem(w)) for w, s in pairs if stem(w) != s]
    assert wrong == []


@pytest.mark.parametrize(
    ("word", "stem"),
    [  # final stems of the examples in Porter (1980)
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("cats", "cat"),
        ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"),
        ("motoring", "motor"), ("sing", "sing"), ("hopping", "hop"), ("falling", "fall"),
        ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"), ("filing", "file"),
        ("happy", "happi"), ("sky", "sky"), ("relational", "relat"), ("conditional", "condit"),
        ("valency", "valenc"), ("digitizer", "digit"), ("vietnamization", "vietnam"),
        ("predication", "predic"), ("operator", "oper"), ("feudalism", "feudal"),
        ("decisiveness", "decis"), ("hopefulness", "hope"), ("callousness", "callous"),
        ("formality", "formal"), ("sensitivity", "sensit"), ("sensibility", "sensibl"),
        ("triplicate", "triplic"), ("formative", "form"), ("formalize", "formal"),
        ("electricity", "electr"), ("electrical", "electr"), ("goodness", "good"),
        ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"),
        ("airliner", "airlin"), ("adjustable", "adjust"), ("defensible", "defens"),
        ("irritant", "irrit"), ("replacement", "replac"), ("adjustment", "adjust"),
        ("dependent", "depend"), ("adoption", "adopt"), ("homologou", "homolog"),
        ("communism", "commun"), ("activate", "activ"), ("angulariti", "angular"),
        ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
        ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"),
        ("roll", "roll"), ("generalizations", "gener"), ("oscillators", "oscil"),
    ],
)  # fmt: skip
def test_porter_paper_examples(word: str, stem: str) -> None:
    assert tt.porter_stem(word) == stem


def test_porter_short_words_and_bad_input() -> None:
    assert [tt.porter_stem(w) for w in ("is", "as", "a", "")] == ["is", "as", "a", ""]
    assert tt.PorterStemmer()(["running", "flies"]) == ["run", "fli"]
    with pytest.raises(td.DataTypeError):
        tt.porter_stem(3)  # type: ignore[arg-type]
    with pytest.raises(td.DataTypeError):
        tt.PorterStemmer()({"set"})  # type: ignore[arg-type]


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=20))
def test_porter_never_lengthens_much_and_is_lower_case(word: str) -> None:
    out = tt.porter_stem(word)
    assert len(out) <= len(word) + 1 and out == out.lower()


# --- n-grams -----------------------------------------------------------------------------------
def test_ngrams() -> None:
    toks = ["a", "b", "c", "d"]
    assert tt.bigrams(toks) == ["a b", "b c", "c d"]
    assert tt.trigrams(toks, join=None) == [("a", "b", "c"), ("b", "c", "d")]
    assert tt.ngrams(toks, 5) == []
    assert tt.NGrams(1, 3)(["x", "y"]) == ["x", "y", "x y"]
    with pytest.raises(td.DataValueError):
        tt.ngrams(toks, 0)
    with pytest.raises(td.DataValueError):
        tt.NGrams(3, 2)
    with pytest.raises(td.DataTypeError):
        tt.ngrams("abc", 2)


@given(st.lists(st.text(max_size=3), max_size=12), st.integers(1, 5))
def test_ngrams_count(tokens: list[str], n: int) -> None:
    grams = tt.ngrams(tokens, n, join=None)
    assert len(grams) == max(0, len(tokens) - n + 1)
    assert all(list(g) == tokens[i : i + n] for i, g in enumerate(grams))


# --- BPE training ------------------------------------------------------------------------------
def test_bpe_hand_worked_example() -> None:
    # Sennrich et al. (2016), Fig. 1: low x5, lower x2, newest x6, widest x3
    texts = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
    tok = tt.train_bpe(texts, vocab_size=10 + 4)
    # alphabet d e i l n o r s t w (10); es (9), est (9), lo (7), low (7)
    assert tok.model.merges == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w")]
    assert tok.encode("lowest").tokens == ["low", "est"]


@pytest.mark.parametrize("pre", ["whitespace", "byte_level"])
def test_bpe_training_matches_hugging_face(pre: str) -> None:
    expected = json.loads((DATA / "bpe_train_expected.json").read_text("utf-8"))[pre]
    tok = tt.train_bpe(
        bpe_corpus(),
        expected["vocab_size"],
        min_frequency=2,
        special_tokens=["<s>", "</s>"],
        pre_tokenizer=pre,
    )
    assert [list(m) for m in tok.model.merges] == expected["merges"]
    assert tok.get_vocab() == expected["vocab"]


def test_bpe_trained_tokenizer_round_trips_bytes() -> None:
    tok = tt.train_bpe(bpe_corpus()[:300], 300, pre_tokenizer="byte_level")
    text = "newest ça 日本 ✓ unseen"
    assert tok.decode(tok.encode(text).ids) == text


def test_bpe_bad_input() -> None:
    with pytest.raises(td.DataTypeError):
        tt.train_bpe("one string", 10)
    with pytest.raises(td.DataTypeError):
        tt.train_bpe(["ok", b"bytes"], 10)  # type: ignore[list-item]
    with pytest.raises(td.DataValueError):
        tt.train_bpe(["a"], 0)
    with pytest.raises(td.DataValueError):
        tt.train_bpe(["a"], 10, pre_tokenizer="nope")
    empty = tt.train_bpe([], 10, special_tokens=["<unk>"], unk_token="<unk>")
    assert empty.get_vocab() == {"<unk>": 0} and empty.encode("x").tokens == ["<unk>"]


# --- datasets ----------------------------------------------------------------------------------
def test_text_classification_dataset_in_a_loader() -> None:
    texts = ["a good film", "a bad film", "good good", "bad"]
    ds = tt.TextClassificationDataset(texts, ["pos", "neg", "pos", "neg"], max_length=2)
    assert ds.classes == ["neg", "pos"] and ds.targets == [1, 0, 1, 0]
    assert ds.vocab.get_itos()[:2] == ["<pad>", "<unk>"]
    ids, y = ds[0]
    assert ids.tolist() == ds.vocab.lookup_indices(["a", "good"]) and y == 1
    assert ds[3][0].tolist() == ds.vocab.lookup_indices(["bad"])
    loader = td.DataLoader(ds, batch_size=2, collate_fn=td.pad_collate)
    assert sum(len(batch[1]) for batch in loader) == 4
    with pytest.raises(td.DataValueError):
        tt.TextClassificationDataset(["a"], [0, 1])
    with pytest.raises(td.DataIndexError):
        ds[4]


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def test_text_folder_and_imdb(tmp_path: Path) -> None:
    _write(
        tmp_path / "aclImdb",
        {
            "train/pos/0_9.txt": b"Great!",
            "train/pos/1_8.txt": "Très bien".encode(),
            "train/neg/2_1.txt": b"Awful.",
            "train/unsup/3_0.txt": b"?",
            "test/neg/4_2.txt": b"Bad",
            "test/pos/5_9.txt": b"Good",
            "train/neg/readme.md": b"not a review",
        },
    )
    imdb = tt.IMDB(tmp_path)
    assert imdb.classes == ["neg", "pos"] and len(imdb) == 3
    assert [imdb[i] for i in range(3)] == [("Awful.", 0), ("Great!", 1), ("Très bien", 1)]
    assert tt.IMDB(tmp_path / "aclImdb", split="test")[0] == ("Bad", 0)
    folder = tt.TextFolder(tmp_path / "aclImdb" / "train", transform=str.upper)
    assert folder.classes == ["neg", "pos", "unsup"] and folder[3] == ("?", 2)
    with pytest.raises(td.DataValueError):
        tt.IMDB(tmp_path, split="dev")
    with pytest.raises(td.SourceError):
        tt.TextFolder(tmp_path / "missing")


def test_text_folder_bad_files(tmp_path: Path) -> None:
    _write(tmp_path, {"a/bad.txt": b"\xff\xfe\xfa ok", "b/ok.txt": b"fine"})
    folder = tt.TextFolder(tmp_path)
    assert folder[1] == ("fine", 1)
    with pytest.raises(td.FormatError, match=r"bad\.txt"):
        folder[0]
    (tmp_path / "empty").mkdir()
    with pytest.raises(td.SourceError):
        tt.TextFolder(tmp_path / "empty")


def test_random_texts_train_and_encode() -> None:
    rng = random.Random(0)
    texts = ["".join(rng.choice("ab c") for _ in range(30)) for _ in range(50)]
    tok = tt.train_bpe(texts, 20)
    assert len(tok.get_vocab()) <= 20
    for t in texts:
        assert "".join(tok.encode(t).tokens) == t.replace(" ", "")


@settings(max_examples=30)
@given(st.lists(st.text(alphabet="abcé ", max_size=20), max_size=20), st.integers(1, 40))
def test_bpe_any_corpus(texts: list[str], size: int) -> None:
    tok = tt.train_bpe(texts, size)
    vocab = tok.get_vocab()
    assert sorted(vocab.values()) == list(range(len(vocab)))
    assert all(a + b in vocab for a, b in tok.model.merges)
