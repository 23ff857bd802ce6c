"""Collate: turning a list of samples into a batch.

:func:`default_collate` follows the structure rules of ``torch.utils.data.default_collate``
(a registry from type to function, ``default_collate_fn_map``, walked by :func:`collate`);
:func:`pad_collate` pads variable-length sequences; :class:`FieldCollate` picks a collate per
field; :func:`collate_sparse` batches COO samples; :class:`CachedCollate` stacks into reused
buffers; :class:`DynamicBatchCollate` pads or packs batches of varying size.

>>> from torsh_data import Tensor
>>> batch = default_collate([{"x": Tensor([1.0, 2.0]), "y": 0}, {"x": Tensor([3.0, 4.0]), "y": 1}])
>>> batch["x"].shape, batch["y"].tolist()
((2, 2), [0, 1])
"""

from .._exports import publish as _publish
from ._default import (
    Padded,
    collate,
    default_collate,
    default_collate_fn_map,
    default_convert,
    pad_collate,
    pad_sequence,
)
from ._fields import FieldCollate, PadCollate, collate_data_label, collate_dict, collate_strategies
from ._packing import DynamicBatchCollate, Packed, pack_sequences
from ._sparse import SparseCOO, collate_sparse
from ._stacking import CachedCollate, TensorStacker

__all__ = [
    "CachedCollate",
    "DynamicBatchCollate",
    "FieldCollate",
    "Packed",
    "PadCollate",
    "Padded",
    "SparseCOO",
    "TensorStacker",
    "collate",
    "collate_data_label",
    "collate_dict",
    "collate_sparse",
    "collate_strategies",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "pack_sequences",
    "pad_collate",
    "pad_sequence",
]

_publish(globals())
