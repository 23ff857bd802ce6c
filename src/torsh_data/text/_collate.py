"""Batching token ids: padded collation (and the length-bucketing batch sampler, which
lives in :mod:`torsh_data.samplers`).

>>> b = text_collate([[5, 6, 7], [8]], pad_id=0)
>>> b.ids.tolist(), b.lengths.tolist(), b.attention_mask.tolist()
([[5, 6, 7], [8, 0, 0]], [3, 1], [[1, 1, 1], [1, 0, 0]])
>>> s = BucketBatchSampler([5, 1, 4, 2, 3, 1], batch_size=2, seed=0)
>>> sorted(i for batch in s for i in batch)
[0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import array
import struct
from collections.abc import Sequence
from itertools import chain
from typing import Any, NamedTuple

from .. import _dtype
from .._errors import DataTypeError, DataValueError
from .._wasm.pad import pad_rows
from ..samplers import BucketBatchSampler  # lives with the samplers; kept importable here
from ..tensor import Tensor

__all__ = ["BucketBatchSampler", "TextBatch", "TokenCollate", "text_collate"]

_ONE, _ZERO = array.array("q", [1]).tobytes(), bytes(8)
_PLAIN = {list, tuple, array.array}


class TextBatch(NamedTuple):
    """Padded token ids: ``ids`` and ``attention_mask`` are int64 ``(batch, max_len)``
    (mask 1 at real tokens), ``lengths`` int64 ``(batch,)``."""

    ids: Tensor
    lengths: Tensor
    attention_mask: Tensor


def _as_ids(x: Any, i: int) -> Sequence[int]:
    if isinstance(x, Tensor):
        if x.ndim != 1:
            raise DataValueError(f"sample {i}: token ids must be 1-D, got shape {x.shape}")
        return x.tolist()
    ids = getattr(x, "ids", x)  # an Encoding
    if not isinstance(ids, (list, tuple, array.array)):
        raise DataTypeError(
            f"sample {i}: expected a list of token ids, an Encoding or a Tensor, "
            f"not {type(x).__name__}"
        )
    return ids


def text_collate(
    batch: Sequence[Any],
    pad_id: int = 0,
    padding_side: str = "right",
    max_length: int | None = None,
) -> TextBatch:
    """Pad token-id sequences (lists, 1-D Tensors or :class:`Encoding` objects) to one length.

    Args:
        batch: the samples.
        pad_id: the id written at padded positions.
        padding_side: ``"right"`` or ``"left"``.
        max_length: if given, longer sequences are cut to it.
    """
    if padding_side not in ("right", "left"):
        raise DataValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    if isinstance(pad_id, bool) or not isinstance(pad_id, int):
        raise DataTypeError(f"pad_id must be an int, not {type(pad_id).__name__}")
    if not batch:
        raise DataValueError("cannot collate an empty batch")
    if set(map(type, batch)) <= _PLAIN:  # id sequences as they are: one C pass checks them
        seqs = list(batch)
    else:
        seqs = [_as_ids(x, i) for i, x in enumerate(batch)]
    if max_length is not None:
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
            raise DataValueError(f"max_length must be an integer >= 0, got {max_length!r}")
        seqs = [s[:max_length] for s in seqs]
    lengths = [len(s) for s in seqs]
    longest = max(lengths)
    right = padding_side == "right"
    found = pad_rows(seqs, longest, pad_id, right)  # NOTE [ The padding kernel ], in Pyodide
    if found is not None:
        ids, mask = found
    else:
        ids, mask = _pad(seqs, lengths, longest, pad_id, right)
    shape = (len(seqs), longest)
    return TextBatch(
        Tensor._make(memoryview(ids), _dtype.int64, shape),
        Tensor._make(memoryview(array.array("q", lengths)).cast("B"), _dtype.int64, shape[:1]),
        Tensor._make(memoryview(mask), _dtype.int64, shape),
    )


def _pad(
    seqs: list[Sequence[int]], lengths: list[int], longest: int, pad_id: int, right: bool
) -> tuple[bytearray, bytearray]:
    """The padded int64 ids and mask of ``seqs`` (of ``lengths``), the pure path."""
    # NOTE [ Collating token ids ]: the padded rows are gathered into one list and packed by
    # one struct.pack (3-4x faster than array("q", ...), natively and in Pyodide); the mask
    # is joined from byte runs. No Python step per token.
    flat: list[int] = []
    pad = [pad_id]
    for s, n in zip(seqs, lengths, strict=True):
        if right:
            flat += s
            flat += pad * (longest - n)
        else:
            flat += pad * (longest - n)
            flat += s
    try:
        ids = bytearray(struct.pack(f"={len(flat)}q", *flat))
    except struct.error as exc:
        raise DataValueError(f"token ids must be int64 integers: {exc}") from None
    runs = [(_ONE * n, _ZERO * (longest - n)) for n in lengths]
    mask = bytearray().join(chain.from_iterable(runs if right else map(reversed, runs)))
    return ids, mask


class TokenCollate:
    """A ``collate_fn`` for a loader: :func:`text_collate` with fixed settings.

    >>> TokenCollate(pad_id=9)([[1], [2, 3]]).ids.tolist()
    [[1, 9], [2, 3]]
    """

    def __init__(
        self, pad_id: int = 0, padding_side: str = "right", max_length: int | None = None
    ) -> None:
        self.pad_id, self.padding_side, self.max_length = pad_id, padding_side, max_length
        text_collate([[0]], pad_id, padding_side, max_length)  # validate the settings now

    def __call__(self, batch: Sequence[Any]) -> TextBatch:
        return text_collate(batch, self.pad_id, self.padding_side, self.max_length)
