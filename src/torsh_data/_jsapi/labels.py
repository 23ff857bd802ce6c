"""The ``label`` column of the JavaScript package's loader: class names to indices, and the
dtype the labels reach JavaScript in.

NOTE [ Labels for TensorFlow.js ]: a CSV's integer labels are int64 in Python, which would
reach JavaScript as a ``BigInt64Array`` that ``tf.tensor`` refuses. TensorFlow.js 4.22's
``sparseCategoricalCrossentropy`` loss and its ``accuracy`` metric need *float32* labels (int32
ones fail in ``floor``: measured with ``model.fit`` and ``model.fitDataset``), while
``tf.oneHot`` needs int32. So labels leave as float32 by default (exact up to 2**24), or as
``labelDtype`` says (``"int32"``, ``"int64"``, ``"float32"``); a label that the dtype cannot
hold exactly is an error naming the column and the value, never a rounded class.

String labels (iris's ``setosa``) become int indices into ``classes``: the ``classes`` option
when given, else the *sorted* distinct values of the whole column (the same indices whatever
the order of the rows or the shuffle), which is why a streaming source needs ``classes``.

>>> codec = LabelCodec("species", None, "float32")
>>> rows = [{"a": 1, "species": "virginica"}, {"a": 2, "species": "setosa"}]
>>> codec.fit(rows, "iris.csv"); codec.classes
['setosa', 'virginica']
>>> [codec.encode(r, "iris.csv", i)["species"] for i, r in enumerate(rows)]
[1, 0]
"""

from __future__ import annotations

from typing import Any

from .._errors import DataValueError, FormatError
from ..tensor import Tensor

__all__ = ["LABEL_DTYPES", "LabelCodec"]

#: Each dtype labels may leave in, and the largest magnitude it holds exactly.
LABEL_DTYPES = {"float32": 1 << 24, "int32": (1 << 31) - 1, "int64": (1 << 63) - 1}


class LabelCodec:
    """Class names to indices (:meth:`fit`, :meth:`encode`) and labels to their output dtype
    (:meth:`output`) for one label column.

    Args:
        column: the label column (the ``label`` option).
        classes: the class names in index order (the ``classes`` option), or None to learn
            them from the data with :meth:`fit`.
        dtype: the labels' dtype in a batch, one of :data:`LABEL_DTYPES`.
    """

    def __init__(self, column: Any, classes: list[str] | None, dtype: str) -> None:
        if dtype not in LABEL_DTYPES:
            raise DataValueError(
                f"labelDtype must be one of {', '.join(LABEL_DTYPES)}, not {dtype!r}"
            )
        if classes is not None and len(set(classes)) != len(classes):
            raise DataValueError(f"the classes option names a class twice: {classes!r:.200}")
        self.column, self.dtype = column, dtype
        self.classes: list[str] | None = None if classes is None else list(classes)
        self._index = None if classes is None else {c: i for i, c in enumerate(classes)}

    def fit(self, records: list[Any], name: str) -> None:
        """Learn the classes (sorted) when the column holds strings and none were given."""
        if self._index is not None:
            return
        self.learn(self.values(records))

    def values(self, records: list[Any]) -> set[Any]:
        """The distinct labels of ``records`` (:meth:`fit` in parts: join them, then
        :meth:`learn`)."""
        return {r.get(self.column) for r in records if isinstance(r, dict)}

    def learn(self, values: set[Any]) -> None:
        """:meth:`fit` from the distinct labels of all the records."""
        if self._index is not None:
            return
        if any(isinstance(v, str) for v in values):
            self.classes = sorted(str(v) for v in values if v is not None)
            self._index = {c: i for i, c in enumerate(self.classes)}

    def encode(self, record: Any, name: str, index: int) -> Any:
        """``record`` with its label replaced by its class index (a string label needs
        :meth:`fit` or the ``classes`` option first)."""
        if not isinstance(record, dict):
            return record
        value = record.get(self.column)
        if self._index is None:
            if isinstance(value, str):
                raise FormatError(
                    f"the label {value!r} of column {self.column!r} is a class name, and this "
                    "source streams, so its classes cannot be learnt first: pass the classes "
                    'option (e.g. classes: ["setosa", "versicolor", "virginica"]), shuffle: '
                    "true, or a larger inMemoryBytes",
                    source=name,
                    record=index,
                )
            return record
        key = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if key not in self._index:
            raise FormatError(
                f"the label {value!r} of column {self.column!r} is not one of the classes "
                f"{self.classes!r:.300}",
                source=name,
                record=index,
            )
        return {**record, self.column: self._index[key]}

    def output(self, labels: Tensor) -> Tensor:
        """``labels`` (int64) in the output dtype, refusing a value it cannot hold exactly."""
        if labels.dtype.name == self.dtype:
            return labels
        values = labels.tolist()
        if values:
            limit = LABEL_DTYPES[self.dtype]
            bad = next((v for v in values if not -limit <= v <= limit), None)
            if bad is not None:
                raise DataValueError(
                    f"the label {bad} of column {self.column!r} does not fit {self.dtype} "
                    f"exactly (|label| <= {limit}); pass labelDtype: "
                    f"{'int32' if abs(bad) < 1 << 31 else 'int64'}"
                )
        return labels.astype(self.dtype)
