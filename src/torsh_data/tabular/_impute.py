"""Missing values: :class:`SimpleImputer` learns a fill value per column and applies it with
:class:`~torsh_data.transforms.FillMissing`.

>>> imp = SimpleImputer("median").fit([[1.0, None], [3.0, 4.0], [None, 8.0], [10.0, 6.0]])
>>> imp.statistics_
[3.0, 6.0]
>>> imp.transform([[None, None]]).tolist()
[[3.0, 6.0]]
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

from .. import _dtype
from .._errors import DataValueError, ShapeError
from ..tensor import Tensor
from ..transforms import FillMissing

__all__ = ["SimpleImputer"]

_STRATEGIES = ("mean", "median", "most_frequent", "constant")


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


class SimpleImputer:
    """Replace missing values (``None`` or NaN) column by column.

    Args:
        strategy: ``"mean"``, ``"median"`` (numbers), ``"most_frequent"`` (any values; ties
            go to the smallest) or ``"constant"`` (``fill_value``).
        fill_value: the constant for ``"constant"``.
    """

    def __init__(self, strategy: str = "mean", fill_value: Any = 0.0) -> None:
        if strategy not in _STRATEGIES:
            raise DataValueError(
                f"SimpleImputer strategy must be one of {_STRATEGIES}, not {strategy!r}"
            )
        self.strategy, self.fill_value = strategy, fill_value
        self.statistics_: list[Any] = []
        self._fill: FillMissing | None = None

    @staticmethod
    def _rows(rows: Any) -> list[list[Any]]:
        data = rows.tolist() if isinstance(rows, Tensor) else [list(r) for r in rows]
        if data and len({len(r) for r in data}) != 1:
            raise ShapeError("SimpleImputer: rows have different numbers of columns")
        return data

    def fit(self, rows: Any) -> SimpleImputer:
        """Learn the fill value of each column of ``rows`` (a list of rows or a 2-D Tensor)."""
        data = self._rows(rows)
        if not data:
            raise DataValueError("SimpleImputer.fit needs at least one row")
        stats = []
        for j, col in enumerate(zip(*data, strict=True)):
            present = [v for v in col if not _missing(v)]
            if self.strategy == "constant":
                stats.append(self.fill_value)
            elif not present:
                raise DataValueError(
                    f"SimpleImputer: column {j} has no values to compute a {self.strategy}"
                )
            elif self.strategy == "most_frequent":
                counts = Counter(present)
                top = max(counts.values())
                stats.append(min(v for v, c in counts.items() if c == top))
            else:
                try:
                    nums = [float(v) for v in present]
                except (TypeError, ValueError):
                    raise DataValueError(
                        f"SimpleImputer: column {j} is not numeric ({self.strategy})"
                    ) from None
                stats.append(
                    math.fsum(nums) / len(nums)
                    if self.strategy == "mean"
                    else statistics.median(nums)
                )
        self.statistics_ = stats
        self._fill = FillMissing(dict(enumerate(stats)))
        return self

    def transform(self, rows: Any) -> Any:
        """``rows`` with the missing values filled: a float32 Tensor when every value is a
        number, else a list of rows."""
        if self._fill is None:
            raise DataValueError("SimpleImputer is not fitted yet; call .fit(rows)")
        data = self._rows(rows)
        for i, r in enumerate(data):
            if len(r) != len(self.statistics_):
                raise ShapeError(
                    f"SimpleImputer was fitted on {len(self.statistics_)} columns, row {i} has {len(r)}"
                )
        filled = [self._fill(r) for r in data]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for r in filled for v in r):
            return (
                Tensor(filled, dtype=_dtype.float32) if filled else Tensor([], dtype=_dtype.float32)
            )
        return filled

    def fit_transform(self, rows: Any) -> Any:
        """:meth:`fit` and :meth:`transform`."""
        data = self._rows(rows)
        return self.fit(data).transform(data)
