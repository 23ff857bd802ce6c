"""The :class:`Encoding` of a text: ids, tokens, offsets and masks, as in ``tokenizers``."""

from __future__ import annotations

from .._errors import DataValueError

__all__ = ["Encoding"]


class Encoding:
    """What :meth:`Tokenizer.encode` returns.

    Attributes:
        ids: token ids.
        tokens: token strings.
        offsets: ``(start, end)`` character offsets of each token in the text it came from
            (``(0, 0)`` for added special tokens and padding).
        type_ids: segment ids (0 for the first sequence, usually 1 for the pair).
        attention_mask: 1 for real tokens, 0 for padding.
        special_tokens_mask: 1 for tokens added by post-processing or padding.
        overflowing: the pieces cut off by truncation, each post-processed like the main one
            (``stride`` tokens of overlap); built for single sequences, empty for pairs.
    """

    __slots__ = (
        "attention_mask",
        "ids",
        "offsets",
        "overflowing",
        "special_tokens_mask",
        "tokens",
        "type_ids",
    )

    def __init__(
        self,
        ids: list[int],
        tokens: list[str],
        offsets: list[tuple[int, int]],
        type_ids: list[int] | None = None,
        attention_mask: list[int] | None = None,
        special_tokens_mask: list[int] | None = None,
    ) -> None:
        n = len(ids)
        self.ids, self.tokens, self.offsets = ids, tokens, offsets
        self.type_ids = [0] * n if type_ids is None else type_ids
        self.attention_mask = [1] * n if attention_mask is None else attention_mask
        self.special_tokens_mask = [0] * n if special_tokens_mask is None else special_tokens_mask
        self.overflowing: list[Encoding] = []

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Encoding(num_tokens={len(self.ids)}, tokens={self.tokens[:8]!r}...)"

    def _slice(self, a: int, b: int) -> Encoding:
        return Encoding(
            self.ids[a:b],
            self.tokens[a:b],
            self.offsets[a:b],
            self.type_ids[a:b],
            self.attention_mask[a:b],
            self.special_tokens_mask[a:b],
        )

    def as_dict(self) -> dict[str, list[object]]:
        return {
            "ids": list(self.ids),
            "tokens": list(self.tokens),
            "offsets": [list(o) for o in self.offsets],
            "type_ids": list(self.type_ids),
            "attention_mask": list(self.attention_mask),
            "special_tokens_mask": list(self.special_tokens_mask),
        }

    def truncate(self, max_length: int, stride: int = 0, direction: str = "right") -> None:
        """Keep ``max_length`` tokens; the rest go to :attr:`overflowing` (``stride`` tokens of
        overlap between consecutive pieces), as ``tokenizers`` does."""
        n = len(self.ids)
        if max_length >= n:
            return
        if max_length == 0:
            whole = self._slice(0, n)
            self._set(self._slice(0, 0))
            self.overflowing = [whole]
            return
        if stride >= max_length:
            raise DataValueError(f"stride {stride} must be smaller than max_length {max_length}")
        step = max_length - stride
        parts = []
        if direction == "right":
            for start in range(0, n, step):
                stop = min(start + max_length, n)
                parts.append(self._slice(start, stop))
                if stop == n:
                    break
        else:
            for stop in range(n, 0, -step):
                start = max(0, stop - max_length)
                parts.append(self._slice(start, stop))
                if start == 0:
                    break
        first, rest = parts[0], parts[1:]
        self._set(first)
        self.overflowing = rest

    def _set(self, other: Encoding) -> None:
        self.ids, self.tokens, self.offsets = other.ids, other.tokens, other.offsets
        self.type_ids, self.attention_mask = other.type_ids, other.attention_mask
        self.special_tokens_mask = other.special_tokens_mask

    def pad(
        self, length: int, pad_id: int, pad_type_id: int, pad_token: str, direction: str
    ) -> None:
        """Pad to ``length`` (never truncates)."""
        k = length - len(self.ids)
        if k <= 0:
            return
        for o in self.overflowing:
            o.pad(length, pad_id, pad_type_id, pad_token, direction)
        fields = (
            ("ids", pad_id),
            ("tokens", pad_token),
            ("offsets", (0, 0)),
            ("type_ids", pad_type_id),
            ("attention_mask", 0),
            ("special_tokens_mask", 1),
        )
        for name, value in fields:
            cur = getattr(self, name)
            setattr(self, name, cur + [value] * k if direction == "right" else [value] * k + cur)

    @staticmethod
    def merge(encodings: list[Encoding]) -> Encoding:
        out = Encoding([], [], [])
        for e in encodings:
            out.ids = out.ids + e.ids
            out.tokens = out.tokens + e.tokens
            out.offsets = out.offsets + e.offsets
            out.type_ids = out.type_ids + e.type_ids
            out.attention_mask = out.attention_mask + e.attention_mask
            out.special_tokens_mask = out.special_tokens_mask + e.special_tokens_mask
        return out
