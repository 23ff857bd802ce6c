"""Run deterministic transforms on whole collated batches, as one bulk operation.

>>> import torsh_data as td
>>> from torsh_data.transforms import Compose, Normalize, ToTensor
>>> samples = [(td.zeros((2, 2), dtype="uint8"), 0), (td.full((2, 2), 255, dtype="uint8"), 1)]
>>> x, y = BatchTransform(Compose([ToTensor(), Normalize(0.5, 0.5)]))(samples)
>>> x.shape, x[1].tolist(), y.tolist()
((2, 1, 2, 2), [[[1.0, 1.0], [1.0, 1.0]]], [0, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..collate import default_collate

__all__ = ["BatchTransform"]


class BatchTransform:
    """A ``collate_fn``: collate the samples, then apply ``transform.batch`` to one field.

    Deterministic per-sample steps at the end of a pipeline (``ToTensor``, ``Normalize``,
    ``ConvertDtype``, ``Pad``, ``CenterCrop``) give the same bytes run once on the batch, at a
    fraction of the per-sample cost (a :class:`~torsh_data.TransformDataset` in a loader
    already runs such steps batch-wise through their kernels, so this is only needed to move
    them out of the dataset's transform)::

        per_sample = Compose([RandomCrop(28, padding=2), RandomHorizontalFlip()])
        loader = DataLoader(TransformDataset(mnist, per_sample), batch_size=64,
                            collate_fn=BatchTransform(Compose([ToTensor(), Normalize(m, s)])))

    Args:
        transform: has a ``.batch(tensor)`` method (see :mod:`torsh_data.transforms`).
        field: which field of the collated batch to transform: an index for tuple/list
            samples, a key for dict samples, or ``None`` when the batch is a tensor.
        collate_fn: how samples are collated first (default ``default_collate``).

    With the default ``collate_fn`` it is ``finish(default_collate(samples))``, so a loader
    may take the dataset's batched fetch (NOTE [ Batched fetch ] in :mod:`torsh_data.datasets`)
    and call :meth:`finish` on it: the same batch (``after_default_collate`` says so).
    """

    def __init__(
        self,
        transform: Any,
        field: int | str | None = 0,
        collate_fn: Callable[[Sequence[Any]], Any] = default_collate,
    ) -> None:
        batch = getattr(transform, "batch", None)
        if not callable(batch) or not getattr(transform, "deterministic", True):
            raise DataTypeError(
                f"{type(transform).__name__} has no batch mode; BatchTransform needs a transform "
                "with .batch() (ToTensor, Normalize, ConvertDtype, Pad, CenterCrop, Compose)"
            )
        self.transform, self.field, self.collate_fn = transform, field, collate_fn
        self._batch = batch

    def __call__(self, samples: Sequence[Any]) -> Any:
        return self.finish(self.collate_fn(samples))

    @property
    def after_default_collate(self) -> Callable[[Any], Any] | None:
        """:meth:`finish` when this is ``finish`` after ``default_collate``, else None."""
        return self.finish if self.collate_fn is default_collate else None

    def finish(self, batch: Any) -> Any:
        """The transform applied to the field of an already collated batch."""
        if self.field is None:
            return self._batch(batch)
        try:
            value = batch[self.field]
        except (KeyError, IndexError, TypeError):
            raise DataValueError(
                f"BatchTransform: the collated batch has no field {self.field!r}"
            ) from None
        if isinstance(batch, tuple):
            batch = list(batch)
        batch[self.field] = self._batch(value)
        return batch

    def __repr__(self) -> str:
        return f"BatchTransform({self.transform!r}, field={self.field!r})"
