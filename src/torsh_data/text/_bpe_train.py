"""Train a byte-pair-encoding tokenizer on your own texts.

:func:`train_bpe` learns merges the way Sennrich et al. (2016) and Hugging Face's
``BpeTrainer`` do: words come from a pre-tokenizer and are counted; the vocabulary starts with
the special tokens and the characters seen (in code-point order); then, until the vocabulary
has ``vocab_size`` tokens, the most frequent adjacent pair (ties: the pair of smaller ids) is
merged everywhere and becomes a token. The result is a :class:`~torsh_data.text.Tokenizer`
with the same BPE model as a loaded ``tokenizer.json``, so encoding is shared.

>>> texts = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
>>> tok = train_bpe(texts, vocab_size=14)
>>> tok.model.merges
[('e', 's'), ('es', 't'), ('l', 'o'), ('lo', 'w')]
>>> tok.encode("lowest").tokens
['low', 'est']
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

from .._checks import check_int
from .._errors import DataTypeError, DataValueError
from ._models import BPE
from ._pretokenizers import ByteLevel, PreTokenizer, WhitespaceSplit, _bytes_to_unicode
from ._processors import ByteLevelDecoder, ByteLevelProcessing
from ._tokenizer import AddedToken, Tokenizer

__all__ = ["train_bpe"]

_PRE_TOKENIZERS = {"whitespace": WhitespaceSplit, "byte_level": lambda: ByteLevel(False)}


def _pre_tokenizer(spec: str | PreTokenizer) -> PreTokenizer:
    if isinstance(spec, PreTokenizer):
        return spec
    if spec not in _PRE_TOKENIZERS:
        raise DataValueError(
            f"train_bpe: pre_tokenizer must be one of {sorted(_PRE_TOKENIZERS)}, not {spec!r}"
        )
    return _PRE_TOKENIZERS[spec]()


def _count_words(texts: Iterable[str], pre: PreTokenizer) -> Counter[str]:
    counts: Counter[str] = Counter()
    if isinstance(texts, str):
        raise DataTypeError("train_bpe takes an iterable of texts, not one str")
    for k, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataTypeError(f"train_bpe: text {k} is a {type(text).__name__}, not a str")
        counts.update(piece for piece, _ in pre.split(text))
    return counts


def train_bpe(
    texts: Iterable[str],
    vocab_size: int,
    *,
    min_frequency: int = 0,
    special_tokens: Sequence[str] = (),
    pre_tokenizer: str | PreTokenizer = "whitespace",
    initial_alphabet: Iterable[str] = (),
    unk_token: str | None = None,
) -> Tokenizer:
    """Learn a BPE vocabulary of at most ``vocab_size`` tokens from ``texts``.

    Args:
        texts: the training texts (any iterable; read once).
        vocab_size: the size to stop at (special tokens and characters included).
        min_frequency: a pair seen fewer times than this is not merged.
        special_tokens: tokens that get the first ids and are never split.
        pre_tokenizer: ``"whitespace"`` (split on whitespace), ``"byte_level"`` (GPT-2's bytes;
            the alphabet then holds all 256 byte characters, so nothing is ever unknown) or a
            pre-tokenizer object.
        initial_alphabet: characters to include even if unseen.
        unk_token: the token for characters outside the vocabulary (added to the specials).

    Returns:
        A :class:`~torsh_data.text.Tokenizer`; ``tokenizer.model.merges`` lists the merges.
    """
    check_int("vocab_size", vocab_size, minimum=1)
    check_int("min_frequency", min_frequency, minimum=0)
    pre = _pre_tokenizer(pre_tokenizer)
    specials = list(dict.fromkeys([*special_tokens, *([unk_token] if unk_token else [])]))
    words = _count_words(texts, pre)

    alphabet = {c for w in words for c in w} | set(initial_alphabet)
    if isinstance(pre, ByteLevel):  # all 256 byte characters: nothing is ever unknown
        alphabet |= set(_bytes_to_unicode())
    id_to_token = specials + sorted(alphabet - set(specials), key=ord)
    token_to_id = {t: i for i, t in enumerate(id_to_token)}
    seqs = [[token_to_id[c] for c in w] for w in words]
    freq = list(words.values())

    pair_count: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], set[int]] = {}
    for k, seq in enumerate(seqs):
        for pair in pairwise(seq):
            pair_count[pair] += freq[k]
            where.setdefault(pair, set()).add(k)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []

    while len(id_to_token) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        count = pair_count.get(pair, 0)
        if -neg != count:  # stale entry: re-queue with the current count
            if count > 0:
                heapq.heappush(heap, (-count, pair))
            continue
        if count < max(min_frequency, 1):
            break
        a, b = pair
        joined = id_to_token[a] + id_to_token[b]
        new = token_to_id.get(joined)
        if new is None:
            new = token_to_id[joined] = len(id_to_token)
            id_to_token.append(joined)
        merges.append((id_to_token[a], id_to_token[b]))
        touched: set[tuple[int, int]] = set()
        for k in sorted(where.pop(pair, ())):
            seq, f, out, j = seqs[k], freq[k], [], 0
            for q in pairwise(seq):  # remove this word's pairs, re-add after the merge
                pair_count[q] -= f
            while j < len(seq):
                if j + 1 < len(seq) and seq[j] == a and seq[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(seq[j])
                    j += 1
            seqs[k] = out
            for q in pairwise(out):
                pair_count[q] += f
                where.setdefault(q, set()).add(k)
                touched.add(q)
        pair_count.pop(pair, None)
        for q in touched:
            if pair_count[q] > 0:
                heapq.heappush(heap, (-pair_count[q], q))

    model = BPE(dict(token_to_id), merges, unk_token=unk_token)
    added = [AddedToken(t, token_to_id[t], special=True) for t in specials]
    if isinstance(pre, ByteLevel):
        return Tokenizer(
            model, None, pre, ByteLevelProcessing(False, False), ByteLevelDecoder(), added
        )
    return Tokenizer(model, None, pre, None, None, added)
