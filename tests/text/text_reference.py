"""Helpers for the tokenizer tests: the fixtures of data/ and comparisons with them."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from support import has_module

from torsh_data.text import Encoding, Tokenizer

DATA = Path(__file__).parent / "data"
FIELDS = ("ids", "tokens", "offsets", "type_ids", "attention_mask", "special_tokens_mask")
HAS_TOKENIZERS = has_module("tokenizers")
TOKENIZERS_REASON = (
    "the reference library tokenizers is a native dev dependency (./dev test installs it "
    "natively); it has no Pyodide wheel"
)


def expected(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"expected_{name}.json").read_text(encoding="utf-8"))


def as_dict(e: Any) -> dict[str, list[Any]]:
    """Our Encoding or a tokenizers Encoding as plain lists."""
    return {
        k: [list(x) for x in e.offsets] if k == "offsets" else list(getattr(e, k)) for k in FIELDS
    }


def assert_same(got: Encoding, want: dict[str, Any], what: object) -> None:
    g = as_dict(got)
    for k in FIELDS:
        assert g[k] == want[k], f"{what!r}: {k} differs\n got  {g[k]}\n want {want[k]}"


def padding_token(tok: Tokenizer) -> str:
    return "[PAD]" if tok.token_to_id("[PAD]") is not None else "<pad>"


# Text that hits every branch: accents, combining marks, CJK, emoji, zero-width and control
# characters, odd whitespace, specials written out, and any code point at all.
_PIECES = st.sampled_from(
    [*string.ascii_letters[:12], " ", "  ", "\t", "\n", ".", ",", "!", "'s", "'ll", "-", "$",
     "é", "e\u0301", "ß", "İ", "Σ", "ς", "日", "本", "한", "😀", "👍🏽", "\u200b", "\u200d",
     "\ufeff", "\x00", "\x07", "\x1c", "\x0b", "\x85", "\u3000", "\xa0", "\ufffd", "١", "Ⅷ", "①",
     "[CLS]", "[SEP]", "<s>", "</s>", "<mask>", "karito", "hello", "world", "\u0488", "\ua7cb",
     "[MASK]", " [MASK] ", " <mask>", "hello world", "HELLO  WORLD", "zzq", "ﬁ", "½", "ＡＢ"]
)  # fmt: skip
_ANY_CHAR = st.characters(blacklist_categories=("Cs",))
TEXTS = st.lists(st.one_of(_PIECES, _ANY_CHAR, st.text(max_size=3)), max_size=25).map("".join)


_REFERENCES: dict[str, Any] = {}


def reference_tokenizer(name: str) -> Any:
    """The tokenizers library's tokenizer of data/{name}_tokenizer.json (natively only)."""
    if name not in _REFERENCES:
        from tokenizers import Tokenizer as Reference

        _REFERENCES[name] = Reference.from_file(str(DATA / f"{name}_tokenizer.json"))
    return _REFERENCES[name]
