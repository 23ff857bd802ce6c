"""Character classes for ``re``, as the ``tokenizers`` library sees them.

The standard library's ``re`` has no ``\\p{L}``, its ``\\s`` also matches U+001C..U+001F
(Rust's ``char::is_whitespace`` does not), and ``unicodedata`` follows the Unicode version of
each Python (13 on 3.10, 14 on 3.11, 16 on Pyodide's 3.14) while the Rust library follows its
own. So the classes come from ``_unicode_tables`` (probed from the library by
``tests/text/make_fixtures.py``) and are compiled once, on first use: every runtime then
classifies every character identically.

>>> import re
>>> bool(re.fullmatch(f"[{letters()}]+", "héllo日本"))
True
>>> bool(re.match(f"[{whitespace()}]", "\\x1c"))
False
>>> "İSTANBUL".translate(lower_table())
'i̇stanbul'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

from . import _unicode_tables as T

__all__ = [
    "WHITESPACE_SET",
    "bert_punctuation",
    "is_chinese_char",
    "letters",
    "lower_table",
    "nfd",
    "numbers",
    "whitespace",
]

# Rust's char::is_whitespace: the Unicode White_Space property.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
WHITESPACE_SET = frozenset(_WHITESPACE)


def _esc(cp: int) -> str:
    return f"\\U{cp:08x}"


def _class(ranges: str) -> str:
    """``"41-5a,61"`` -> an ``re`` class body."""
    out = []
    for part in ranges.split(","):
        a, _, b = part.partition("-")
        out.append(_esc(int(a, 16)) + (f"-{_esc(int(b, 16))}" if b else ""))
    return "".join(out)


@functools.cache
def letters() -> str:
    """``\\p{L}`` of the library's regex engine."""
    return _class(T.LETTERS)


@functools.cache
def numbers() -> str:
    """``\\p{N}`` of the library's regex engine."""
    return _class(T.NUMBERS)


@functools.cache
def bert_punctuation() -> str:
    """BERT's punctuation: ASCII punctuation and the P* categories."""
    return _class(T.PUNCT)


@functools.cache
def nonspacing_marks() -> str:
    """The marks (Mn) accent stripping removes."""
    return _class(T.MN)


@functools.cache
def decomposed_or_marks() -> str:
    """The characters NFD changes, and the Mn marks: what NFD + strip accents must visit."""
    return _class(T.DECOMPOSED) + nonspacing_marks()


@functools.cache
def combining_marks() -> str:
    """The marks (M*) the ``StripAccents`` normalizer removes."""
    return _class(T.MARKS)


@functools.cache
def removed_by_clean_text() -> str:
    """Control, format and private-use characters, U+0000 and U+FFFD (and lone surrogates);
    the tables stop at U+3FFFF, planes 15 and 16 are private use."""
    extra = ((0xD800, 0xDFFF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
    return _class(T.REMOVED) + "".join(f"{_esc(a)}-{_esc(b)}" for a, b in extra)


@functools.cache
def spaced_by_clean_text() -> str:
    """Whitespace that clean_text turns into a plain space."""
    return _class(T.SPACED)


def whitespace() -> str:
    """Rust's ``char::is_whitespace`` (Unicode White_Space), as a class body."""
    return "".join(_esc(ord(c)) for c in _WHITESPACE)


def _map(text: str) -> dict[int, str]:
    out = {}
    for item in text.split(","):
        if item:
            k, _, v = item.partition(":")
            out[int(k, 16)] = "".join(chr(int(x, 16)) for x in v.split())
    return out


@functools.cache
def lower_table() -> dict[int, str]:
    """Rust's per-character ``to_lowercase`` as a ``str.translate`` table (no final sigma)."""
    return _map(T.LOWER)


@functools.cache
def _nfd_exceptions() -> dict[int, str]:
    return _map(T.NFD_EXCEPTIONS)


def nfd(c: str, form: Literal["NFD", "NFKD"] = "NFD") -> str:
    """The decomposition of one character, as the library's NFD gives it."""
    ex = _nfd_exceptions().get(ord(c))
    return ex if ex is not None and form == "NFD" else unicodedata.normalize(form, c)


@functools.cache
def compiled(name: str) -> re.Pattern[str]:
    """A compiled one-character class by name (``"mn"``, ``"removed"``, ``"spaced"``...)."""
    body = {
        "mn": nonspacing_marks,
        "marks": combining_marks,
        "nfd_or_mn": decomposed_or_marks,
        "removed": removed_by_clean_text,
        "spaced": spaced_by_clean_text,
    }[name]()
    return re.compile(f"[{body}]")


def is_chinese_char(cp: int) -> bool:
    """The CJK ideograph blocks BERT puts spaces around."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B920 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


CJK_CLASS = (
    "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df\U0002a700-\U0002b73f"
    "\U0002b740-\U0002b81f\U0002b920-\U0002ceaf\uf900-\ufaff\U0002f800-\U0002fa1f"
)
