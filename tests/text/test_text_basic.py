"""basic_english against torchtext's documented rules, and the simple tokenizers."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import torchtext_basic_english

from torsh_data import DataTypeError, DataValueError
from torsh_data.text import (
    RegexTokenizer,
    basic_english,
    character_tokenizer,
    get_tokenizer,
    whitespace_tokenizer,
)

CASES = [
    ("", []),
    ("   \t\n ", []),
    ("Hello World", ["hello", "world"]),
    ("It's", ["it", "'", "s"]),
    ('say "hi"', ["say", "hi"]),
    ("end.", ["end", "."]),
    ("a<br />b", ["a", "b"]),
    ("a<BR />b", ["a", "b"]),  # lowercased first, so <BR /> is a line break too
    ('a<br "/>b', ["a", "b"]),  # the double quote goes before <br /> is looked for
    ("a<br;/>b", ["a<br", "/>b"]),  # ';' becomes ' ' after <br /> was looked for
    ("a,b(c)d!e?f;g:h", ["a", ",", "b", "(", "c", ")", "d", "!", "e", "?", "f", "g", "h"]),
    ("3.14", ["3", ".", "14"]),
    ("ÉCOLE Straße", ["école", "straße"]),
    ("İ", ["i̇"]),
    ("x\u3000y\u00a0z", ["x", "y", "z"]),  # Unicode whitespace splits
    ("tab\x1cfs", ["tab", "fs"]),  # str.split and re's \s agree on U+001C
    ("...", [".", ".", "."]),
    ("don't!!", ["don", "'", "t", "!", "!"]),
]


@pytest.mark.parametrize(("text", "tokens"), CASES)
def test_basic_english_cases(text: str, tokens: list[str]) -> None:
    assert basic_english(text) == tokens
    assert torchtext_basic_english(text) == tokens


_PUNCT = st.sampled_from([*list("'\".,()!?;:<>/ br\t\n\u3000\x1cAaÉİ"), "<br />", "<BR />"])


@given(st.lists(st.one_of(_PUNCT, st.text(max_size=5)), max_size=20).map("".join))
def test_basic_english_equals_torchtext_chain(text: str) -> None:
    assert basic_english(text) == torchtext_basic_english(text)


@given(st.text())
def test_basic_english_any_text(text: str) -> None:
    assert basic_english(text) == torchtext_basic_english(text)


def test_simple_tokenizers() -> None:
    assert whitespace_tokenizer(" a  b\n") == ["a", "b"]
    assert character_tokenizer("ab\u0301") == ["a", "b", "\u0301"]
    assert get_tokenizer(None)("x y") == ["x", "y"]
    assert get_tokenizer("basic_english") is basic_english
    f = str.split
    assert get_tokenizer(f) is f


def test_regex_tokenizer() -> None:
    assert RegexTokenizer(r"\s+")(" a b ") == ["a", "b"]
    assert RegexTokenizer(r"\d+|[a-z]+", mode="findall")("ab12 c") == ["ab", "12", "c"]
    assert RegexTokenizer(r"x*", mode="findall")("axb") == ["x"]
    assert RegexTokenizer(re.compile(r","), lowercase=True)("A,B") == ["a", "b"]
    assert "RegexTokenizer" in repr(RegexTokenizer(","))


def test_bad_arguments() -> None:
    with pytest.raises(DataValueError, match="mode"):
        RegexTokenizer(",", mode="match")
    with pytest.raises(DataValueError, match="invalid regular expression"):
        RegexTokenizer("(")
    with pytest.raises(DataValueError, match="unknown tokenizer"):
        get_tokenizer("spacy")
    for tok in (basic_english, whitespace_tokenizer, character_tokenizer, RegexTokenizer(",")):
        with pytest.raises(DataTypeError, match="takes a str"):
            tok(b"bytes")  # type: ignore[operator,arg-type]
