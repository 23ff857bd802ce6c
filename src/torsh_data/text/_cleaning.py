"""Text cleaning transforms: case, punctuation, numbers, whitespace, patterns, lengths.

Each is a callable on a ``str`` (or, for :class:`FilterByLength`, a list) that composes with
:class:`~torsh_data.text.Sequential` or :class:`~torsh_data.transforms.Compose`. Character
classes follow Unicode: punctuation is every character of category ``P*``, numbers ``N*``;
the removal runs as one ``str.translate`` with a table filled as characters are first seen.

>>> from torsh_data.text import ChangeCase, CollapseWhitespace, RemovePunctuation, Sequential
>>> clean = Sequential(ChangeCase("lower"), RemovePunctuation(), CollapseWhitespace())
>>> clean("  Hello,   World! «Ça va?»  ")
'hello world ça va'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError

__all__ = [
    "ChangeCase",
    "CollapseWhitespace",
    "FilterByLength",
    "RemoveNumbers",
    "RemovePunctuation",
    "ReplacePattern",
    "TrimWhitespace",
]


def _text(value: object, who: str) -> str:
    if not isinstance(value, str):
        raise DataTypeError(f"{who} takes a str, not {type(value).__name__}")
    return value


class _CategoryTable(dict[int, Any]):
    """A ``str.translate`` table deleting characters whose Unicode category starts with one of
    ``prefixes`` (filled lazily: each distinct character is classified once)."""

    def __init__(self, prefixes: tuple[str, ...], keep: str, replacement: str | None) -> None:
        super().__init__()
        self.prefixes, self.keep, self.replacement = prefixes, set(keep), replacement

    def __missing__(self, code: int) -> Any:
        c = chr(code)
        hit = c not in self.keep and unicodedata.category(c).startswith(self.prefixes)
        value = self.replacement if hit else code
        self[code] = value
        return value


class _Remove:
    _prefixes: tuple[str, ...] = ()

    def __init__(self, keep: str = "", replace_with: str = "") -> None:
        if not isinstance(keep, str) or not isinstance(replace_with, str):
            raise DataTypeError(f"{type(self).__name__}: keep and replace_with are str")
        self.keep, self.replace_with = keep, replace_with
        self._table = _CategoryTable(self._prefixes, keep, replace_with or None)

    def __call__(self, text: str) -> str:
        return _text(text, type(self).__name__).translate(self._table)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(keep={self.keep!r}, replace_with={self.replace_with!r})"


class RemovePunctuation(_Remove):
    """Delete punctuation (Unicode ``P*``), except the characters in ``keep``; or replace each
    with ``replace_with``.

    >>> RemovePunctuation(keep="'")("don't—stop!")
    "don'tstop"
    """

    _prefixes = ("P",)


class RemoveNumbers(_Remove):
    """Delete number characters (Unicode ``N*``: digits, ``½``, ``Ⅻ``...), except ``keep``.

    >>> RemoveNumbers()("route 66, ½ way")
    'route ,  way'
    """

    _prefixes = ("N",)


class ChangeCase:
    """Change case: ``"lower"``, ``"upper"``, ``"title"`` or ``"casefold"`` (aggressive
    lower case for caseless matching: ``"ß"`` -> ``"ss"``).

    >>> ChangeCase("casefold")("Straße")
    'strasse'
    """

    _MODES = ("lower", "upper", "title", "casefold")

    def __init__(self, mode: str = "lower") -> None:
        if mode not in self._MODES:
            raise DataValueError(f"ChangeCase mode must be one of {self._MODES}, not {mode!r}")
        self.mode = mode
        self._method = getattr(str, mode)

    def __call__(self, text: str) -> str:
        return str(self._method(_text(text, "ChangeCase")))

    def __repr__(self) -> str:
        return f"ChangeCase({self.mode!r})"


class TrimWhitespace:
    """Strip leading and trailing whitespace."""

    def __call__(self, text: str) -> str:
        return _text(text, "TrimWhitespace").strip()

    def __repr__(self) -> str:
        return "TrimWhitespace()"


class CollapseWhitespace:
    """Replace every run of whitespace by one space and strip the ends.

    >>> CollapseWhitespace()(" a \\t\\n b ")
    'a b'
    """

    def __call__(self, text: str) -> str:
        return " ".join(_text(text, "CollapseWhitespace").split())

    def __repr__(self) -> str:
        return "CollapseWhitespace()"


class ReplacePattern:
    """Replace matches of a regular expression (``re.sub``; ``count=0`` replaces all).

    >>> ReplacePattern(r"https?://\\S+", "<url>")("see http://x.org now")
    'see <url> now'
    """

    def __init__(self, pattern: str | re.Pattern[str], replacement: str, count: int = 0) -> None:
        try:
            self.pattern = re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise DataValueError(f"ReplacePattern: invalid pattern {pattern!r}: {exc}") from None
        if not isinstance(replacement, str):
            raise DataTypeError("ReplacePattern: replacement must be a str")
        self.replacement, self.count = replacement, check_int("count", count, minimum=0)

    def __call__(self, text: str) -> str:
        try:
            return self.pattern.sub(self.replacement, _text(text, "ReplacePattern"), self.count)
        except (re.error, IndexError) as exc:  # a bad group reference shows only at use
            raise DataValueError(
                f"ReplacePattern: bad replacement {self.replacement!r}: {exc}"
            ) from None

    def __repr__(self) -> str:
        return f"ReplacePattern({self.pattern.pattern!r}, {self.replacement!r})"


class FilterByLength:
    """Keep the items of a list (tokens, texts, sequences) whose length lies in
    ``[min_length, max_length]``; :meth:`accepts` is the same test for one item (use it to
    filter a stream).

    >>> FilterByLength(2, 4)(["a", "to", "tree", "forest"])
    ['to', 'tree']
    """

    def __init__(self, min_length: int = 0, max_length: int | None = None) -> None:
        self.min_length = check_int("min_length", min_length, minimum=0)
        self.max_length = (
            None if max_length is None else check_int("max_length", max_length, minimum=0)
        )
        if self.max_length is not None and self.max_length < self.min_length:
            raise DataValueError(
                f"FilterByLength: max_length {max_length} < min_length {min_length}"
            )

    def accepts(self, item: Any) -> bool:
        """Whether ``item``'s length is inside the range."""
        try:
            n = len(item)
        except TypeError:
            raise DataTypeError(f"FilterByLength: {type(item).__name__} has no length") from None
        return n >= self.min_length and (self.max_length is None or n <= self.max_length)

    def __call__(self, items: list[Any]) -> list[Any]:
        if isinstance(items, str):
            raise DataTypeError("FilterByLength filters a list; use .accepts(text) for one text")
        return [x for x in items if self.accepts(x)]

    def __repr__(self) -> str:
        return f"FilterByLength({self.min_length}, {self.max_length})"
