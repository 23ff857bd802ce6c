"""Normalizers of a ``tokenizer.json``, tracking where each character came from.

A normalizer maps ``text`` to ``(normalized, index)`` where ``index[i]`` is the position in
``text`` of the character that normalized character ``i`` came from (``None``: the identity),
so that token offsets can be given in the original text, as the ``tokenizers`` library does.

>>> BertNormalizer().normalize("Héllo\\x00 日本")
('hello  日  本 ', [0, 1, 2, 3, 4, 6, 7, 7, 7, 8, 8, 8])
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Literal

from .._errors import FormatError
from ._unicode import CJK_CLASS, compiled, is_chinese_char, lower_table, nfd

__all__ = [
    "BertNormalizer",
    "Lowercase",
    "Normalizer",
    "Sequence",
    "Unicode",
    "component_type",
    "normalizer_from",
]

Normalized = tuple[str, list[int] | None]
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_WS = str.maketrans("\t\n\r", "   ")


def _identity(text: str, index: list[int] | None) -> list[int]:
    return list(range(len(text))) if index is None else index


class Normalizer:
    """Base: ``normalize(text, index=None) -> (text, index)``."""

    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        raise NotImplementedError


@functools.cache
def _growing() -> re.Pattern[str]:
    """The characters whose lowercase is longer than one character (U+0130)."""
    grow = "".join(re.escape(chr(k)) for k, v in lower_table().items() if len(v) != 1)
    return re.compile(f"[{grow}]")


def _lowercase(text: str, index: list[int] | None) -> Normalized:
    # Rust lowercases char by char (no final-sigma rule), with its own Unicode tables.
    if text.isascii():
        return text.lower(), index
    if _growing().search(text) is None:
        return text.translate(lower_table()), index
    index = _identity(text, index)
    table = lower_table()
    chars: list[str] = []
    out: list[int] = []
    for c, i in zip(text, index, strict=True):
        low = table.get(ord(c), c)
        chars.append(low)
        out.extend([i] * len(low))
    return "".join(chars), out


def _decompose(
    text: str, index: list[int] | None, form: Literal["NFD", "NFKD"], drop_marks: bool
) -> Normalized:
    """NFD/NFKD with alignment (each piece keeps its source char), then drop Mn if asked."""
    if text.isascii():
        return text, index
    mn = compiled("mn")
    if unicodedata.is_normalized(form, text) and (not drop_marks or mn.search(text) is None):
        return text, index
    if form == "NFD":
        return _nfd_runs(text, index, drop_marks)
    index = _identity(text, index)
    chars: list[str] = []
    out: list[int] = []
    for c, i in zip(text, index, strict=True):
        d = c if c.isascii() else nfd(c, form)
        chars.extend(d)
        out.extend([i] * len(d))
    _canonical_order(chars, out)
    if drop_marks:
        keep = [k for k, c in enumerate(chars) if mn.match(c) is None]
        chars = [chars[k] for k in keep]
        out = [out[k] for k in keep]
    return "".join(chars), out


def _nfd_runs(text: str, index: list[int] | None, drop_marks: bool) -> Normalized:
    """NFD touching only the characters that decompose or are marks; the runs between them
    are copied whole (most text has few such characters)."""
    parts: list[str] = []
    out: list[int] = []
    mn = compiled("mn").match
    pos = 0
    for m in compiled("nfd_or_mn").finditer(text):
        k = m.start()
        if k > pos:
            parts.append(text[pos:k])
            out.extend(range(pos, k) if index is None else index[pos:k])
        src = k if index is None else index[k]
        for c in nfd(m.group()):
            if not (drop_marks and mn(c)):
                parts.append(c)
                out.append(src)
        pos = k + 1
    parts.append(text[pos:])
    out.extend(range(pos, len(text)) if index is None else index[pos:])
    result = "".join(parts)
    if not unicodedata.is_normalized("NFD", result):  # marks out of canonical order
        chars = list(result)
        _canonical_order(chars, out)
        result = "".join(chars)
    return result, out


def _canonical_order(chars: list[str], index: list[int]) -> None:
    """Stable-sort each run of combining characters by combining class (in place)."""
    ccc = unicodedata.combining
    k, n = 0, len(chars)
    while k < n:
        if ccc(chars[k]) == 0:
            k += 1
            continue
        j = k
        while j < n and ccc(chars[j]) != 0:
            j += 1
        if j - k > 1:
            run = sorted(range(k, j), key=lambda m: ccc(chars[m]))
            chars[k:j] = [chars[m] for m in run]
            index[k:j] = [index[m] for m in run]
        k = j


@functools.cache
def _needs_cleaning() -> re.Pattern[str]:
    from ._unicode import removed_by_clean_text, spaced_by_clean_text

    return re.compile(f"[{removed_by_clean_text()}{spaced_by_clean_text()}{CJK_CLASS}]")


class BertNormalizer(Normalizer):
    """BERT's normalizer: clean control characters and whitespace, space out CJK ideographs,
    strip accents (NFD, drop Mn), lowercase; as ``tokenizers.normalizers.BertNormalizer``."""

    def __init__(
        self,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        strip_accents: bool | None = None,
        lowercase: bool = True,
    ) -> None:
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.lowercase = lowercase

    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        if text.isascii() and (not self.clean_text or _ASCII_CONTROL.search(text) is None):
            if self.clean_text:
                text = text.translate(_ASCII_WS)
            return (text.lower() if self.lowercase else text), index
        if (self.clean_text or self.handle_chinese_chars) and _needs_cleaning().search(text):
            text, index = self._clean_and_space(text, index)
        if self.strip_accents:
            text, index = _decompose(text, index, "NFD", True)
        if self.lowercase:
            text, index = _lowercase(text, index)
        return text, index

    def _clean_and_space(self, text: str, index: list[int] | None) -> Normalized:
        """Only the characters clean_text or handle_chinese_chars change are visited."""
        removed, spaced = compiled("removed").match, compiled("spaced").match
        clean, chinese = self.clean_text, self.handle_chinese_chars
        parts: list[str] = []
        out: list[int] = []
        pos = 0
        for m in _needs_cleaning().finditer(text):
            k = m.start()
            if k > pos:
                parts.append(text[pos:k])
                out.extend(range(pos, k) if index is None else index[pos:k])
            pos = k + 1
            c = m.group()
            src = k if index is None else index[k]
            if clean and removed(c):
                continue
            if clean and spaced(c):
                parts.append(" ")
                out.append(src)
            elif chinese and is_chinese_char(ord(c)):
                parts.append(f" {c} ")
                out += (src, src, src)
            else:
                parts.append(c)
                out.append(src)
        parts.append(text[pos:])
        out.extend(range(pos, len(text)) if index is None else index[pos:])
        return "".join(parts), out


class Lowercase(Normalizer):
    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        return _lowercase(text, index)


class Unicode(Normalizer):
    """NFD or NFKD (decompositions keep an exact alignment); optionally StripAccents."""

    def __init__(self, form: Literal["NFD", "NFKD"], drop_marks: bool = False) -> None:
        self.form, self.drop_marks = form, drop_marks

    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        return _decompose(text, index, self.form, self.drop_marks)


class Sequence(Normalizer):
    def __init__(self, normalizers: list[Normalizer]) -> None:
        self.normalizers = normalizers

    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        for n in self.normalizers:
            text, index = n.normalize(text, index)
        return text, index


def _flag(spec: dict[str, Any], key: str, default: Any, where: str) -> Any:
    v = spec.get(key, default)
    if v is not None and not isinstance(v, bool):
        raise FormatError(f"{where}.{key} must be true, false or null, got {v!r}")
    return v


def component_type(spec: Any, where: str) -> Any:
    """The ``type`` of a ``tokenizer.json`` component entry (``normalizer``,
    ``pre_tokenizer``, ``post_processor``, ``decoder``): ``spec`` is an object, else
    :class:`~torsh_data.FormatError` (the caller handles ``null`` first)."""
    if not isinstance(spec, dict):
        raise FormatError(f"{where} must be an object or null, got {type(spec).__name__}")
    return spec.get("type")


def normalizer_from(spec: Any, where: str = "normalizer") -> Normalizer | None:
    """The normalizer of a ``tokenizer.json`` ``normalizer`` entry; unsupported -> FormatError."""
    if spec is None:
        return None
    kind = component_type(spec, where)
    if kind == "BertNormalizer":
        return BertNormalizer(
            clean_text=_flag(spec, "clean_text", True, where) is not False,
            handle_chinese_chars=_flag(spec, "handle_chinese_chars", True, where) is not False,
            strip_accents=_flag(spec, "strip_accents", None, where),
            lowercase=_flag(spec, "lowercase", True, where) is not False,
        )
    if kind == "Lowercase":
        return Lowercase()
    if kind in ("NFD", "NFKD"):
        return Unicode(kind)
    if kind == "StripAccents":
        return _StripAccents()
    if kind == "Sequence":
        items = spec.get("normalizers")
        if not isinstance(items, list):
            raise FormatError(f"{where}.normalizers must be a list")
        parts = [normalizer_from(s, f"{where}.normalizers[{k}]") for k, s in enumerate(items)]
        return Sequence([p for p in parts if p is not None])
    raise FormatError(
        f"{where}: normalizer type {kind!r} is not supported (supported: BertNormalizer, "
        "Lowercase, NFD, NFKD, StripAccents, Sequence)"
    )


class _StripAccents(Normalizer):
    """Drop combining marks (M*) without decomposing first, as ``StripAccents`` does."""

    def normalize(self, text: str, index: list[int] | None = None) -> Normalized:
        mn = compiled("marks")
        if text.isascii() or mn.search(text) is None:
            return text, index
        index = _identity(text, index)
        keep = [k for k, c in enumerate(text) if mn.match(c) is None]
        return "".join(text[k] for k in keep), [index[k] for k in keep]
