"""Records (dicts of column values, e.g. CSV rows) as tensors: float32 features and an int64
label, the ``(x, y)`` samples a model trains on.

:func:`records_to_tensors` turns a whole table into a :class:`~torsh_data.TensorDataset` of a
``[N, F]`` float32 feature tensor (and a ``[N]`` int64 label tensor); for records that arrive
one at a time, :func:`feature_row` makes each a :class:`FeatureRow` of plain values and
:func:`collate_feature_rows` a batch's tensors from them (one step per tensor, not one tensor
per row). Both give the same values.

>>> rows = [{"a": 1, "b": 2.5, "y": 0}, {"a": 3, "b": 4.0, "y": 1}]
>>> ds = records_to_tensors(rows, label="y")
>>> ds.tensors[0].tolist(), ds.tensors[1].tolist()
([[1.0, 2.5], [3.0, 4.0]], [0, 1])
>>> x, y = collate_feature_rows([feature_row(r, label="y") for r in rows])
>>> x.tolist() == ds.tensors[0].tolist(), y.dtype.name
(True, 'int64')
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

from .._errors import DataValueError, FormatError
from ..datasets import TensorDataset
from ..tensor import Tensor

__all__ = ["FeatureRow", "collate_feature_rows", "feature_row", "records_to_tensors"]


def _float32_row(values: list[Any], name: str, index: int) -> array.array[float]:
    try:
        return array.array("f", values)
    except TypeError:
        bad = next(v for v in values if not isinstance(v, (int, float)))
        raise FormatError(f"not a number: {bad!r}", source=name, record=index) from None


def _label(value: Any, name: str, index: int) -> int:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    raise FormatError(f"the label {value!r} is not an integer", source=name, record=index)


def _split(
    record: dict[Any, Any], columns: Sequence[Any] | None, label: Any, name: str
) -> tuple[list[Any], Any]:
    """``(feature values, label or None)`` of a record."""
    keys = columns if columns is not None else [k for k in record if k != label]
    if label is not None and label not in record:
        raise DataValueError(f"{name}: no label column {label!r}; it has {list(record)}")
    missing = [k for k in keys if k not in record]
    if missing:
        raise DataValueError(f"{name}: no columns {missing}; it has {list(record)}")
    return [record[k] for k in keys], (None if label is None else record[label])


class FeatureRow(tuple[Any, ...]):
    """One record's ``(float32 features, int label)``, or ``(features,)`` without a label, as
    plain values (an ``array('f')`` and an ``int``); :meth:`tensors` makes its tensors."""

    __slots__ = ()

    def tensors(self) -> tuple[Tensor, ...]:
        """``(x, y)`` (or ``(x,)``): a ``[F]`` float32 tensor and a 0-d int64 tensor."""
        x = Tensor(self[0].tobytes(), dtype="float32", shape=(len(self[0]),))
        return (x, Tensor(self[1], dtype="int64")) if len(self) > 1 else (x,)


def feature_row(
    record: dict[Any, Any],
    *,
    columns: Sequence[Any] | None = None,
    label: Any = None,
    name: str = "<records>",
    index: int = 0,
) -> FeatureRow:
    """A record's features (``columns``, default every column but the label, in order) and
    ``label``.

    Raises:
        DataValueError: a column or the label is missing (the message lists the record's).
        FormatError: a feature is not a number, or the label not an integer (naming
            ``name`` and the record's ``index``).

    >>> feature_row({"x": 1, "y": 2.0})
    (array('f', [1.0, 2.0]),)
    >>> feature_row({"x": "a", "y": 2}, label="y", name="t.csv", index=7)
    Traceback (most recent call last):
    ...
    torsh_data.FormatError: t.csv: record 7: not a number: 'a'
    """
    values, y = _split(record, columns, label, name)
    x = _float32_row(values, name, index)
    return FeatureRow((x, _label(y, name, index))) if label is not None else FeatureRow((x,))


def collate_feature_rows(rows: Sequence[FeatureRow]) -> tuple[Tensor, ...]:
    """A batch of :class:`FeatureRow`: ``[B, F]`` float32 features (and ``[B]`` int64 labels)."""
    flat: array.array[float] = array.array("f")
    for r in rows:
        flat.extend(r[0])
    x = Tensor(flat.tobytes(), dtype="float32", shape=(len(rows), len(rows[0][0])))
    if len(rows[0]) == 1:
        return (x,)
    labels = array.array("q", [r[1] for r in rows])
    return x, Tensor(labels.tobytes(), dtype="int64", shape=(len(rows),))


def records_to_tensors(
    records: Sequence[dict[Any, Any]],
    *,
    columns: Sequence[Any] | None = None,
    label: Any = None,
    name: str = "<records>",
) -> TensorDataset:
    """The records as a :class:`~torsh_data.TensorDataset` of ``[N, F]`` float32 features
    (``columns``, default every column but the label) and, with ``label``, ``[N]`` int64
    labels. Raises as :func:`feature_row` does, naming the first bad record.

    >>> records_to_tensors([{"x": 1, "y": 0}], label="y").tensors[0].shape
    (1, 1)
    """
    if not records:
        raise DataValueError(f"{name}: no records to make tensors of")
    fast = _columnwise(records, columns, label)
    if fast is not None:
        return fast
    flat: array.array[float] = array.array("f")
    labels: list[int] = []
    width = -1
    for i, rec in enumerate(records):
        values, y = _split(rec, columns, label, name)
        flat.extend(_float32_row(values, name, i))
        width = len(values) if width < 0 else width
        if label is not None:
            labels.append(_label(y, name, i))
    x = Tensor(flat.tobytes(), dtype="float32", shape=(len(records), width))
    if label is None:
        return TensorDataset(x)
    ys = Tensor(array.array("q", labels).tobytes(), dtype="int64", shape=(len(labels),))
    return TensorDataset(x, ys)


def _columnwise(
    records: Sequence[dict[Any, Any]], columns: Sequence[Any] | None, label: Any
) -> TensorDataset | None:
    """:func:`records_to_tensors` column-wise at C speed, or None when a record is not clean
    (the record-by-record path then names the bad one)."""
    first = records[0]
    if not isinstance(first, dict) or (label is not None and label not in first):
        return None
    keys = list(columns) if columns is not None else [k for k in first if k != label]
    if not keys:
        return None
    try:
        rows = list(map(itemgetter(*keys), records))
        flat = array.array("f", chain.from_iterable(rows) if len(keys) > 1 else rows)
        ys = array.array("q", map(itemgetter(label), records)) if label is not None else None
    except (KeyError, TypeError, OverflowError):
        return None
    n = len(records)
    x = Tensor(flat.tobytes(), dtype="float32", shape=(n, len(keys)))
    if ys is None:
        return TensorDataset(x)
    return TensorDataset(x, Tensor(ys.tobytes(), dtype="int64", shape=(n,)))
