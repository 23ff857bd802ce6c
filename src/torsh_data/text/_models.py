"""The models of a ``tokenizer.json``: WordPiece and BPE, word by word with a cache.

A model maps one pre-tokenized word to tokens ``(id, token, start, end)``, with ``start``
and ``end`` character positions inside the word.

>>> wp = WordPiece({"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3})
>>> [t for _, t, _, _ in wp.tokenize("unaffable")]
['un', '##aff', '##able']
>>> bpe = BPE({"a": 0, "b": 1, "ab": 2, "abb": 3}, [("a", "b"), ("ab", "b")])
>>> bpe.tokenize("abbab")
[(3, 'abb', 0, 3), (2, 'ab', 3, 5)]
"""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import DataValueError

__all__ = ["BPE", "Model", "WordPiece"]

Token = tuple[int, str, int, int]
_CACHE_LIMIT = 10_000


class Model:
    """Base: ``tokenize`` caches the tokens of up to ``_CACHE_LIMIT`` words; subclasses
    implement ``_tokenize`` and set ``vocab``."""

    vocab: dict[str, int]
    _cache: dict[str, list[Token]]

    def tokenize(self, word: str) -> list[Token]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        out = self._tokenize(word)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = out
        return out

    def _tokenize(self, word: str) -> list[Token]:
        raise NotImplementedError


class WordPiece(Model):
    """Greedy longest-match-first subwords; continuing pieces carry ``prefix`` (``##``); a
    word that cannot be covered, or is longer than ``max_input_chars_per_word``, is one
    ``unk_token``."""

    def __init__(
        self,
        vocab: dict[str, int],
        unk_token: str = "[UNK]",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
    ) -> None:
        if unk_token not in vocab:
            raise DataValueError(f"WordPiece unk_token {unk_token!r} is not in the vocabulary")
        self.vocab = vocab
        self.unk_token, self.unk_id = unk_token, vocab[unk_token]
        self.prefix = continuing_subword_prefix
        self.max_chars = max_input_chars_per_word
        self._longest = max((len(t) for t in vocab), default=1)
        self._cache: dict[str, list[Token]] = {}

    def _tokenize(self, word: str) -> list[Token]:
        n = len(word)
        unk = [(self.unk_id, self.unk_token, 0, n)]
        if n > self.max_chars:
            return unk
        vocab, prefix, longest = self.vocab, self.prefix, self._longest
        out: list[Token] = []
        start = 0
        while start < n:
            end = min(n, start + longest)
            while end > start:
                piece = word[start:end] if start == 0 else prefix + word[start:end]
                i = vocab.get(piece)
                if i is not None:
                    out.append((i, piece, start, end))
                    break
                end -= 1
            else:
                return unk
            start = end
        return out


class BPE(Model):
    """Byte-pair encoding: merge the adjacent pair of lowest rank until none is left."""

    def __init__(
        self,
        vocab: dict[str, int],
        merges: Sequence[tuple[str, str]],
        unk_token: str | None = None,
        fuse_unk: bool = False,
        ignore_merges: bool = False,
    ) -> None:
        self.vocab = vocab
        self.merges = [(a, b) for a, b in merges]
        self.ranks: dict[tuple[str, str], int] = {}
        for r, (a, b) in enumerate(merges):
            if a + b not in vocab:
                raise DataValueError(f"BPE merge {a!r} + {b!r} makes a token not in the vocabulary")
            self.ranks.setdefault((a, b), r)
        if unk_token is not None and unk_token not in vocab:
            raise DataValueError(f"BPE unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token, self.fuse_unk, self.ignore_merges = unk_token, fuse_unk, ignore_merges
        self._cache: dict[str, list[Token]] = {}

    def _tokenize(self, word: str) -> list[Token]:
        vocab = self.vocab
        if self.ignore_merges and word in vocab:
            return [(vocab[word], word, 0, len(word))]
        # symbols as (text, start, end); characters missing from the vocabulary become unk (None)
        syms: list[tuple[str | None, int, int]] = []
        for k, c in enumerate(word):
            if c in vocab:
                syms.append((c, k, k + 1))
            elif self.unk_token is not None:
                if self.fuse_unk and syms and syms[-1][0] is None:
                    syms[-1] = (None, syms[-1][1], k + 1)
                else:
                    syms.append((None, k, k + 1))
        ranks = self.ranks
        while len(syms) > 1:
            best, at = -1, -1
            for j in range(len(syms) - 1):
                a, b = syms[j][0], syms[j + 1][0]
                if a is None or b is None:
                    continue
                r = ranks.get((a, b))
                if r is not None and (best < 0 or r < best):
                    best, at = r, j
            if best < 0:
                break
            # merge every non-overlapping occurrence of this pair, left to right
            left, right = syms[at][0], syms[at + 1][0]
            joined = f"{left}{right}"
            merged: list[tuple[str | None, int, int]] = []
            j, n = 0, len(syms)
            while j < n:
                if j < n - 1 and syms[j][0] == left and syms[j + 1][0] == right:
                    merged.append((joined, syms[j][1], syms[j + 1][2]))
                    j += 2
                else:
                    merged.append(syms[j])
                    j += 1
            syms = merged
        unk = self.unk_token or ""
        return [
            (vocab[unk], unk, a, b) if text is None else (vocab[text], text, a, b)
            for text, a, b in syms
        ]
