"""Collates chosen per field, and ready-made collates for common sample layouts.

>>> from torsh_data import Tensor
>>> fc = FieldCollate({"tokens": "pad", "id": "list"})
>>> out = fc([{"tokens": [1, 2], "id": "a", "y": 0}, {"tokens": [3], "id": "b", "y": 1}])
>>> out["tokens"].data.tolist(), out["id"], out["y"].tolist()
([[1, 2], [3, 0]], ['a', 'b'], [0, 1])
>>> x, y = collate_data_label([(Tensor([1.0]), 0), (Tensor([2.0]), 1)])
>>> x.shape, y.tolist()
((2, 1), [0, 1])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..tensor import Tensor, stack
from ._default import default_collate, pad_collate
from ._packing import DynamicBatchCollate
from ._sparse import collate_sparse

__all__ = ["FieldCollate", "PadCollate", "collate_data_label", "collate_dict", "collate_strategies"]


class PadCollate:
    """A ``collate_fn`` that pads sequences: :func:`pad_collate` with fixed settings
    (to the longest in each batch, or to ``max_length``).

    >>> PadCollate(padding_value=-1)([[1, 2], [3]]).data.tolist()
    [[1, 2], [3, -1]]
    """

    def __init__(
        self,
        padding_value: float | int | bool = 0,
        padding_side: str = "right",
        max_length: int | None = None,
    ) -> None:
        self.padding_value, self.padding_side, self.max_length = (
            padding_value,
            padding_side,
            max_length,
        )
        pad_collate([[0]], padding_value, padding_side, max_length)  # validate now

    def __call__(self, batch: Sequence[Any]) -> Any:
        return pad_collate(batch, self.padding_value, self.padding_side, self.max_length)


def _as_list(batch: Sequence[Any]) -> list[Any]:
    return list(batch)


#: The named strategies of :class:`FieldCollate`: how one field of every sample becomes
#: the batch's field. Add an entry to make a new name available.
collate_strategies: dict[str, Callable[[Sequence[Any]], Any]] = {
    "default": default_collate,
    "stack": lambda batch: stack([x if isinstance(x, Tensor) else Tensor(x) for x in batch]),
    "pad": pad_collate,
    "sparse": collate_sparse,
    "dynamic": DynamicBatchCollate(),
    "list": _as_list,
    "passthrough": _as_list,
}


def _strategy(name: str, value: Any) -> Callable[[Sequence[Any]], Any]:
    if callable(value):
        return value
    fn = collate_strategies.get(value) if isinstance(value, str) else None
    if fn is None:
        raise DataValueError(
            f"the collate of field {name!r} must be a callable or one of "
            f"{sorted(collate_strategies)}, got {value!r}"
        )
    return fn


class FieldCollate:
    """A collate per field of dict (or tuple) samples: dense stacking, padding, sparse
    batching, lists kept as they are, or any callable, mixed in one batch.

    Args:
        fields: field name (or tuple position) -> a strategy name from
            :data:`collate_strategies` (``"default"``, ``"stack"``, ``"pad"``, ``"sparse"``,
            ``"dynamic"``, ``"list"``/``"passthrough"``) or a collate function.
        default: the strategy of fields not listed.

    Every sample must have the same fields; the batch keeps the sample's container type
    (dict, tuple as list, named tuple).
    """

    def __init__(self, fields: Mapping[Any, Any], default: Any = "default") -> None:
        if not isinstance(fields, Mapping):
            raise DataTypeError(
                f"fields must be a mapping of field -> strategy, got {fields!r:.80}"
            )
        self.fields = {k: _strategy(str(k), v) for k, v in fields.items()}
        self.default = _strategy("<default>", default)

    def __call__(self, batch: Sequence[Any]) -> Any:
        if not batch:
            raise DataValueError("cannot collate an empty batch")
        first = batch[0]
        if isinstance(first, Mapping):
            keys: list[Any] = list(first)
        elif isinstance(first, (tuple, list)):
            keys = list(range(len(first)))
        else:
            raise DataTypeError(
                f"FieldCollate needs dict or tuple samples, got {type(first).__name__}"
            )
        unknown = [k for k in self.fields if k not in keys]
        if unknown:
            raise DataValueError(f"no field {unknown[0]!r} in the samples (fields: {keys})")
        for i, s in enumerate(batch):
            same = (
                isinstance(s, Mapping) and s.keys() == first.keys()
                if isinstance(first, Mapping)
                else isinstance(s, (tuple, list)) and len(s) == len(keys)
            )
            if not same:
                raise DataValueError(f"sample {i} does not have the fields of sample 0 ({keys})")
        out = {k: self.fields.get(k, self.default)([s[k] for s in batch]) for k in keys}
        if isinstance(first, Mapping):
            return out
        if hasattr(first, "_fields"):
            return type(first)(*out.values())
        return list(out.values())


def collate_data_label(batch: Sequence[Any]) -> tuple[Any, Tensor]:
    """``(data, labels)`` from ``(data, label)`` samples: the data collated by
    ``default_collate``, the labels as one tensor."""
    if not batch:
        raise DataValueError("cannot collate an empty batch")
    for i, s in enumerate(batch):
        if not isinstance(s, (tuple, list)) or len(s) != 2:
            raise DataValueError(f"sample {i} is not a (data, label) pair: {s!r:.80}")
    labels = default_collate([s[1] for s in batch])
    if not isinstance(labels, Tensor):
        raise DataTypeError("labels must be numbers or tensors to form one label tensor")
    return default_collate([s[0] for s in batch]), labels


def collate_dict(batch: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A dict of batched fields from dict samples with the same keys."""
    if not batch:
        raise DataValueError("cannot collate an empty batch")
    for i, s in enumerate(batch):
        if not isinstance(s, Mapping):
            raise DataTypeError(f"sample {i} is a {type(s).__name__}, not a dict")
    return dict(default_collate(list(batch)))
