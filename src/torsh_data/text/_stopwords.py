"""English stop words: NLTK's list (the ``stopwords`` corpus, ``english``, 179 words).

>>> RemoveStopwords()(["this", "is", "a", "test"])
['test']
"""

from __future__ import annotations

from collections.abc import Iterable

from .._errors import DataTypeError

__all__ = ["ENGLISH_STOP_WORDS", "RemoveStopwords", "remove_english_stopwords"]

ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    """i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them their
    theirs themselves what which who whom this that that'll these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when where why
    how all any both each few more most other some such no nor not only own same so than too
    very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
    couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
    mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
    weren't won won't wouldn wouldn't""".split()
)


class RemoveStopwords:
    """Drop the tokens that are stop words (compared in lower case unless ``case_sensitive``).

    Args:
        stop_words: the words to drop; NLTK's English list by default.
        case_sensitive: compare tokens as they are.
    """

    def __init__(
        self, stop_words: Iterable[str] | None = None, case_sensitive: bool = False
    ) -> None:
        words = ENGLISH_STOP_WORDS if stop_words is None else stop_words
        if isinstance(words, str):
            raise DataTypeError("RemoveStopwords: stop_words is a collection of words, not a str")
        self.case_sensitive = case_sensitive
        self.stop_words = frozenset(words if case_sensitive else (w.lower() for w in words))

    def __call__(self, tokens: list[str]) -> list[str]:
        if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)):
            raise DataTypeError(
                f"RemoveStopwords takes a list of tokens, not {type(tokens).__name__}"
            )
        stop = self.stop_words
        if self.case_sensitive:
            return [t for t in tokens if t not in stop]
        return [t for t in tokens if t.lower() not in stop]

    def __repr__(self) -> str:
        return f"RemoveStopwords({len(self.stop_words)} words)"


def remove_english_stopwords(tokens: list[str]) -> list[str]:
    """``tokens`` without NLTK's English stop words (case-insensitive).

    >>> remove_english_stopwords(["The", "cat", "and", "the", "hat"])
    ['cat', 'hat']
    """
    return _ENGLISH(tokens)


_ENGLISH = RemoveStopwords()
