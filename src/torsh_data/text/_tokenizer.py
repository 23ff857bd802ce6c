"""The :class:`Tokenizer` facade: a Hugging Face ``tokenizer.json`` in pure Python.

It reads the JSON the ``tokenizers`` library saves and gives the same ids, tokens, offsets
and masks (checked against that library in the tests): added tokens are split out first,
then each remaining segment is normalized, pre-tokenized and cut into subwords by the model;
truncation, the post-processor (special tokens) and padding follow.

>>> import json
>>> spec = {"model": {"type": "WordPiece", "unk_token": "[UNK]",
...     "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hello": 3, "wor": 4, "##ld": 5, "!": 6}},
...     "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"},
...     "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
...     "decoder": {"type": "WordPiece"}, "added_tokens": [
...     {"id": 1, "content": "[CLS]", "special": True}, {"id": 2, "content": "[SEP]", "special": True}]}
>>> tok = Tokenizer.from_str(json.dumps(spec))
>>> e = tok.encode("Hello World!")
>>> e.tokens, e.ids, e.offsets[1:4]
(['[CLS]', 'hello', 'wor', '##ld', '!', '[SEP]'], [1, 3, 4, 5, 6, 2], [(0, 5), (6, 9), (9, 11)])
>>> tok.decode(e.ids)
'hello world!'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ._encoding import Encoding
from ._models import Model
from ._normalizers import Normalizer
from ._pretokenizers import PreTokenizer
from ._processors import (
    ByteLevelDecoder,
    JoinDecoder,
    PostProcessor,
    WordPieceDecoder,
    _default_process,
)
from ._unicode import whitespace

__all__ = ["AddedToken", "Tokenizer"]

_STRATEGIES = ("longest_first", "only_first", "only_second")
#: Longest fixed padding (``length``, ``pad_to_multiple_of``) a tokenizer accepts, in tokens:
#: far above any model's context, low enough that a hostile ``tokenizer.json`` cannot make
#: every encoding allocate gigabytes.
MAX_PAD_LENGTH = 1 << 20


class AddedToken:
    """A token matched in the raw text before normalization (e.g. ``[CLS]`` or ``<mask>``)."""

    __slots__ = ("content", "id", "lstrip", "normalized", "rstrip", "single_word", "special")

    def __init__(
        self,
        content: str,
        id: int,
        special: bool = True,
        lstrip: bool = False,
        rstrip: bool = False,
        normalized: bool = False,
        single_word: bool = False,
    ) -> None:
        self.content, self.id, self.special = content, id, special
        self.lstrip, self.rstrip = lstrip, rstrip
        self.normalized, self.single_word = normalized, single_word


def _added_pattern(tokens: list[AddedToken]) -> re.Pattern[str] | None:
    if not tokens:
        return None
    ws = f"[{whitespace()}]*"
    alts = []
    for t in sorted(tokens, key=lambda t: -len(t.content)):  # leftmost-longest
        alts.append(f"{ws if t.lstrip else ''}({re.escape(t.content)}){ws if t.rstrip else ''}")
    return re.compile("|".join(alts))


class Tokenizer:
    """A tokenizer pipeline with the API of ``tokenizers.Tokenizer``.

    Build one with :meth:`from_file` / :meth:`from_str` (a ``tokenizer.json``),
    :func:`~torsh_data.text.wordpiece_from_vocab` (a BERT ``vocab.txt``) or
    :func:`~torsh_data.text.bpe_from_files` (``vocab.json`` + ``merges.txt``).
    """

    def __init__(
        self,
        model: Model,
        normalizer: Normalizer | None = None,
        pre_tokenizer: PreTokenizer | None = None,
        post_processor: PostProcessor | None = None,
        decoder: WordPieceDecoder | ByteLevelDecoder | JoinDecoder | None = None,
        added_tokens: Sequence[AddedToken] = (),
    ) -> None:
        self.model = model
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.post_processor = post_processor
        self.decoder = decoder or JoinDecoder()
        self.added_tokens = list(added_tokens)
        self._added_by_content = {t.content: t for t in self.added_tokens}
        self._added_by_id = {t.id: t.content for t in self.added_tokens}
        self._special_ids = {t.id for t in self.added_tokens if t.special}
        self._raw_re = _added_pattern([t for t in self.added_tokens if not t.normalized])
        self._norm_re = _added_pattern([t for t in self.added_tokens if t.normalized])
        self._id_to_token = {i: t for t, i in model.vocab.items()}
        self.truncation: dict[str, Any] | None = None
        self.padding: dict[str, Any] | None = None

    # --- loading -----------------------------------------------------------------------------
    @classmethod
    def from_str(cls, json_text: str | bytes) -> Tokenizer:
        """Load a ``tokenizer.json`` document; unsupported parts raise :class:`FormatError`."""
        from ._loading import tokenizer_from_json

        return tokenizer_from_json(json_text, "<tokenizer.json>")

    @classmethod
    def from_file(cls, path: str | Any) -> Tokenizer:
        """Load a ``tokenizer.json`` file."""
        from ._loading import read_source_text, tokenizer_from_json

        return tokenizer_from_json(*read_source_text(path))

    # --- vocabulary --------------------------------------------------------------------------
    def token_to_id(self, token: str) -> int | None:
        added = self._added_by_content.get(token)
        return added.id if added is not None else self.model.vocab.get(token)

    def id_to_token(self, id: int) -> str | None:
        t = self._added_by_id.get(id)
        return t if t is not None else self._id_to_token.get(id)

    def get_vocab(self, with_added_tokens: bool = True) -> dict[str, int]:
        vocab = dict(self.model.vocab)
        if with_added_tokens:
            vocab.update({t.content: t.id for t in self.added_tokens})
        return vocab

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return len(self.get_vocab(with_added_tokens))

    # --- settings ------------------------------------------------------------------------------
    def enable_truncation(
        self,
        max_length: int,
        stride: int = 0,
        strategy: str = "longest_first",
        direction: str = "right",
    ) -> None:
        """Cut encodings to ``max_length`` tokens (special tokens included)."""
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
            raise DataValueError(f"max_length must be an integer >= 0, got {max_length!r}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 0:
            raise DataValueError(f"stride must be an integer >= 0, got {stride!r}")
        if strategy not in _STRATEGIES:
            raise DataValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
        if direction not in ("right", "left"):
            raise DataValueError(f"direction must be 'right' or 'left', got {direction!r}")
        self.truncation = {
            "max_length": max_length, "stride": stride, "strategy": strategy, "direction": direction
        }  # fmt: skip

    def no_truncation(self) -> None:
        self.truncation = None

    def enable_padding(
        self,
        direction: str = "right",
        pad_id: int = 0,
        pad_type_id: int = 0,
        pad_token: str = "[PAD]",
        length: int | None = None,
        pad_to_multiple_of: int | None = None,
    ) -> None:
        """Pad to ``length``, or (``None``) to the longest encoding of each batch.

        ``length`` and ``pad_to_multiple_of`` are at most :data:`MAX_PAD_LENGTH` tokens."""
        if direction not in ("right", "left"):
            raise DataValueError(f"direction must be 'right' or 'left', got {direction!r}")
        for name, k in (("pad_id", pad_id), ("pad_type_id", pad_type_id)):
            if isinstance(k, bool) or not isinstance(k, int):
                raise DataValueError(f"{name} must be an integer, got {k!r}")
        if not isinstance(pad_token, str):
            raise DataValueError(f"pad_token must be a string, got {pad_token!r}")
        for name, v in (("length", length), ("pad_to_multiple_of", pad_to_multiple_of)):
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_PAD_LENGTH
            ):
                raise DataValueError(
                    f"{name} must be None or an integer in [1, {MAX_PAD_LENGTH}] "
                    f"(MAX_PAD_LENGTH), got {v!r:.40}"
                )
        self.padding = {
            "direction": direction, "pad_id": pad_id, "pad_type_id": pad_type_id,
            "pad_token": pad_token, "length": length, "pad_to_multiple_of": pad_to_multiple_of,
        }  # fmt: skip

    def no_padding(self) -> None:
        self.padding = None

    # --- encoding ------------------------------------------------------------------------------
    def _encode_sequence(self, text: str) -> Encoding:
        if not isinstance(text, str):
            raise DataTypeError(f"encode takes str inputs, not {type(text).__name__}")
        try:
            return self._encode_text(text)
        except UnicodeEncodeError as exc:
            raise DataValueError(
                f"cannot encode {text[exc.start : exc.end]!r} at position {exc.start}: "
                "a lone surrogate is not text"
            ) from None

    def _encode_text(self, text: str) -> Encoding:
        ids: list[int] = []
        tokens: list[str] = []
        offsets: list[tuple[int, int]] = []
        pos = 0
        if self._raw_re is not None:
            for m in self._raw_re.finditer(text):
                self._encode_segment(text[pos : m.start()], pos, ids, tokens, offsets)
                g = next(k for k in range(1, (m.lastindex or 0) + 1) if m.group(k) is not None)
                ids.append(self._added_by_content[m.group(g)].id)
                tokens.append(m.group())  # with the whitespace lstrip/rstrip took, as tokenizers
                offsets.append(m.span())
                pos = m.end()
        self._encode_segment(text[pos:], pos, ids, tokens, offsets)
        return Encoding(ids, tokens, offsets)

    def _encode_segment(
        self,
        text: str,
        base: int,
        ids: list[int],
        tokens: list[str],
        offsets: list[tuple[int, int]],
    ) -> None:
        if not text:
            return
        index: list[int] | None = None
        if self.normalizer is not None:
            text, index = self.normalizer.normalize(text)
        parts: list[tuple[str, int]] = [(text, 0)]
        if self._norm_re is not None:
            parts, pos = [], 0
            matched: dict[int, str] = {}
            spans: dict[int, tuple[int, int]] = {}
            for m in self._norm_re.finditer(text):
                parts.append((text[pos : m.start()], pos))
                g = next(k for k in range(1, (m.lastindex or 0) + 1) if m.group(k) is not None)
                parts.append((m.group(), -1 - m.start()))  # marks an added token
                matched[m.start()] = m.group(g)
                spans[m.start()] = m.span()
                pos = m.end()
            parts.append((text[pos:], pos))
        model, pre = self.model.tokenize, self.pre_tokenizer
        add_id, add_token, add_offset = ids.append, tokens.append, offsets.append
        for part, at in parts:
            if at < 0:
                s, e = spans[-1 - at]
                add_id(self._added_by_content[matched[-1 - at]].id)
                add_token(part)
                add_offset(_to_original(s, e, index, base))
                continue
            pieces = pre.split(part) if pre is not None else ([(part, 0)] if part else [])
            for piece, where in pieces:
                if type(where) is int:
                    o = at + where
                    if index is None:
                        o += base
                        for tid, tok, a, b in model(piece):
                            add_id(tid)
                            add_token(tok)
                            add_offset((o + a, o + b))
                    else:
                        for tid, tok, a, b in model(piece):
                            add_id(tid)
                            add_token(tok)
                            add_offset((base + index[o + a], base + index[o + b - 1] + 1))
                else:
                    for tid, tok, a, b in model(piece):
                        add_id(tid)
                        add_token(tok)
                        add_offset(_to_original(at + where[a], at + where[b - 1] + 1, index, base))  # type: ignore[index]

    def encode(
        self, sequence: str, pair: str | None = None, add_special_tokens: bool = True
    ) -> Encoding:
        """Encode a text (and optionally its pair) into an :class:`Encoding`."""
        enc = self._encode_sequence(sequence)
        pair_enc = None if pair is None else self._encode_sequence(pair)
        out = self._post_process(enc, pair_enc, add_special_tokens)
        if self.padding is not None:
            self._pad([out])
        return out

    def encode_batch(
        self, inputs: Sequence[Any], add_special_tokens: bool = True
    ) -> list[Encoding]:
        """Encode texts or ``(text, pair)`` tuples; padding (if enabled) is per batch."""
        out = []
        for x in inputs:
            if isinstance(x, (tuple, list)):
                if len(x) != 2:
                    raise DataValueError(f"a pair input must have 2 texts, got {len(x)}")
                a, b = x
            else:
                a, b = x, None
            enc = self._encode_sequence(a)
            pair_enc = None if b is None else self._encode_sequence(b)
            out.append(self._post_process(enc, pair_enc, add_special_tokens))
        if self.padding is not None:
            self._pad(out)
        return out

    def _post_process(
        self, a: Encoding, b: Encoding | None, add_special: bool, truncate: bool = True
    ) -> Encoding:
        if truncate and self.truncation is not None:
            t = dict(self.truncation)
            n_added = self.post_processor.added_tokens(b is not None) if self.post_processor else 0
            if add_special and n_added:
                t["max_length"] = max(0, t["max_length"] - n_added)
            _truncate(a, b, **t)
        overflowing = a.overflowing if b is None else []  # NOTE: not built for pairs
        out = (
            self.post_processor.process(a, b, add_special)
            if self.post_processor is not None
            else _default_process(a, b)
        )
        out.overflowing = [self._post_process(o, None, add_special, False) for o in overflowing]
        return out

    def _pad(self, encodings: list[Encoding]) -> None:
        p = self.padding
        assert p is not None
        length = p["length"] or max((len(e) for e in encodings), default=0)
        m = p["pad_to_multiple_of"]
        if m and length % m:
            length += m - length % m
        for e in encodings:
            e.pad(length, p["pad_id"], p["pad_type_id"], p["pad_token"], p["direction"])

    # --- decoding ------------------------------------------------------------------------------
    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        """The text of ``ids`` (unknown ids are dropped, as in ``tokenizers``)."""
        tokens = []
        for i in ids:
            if skip_special_tokens and i in self._special_ids:
                continue
            t = self.id_to_token(i)
            if t is not None:
                tokens.append(t)
        return self.decoder.decode(tokens)

    def decode_batch(
        self, sequences: Sequence[Sequence[int]], skip_special_tokens: bool = True
    ) -> list[str]:
        return [self.decode(s, skip_special_tokens) for s in sequences]


def _to_original(s: int, e: int, index: list[int] | None, base: int) -> tuple[int, int]:
    if index is None:
        return base + s, base + e
    return base + index[s], base + index[e - 1] + 1


def _truncate(
    a: Encoding, b: Encoding | None, max_length: int, stride: int, strategy: str, direction: str
) -> None:
    """``tokenizers``' truncate_encodings."""
    if max_length == 0:
        a.truncate(0, stride, direction)
        if b is not None:
            b.truncate(0, stride, direction)
        return
    total = len(a) + (len(b) if b is not None else 0)
    if total <= max_length:
        return
    to_remove = total - max_length
    if strategy == "longest_first":
        if b is None:
            a.truncate(total - to_remove, stride, direction)
            return
        n1, n2 = len(a), len(b)
        swap = n1 > n2
        if swap:
            n1, n2 = n2, n1
        n2 = n1 if n1 > max_length else max(n1, max_length - n1)
        if n1 + n2 > max_length:
            n1 = max_length // 2
            n2 = n1 + max_length % 2
        if swap:
            n1, n2 = n2, n1
        a.truncate(n1, stride, direction)
        b.truncate(n2, stride, direction)
        return
    if strategy == "only_second" and b is None:
        raise DataValueError("truncation strategy only_second needs a pair of sequences")
    target = a if strategy == "only_first" else b
    assert target is not None
    if len(target) > to_remove:
        target.truncate(len(target) - to_remove, stride, direction)
    else:
        raise DataValueError(
            f"truncation: the sequence to truncate has {len(target)} tokens, fewer than the "
            f"{to_remove} that must go; use another strategy or a larger max_length"
        )
