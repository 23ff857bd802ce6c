"""Reading tokenizers: ``tokenizer.json``, BERT's ``vocab.txt``, GPT-2's ``vocab.json`` +
``merges.txt``. Anything we do not implement raises :class:`FormatError` naming it, so a file
never gives silently different ids.

>>> tok = wordpiece_from_vocab(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hi", "##s"])
>>> tok.encode("His").tokens
['[CLS]', 'hi', '##s', '[SEP]']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from .._errors import DataValueError, FormatError
from .._json import load_json
from ..formats import read_bytes
from ._models import BPE, Model, WordPiece
from ._normalizers import BertNormalizer, normalizer_from
from ._pretokenizers import BertPreTokenizer, ByteLevel, pretokenizer_from
from ._processors import (
    BertProcessing,
    ByteLevelDecoder,
    ByteLevelProcessing,
    WordPieceDecoder,
    decoder_from,
    processor_from,
)
from ._tokenizer import AddedToken, Tokenizer

__all__ = ["bpe_from_files", "read_source_text", "tokenizer_from_json", "wordpiece_from_vocab"]

MAX_FILE_BYTES = 1 << 30


def read_source_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """The UTF-8 text of a file and its name (for messages)."""
    name = os.fsdecode(path)
    # In chunks: ``f.read(MAX_FILE_BYTES + 1)`` would allocate the whole cap (1 GiB) at once.
    data = read_bytes(name, max_bytes=MAX_FILE_BYTES)
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8: {exc.reason}", source=name, offset=exc.start) from None


def _vocab(spec: Any, source: str) -> dict[str, int]:
    if not isinstance(spec, dict):
        raise FormatError("model.vocab must be an object {token: id}", source=source)
    for t, i in spec.items():
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise FormatError(f"model.vocab[{t!r}] must be an integer id >= 0", source=source)
    return spec


def _opt_str(spec: dict[str, Any], key: str, source: str) -> str | None:
    v = spec.get(key)
    if v is not None and not isinstance(v, str):
        raise FormatError(f"model.{key} must be a string or null", source=source)
    return v


def _model(spec: Any, source: str) -> Model:
    if not isinstance(spec, dict):
        raise FormatError("missing model object", source=source)
    kind = spec.get("type")
    if kind is None and "merges" in spec:
        kind = "BPE"
    if kind == "WordPiece":
        vocab = _vocab(spec.get("vocab"), source)
        unk = _opt_str(spec, "unk_token", source) or "[UNK]"
        prefix = _opt_str(spec, "continuing_subword_prefix", source)
        limit = spec.get("max_input_chars_per_word", 100)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise FormatError("model.max_input_chars_per_word must be an integer", source=source)
        try:
            return WordPiece(vocab, unk, "##" if prefix is None else prefix, limit)
        except DataValueError as exc:
            raise FormatError(str(exc), source=source) from None
    if kind == "BPE":
        vocab = _vocab(spec.get("vocab"), source)
        if spec.get("dropout") not in (None, 0, 0.0):
            raise FormatError("BPE dropout is not supported (it is random)", source=source)
        if spec.get("byte_fallback") not in (None, False):
            raise FormatError("BPE model option byte_fallback is not supported", source=source)
        for key in ("continuing_subword_prefix", "end_of_word_suffix"):
            if spec.get(key) not in (None, ""):
                raise FormatError(
                    f"BPE model option {key}={spec.get(key)!r} is not supported", source=source
                )
        if "merges" not in spec or not isinstance(spec["merges"], list):
            raise FormatError("BPE model has no merges list", source=source)
        merges: list[tuple[str, str]] = []
        for k, m in enumerate(spec["merges"]):
            if isinstance(m, str):
                parts = m.split(" ")
            elif isinstance(m, list):
                parts = m
            else:
                parts = []
            if len(parts) != 2 or not all(isinstance(p, str) for p in parts):
                raise FormatError(f"BPE merge {m!r} is not a pair", source=source, record=k)
            merges.append((parts[0], parts[1]))
        try:
            return BPE(
                vocab,
                merges,
                _opt_str(spec, "unk_token", source),
                spec.get("fuse_unk") is True,
                spec.get("ignore_merges") is True,
            )
        except DataValueError as exc:
            raise FormatError(str(exc), source=source) from None
    raise FormatError(
        f"model type {kind!r} is not supported (supported: WordPiece, BPE)", source=source
    )


def _added(spec: Any, source: str) -> list[AddedToken]:
    if spec is None:
        return []
    if not isinstance(spec, list):
        raise FormatError("added_tokens must be a list", source=source)
    out = []
    for k, t in enumerate(spec):
        if not isinstance(t, dict) or not isinstance(t.get("content"), str) or not t["content"]:
            raise FormatError("an added token needs a non-empty content", source=source, record=k)
        i = t.get("id")
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise FormatError("an added token needs an integer id", source=source, record=k)
        if t.get("single_word"):
            raise FormatError(
                f"added token {t['content']!r}: single_word=true is not supported",
                source=source,
                record=k,
            )
        out.append(
            AddedToken(
                t["content"], i, bool(t.get("special", False)), bool(t.get("lstrip", False)),
                bool(t.get("rstrip", False)), bool(t.get("normalized", False)),
            )
        )  # fmt: skip
    return out


def tokenizer_from_json(text: str | bytes, source: str = "<tokenizer.json>") -> Tokenizer:
    """Build a :class:`Tokenizer` from the text of a ``tokenizer.json``."""
    doc = load_json(text, source=source)
    if not isinstance(doc, dict):
        raise FormatError("a tokenizer.json must be a JSON object", source=source)
    try:
        tok = Tokenizer(
            _model(doc.get("model"), source),
            normalizer_from(doc.get("normalizer")),
            pretokenizer_from(doc.get("pre_tokenizer")),
            processor_from(doc.get("post_processor")),
            decoder_from(doc.get("decoder")),
            _added(doc.get("added_tokens"), source),
        )
        _settings(tok, doc)
    except FormatError as exc:
        if exc.source is None:
            raise FormatError(exc.reason, source=source) from None
        raise
    return tok


def _settings(tok: Tokenizer, doc: dict[str, Any]) -> None:
    t = doc.get("truncation")
    if t is not None:
        if not isinstance(t, dict):
            raise FormatError("truncation must be an object or null")
        strategy = _choice(t, "strategy", _TRUNCATION, "LongestFirst")
        if "max_length" not in t:
            raise FormatError("truncation.max_length is missing")
        try:
            tok.enable_truncation(
                t["max_length"], t.get("stride", 0), strategy,
                _choice(t, "direction", _DIRECTIONS, "Right", "truncation"),
            )  # fmt: skip
        except DataValueError as exc:
            raise FormatError(f"truncation: {exc}") from None
    p = doc.get("padding")
    if p is not None:
        if not isinstance(p, dict):
            raise FormatError("padding must be an object or null")
        s = p.get("strategy", "BatchLongest")
        if s != "BatchLongest" and not (isinstance(s, dict) and list(s) == ["Fixed"]):
            raise FormatError(
                f'padding.strategy must be "BatchLongest" or {{"Fixed": n}}, not {s!r:.60}'
            )
        length = s["Fixed"] if isinstance(s, dict) else None
        try:
            tok.enable_padding(
                _choice(p, "direction", _DIRECTIONS, "Right", "padding"), p.get("pad_id", 0),
                p.get("pad_type_id", 0), p.get("pad_token", "[PAD]"), length,
                p.get("pad_to_multiple_of"),
            )  # fmt: skip
        except DataValueError as exc:
            field = "strategy.Fixed" if str(exc).startswith("length") else ""
            raise FormatError(f"padding{'.' + field if field else ''}: {exc}") from None


_TRUNCATION = {
    "LongestFirst": "longest_first",
    "OnlyFirst": "only_first",
    "OnlySecond": "only_second",
}
_DIRECTIONS = {"Right": "right", "Left": "left", "right": "right", "left": "left"}


def _choice(
    spec: dict[str, Any], key: str, names: dict[str, str], default: str, where: str = "truncation"
) -> str:
    """``names[spec[key]]``, or a FormatError naming ``where.key`` and the allowed values."""
    value = spec.get(key, default)
    if not isinstance(value, str) or value not in names:
        raise FormatError(f"{where}.{key} must be one of {', '.join(names)}, not {value!r:.60}")
    return names[value]


def _lines(source: str | os.PathLike[str] | Iterable[str]) -> tuple[list[str], str]:
    if isinstance(source, (str, os.PathLike)):
        text, name = read_source_text(source)
        return text.splitlines(), name
    return list(source), "<lines>"


def wordpiece_from_vocab(
    vocab: str | os.PathLike[str] | Iterable[str],
    lowercase: bool = True,
    strip_accents: bool | None = None,
    clean_text: bool = True,
    handle_chinese_chars: bool = True,
    unk_token: str = "[UNK]",
    sep_token: str = "[SEP]",
    cls_token: str = "[CLS]",
    pad_token: str = "[PAD]",
    mask_token: str = "[MASK]",
    wordpieces_prefix: str = "##",
    max_input_chars_per_word: int = 100,
) -> Tokenizer:
    """A BERT tokenizer from a ``vocab.txt`` (a path, or its lines), as
    ``tokenizers.BertWordPieceTokenizer`` builds it."""
    lines, name = _lines(vocab)
    ids = {line.rstrip(): k for k, line in enumerate(lines)}
    for t in (unk_token, sep_token, cls_token):
        if t not in ids:
            raise FormatError(f"the vocabulary has no {t!r}", source=name)
    specials = [
        AddedToken(t, ids[t])
        for t in (pad_token, unk_token, cls_token, sep_token, mask_token)
        if t in ids
    ]
    return Tokenizer(
        WordPiece(ids, unk_token, wordpieces_prefix, max_input_chars_per_word),
        BertNormalizer(clean_text, handle_chinese_chars, strip_accents, lowercase),
        BertPreTokenizer(),
        BertProcessing((sep_token, ids[sep_token]), (cls_token, ids[cls_token])),
        WordPieceDecoder(wordpieces_prefix),
        specials,
    )


def bpe_from_files(
    vocab_json: str | os.PathLike[str],
    merges_txt: str | os.PathLike[str] | Iterable[str],
    add_prefix_space: bool = False,
    trim_offsets: bool = False,
    unk_token: str | None = None,
) -> Tokenizer:
    """A byte-level BPE tokenizer from GPT-2's ``vocab.json`` and ``merges.txt``, as
    ``tokenizers.ByteLevelBPETokenizer`` builds it."""
    text, name = read_source_text(vocab_json)
    vocab = _vocab(load_json(text, source=name), name)
    lines, mname = _lines(merges_txt)
    merges: list[Any] = []
    for k, line in enumerate(lines):
        if (k == 0 and line.startswith("#version")) or not line.strip():
            continue
        merges.append(line)
    model = _model({"type": "BPE", "vocab": vocab, "merges": merges, "unk_token": unk_token}, mname)
    return Tokenizer(
        model,
        None,
        ByteLevel(add_prefix_space),
        ByteLevelProcessing(trim_offsets, add_prefix_space),
        ByteLevelDecoder(),
    )
