"""Stacking into preallocated, reused batch buffers.

NOTE [ Reused batch buffers ]: ``stack`` joins sample buffers into a new bytearray per
batch. A training loop that finishes with a batch before asking for the next can instead
write every batch into the same memory: no allocation, no page faults on large batches, and
a pinned or shared buffer stays the same one. :class:`TensorStacker` keeps a small ring of
buffers (``buffers=2`` by default, so the batch being used is not overwritten by the one
being prepared); a batch stays valid until ``buffers`` more have been made with the same
shape. :class:`CachedCollate` is ``default_collate`` with one stacker per field.

>>> stacker = TensorStacker(buffers=1)
>>> a = stacker([Tensor([1, 2]), Tensor([3, 4])])
>>> b = stacker([Tensor([5, 6]), Tensor([7, 8])])
>>> b.tolist(), a.tolist()  # one buffer: the second batch overwrote the first
([[5, 6], [7, 8]], [[5, 6], [7, 8]])
>>> CachedCollate()([{"x": Tensor([1.0]), "y": 0}, {"x": Tensor([2.0]), "y": 1}])["x"].tolist()
[[1.0], [2.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._checks import check_int
from .._errors import DataValueError
from ..tensor import Tensor
from ._default import CollateFnMap, check_tensors, collate, default_collate_fn_map

__all__ = ["CachedCollate", "TensorStacker"]


class TensorStacker:
    """``stack`` into reused buffers: Tensors of one shape and dtype along a new first axis.

    Args:
        buffers: how many batch buffers to cycle through (>= 1).
    """

    def __init__(self, buffers: int = 2) -> None:
        self.buffers = check_int("buffers", buffers, 1)
        self._ring: list[bytearray] = []
        self._next = 0
        self.allocations = 0  # buffers made so far (a reuse check for tests and profiling)

    def _buffer(self, size: int) -> bytearray:
        if self._ring and len(self._ring[0]) != size:  # a new batch shape: start over
            self._ring, self._next = [], 0
        if len(self._ring) < self.buffers:
            self._ring.append(bytearray(size))
            self.allocations += 1
        buf = self._ring[self._next % len(self._ring)]
        self._next = (self._next + 1) % self.buffers
        return buf

    def __call__(self, tensors: Sequence[Tensor], *, path: str = "sample") -> Tensor:
        if not tensors:
            raise DataValueError("cannot stack an empty batch")
        check_tensors(tensors, path)
        first = tensors[0]
        step = first.nbytes
        out = memoryview(self._buffer(step * len(tensors)))
        if step < 65536:  # small rows: one C-level join beats a Python loop of copies
            out[:] = b"".join([t._data for t in tensors])
        else:
            for i, t in enumerate(tensors):
                out[i * step : (i + 1) * step] = t._data
        return Tensor._make(out, first.dtype, (len(tensors), *first.shape))


class CachedCollate:
    """``default_collate`` whose tensor fields are stacked into reused buffers, one
    :class:`TensorStacker` per field (see NOTE [ Reused batch buffers ]).

    Use it as a loader's ``collate_fn`` when each batch is consumed before the next is
    requested (with workers, each worker process keeps its own buffers).

    Args:
        buffers: buffers per field (>= 1; 2 lets one batch be prepared while one is used).
    """

    def __init__(self, buffers: int = 2) -> None:
        self.buffers = check_int("buffers", buffers, 1)
        self._stackers: dict[str, TensorStacker] = {}
        self._fn_map: CollateFnMap = {**default_collate_fn_map, Tensor: self._stack}

    def _stack(self, batch: Sequence[Any], *, path: str, **_: Any) -> Tensor:
        stacker = self._stackers.get(path)
        if stacker is None:
            stacker = self._stackers[path] = TensorStacker(self.buffers)
        return stacker(batch, path=path)

    def __call__(self, batch: Sequence[Any]) -> Any:
        return collate(batch, collate_fn_map=self._fn_map)

    def __getstate__(self) -> dict[str, Any]:  # buffers stay in the process that made them
        return {"buffers": self.buffers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["buffers"])  # type: ignore[misc]
