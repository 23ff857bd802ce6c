"""Post-processors (special tokens around sequences) and decoders of a ``tokenizer.json``.

>>> p = BertProcessing(("[SEP]", 3), ("[CLS]", 2))
>>> e = p.process(Encoding([7, 8], ["a", "b"], [(0, 1), (2, 3)]), None)
>>> e.tokens, e.special_tokens_mask
(['[CLS]', 'a', 'b', '[SEP]'], [1, 0, 0, 1])
>>> WordPieceDecoder().decode(["un", "##aff", "##able", "!"])
'unaffable!'
"""

from __future__ import annotations

from typing import Any

from .._errors import FormatError
from ._encoding import Encoding
from ._normalizers import component_type
from ._pretokenizers import BYTE_CHAR_VALUES
from ._unicode import WHITESPACE_SET

__all__ = [
    "BertProcessing",
    "ByteLevelDecoder",
    "ByteLevelProcessing",
    "PostProcessor",
    "RobertaProcessing",
    "TemplateProcessing",
    "WordPieceDecoder",
    "decoder_from",
    "processor_from",
]


def _special(tokens: list[tuple[str, int]], type_id: int) -> Encoding:
    n = len(tokens)
    return Encoding(
        [i for _, i in tokens], [t for t, _ in tokens], [(0, 0)] * n, [type_id] * n, None, [1] * n
    )


def _with_type(e: Encoding, type_id: int) -> Encoding:
    e.type_ids = [type_id] * len(e.ids)
    return e


def _default_process(a: Encoding, b: Encoding | None) -> Encoding:
    """Concatenate, the pair with type id 1 (what ``tokenizers`` does without special tokens)."""
    return Encoding.merge([a] if b is None else [a, _with_type(b, 1)])


class PostProcessor:
    def added_tokens(self, is_pair: bool) -> int:
        raise NotImplementedError

    def process(self, a: Encoding, b: Encoding | None, add_special_tokens: bool = True) -> Encoding:
        raise NotImplementedError


class TemplateProcessing(PostProcessor):
    """``[CLS] $A [SEP] $B:1 [SEP]:1`` style templates."""

    def __init__(
        self, single: list[Any], pair: list[Any], special: dict[str, list[tuple[str, int]]]
    ):
        self.single, self.pair, self.special = single, pair, special

    def added_tokens(self, is_pair: bool) -> int:
        tpl = self.pair if is_pair else self.single
        return sum(len(self.special[name]) for kind, name, _ in tpl if kind == "special")

    def process(self, a: Encoding, b: Encoding | None, add_special_tokens: bool = True) -> Encoding:
        parts = []
        for kind, name, type_id in self.pair if b is not None else self.single:
            if kind == "special":
                if add_special_tokens:
                    parts.append(_special(self.special[name], type_id))
            else:
                seq = a if name == "A" else b
                if seq is not None:
                    parts.append(_with_type(seq, type_id))
        return Encoding.merge(parts)


class BertProcessing(PostProcessor):
    def __init__(self, sep: tuple[str, int], cls: tuple[str, int]) -> None:
        self.sep, self.cls = sep, cls

    def added_tokens(self, is_pair: bool) -> int:
        return 3 if is_pair else 2

    def process(self, a: Encoding, b: Encoding | None, add_special_tokens: bool = True) -> Encoding:
        if not add_special_tokens:
            return _default_process(a, b)
        parts = [_special([self.cls], 0), _with_type(a, 0), _special([self.sep], 0)]
        if b is not None:
            parts += [_with_type(b, 1), _special([self.sep], 1)]
        return Encoding.merge(parts)


def trim_offsets(e: Encoding, add_prefix_space: bool) -> None:
    """Move offsets off the spaces (``Ġ``) at the ends of byte-level tokens."""
    spaces = "\u0120" + "".join(WHITESPACE_SET)  # Ġ (a byte-level space) and whitespace
    for i, (tok, (s, t)) in enumerate(zip(e.tokens, e.offsets, strict=True)):
        lead = len(tok) - len(tok.lstrip(spaces))
        trail = len(tok) - len(tok.rstrip(spaces))
        if lead == 0 and trail == 0:
            continue
        if lead > 0:
            if (i == 0 or s == 0) and add_prefix_space and lead == 1:
                lead = 0
            s = min(s + lead, t)
        if trail > 0 and t >= trail:
            t = max(t - trail, s)
        e.offsets[i] = (s, t)


class RobertaProcessing(PostProcessor):
    """``<s> A </s>`` and ``<s> A </s> </s> B </s>``, with byte-level offset trimming."""

    def __init__(
        self, sep: tuple[str, int], cls: tuple[str, int], trim: bool, add_prefix_space: bool
    ) -> None:
        self.sep, self.cls, self.trim, self.add_prefix_space = sep, cls, trim, add_prefix_space

    def added_tokens(self, is_pair: bool) -> int:
        return 4 if is_pair else 2

    def process(self, a: Encoding, b: Encoding | None, add_special_tokens: bool = True) -> Encoding:
        if self.trim:
            _trim_offsets(a, b, self.add_prefix_space)
        if not add_special_tokens:
            return Encoding.merge([a] if b is None else [a, _with_type(b, 0)])
        # RoBERTa has no segment embeddings: every type id is 0, the pair's too
        parts = [_special([self.cls], 0), _with_type(a, 0), _special([self.sep], 0)]
        if b is not None:
            parts += [_special([self.sep], 0), _with_type(b, 0), _special([self.sep], 0)]
        return Encoding.merge(parts)


def _trim_offsets(a: Encoding, b: Encoding | None, add_prefix_space: bool) -> None:
    """Trim the offsets of ``a`` and ``b`` (byte-level ``trim_offsets``) in place."""
    for e in (a, b):
        if e is not None:
            e.offsets = list(e.offsets)
            trim_offsets(e, add_prefix_space)


class ByteLevelProcessing(PostProcessor):
    def __init__(self, trim: bool, add_prefix_space: bool) -> None:
        self.trim, self.add_prefix_space = trim, add_prefix_space

    def added_tokens(self, is_pair: bool) -> int:
        return 0

    def process(self, a: Encoding, b: Encoding | None, add_special_tokens: bool = True) -> Encoding:
        if self.trim:
            _trim_offsets(a, b, self.add_prefix_space)
        return _default_process(a, b)


def _pair(spec: Any, where: str) -> tuple[str, int]:
    if (
        not isinstance(spec, list)
        or len(spec) != 2
        or not isinstance(spec[0], str)
        or isinstance(spec[1], bool)
        or not isinstance(spec[1], int)
    ):
        raise FormatError(f"{where} must be [token, id], got {spec!r}")
    return spec[0], spec[1]


def _template(items: Any, where: str, special: dict[str, Any]) -> list[tuple[str, str, int]]:
    if not isinstance(items, list):
        raise FormatError(f"{where} must be a list")
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1:
            raise FormatError(f"{where}[{k}] must be {{SpecialToken|Sequence: {{...}}}}")
        ((kind, body),) = item.items()
        if kind not in ("SpecialToken", "Sequence") or not isinstance(body, dict):
            raise FormatError(f"{where}[{k}]: unknown template piece {kind!r}")
        name, type_id = body.get("id"), body.get("type_id", 0)
        if not isinstance(name, str) or isinstance(type_id, bool) or not isinstance(type_id, int):
            raise FormatError(f"{where}[{k}]: bad id or type_id in {body!r}")
        if kind == "SpecialToken" and name not in special:
            raise FormatError(f"{where}[{k}]: special token {name!r} is not in special_tokens")
        if kind == "Sequence" and name not in ("A", "B"):
            raise FormatError(f"{where}[{k}]: sequence id must be 'A' or 'B', got {name!r}")
        out.append(("special" if kind == "SpecialToken" else "sequence", name, type_id))
    return out


def processor_from(spec: Any, where: str = "post_processor") -> PostProcessor | None:
    """The post-processor of a ``tokenizer.json`` entry; unsupported -> FormatError."""
    if spec is None:
        return None
    kind = component_type(spec, where)
    if kind == "BertProcessing":
        return BertProcessing(
            _pair(spec.get("sep"), f"{where}.sep"), _pair(spec.get("cls"), f"{where}.cls")
        )
    if kind == "RobertaProcessing":
        return RobertaProcessing(
            _pair(spec.get("sep"), f"{where}.sep"),
            _pair(spec.get("cls"), f"{where}.cls"),
            spec.get("trim_offsets", True) is not False,
            spec.get("add_prefix_space", True) is not False,
        )
    if kind == "ByteLevel":
        return ByteLevelProcessing(
            spec.get("trim_offsets", True) is not False,
            spec.get("add_prefix_space", True) is not False,
        )
    if kind == "TemplateProcessing":
        raw = spec.get("special_tokens")
        if not isinstance(raw, dict):
            raise FormatError(f"{where}.special_tokens must be an object")
        special: dict[str, list[tuple[str, int]]] = {}
        for name, body in raw.items():
            if not isinstance(body, dict):
                raise FormatError(f"{where}.special_tokens[{name!r}] must be an object")
            ids, toks = body.get("ids"), body.get("tokens")
            if (
                not isinstance(ids, list)
                or not isinstance(toks, list)
                or len(ids) != len(toks)
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
                or not all(isinstance(t, str) for t in toks)
            ):
                raise FormatError(
                    f"{where}.special_tokens[{name!r}] needs ids and tokens of one length"
                )
            special[name] = list(zip(toks, ids, strict=True))
        return TemplateProcessing(
            _template(spec.get("single"), f"{where}.single", special),
            _template(spec.get("pair"), f"{where}.pair", special),
            special,
        )
    raise FormatError(
        f"{where}: post-processor type {kind!r} is not supported (supported: BertProcessing, "
        "RobertaProcessing, ByteLevel, TemplateProcessing)"
    )


# --- decoders --------------------------------------------------------------------------------


def _cleanup(s: str) -> str:
    for a, b in (
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
        (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ):  # fmt: skip
        s = s.replace(a, b)
    return s


class WordPieceDecoder:
    def __init__(self, prefix: str = "##", cleanup: bool = True) -> None:
        self.prefix, self.cleanup = prefix, cleanup

    def decode(self, tokens: list[str]) -> str:
        out = []
        for i, t in enumerate(tokens):
            if i:
                t = t.replace(self.prefix, "", 1) if t.startswith(self.prefix) else " " + t
            out.append(_cleanup(t) if self.cleanup else t)
        return "".join(out)


class ByteLevelDecoder:
    def decode(self, tokens: list[str]) -> str:
        get = BYTE_CHAR_VALUES.get
        data = bytearray()
        for t in tokens:
            values = [get(c) for c in t]
            if None in values:  # a token outside the byte alphabet (an added token) stays as is
                data += t.encode()
            else:
                data += bytes(values)  # type: ignore[arg-type]
        return data.decode("utf-8", errors="replace")


class JoinDecoder:
    def decode(self, tokens: list[str]) -> str:
        return " ".join(tokens)


def decoder_from(
    spec: Any, where: str = "decoder"
) -> WordPieceDecoder | ByteLevelDecoder | JoinDecoder:
    if spec is None:
        return JoinDecoder()
    kind = component_type(spec, where)
    if kind == "WordPiece":
        prefix = spec.get("prefix", "##")
        if not isinstance(prefix, str):
            raise FormatError(f"{where}.prefix must be a string")
        return WordPieceDecoder(prefix, spec.get("cleanup", True) is not False)
    if kind == "ByteLevel":
        return ByteLevelDecoder()
    raise FormatError(
        f"{where}: decoder type {kind!r} is not supported (supported: WordPiece, ByteLevel)"
    )
