"""N-grams of a token list.

>>> bigrams(["to", "be", "or", "not"])
['to be', 'be or', 'or not']
>>> NGrams(1, 2, join=None)(["a", "b"])
[('a',), ('b',), ('a', 'b')]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError

__all__ = ["NGrams", "bigrams", "ngrams", "trigrams"]


def ngrams(tokens: Sequence[str], n: int, join: str | None = " ") -> list[Any]:
    """The ``n``-grams of ``tokens`` in order, joined by ``join`` (tuples if ``join`` is None).

    A list shorter than ``n`` has none.

    >>> ngrams(["a", "b", "c"], 2, join="_")
    ['a_b', 'b_c']
    """
    check_int("n", n, minimum=1)
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise DataTypeError(f"ngrams takes a sequence of tokens, not {type(tokens).__name__}")
    grams = list(zip(*(tokens[i:] for i in range(n)), strict=False))
    if join is None:
        return grams
    try:
        return [join.join(g) for g in grams]
    except TypeError:
        raise DataTypeError("ngrams: tokens must be str to be joined (or pass join=None)") from None


def bigrams(tokens: Sequence[str], join: str | None = " ") -> list[Any]:
    """The 2-grams of ``tokens``."""
    return ngrams(tokens, 2, join)


def trigrams(tokens: Sequence[str], join: str | None = " ") -> list[Any]:
    """The 3-grams of ``tokens``."""
    return ngrams(tokens, 3, join)


class NGrams:
    """A transform: all ``n``-grams for ``n`` from ``n_min`` to ``n_max``, shortest first."""

    def __init__(self, n_min: int, n_max: int | None = None, join: str | None = " ") -> None:
        self.n_min = check_int("n_min", n_min, minimum=1)
        self.n_max = self.n_min if n_max is None else check_int("n_max", n_max, minimum=1)
        if self.n_max < self.n_min:
            raise DataValueError(f"NGrams: n_max {n_max} < n_min {n_min}")
        self.join = join

    def __call__(self, tokens: Sequence[str]) -> list[Any]:
        out: list[Any] = []
        for n in range(self.n_min, self.n_max + 1):
            out += ngrams(tokens, n, self.join)
        return out

    def __repr__(self) -> str:
        return f"NGrams({self.n_min}, {self.n_max}, join={self.join!r})"
