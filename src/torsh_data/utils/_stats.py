"""Streaming statistics: count, mean, variance, min and max in one pass, mergeable.

NOTE [ Welford ]: the mean and the sum of squared deviations are updated per value with
Welford's recurrence, and two partial results combine with Chan et al.'s formula, so a
statistic can be gathered in pieces (per batch, per worker) and merged without a second pass
and without the cancellation of the naive sum-of-squares formula.

>>> s = RunningStats()
>>> s.update_many([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
>>> s.count, s.mean, s.std(), s.min, s.max
(8, 5.0, 2.0, 2.0, 9.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .._errors import DataValueError

__all__ = ["RunningStats"]


class RunningStats:
    """Count, mean, variance, min and max of a stream of numbers (NOTE [ Welford ])."""

    __slots__ = ("_m2", "count", "last", "max", "mean", "min")

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.last = math.nan  # the value added most recently

    def update(self, value: float) -> None:
        """Add one value."""
        x = float(value)
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (x - self.mean)
        if x < self.min:
            self.min = x
        if x > self.max:
            self.max = x
        self.last = x

    def update_many(self, values: Iterable[float]) -> None:
        """Add many values."""
        for v in values:
            self.update(v)

    def merge(self, other: RunningStats) -> RunningStats:
        """Fold ``other`` into this one (Chan et al.) and return ``self``."""
        if other.count == 0:
            return self
        if self.count == 0:
            self.count, self.mean, self._m2 = other.count, other.mean, other._m2
            self.min, self.max, self.last = other.min, other.max, other.last
            return self
        n = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / n
        self._m2 += other._m2 + delta * delta * self.count * other.count / n
        self.count = n
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        self.last = other.last
        return self

    def var(self, ddof: int = 0) -> float:
        """The variance: ``ddof=0`` the population's, ``ddof=1`` the unbiased sample's."""
        if self.count - ddof <= 0:
            return math.nan
        return max(self._m2, 0.0) / (self.count - ddof)

    def std(self, ddof: int = 0) -> float:
        """The standard deviation (square root of :meth:`var`)."""
        return math.sqrt(self.var(ddof))

    @property
    def total(self) -> float:
        """The sum of the values."""
        return self.mean * self.count

    def as_dict(self, ddof: int = 0) -> dict[str, Any]:
        """``{"count", "mean", "std", "min", "max"}`` (NaN/inf when empty)."""
        if self.count == 0:
            return {"count": 0, "mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan}
        return {
            "count": self.count,
            "mean": self.mean,
            "std": self.std(ddof),
            "min": self.min,
            "max": self.max,
        }

    def __repr__(self) -> str:
        d = self.as_dict()
        return (
            f"RunningStats(count={d['count']}, mean={d['mean']:.6g}, std={d['std']:.6g}, "
            f"min={d['min']:.6g}, max={d['max']:.6g})"
        )


def check_ddof(ddof: Any) -> int:
    if isinstance(ddof, bool) or ddof not in (0, 1):
        raise DataValueError(f"ddof must be 0 (population) or 1 (sample), got {ddof!r}")
    return int(ddof)
