"""A privacy budget that refuses queries once spent.

>>> budget = PrivacyBudget(epsilon=1.0)
>>> budget.spend(0.4); budget.spend(0.4); round(budget.remaining_epsilon, 10)
0.2
>>> budget.spend(0.4)
Traceback (most recent call last):
...
torsh_data.privacy.PrivacyBudgetExceeded: spending epsilon=0.4 would take the total to 1.2 > the budget's 1.0 (after 2 queries)
"""

from __future__ import annotations

import math

from .._errors import DataValueError, TorshDataError

__all__ = ["PrivacyBudget", "PrivacyBudgetExceeded"]


class PrivacyBudgetExceeded(TorshDataError, RuntimeError):
    """A query would spend more privacy than the budget has left; nothing was spent."""


class PrivacyBudget:
    """The total ``(epsilon, delta)`` a dataset may release, and what has been spent.

    Args:
        epsilon, delta: the budget.
        composition: ``"basic"`` (epsilons and deltas add up) or ``"advanced"`` (the advanced
            composition theorem, Dwork, Rothblum and Vadhan 2010: ``k`` queries of at most
            ``eps`` each cost ``sqrt(2k ln(1/delta_prime)) eps + k eps (e^eps - 1)`` and
            ``k delta + delta_prime``; the smaller of the two totals is charged).
        delta_prime: the slack of the advanced theorem (part of ``delta``).
    """

    def __init__(
        self,
        epsilon: float,
        delta: float = 0.0,
        composition: str = "basic",
        delta_prime: float = 1e-6,
    ) -> None:
        if not (math.isfinite(epsilon) and epsilon > 0) or not (0 <= delta < 1):
            raise DataValueError(
                f"a budget needs epsilon > 0 and 0 <= delta < 1, got ({epsilon}, {delta})"
            )
        if composition not in ("basic", "advanced"):
            raise DataValueError(f"composition must be 'basic' or 'advanced', not {composition!r}")
        if composition == "advanced" and not 0 < delta_prime <= delta:
            raise DataValueError("advanced composition needs 0 < delta_prime <= delta")
        self.epsilon, self.delta, self.composition, self.delta_prime = (
            epsilon,
            delta,
            composition,
            delta_prime,
        )
        self.queries: list[tuple[float, float]] = []

    def _totals(self, queries: list[tuple[float, float]]) -> tuple[float, float]:
        basic = (math.fsum(e for e, _ in queries), math.fsum(d for _, d in queries))
        if self.composition == "basic" or not queries:
            return basic
        k, eps = len(queries), max(e for e, _ in queries)
        adv_eps = math.sqrt(2 * k * math.log(1 / self.delta_prime)) * eps + k * eps * math.expm1(
            eps
        )
        adv_delta = k * max(d for _, d in queries) + self.delta_prime
        return (adv_eps, adv_delta) if adv_eps < basic[0] else basic

    @property
    def spent(self) -> tuple[float, float]:
        """The ``(epsilon, delta)`` spent so far under the composition rule."""
        return self._totals(self.queries)

    @property
    def remaining_epsilon(self) -> float:
        """How much epsilon is left."""
        return max(0.0, self.epsilon - self.spent[0])

    def can_spend(self, epsilon: float, delta: float = 0.0) -> bool:
        """Whether a query of ``(epsilon, delta)`` fits."""
        e, d = self._totals([*self.queries, (epsilon, delta)])
        return e <= self.epsilon * (1 + 1e-12) and d <= self.delta * (1 + 1e-12) + 1e-300

    def spend(self, epsilon: float, delta: float = 0.0) -> None:
        """Charge a query, or raise :class:`PrivacyBudgetExceeded` and charge nothing."""
        if not (math.isfinite(epsilon) and epsilon > 0) or not (0 <= delta < 1):
            raise DataValueError(
                f"a query spends epsilon > 0 and 0 <= delta < 1, got ({epsilon}, {delta})"
            )
        if not self.can_spend(epsilon, delta):
            e, d = self._totals([*self.queries, (epsilon, delta)])
            what = (
                f"epsilon={epsilon} would take the total to {e:.6g} > the budget's {self.epsilon}"
            )
            if e <= self.epsilon * (1 + 1e-12):
                what = f"delta={delta} would take the total to {d:.6g} > the budget's {self.delta}"
            raise PrivacyBudgetExceeded(f"spending {what} (after {len(self.queries)} queries)")
        self.queries.append((float(epsilon), float(delta)))

    def __repr__(self) -> str:
        e, d = self.spent
        return f"PrivacyBudget(spent=({e:.4g}, {d:.3g}) of ({self.epsilon}, {self.delta}), {self.composition})"
