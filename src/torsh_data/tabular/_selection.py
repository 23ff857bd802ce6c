"""Feature selection: :class:`VarianceThreshold`, :class:`SelectKBest` with the ANOVA F-test
(:func:`f_classif`) or the univariate regression F-test (:func:`f_regression`).

>>> X = [[0.0, 1.0, 5.0], [0.0, 2.0, 5.0], [0.0, 9.0, 6.0]]
>>> VarianceThreshold().fit(X).get_support()
[False, True, True]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .. import _dtype
from .._errors import DataValueError, ShapeError
from ..tensor import Tensor

__all__ = ["SelectKBest", "VarianceThreshold", "f_classif", "f_regression"]


def _matrix(X: Any) -> list[list[float]]:
    rows = X.tolist() if isinstance(X, Tensor) else [list(r) for r in X]
    if not rows or not rows[0]:
        raise DataValueError("feature selection needs at least one row and one column")
    if len({len(r) for r in rows}) != 1:
        raise ShapeError("rows have different numbers of columns")
    try:
        out = [[float(v) for v in r] for r in rows]
    except (TypeError, ValueError):
        raise DataValueError("feature selection needs numbers (impute or encode first)") from None
    if not all(math.isfinite(v) for r in out for v in r):
        raise DataValueError("feature selection needs finite numbers (impute NaN first)")
    return out


def _columns(X: Any) -> list[list[float]]:
    return [list(c) for c in zip(*_matrix(X), strict=True)]


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def f_classif(X: Any, y: Sequence[Any]) -> list[float]:
    """One-way ANOVA F statistic of each feature across the classes of ``y``:
    ``(SS_between / (k - 1)) / (SS_within / (n - k))`` (``inf`` when the within-class
    variation is zero and the between-class is not, ``nan`` when both are)."""
    labels = y.tolist() if isinstance(y, Tensor) else list(y)
    cols = _columns(X)
    n, groups = len(labels), sorted(set(labels), key=repr)
    if n != len(cols[0]):
        raise ShapeError(f"{len(cols[0])} rows but {n} targets")
    k = len(groups)
    if k < 2 or n <= k:
        raise DataValueError(
            f"f_classif needs 2+ classes and more rows than classes (got {k}, {n})"
        )
    members = {g: [i for i, t in enumerate(labels) if t == g] for g in groups}
    scores = []
    for col in cols:
        grand = _mean(col)
        between = within = 0.0
        parts_b, parts_w = [], []
        for idx in members.values():
            vals = [col[i] for i in idx]
            m = _mean(vals)
            parts_b.append(len(vals) * (m - grand) ** 2)
            parts_w.append(math.fsum((v - m) ** 2 for v in vals))
        between, within = math.fsum(parts_b), math.fsum(parts_w)
        if within == 0.0:
            scores.append(math.inf if between > 0 else math.nan)
        else:
            scores.append((between / (k - 1)) / (within / (n - k)))
    return scores


def f_regression(X: Any, y: Sequence[float]) -> list[float]:
    """F statistic of the univariate linear regression of ``y`` on each feature:
    ``r**2 / (1 - r**2) * (n - 2)`` with ``r`` the Pearson correlation."""
    target = [float(v) for v in (y.tolist() if isinstance(y, Tensor) else y)]
    cols = _columns(X)
    n = len(target)
    if n != len(cols[0]):
        raise ShapeError(f"{len(cols[0])} rows but {n} targets")
    if n < 3:
        raise DataValueError("f_regression needs at least 3 rows")
    my = _mean(target)
    dy = [v - my for v in target]
    syy = math.fsum(d * d for d in dy)
    scores = []
    for col in cols:
        mx = _mean(col)
        dx = [v - mx for v in col]
        sxx = math.fsum(d * d for d in dx)
        if sxx == 0.0 or syy == 0.0:
            scores.append(math.nan)
            continue
        r2 = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) ** 2 / (sxx * syy)
        scores.append(math.inf if r2 >= 1.0 else r2 / (1.0 - r2) * (n - 2))
    return scores


class _Selector:
    support_: list[bool]

    def get_support(self, indices: bool = False) -> list[Any]:
        """Which features are kept (booleans, or their indices)."""
        if not hasattr(self, "support_"):
            raise DataValueError(f"{type(self).__name__} is not fitted yet; call .fit(X)")
        return [j for j, s in enumerate(self.support_) if s] if indices else list(self.support_)

    def transform(self, X: Any) -> Tensor:
        """The kept columns of ``X`` as a float32 ``[N, k]`` Tensor."""
        keep = self.get_support(indices=True)
        rows = _matrix(X)
        if len(rows[0]) != len(self.support_):
            raise ShapeError(f"fitted on {len(self.support_)} features, got {len(rows[0])}")
        return Tensor([[r[j] for j in keep] for r in rows], dtype=_dtype.float32)


class VarianceThreshold(_Selector):
    """Keep the features whose population variance (ddof 0) is above ``threshold``."""

    def __init__(self, threshold: float = 0.0) -> None:
        if not (isinstance(threshold, (int, float)) and threshold >= 0):
            raise DataValueError(f"threshold must be a number >= 0, got {threshold!r}")
        self.threshold = float(threshold)

    def fit(self, X: Any, y: Any = None) -> VarianceThreshold:
        """Compute ``variances_`` and the kept features."""
        cols = _columns(X)
        self.variances_ = [math.fsum((v - _mean(c)) ** 2 for v in c) / len(c) for c in cols]
        self.support_ = [v > self.threshold for v in self.variances_]
        return self

    def fit_transform(self, X: Any, y: Any = None) -> Tensor:
        """:meth:`fit` and :meth:`transform`."""
        return self.fit(X).transform(X)


class SelectKBest(_Selector):
    """Keep the ``k`` features with the highest scores (``nan`` scores rank lowest; ties keep
    the earlier feature). ``k="all"`` keeps every feature."""

    def __init__(
        self, score_func: Callable[[Any, Any], list[float]] = f_classif, k: int | str = 10
    ) -> None:
        if k != "all" and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise DataValueError(f"k must be an integer >= 0 or 'all', got {k!r}")
        self.score_func, self.k = score_func, k

    def fit(self, X: Any, y: Any) -> SelectKBest:
        """Score the features and choose the best ``k``."""
        self.scores_ = list(self.score_func(X, y))
        n = len(self.scores_)
        k = n if self.k == "all" else self.k
        if not isinstance(k, int) or k > n:
            raise DataValueError(f"k={self.k} is more than the {n} features")
        order = sorted(
            range(n),
            key=lambda j: (
                -(self.scores_[j] if self.scores_[j] == self.scores_[j] else -math.inf),
                j,
            ),
        )
        chosen = set(order[:k])
        self.support_ = [j in chosen for j in range(n)]
        return self

    def fit_transform(self, X: Any, y: Any) -> Tensor:
        """:meth:`fit` and :meth:`transform`."""
        return self.fit(X, y).transform(X)
