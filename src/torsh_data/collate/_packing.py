"""Collating variable-size batches: dynamic padding, or packing short sequences into rows.

Packing puts several sequences into one row of fixed length, with ``segment_ids`` saying
which sequence each position belongs to (0 at padding) and ``position_ids`` restarting at 0
for each sequence, so attention can be masked per segment. Rows are filled first-fit
decreasing (longest sequence first, into the first row with room), which needs at most
11/9 of the rows of the best packing, plus one.

>>> p = pack_sequences([[1, 2, 3], [4, 5], [6], [7, 8]], max_length=4)
>>> p.data.tolist()
[[1, 2, 3, 6], [4, 5, 7, 8]]
>>> p.segment_ids.tolist(), p.position_ids.tolist()
([[1, 1, 1, 2], [1, 1, 2, 2]], [[0, 1, 2, 0], [0, 1, 0, 1]])
>>> p.rows
[[0, 2], [1, 3]]
"""

from __future__ import annotations

import array
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from .. import _dtype
from .._checks import check_int
from .._errors import DataTypeError, DataValueError, ShapeError
from ..tensor import Tensor, full
from ._default import pad_collate

__all__ = ["DynamicBatchCollate", "Packed", "pack_sequences"]


class Packed(NamedTuple):
    """Sequences packed into rows: ``data`` ``(rows, max_length, ...)``; ``segment_ids`` and
    ``position_ids`` int64 ``(rows, max_length)``; ``rows[r]`` the sample indices in row
    ``r``, in the order they sit in it."""

    data: Tensor
    segment_ids: Tensor
    position_ids: Tensor
    rows: list[list[int]]


def _as_tensors(sequences: Sequence[Any]) -> list[Tensor]:
    if all(isinstance(s, Tensor) for s in sequences):
        seqs = list(sequences)
    else:
        for i, s in enumerate(sequences):
            if not isinstance(s, (Tensor, list, tuple)):
                raise DataTypeError(f"sequence {i} is a {type(s).__name__}, not a list or Tensor")
        common = Tensor([x for s in sequences if not isinstance(s, Tensor) for x in s]).dtype
        seqs = [s if isinstance(s, Tensor) else Tensor(list(s), dtype=common) for s in sequences]
    first = seqs[0]
    for i, s in enumerate(seqs):
        if not s.shape or s.shape[1:] != first.shape[1:] or s.dtype is not first.dtype:
            raise ShapeError(
                f"sequence 0 is {first.shape} {first.dtype}, sequence {i} is {s.shape} "
                f"{s.dtype}; only the first dimension may differ"
            )
    return seqs


def pack_sequences(
    sequences: Sequence[Any], max_length: int, padding_value: float | int | bool = 0
) -> Packed:
    """Pack sequences (lists of numbers or Tensors, differing only in their first dimension)
    into as few rows of ``max_length`` as first-fit decreasing finds.

    A sequence longer than ``max_length`` is an error (truncate it first).
    """
    check_int("max_length", max_length, 1)
    if not sequences:
        raise DataValueError("cannot pack an empty batch")
    seqs = _as_tensors(sequences)
    lengths = [s.shape[0] for s in seqs]
    for i, n in enumerate(lengths):
        if n > max_length:
            raise DataValueError(
                f"sequence {i} has length {n} > max_length={max_length}; truncate it first"
            )
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(seqs)), key=lambda i: (-lengths[i], i)):
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(max_length - lengths[i])
    inner = seqs[0].shape[1:]
    dt = seqs[0].dtype
    pad_item = full((1, *inner), padding_value, dt)._data.tobytes() if math.prod(inner) else b""
    data: list[Any] = []
    seg, pos = array.array("q"), array.array("q")
    for members, free in zip(rows, room, strict=True):
        for k, i in enumerate(members, 1):
            data.append(seqs[i]._data)
            seg.extend([k] * lengths[i])
            pos.extend(range(lengths[i]))
        data.append(pad_item * free)
        seg.extend([0] * free)
        pos.extend([0] * free)
    shape = (len(rows), max_length)
    return Packed(
        Tensor._make(memoryview(bytearray().join(data)), dt, (*shape, *inner)),
        Tensor._make(memoryview(seg).cast("B"), _dtype.int64, shape),
        Tensor._make(memoryview(pos).cast("B"), _dtype.int64, shape),
        rows,
    )


class DynamicBatchCollate:
    """The ``collate_fn`` for batches of varying size (e.g. from
    :class:`~torsh_data.samplers.AdaptiveBatchSampler`): each batch is padded only to its
    own longest sequence, or, with ``pack_length``, its sequences are packed into rows of
    that length (:func:`pack_sequences`).

    Samples are sequences, or, with ``field``, mappings/tuples whose ``field`` is the
    sequence; the other fields then collate as ``default_collate`` does (with packing they
    stay per sample, in sample order; ``rows`` says where each went).

    Args:
        padding_value: the value at padded positions.
        padding_side: ``"right"`` or ``"left"`` (padding only).
        pack_length: pack into rows of this length instead of padding.
        field: the key or position of the sequence inside each sample.

    >>> DynamicBatchCollate()([[1, 2], [3]]).data.tolist()
    [[1, 2], [3, 0]]
    >>> DynamicBatchCollate(pack_length=3)([[1, 2], [3]]).data.tolist()
    [[1, 2, 3]]
    """

    def __init__(
        self,
        padding_value: float | int | bool = 0,
        padding_side: str = "right",
        pack_length: int | None = None,
        field: Any = None,
    ) -> None:
        if padding_side not in ("right", "left"):
            raise DataValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
        self.padding_value, self.padding_side = padding_value, padding_side
        self.pack_length = None if pack_length is None else check_int("pack_length", pack_length, 1)
        self.field = field

    def _sequences(self, sequences: Sequence[Any]) -> Any:
        if self.pack_length is not None:
            return pack_sequences(sequences, self.pack_length, self.padding_value)
        return pad_collate(list(sequences), self.padding_value, self.padding_side)

    def __call__(self, batch: Sequence[Any]) -> Any:
        if not batch:
            raise DataValueError("cannot collate an empty batch")
        if self.field is None:
            return self._sequences(batch)
        from ._default import default_collate

        try:
            seqs = [s[self.field] for s in batch]
        except (KeyError, IndexError, TypeError):
            raise DataValueError(f"a sample has no field {self.field!r}") from None
        first = batch[0]
        keys = list(first) if isinstance(first, dict) else list(range(len(first)))
        out = {
            k: self._sequences(seqs) if k == self.field else default_collate([s[k] for s in batch])
            for k in keys
        }
        return out if isinstance(first, dict) else [out[k] for k in keys]
