"""Categorical encoders with scikit-learn's interface: :class:`LabelEncoder`, :class:`OneHotEncoder`.

>>> enc = LabelEncoder().fit(["cat", "dog", "cat", "bird"])
>>> enc.classes_, enc.transform(["dog", "bird"]).tolist()
(['bird', 'cat', 'dog'], [2, 0])
>>> oh = OneHotEncoder().fit([["red", "S"], ["blue", "M"], ["red", "M"]])
>>> oh.categories_, oh.transform([["blue", "S"]]).tolist()
([['blue', 'red'], ['M', 'S']], [[1.0, 0.0, 0.0, 1.0]])
"""

from __future__ import annotations

import array
from collections.abc import Iterable, Sequence
from typing import Any

from .. import _dtype
from .._errors import DataValueError, ShapeError
from ..tensor import Tensor

__all__ = ["LabelEncoder", "OneHotEncoder"]


def _sorted(values: Iterable[Any], where: str) -> list[Any]:
    try:
        return sorted(set(values))
    except TypeError:
        raise DataValueError(
            f"{where}: categories must be mutually comparable (all str or all numbers)"
        ) from None


def _plain(values: Any) -> list[Any]:
    return values.tolist() if isinstance(values, Tensor) else list(values)


class LabelEncoder:
    """Labels <-> integers ``0..n_classes-1`` in sorted order of the classes.

    Args:
        unknown_value: the code for labels not seen by :meth:`fit`; by default they raise.
    """

    def __init__(self, unknown_value: int | None = None) -> None:
        self.unknown_value = unknown_value
        self.classes_: list[Any] = []
        self._index: dict[Any, int] = {}

    def fit(self, labels: Iterable[Any]) -> LabelEncoder:
        """Learn the classes."""
        self.classes_ = _sorted(_plain(labels), "LabelEncoder")
        self._index = {c: i for i, c in enumerate(self.classes_)}
        return self

    def transform(self, labels: Iterable[Any]) -> Tensor:
        """The int64 codes of ``labels``."""
        if not self._index:
            raise DataValueError("LabelEncoder is not fitted yet; call .fit(labels)")
        out = []
        for k, y in enumerate(_plain(labels)):
            code = self._index.get(y, self.unknown_value)
            if code is None:
                raise DataValueError(f"LabelEncoder: label {y!r} (item {k}) was not seen by fit")
            out.append(code)
        return Tensor(out, dtype=_dtype.int64)

    def fit_transform(self, labels: Iterable[Any]) -> Tensor:
        """:meth:`fit` and :meth:`transform`."""
        values = _plain(labels)
        return self.fit(values).transform(values)

    def inverse_transform(self, codes: Iterable[int]) -> list[Any]:
        """The labels of ``codes``."""
        out = []
        for k, c in enumerate(_plain(codes)):
            if not 0 <= c < len(self.classes_):
                raise DataValueError(
                    f"LabelEncoder: code {c} (item {k}) is not in 0..{len(self.classes_) - 1}"
                )
            out.append(self.classes_[c])
        return out


class OneHotEncoder:
    """Categorical columns -> a float32 ``[N, sum(categories)]`` one-hot tensor.

    Args:
        handle_unknown: ``"error"`` (a category not seen by :meth:`fit` raises) or
            ``"ignore"`` (its columns are all zero).
        categories: ``"auto"`` (learned, sorted) or a list of category lists per column.
    """

    def __init__(
        self, handle_unknown: str = "error", categories: str | Sequence[Sequence[Any]] = "auto"
    ) -> None:
        if handle_unknown not in ("error", "ignore"):
            raise DataValueError(
                f"handle_unknown must be 'error' or 'ignore', not {handle_unknown!r}"
            )
        self.handle_unknown, self.categories = handle_unknown, categories
        self.categories_: list[list[Any]] = []

    @staticmethod
    def _rows(rows: Any) -> list[list[Any]]:
        out = [_plain(r) if not isinstance(r, str) else [r] for r in _plain(rows)]
        if out and len({len(r) for r in out}) != 1:
            raise ShapeError("OneHotEncoder: rows have different numbers of columns")
        return out

    def fit(self, rows: Any) -> OneHotEncoder:
        """Learn the categories of each column of ``rows`` (a list of rows or a 2-D Tensor)."""
        data = self._rows(rows)
        if self.categories != "auto":
            self.categories_ = [list(c) for c in self.categories]
        else:
            if not data:
                raise DataValueError("OneHotEncoder.fit needs at least one row")
            self.categories_ = [
                _sorted(col, f"OneHotEncoder column {j}")
                for j, col in enumerate(zip(*data, strict=True))
            ]
        self._index = [{c: i for i, c in enumerate(cats)} for cats in self.categories_]
        return self

    def transform(self, rows: Any) -> Tensor:
        """The one-hot encoding of ``rows``."""
        if not self.categories_:
            raise DataValueError("OneHotEncoder is not fitted yet; call .fit(rows)")
        data = self._rows(rows)
        widths = [len(c) for c in self.categories_]
        total = sum(widths)
        out = array.array("f", bytes(4 * total * len(data)))
        for i, row in enumerate(data):
            if len(row) != len(widths):
                raise ShapeError(
                    f"OneHotEncoder was fitted on {len(widths)} columns, row {i} has {len(row)}"
                )
            base = i * total
            for j, v in enumerate(row):
                k = self._index[j].get(v)
                if k is None:
                    if self.handle_unknown == "error":
                        raise DataValueError(
                            f"OneHotEncoder: unknown category {v!r} in row {i}, column {j}"
                        )
                else:
                    out[base + k] = 1.0
                base += widths[j]
        return Tensor._make(
            memoryview(bytearray(out.tobytes())), _dtype.float32, (len(data), total)
        )

    def fit_transform(self, rows: Any) -> Tensor:
        """:meth:`fit` and :meth:`transform`."""
        data = self._rows(rows)
        return self.fit(data).transform(data)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> list[str]:
        """Output column names ``"<feature>_<category>"``."""
        names = input_features or [f"x{j}" for j in range(len(self.categories_))]
        return [f"{n}_{c}" for n, cats in zip(names, self.categories_, strict=True) for c in cats]
