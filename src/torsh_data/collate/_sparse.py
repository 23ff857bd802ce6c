"""Sparse samples in COO form and their batching.

A :class:`SparseCOO` holds ``indices`` (int64, ``(ndim, nnz)``, torch's layout), ``values``
(``(nnz,)``) and the dense ``shape``. A batch of them is one SparseCOO with a leading batch
dimension: the indices gain a first row with the sample number, values are concatenated.
``default_collate`` batches them this way too.

>>> a = SparseCOO.from_dense(Tensor([[0.0, 2.0], [0.0, 0.0]]))
>>> b = SparseCOO.from_dense(Tensor([[1.0, 0.0], [0.0, 3.0]]))
>>> batch = collate_sparse([a, b])
>>> batch.shape, batch.indices.tolist(), batch.values.tolist()
((2, 2, 2), [[0, 1, 1], [0, 0, 1], [1, 0, 1]], [2.0, 1.0, 3.0])
>>> batch.to_dense().tolist() == [[[0.0, 2.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 3.0]]]
True
"""

from __future__ import annotations

import array
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from .. import _dtype
from .._errors import DataTypeError, DataValueError, ShapeError
from .._interop import optional_import
from ..tensor import Tensor
from ._default import default_collate_fn_map

__all__ = ["SparseCOO", "collate_sparse"]


def _int64(values: array.array[int]) -> Tensor:
    return Tensor._make(memoryview(values).cast("B"), _dtype.int64, (len(values),))


class SparseCOO(NamedTuple):
    """A sparse tensor in coordinate form (build it with :meth:`create` to validate)."""

    indices: Tensor
    values: Tensor
    shape: tuple[int, ...]

    @classmethod
    def create(cls, indices: Any, values: Any, shape: Sequence[int]) -> SparseCOO:
        """Validate and build: ``indices`` ``(ndim, nnz)`` integers within ``shape``,
        ``values`` ``(nnz,)``. Raises :class:`DataValueError` on any inconsistency."""
        shape = tuple(shape)
        if not shape or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape):
            raise DataValueError(f"a sparse shape must be non-negative integers, got {shape!r}")
        idx = indices if isinstance(indices, Tensor) else Tensor(indices, dtype="int64")
        vals = values if isinstance(values, Tensor) else Tensor(values)
        if idx.dtype is not _dtype.int64:
            idx = idx.astype("int64")
        if idx.ndim == 1 and idx.shape[0] == 0:  # no entries
            idx = Tensor(b"", dtype="int64", shape=(len(shape), 0))
        if idx.ndim != 2 or idx.shape[0] != len(shape):
            raise ShapeError(f"indices must be (ndim={len(shape)}, nnz), got {idx.shape}")
        if vals.ndim != 1 or vals.shape[0] != idx.shape[1]:
            raise ShapeError(f"values must be ({idx.shape[1]},), got {vals.shape}")
        rows = memoryview(idx._data).cast("q")
        nnz = idx.shape[1]
        for d, size in enumerate(shape):
            row = rows[d * nnz : (d + 1) * nnz]
            if nnz and (min(row) < 0 or max(row) >= size):
                raise DataValueError(f"indices of dimension {d} must be in [0, {size})")
        return cls(idx, vals, shape)

    @classmethod
    def from_dense(cls, dense: Tensor) -> SparseCOO:
        """The non-zero entries of ``dense`` (row-major order)."""
        if not isinstance(dense, Tensor):
            dense = Tensor(dense)
        if not dense.shape:
            raise ShapeError("a 0-d tensor has no sparse form")
        flat = dense.reshape(-1).tolist()
        nz = [i for i, x in enumerate(flat) if x]
        coords: list[array.array[int]] = [array.array("q") for _ in dense.shape]
        for i in nz:
            for d in range(len(dense.shape) - 1, -1, -1):
                i, r = divmod(i, dense.shape[d])
                coords[d].append(r)
        idx = array.array("q")
        for row in coords:
            idx += row
        values = dense.reshape(-1).take(nz) if nz else Tensor(b"", dtype=dense.dtype)
        return cls(
            Tensor._make(memoryview(idx).cast("B"), _dtype.int64, (len(dense.shape), len(nz))),
            values,
            tuple(dense.shape),
        )

    @property
    def nnz(self) -> int:
        return self.values.shape[0]

    def to_dense(self) -> Tensor:
        """The dense tensor (duplicate coordinates add up, as torch's ``to_dense``)."""
        dense = [0] * math.prod(self.shape)
        nnz = self.nnz
        rows = memoryview(self.indices._data).cast("q")
        strides = [math.prod(self.shape[d + 1 :]) for d in range(len(self.shape))]
        flat = [0] * nnz
        for d, stride in enumerate(strides):
            row = rows[d * nnz : (d + 1) * nnz]
            flat = [f + r * stride for f, r in zip(flat, row, strict=True)]
        for f, v in zip(flat, self.values.tolist(), strict=True):
            dense[f] += v
        return Tensor(dense, dtype=self.values.dtype).reshape(*self.shape)

    def torch(self) -> Any:
        """A ``torch.sparse_coo_tensor`` (needs ``torsh-data[torch]``)."""
        torch = optional_import("torch", "torch", "SparseCOO.torch()")
        return torch.sparse_coo_tensor(
            self.indices.torch(), self.values.torch(), self.shape, check_invariants=True
        )


def collate_sparse(batch: Sequence[SparseCOO], *, path: str = "sample", **_: Any) -> SparseCOO:
    """Batch sparse samples of one shape and value dtype into one :class:`SparseCOO` of
    shape ``(batch, *shape)``: one bytes join per index row, no per-entry Python work."""
    if not batch:
        raise DataValueError("cannot collate an empty batch")
    first = batch[0]
    for i, s in enumerate(batch):
        if not isinstance(s, SparseCOO):
            raise DataTypeError(f"cannot collate {path}: sample {i} is not a SparseCOO")
        if s.shape != first.shape or s.values.dtype is not first.values.dtype:
            raise ShapeError(
                f"cannot collate {path}: sample 0 is sparse {first.shape} "
                f"{first.values.dtype}, sample {i} is {s.shape} {s.values.dtype}"
            )
    counts = [s.nnz for s in batch]
    total = sum(counts)
    sample_row = array.array("q")
    for b, k in enumerate(counts):
        sample_row += array.array("q", [b]) * k
    parts = [memoryview(sample_row).cast("B")]
    for d in range(len(first.shape)):
        for s, k in zip(batch, counts, strict=True):
            parts.append(s.indices._data[d * k * 8 : (d + 1) * k * 8])
    idx = Tensor._make(
        memoryview(bytearray().join(parts)), _dtype.int64, (len(first.shape) + 1, total)
    )
    vals = Tensor._make(
        memoryview(bytearray().join([s.values._data for s in batch])),
        first.values.dtype,
        (total,),
    )
    return SparseCOO(idx, vals, (len(batch), *first.shape))


default_collate_fn_map[SparseCOO] = collate_sparse
