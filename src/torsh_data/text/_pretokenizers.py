"""Pre-tokenizers of a ``tokenizer.json``: split normalized text into words.

A pre-tokenizer maps normalized text to pieces ``(piece, where)``: ``where`` is the
normalized position of the piece's first character (the piece is a slice), or a list giving
the normalized position of each of its characters (after a byte-level mapping).

>>> [p for p, _ in BertPreTokenizer().split("hi, you!")]
['hi', ',', 'you', '!']
>>> [p for p, _ in ByteLevel(add_prefix_space=True).split("héllo world")]
['ĠhÃ©llo', 'Ġworld']
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .._errors import FormatError
from ._normalizers import component_type
from ._unicode import bert_punctuation, letters, numbers, whitespace

__all__ = ["BertPreTokenizer", "ByteLevel", "PreTokenizer", "WhitespaceSplit", "pretokenizer_from"]

Piece = tuple[str, "int | list[int]"]


class PreTokenizer:
    def split(self, text: str) -> list[Piece]:
        raise NotImplementedError


@functools.cache
def _bert_re() -> re.Pattern[str]:
    p, ws = bert_punctuation(), whitespace()
    return re.compile(f"[{p}]|[^{p}{ws}]+")


class BertPreTokenizer(PreTokenizer):
    """Split on whitespace (dropped) and isolate each punctuation character."""

    def split(self, text: str) -> list[Piece]:
        return [(m.group(), m.start()) for m in _bert_re().finditer(text)]


@functools.cache
def _ws_re() -> re.Pattern[str]:
    return re.compile(f"[^{whitespace()}]+")


class WhitespaceSplit(PreTokenizer):
    """Split on Unicode whitespace (Rust's ``char::is_whitespace``)."""

    def split(self, text: str) -> list[Piece]:
        return [(m.group(), m.start()) for m in _ws_re().finditer(text)]


def _bytes_to_unicode() -> str:
    """GPT-2's byte -> printable character map, as a 256-character string."""
    keep = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = [""] * 256
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return "".join(table)


BYTE_CHARS = _bytes_to_unicode()
_LATIN1_TO_BYTE_CHARS = str.maketrans({chr(b): c for b, c in enumerate(BYTE_CHARS)})
BYTE_CHAR_VALUES = {c: b for b, c in enumerate(BYTE_CHARS)}


@functools.cache
def _gpt2_re() -> re.Pattern[str]:
    L, N, S = letters(), numbers(), whitespace()
    return re.compile(
        rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{S}{L}{N}]+|[{S}]+(?![^{S}])|[{S}]+"
    )


def _utf8_len(c: str) -> int:
    o = ord(c)
    return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4


class ByteLevel(PreTokenizer):
    """GPT-2's byte-level pre-tokenizer: optional prefix space, its regex, then each UTF-8 byte
    as one printable character."""

    def __init__(self, add_prefix_space: bool = True, use_regex: bool = True) -> None:
        self.add_prefix_space, self.use_regex = add_prefix_space, use_regex

    def split(self, text: str) -> list[Piece]:
        prefix = self.add_prefix_space and bool(text) and not text.startswith(" ")
        if prefix:
            text = " " + text  # the new space takes the place of the first character
        if self.use_regex:
            spans = [(m.start(), m.end()) for m in _gpt2_re().finditer(text)]
        else:
            spans = [(0, len(text))] if text else []
        out: list[Piece] = []
        for a, b in spans:
            piece = text[a:b]
            mapped = piece.encode().decode("latin-1").translate(_LATIN1_TO_BYTE_CHARS)
            shift = a - 1 if prefix else a
            if piece.isascii():
                where: list[int] = list(range(shift, shift + len(piece)))
            else:
                where = [shift + k for k, c in enumerate(piece) for _ in range(_utf8_len(c))]
            if prefix and a == 0:
                where[0] = 0
            out.append((mapped, where))
        return out


class Sequence(PreTokenizer):
    def __init__(self, parts: list[PreTokenizer]) -> None:
        if any(isinstance(p, ByteLevel) for p in parts[:-1]):
            raise FormatError("pre_tokenizer: ByteLevel is only supported last in a Sequence")
        self.parts = parts

    def split(self, text: str) -> list[Piece]:
        pieces: list[Piece] = [(text, 0)]
        for p in self.parts:
            nxt: list[Piece] = []
            for s, where in pieces:
                for t, w in p.split(s):
                    if isinstance(where, int):
                        nxt.append((t, where + w if isinstance(w, int) else [where + x for x in w]))
                    else:
                        nxt.append(
                            (
                                t,
                                where[w : w + len(t)]
                                if isinstance(w, int)
                                else [where[x] for x in w],
                            )
                        )
            pieces = nxt
        return pieces


def pretokenizer_from(spec: Any, where: str = "pre_tokenizer") -> PreTokenizer | None:
    """The pre-tokenizer of a ``tokenizer.json`` entry; unsupported -> FormatError."""
    if spec is None:
        return None
    kind = component_type(spec, where)
    if kind == "BertPreTokenizer":
        return BertPreTokenizer()
    if kind == "WhitespaceSplit":
        return WhitespaceSplit()
    if kind == "ByteLevel":
        for key in ("add_prefix_space", "use_regex"):
            if not isinstance(spec.get(key, True), bool):
                raise FormatError(f"{where}.{key} must be true or false")
        return ByteLevel(spec.get("add_prefix_space", True), spec.get("use_regex", True))
    if kind == "Sequence":
        items = spec.get("pretokenizers")
        if not isinstance(items, list):
            raise FormatError(f"{where}.pretokenizers must be a list")
        parts = [pretokenizer_from(s, f"{where}.pretokenizers[{k}]") for k, s in enumerate(items)]
        return Sequence([p for p in parts if p is not None])
    raise FormatError(
        f"{where}: pre-tokenizer type {kind!r} is not supported (supported: BertPreTokenizer, "
        "ByteLevel, WhitespaceSplit, Sequence)"
    )
