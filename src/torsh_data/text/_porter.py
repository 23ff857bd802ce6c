"""The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980).

The algorithm as published, in the form of Porter's own Snowball definition (``porter.sbl``):
measures are the regions R1/R2, an initial ``y`` and a ``y`` after a vowel count as
consonants, and in each of steps 2-4 only the longest matching suffix is considered (if its
condition fails, the word is left as it is). Words are expected in lower case; other
characters pass through.

>>> stem = PorterStemmer()
>>> [stem(w) for w in ["caresses", "ponies", "hopping", "relational", "generalizations"]]
['caress', 'poni', 'hop', 'relat', 'gener']
>>> stem(["running", "dogs"])
['run', 'dog']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from .._errors import DataTypeError

__all__ = ["PorterStemmer", "porter_stem"]

_VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_STEP2 = {
    "anci": "ance", "enci": "ence", "abli": "able", "eli": "e", "alli": "al", "ousli": "ous",
    "entli": "ent", "aliti": "al", "biliti": "ble", "iviti": "ive", "tional": "tion",
    "ational": "ate", "alism": "al", "ation": "ate", "ization": "ize", "izer": "ize",
    "ator": "ate", "iveness": "ive", "fulness": "ful", "ousness": "ous",
}  # fmt: skip
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}
_STEP4 = (
    "ic", "ance", "ence", "able", "ible", "ate", "ive", "ize", "iti", "al", "ism", "ion", "er",
    "ous", "ant", "ent", "ment", "ement", "ou",
)  # fmt: skip


def _by_length(suffixes: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(suffixes, key=len, reverse=True))


_STEP2_ORDER, _STEP3_ORDER, _STEP4_ORDER = map(_by_length, (list(_STEP2), list(_STEP3), _STEP4))


def _longest(word: str, suffixes: tuple[str, ...]) -> str | None:
    for s in suffixes:
        if word.endswith(s):
            return s
    return None


def _region(w: str, start: int) -> int:
    """Start of the region after the first non-vowel that follows a vowel, from ``start``."""
    n = len(w)
    i = start
    while i < n and w[i] not in _VOWELS:
        i += 1
    while i < n and w[i] in _VOWELS:
        i += 1
    return min(i + 1, n)


def _short_syllable(w: str) -> bool:
    """``w`` ends consonant-vowel-consonant, the last consonant not ``w``, ``x`` or ``y``."""
    return (
        len(w) >= 3
        and w[-1] not in _VOWELS
        and w[-1] not in "wxY"
        and w[-2] in _VOWELS
        and w[-3] not in _VOWELS
    )


def porter_stem(word: str) -> str:
    """The Porter stem of one lower-case word.

    >>> porter_stem("agreed"), porter_stem("sky"), porter_stem("oscillators")
    ('agre', 'sky', 'oscil')
    """
    if not isinstance(word, str):
        raise DataTypeError(f"porter_stem takes a str, not {type(word).__name__}")
    if len(word) < 3:
        return word
    # y as a consonant: at the start and after a vowel
    chars = list(word)
    if chars[0] == "y":
        chars[0] = "Y"
    for i in range(1, len(chars)):
        if chars[i] == "y" and chars[i - 1] in _VOWELS:
            chars[i] = "Y"
    w = "".join(chars)
    p1 = _region(w, 0)
    p2 = _region(w, p1)

    # step 1a
    if w.endswith("sses") or w.endswith("ies"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    # step 1b
    if w.endswith("eed"):
        if len(w) - 3 >= p1:
            w = w[:-1]
    else:
        suffix = "ed" if w.endswith("ed") else "ing" if w.endswith("ing") else None
        if suffix is not None and any(c in _VOWELS for c in w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if w.endswith(("at", "bl", "iz")):
                w += "e"
            elif w.endswith(_DOUBLES):
                w = w[:-1]
            elif len(w) == p1 and _short_syllable(w):
                w += "e"
    # step 1c
    if w[-1:] in ("y", "Y") and any(c in _VOWELS for c in w[:-1]):
        w = w[:-1] + "i"
    # step 2 and step 3: longest suffix, replaced when it lies in R1
    for order, table in ((_STEP2_ORDER, _STEP2), (_STEP3_ORDER, _STEP3)):
        s = _longest(w, order)
        if s is not None and len(w) - len(s) >= p1:
            w = w[: -len(s)] + table[s]
    # step 4: longest suffix, deleted when it lies in R2 (ion: after s or t)
    s = _longest(w, _STEP4_ORDER)
    if s is not None and len(w) - len(s) >= p2:
        if s != "ion" or w[-4:-3] in ("s", "t"):
            w = w[: -len(s)]
    # step 5a, 5b
    if w.endswith("e"):
        stem = w[:-1]
        if len(stem) >= p2 or (len(stem) >= p1 and not _short_syllable(stem)):
            w = stem
    if w.endswith("ll") and len(w) - 1 >= p2:
        w = w[:-1]
    return w.replace("Y", "y")


class PorterStemmer:
    """A text transform: the Porter stem of a word, or of each word of a list.

    A cache keeps the stems of up to ``cache_size`` distinct words (text repeats words).
    """

    def __init__(self, cache_size: int = 100_000) -> None:
        self.cache_size = cache_size
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """The stem of one word (cached)."""
        hit = self._cache.get(word)
        if hit is None:
            hit = porter_stem(word)
            if len(self._cache) < self.cache_size:
                self._cache[word] = hit
        return hit

    @overload
    def __call__(self, tokens: str) -> str: ...
    @overload
    def __call__(self, tokens: list[str]) -> list[str]: ...
    def __call__(self, tokens: str | list[str]) -> str | list[str]:
        if isinstance(tokens, str):
            return self.stem(tokens)
        if not isinstance(tokens, (list, tuple)):
            raise DataTypeError(
                f"PorterStemmer takes a str or a list of str, not {type(tokens).__name__}"
            )
        return [self.stem(t) for t in tokens]

    def __repr__(self) -> str:
        return "PorterStemmer()"
