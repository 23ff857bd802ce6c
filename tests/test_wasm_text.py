"""The text WebAssembly kernel (``_wasm/text.wat``, NOTE [ The text kernel ]): the ids of
``basic_english`` tokens, truncated and looked up, are exactly the pure path's, line by line
and batch-wise, and ``text.Sequential(basic_english, ...)`` gives the same ids (and errors)
whichever path ran."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from torsh_data import DataTypeError, DataValueError, _wasm
from torsh_data._runtime import IN_PYODIDE
from torsh_data._wasm import text as wasm_text
from torsh_data._wasm.text import encode_line, encode_lines
from torsh_data.text import (
    AddToken,
    Sequential,
    Truncate,
    Vocab,
    VocabTransform,
    basic_english,
    basic_english_batch,
)

WASM_ONLY = pytest.mark.pyodide_only(
    reason="compares a WebAssembly kernel with the pure-Python path; natively there is none"
)

# every rule of basic_english, ASCII whitespace and control bytes, and a little non-ASCII
PIECES = [
    *"abcxyzABXYZ0189",
    *"'\".,()!?;:<>/ -#_{}~\x7f",
    *"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x1b\x01",
    "<br />",
    "<BR />",
    '<b"r />',
    '<br /">',
    "<br;/>",
    "<br",
    "don't",
    "é",
    "\u00a0",
    "Σ",
    "\0",
]


@pytest.fixture(autouse=True)
def _kernel_for_short_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis's short lines reach the kernel too."""
    monkeypatch.setattr(wasm_text, "MIN_CHARS", 0)


lines_st = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
keeps = st.one_of(st.integers(0, 12), st.just(2**63))


def make_vocab(lines: list[str], every: int, default: bool) -> Vocab:
    """The tokens of ``lines`` (every ``every``-th left out, so some are unknown) and
    specials, with ``<unk>`` the default index or none."""
    seen = list(dict.fromkeys(t for toks in map(basic_english, lines) for t in toks))
    vocab = Vocab(dict.fromkeys(["<pad>", "<unk>", "é", "", *seen[::every]]))
    vocab.set_default_index(1 if default else None)
    return vocab


def pure_ids(line: str, vocab: Vocab, keep: int) -> list[int] | None:
    try:
        return vocab.lookup_indices(basic_english(line)[:keep])
    except DataValueError:
        return None


@WASM_ONLY
@given(lines=st.lists(lines_st, min_size=1, max_size=8), every=st.integers(1, 3), keep=keeps)
def test_a_line_gives_the_pure_ids(lines: list[str], every: int, keep: int) -> None:
    vocab = make_vocab(lines[1:], every, default=True)
    for line in lines:
        got = encode_line(line, vocab._itos, vocab._default, keep)
        if line.isascii() and "\0" not in line:
            assert got == pure_ids(line, vocab, keep), repr(line)
        else:
            assert got is None


@WASM_ONLY
@example(lines=["a'é"], every=2, keep=2)  # an unknown "a" before the line's non-ASCII byte
@given(lines=st.lists(lines_st, min_size=1, max_size=8), every=st.integers(1, 3), keep=keeps)
def test_an_unknown_token_without_a_default_is_left_to_the_pure_path(
    lines: list[str], every: int, keep: int
) -> None:
    vocab = make_vocab(lines, every, default=False)
    for line in lines:
        got = encode_line(line, vocab._itos, None, keep)
        if line.isascii() and "\0" not in line:
            assert got == pure_ids(line, vocab, keep), repr(line)
    # the kernel leaves non-ASCII lines to the caller, and a batch holding NUL or an unknown
    # token in an ASCII line; an unknown token in a non-ASCII line, met before its first
    # non-ASCII byte, may leave the whole batch to the caller too
    want = [pure_ids(line, vocab, keep) if line.isascii() else None for line in lines]
    batch = encode_lines(lines, vocab._itos, None, keep)
    if any(
        "\0" in line or (line.isascii() and w is None) for line, w in zip(lines, want, strict=True)
    ):
        assert batch is None
    elif batch is None:
        assert any(pure_ids(line, vocab, keep) is None for line in lines if not line.isascii())
    else:
        assert batch == want


@WASM_ONLY
@given(lines=st.lists(lines_st, min_size=1, max_size=40), every=st.integers(1, 3), keep=keeps)
def test_a_batch_gives_each_lines_ids(lines: list[str], every: int, keep: int) -> None:
    vocab = make_vocab(lines, every, default=True)
    got = encode_lines(lines, vocab._itos, 1, keep)
    if any("\0" in line for line in lines):
        assert got is None
    else:
        assert got == [pure_ids(line, vocab, keep) if line.isascii() else None for line in lines]


@WASM_ONLY
def test_every_ascii_byte_in_every_position() -> None:
    """Each byte alone, inside a word, between words and inside ``<br />``."""
    lines = [
        form.format(c=chr(b))
        for b in range(1, 128)
        for form in ("{c}", "a{c}b", "Ab {c} cD", "<{c}br />x", "<br{c}/>", "<br /{c}>")
    ]
    vocab = make_vocab(lines[::2], 1, default=True)
    for keep in (0, 1, 3, 2**63):
        assert encode_lines(lines, vocab._itos, 1, keep) == [
            pure_ids(line, vocab, keep) for line in lines
        ]


@WASM_ONLY
def test_lines_holding_nul_and_long_batches() -> None:
    vocab = make_vocab(["a b"], 1, default=True)
    assert encode_line("a\0b", vocab._itos, 1, 9) is None  # NUL is a token byte there
    assert encode_lines(["a", "a\0b"], vocab._itos, 1, 9) is None
    many = ["A b, " * 400 + "zz"] * 300  # grows the scratch buffer
    assert encode_lines(many, vocab._itos, 1, 2**63) == [pure_ids(many[0], vocab, 2**63)] * 300


@WASM_ONLY
def test_the_table_follows_the_vocabulary() -> None:
    vocab = Vocab(["<unk>", "a"], default_index=0)
    encode = Sequential(basic_english, VocabTransform(vocab))
    assert encode("a b") == [1, 0]
    vocab.append_token("b")  # the cached table is rebuilt
    assert encode("a b") == [1, 2]
    vocab.set_default_index(None)
    with pytest.raises(DataValueError, match="'c' is not in the vocabulary"):
        encode("a b c")


@WASM_ONLY
def test_one_lines_call_follows_each_change_of_its_arguments() -> None:
    """NOTE [ One line's call ]: a line reuses the arguments packed by the call before only
    for the same vocabulary (not grown), default and keep, and a scratch big enough."""
    line = "Alpha beta, Gamma (delta) beta alpha! " * 3
    one = Vocab(["<pad>", "<unk>", "alpha", "beta", ","], default_index=1)
    two = Vocab(["<unk>", "beta", "gamma", "alpha"], default_index=0)
    calls: list[tuple[str, Vocab, int]] = [
        (line, one, 5),
        (line, one, 5),  # the packed arguments reused
        (line, one, 2),
        (line.upper(), one, 2),
        (line, two, 2),
        (line, one, 2**63),
    ]
    for text, vocab, keep in calls:
        assert encode_line(text, vocab._itos, vocab._default, keep) == pure_ids(text, vocab, keep)
    one.append_token("gamma")  # the same list, grown: its table is rebuilt
    assert encode_line(line, one._itos, 1, 9) == pure_ids(line, one, 9)
    assert 5 in encode_line(line, one._itos, 1, 9)  # type: ignore[operator]
    one.set_default_index(0)
    assert encode_line(line, one._itos, 0, 9) == pure_ids(line, one, 9)
    # a batch call in between packs its own arguments
    assert encode_lines([line, line], two._itos, 0, 3) == [pure_ids(line, two, 3)] * 2
    assert encode_line(line, one._itos, 0, 9) == pure_ids(line, one, 9)
    long = "beta alpha " * 2000  # more than the scratch holds: it grows
    assert encode_line(long, one._itos, 0, 2**63) == pure_ids(long, one, 2**63)
    assert encode_line(line, one._itos, 0, 4) == pure_ids(line, one, 4)


@given(
    lines=st.lists(lines_st, min_size=1, max_size=12),
    every=st.integers(1, 3),
    keep=st.integers(0, 6),
    default=st.booleans(),
    order=st.sampled_from(["tv", "vt", "v", "", "tva"]),
)
def test_sequential_gives_the_ids_of_its_steps(
    lines: list[str], every: int, keep: int, default: bool, order: str
) -> None:
    """On every runtime: a line and a batch of lines through ``Sequential(basic_english, ...)``
    give the steps' ids (or raise their error); in Pyodide also with the kernels off."""
    vocab = make_vocab(lines[1:], every, default)
    parts = {"t": Truncate(keep), "v": VocabTransform(vocab), "a": AddToken(0)}
    encode = Sequential(basic_english, *(parts[c] for c in order))

    def by_steps(x: Any) -> Any:
        tokens = basic_english(x) if type(x) is str else basic_english_batch(x)
        for c in order:
            tokens = parts[c](tokens)
        return tokens

    def outcome(fn: Any, x: Any) -> Any:
        try:
            return fn(x)
        except DataValueError as exc:
            return str(exc)

    for x in [*lines, lines]:
        want = outcome(by_steps, x)
        assert outcome(encode, x) == want
        with _wasm.disabled():
            assert outcome(encode, x) == want


def test_sequential_without_basic_english_first_is_unchanged() -> None:
    vocab = Vocab(["<unk>", "a"], default_index=0)
    assert Sequential(Truncate(1), VocabTransform(vocab))(["a", "b"]) == [1]
    assert Sequential(AddToken("a"), VocabTransform(vocab))(["b"]) == [1, 0]
    with pytest.raises(DataTypeError, match="a tokenizer takes a str, not int"):
        Sequential(basic_english, VocabTransform(vocab))(3)
    with pytest.raises(DataTypeError, match="a tokenizer takes a str, not list"):
        Sequential(basic_english, VocabTransform(vocab))([])
    assert len(Sequential(basic_english, VocabTransform(vocab))) == 2


def test_natively_the_pure_path_runs() -> None:
    vocab = Vocab(["<unk>", "a"], default_index=0)
    found = encode_line("a b", vocab._itos, 0, 9)
    assert found == ([1, 0] if IN_PYODIDE else None)
    assert (_wasm.kernels("text") is None) is not IN_PYODIDE
