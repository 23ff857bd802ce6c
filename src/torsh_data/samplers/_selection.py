"""Choosing a few items by model scores or by spread: active learning (which unlabelled
samples to label next) and federated client selection (which clients train this round).

Both use one greedy farthest-first (k-center) selection for diversity: each pick is the
candidate farthest from everything chosen (and, for active learning, already labelled).

>>> al = ActiveLearningSampler([0.1, 0.9, 0.5, 0.7], budget=2, seed=0)
>>> list(al)  # the two most uncertain
[1, 3]
>>> cs = ClientSampler(10, clients_per_round=3, seed=0)
>>> len(set(cs.select(0))), len(cs.select(0))
(3, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._checks import check_int
from .._errors import DataValueError
from ..random import Generator
from ._basic import _SeededSampler, check_weights, weighted_draw
from ._scored import _positive_float, _scores

__all__ = ["ActiveLearningSampler", "ClientSampler", "uncertainty_scores"]


def uncertainty_scores(
    probabilities: Sequence[Sequence[float]] | Any, method: str = "entropy"
) -> list[float]:
    """Uncertainty of each row of class probabilities (higher is less sure).

    ``"entropy"``: ``-sum(p log p)``; ``"margin"``: ``1 - (p_top1 - p_top2)``;
    ``"least_confidence"``: ``1 - p_top1``.

    >>> [round(u, 4) for u in uncertainty_scores([[0.5, 0.5], [1.0, 0.0]])]
    [0.6931, 0.0]
    """
    if method not in ("entropy", "margin", "least_confidence"):
        raise DataValueError(
            f"method must be 'entropy', 'margin' or 'least_confidence', got {method!r}"
        )
    if hasattr(probabilities, "tolist"):
        probabilities = probabilities.tolist()
    out: list[float] = []
    for i, row in enumerate(probabilities):
        p = _scores(f"probabilities[{i}]", row)
        if not p or any(x < 0 for x in p):
            raise DataValueError(f"probabilities[{i}] must be non-empty and >= 0, got {row!r:.80}")
        if method == "entropy":
            out.append(-math.fsum(x * math.log(x) for x in p if x > 0) + 0.0)
        else:
            top = [*sorted(p, reverse=True), 0.0]
            out.append(1 - (top[0] - top[1]) if method == "margin" else 1 - top[0])
    return out


def _distance(a: Sequence[float], b: Sequence[float]) -> float:
    return math.sqrt(math.fsum((x - y) * (x - y) for x, y in zip(a, b, strict=True)))


def farthest_first(
    gen: Generator,
    points: Sequence[Sequence[float]],
    candidates: Sequence[int],
    k: int,
    anchors: Sequence[int] = (),
    bonus: Sequence[float] | None = None,
    weight: float = 1.0,
) -> list[int]:
    """Greedy k-center: ``k`` of ``candidates``, each the one maximising ``weight *
    d/max(d) + (1 - weight) * bonus/max(bonus)`` where ``d`` is the distance to the nearest
    anchor or earlier pick (the first pick, with no anchors, is random); ties at random."""
    tie = dict(zip(candidates, gen.uniforms(len(candidates)), strict=True))
    left = list(candidates)
    nearest = {
        c: min((_distance(points[c], points[a]) for a in anchors), default=0.0) for c in left
    }
    top_bonus = max((bonus[c] for c in left), default=0.0) if bonus is not None else 0.0
    chosen: list[int] = []
    while left and len(chosen) < k:
        if not chosen and not anchors and weight == 1.0:
            pick = left[gen.randbelow(len(left))]
        else:
            far = max(nearest[c] for c in left) or 1.0
            best: tuple[float, float, int] | None = None
            for c in left:
                s = weight * nearest[c] / far
                if bonus is not None and top_bonus > 0:
                    s += (1 - weight) * bonus[c] / top_bonus
                if best is None or (s, tie[c]) > best[:2]:
                    best = (s, tie[c], c)
            assert best is not None
            pick = best[2]
        chosen.append(pick)
        left.remove(pick)
        p = points[pick]
        for c in left:
            d = _distance(points[c], p)
            if d < nearest[c] or (len(chosen) == 1 and not anchors):
                nearest[c] = d
    return chosen


def _points(name: str, features: Any, n: int) -> list[list[float]]:
    if hasattr(features, "tolist"):
        features = features.tolist()
    rows = [_scores(f"{name}[{i}]", r) for i, r in enumerate(features)]
    if len(rows) != n or len({len(r) for r in rows}) > 1:
        raise DataValueError(f"{name} must be {n} rows of one length")
    return rows


class ActiveLearningSampler(_SeededSampler[int]):
    """The unlabelled samples to label next, chosen by the model's uncertainty, by
    diversity of their features, or by both.

    Strategies:

    - ``"uncertainty"``: the ``budget`` most uncertain unlabelled samples (ties at random).
    - ``"diversity"``: greedy farthest-first over ``features``, away from the labelled set.
    - ``"uncertainty_diversity"``: greedy, scoring ``diversity_weight * distance +
      (1 - diversity_weight) * uncertainty`` (each scaled to its maximum).

    Iterating gives this round's picks; :meth:`mark_labeled` removes them from the pool and
    :meth:`update_uncertainties` takes the model's new scores (see :func:`uncertainty_scores`).

    Args:
        uncertainties: a score per sample, higher is less certain.
        budget: samples to pick per round.
        strategy: one of the above.
        features: one vector per sample (needed by the diversity strategies).
        labeled: indices already labelled (never picked; anchors for diversity).
        diversity_weight: in (0, 1], for ``"uncertainty_diversity"``.
        seed: root seed; ``None`` draws a fresh one.
    """

    def __init__(
        self,
        uncertainties: Sequence[float] | Any,
        budget: int,
        strategy: str = "uncertainty",
        features: Sequence[Sequence[float]] | Any = None,
        labeled: Sequence[int] = (),
        diversity_weight: float = 0.5,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if strategy not in ("uncertainty", "diversity", "uncertainty_diversity"):
            raise DataValueError(
                "strategy must be 'uncertainty', 'diversity' or 'uncertainty_diversity', "
                f"got {strategy!r}"
            )
        self.uncertainties = _scores("uncertainties", uncertainties)
        n = len(self.uncertainties)
        self.budget = check_int("budget", budget, 1)
        self.strategy = strategy
        self.diversity_weight = _positive_float("diversity_weight", diversity_weight, 1.0)
        self.features = None if features is None else _points("features", features, n)
        if strategy != "uncertainty" and self.features is None:
            raise DataValueError(f"strategy={strategy!r} needs features")
        self.labeled: list[int] = []
        self.mark_labeled(labeled)

    def mark_labeled(self, indices: Sequence[int]) -> None:
        """Take ``indices`` out of the pool (they have been labelled)."""
        n = len(self.uncertainties)
        new = [check_int("labeled index", i, 0, n - 1) for i in indices]
        have = set(self.labeled)
        self.labeled += [i for i in dict.fromkeys(new) if i not in have]
        self._current = None

    def update_uncertainties(self, indices: Sequence[int], values: Sequence[float]) -> None:
        """Replace the uncertainties of ``indices`` (validated before any change)."""
        vals = _scores("values", values, len(indices))
        idx = [check_int("index", i, 0, len(self.uncertainties) - 1) for i in indices]
        for i, v in zip(idx, vals, strict=True):
            self.uncertainties[i] = v

    def __len__(self) -> int:
        return min(self.budget, len(self.uncertainties) - len(self.labeled))

    def _order(self) -> list[int]:
        gen = self._generator("active")
        done = set(self.labeled)
        pool = [i for i in range(len(self.uncertainties)) if i not in done]
        if self.strategy == "uncertainty":
            tie = gen.uniforms(len(pool))
            ranked = sorted(range(len(pool)), key=lambda j: (-self.uncertainties[pool[j]], tie[j]))
            return [pool[j] for j in ranked[: self.budget]]
        assert self.features is not None
        both = self.strategy == "uncertainty_diversity"
        return farthest_first(
            gen,
            self.features,
            pool,
            self.budget,
            self.labeled,
            self.uncertainties if both else None,
            self.diversity_weight if both else 1.0,
        )

    def _extra_state(self) -> dict[str, Any]:
        return {"labeled": list(self.labeled), "uncertainties": list(self.uncertainties)}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        unc = _scores(
            "state['uncertainties']",
            state.get("uncertainties", self.uncertainties),
            len(self.uncertainties),
        )
        n = len(unc)
        given = state.get("labeled", self.labeled)
        if not isinstance(given, list):
            raise DataValueError(f"state['labeled'] must be a list of indices, got {given!r:.80}")
        labeled = [check_int("state['labeled'] entry", i, 0, n - 1) for i in given]
        self.uncertainties, self.labeled = unc, labeled


class ClientSampler(_SeededSampler[int]):
    """The clients that take part in each round of federated training.

    Strategies:

    - ``"random"``: ``clients_per_round`` clients uniformly, without replacement.
    - ``"all"``: every client, every round.
    - ``"quality"``: drawn without replacement with probability proportional to ``quality``
      (successive weighted draws), so better clients come more often but all can come.
    - ``"diversity"``: greedy farthest-first over the clients' label distributions
      (``label_counts`` normalised), so a round covers different data.

    Each iteration is a round (the epoch); :meth:`select` gives any round's clients.

    Args:
        num_clients: how many clients there are (ids ``0..num_clients-1``), or a
            :class:`~torsh_data.federated.FederatedDataset`, whose clients' label counts then
            serve ``"diversity"``.
        clients_per_round: clients per round (ignored by ``"all"``).
        strategy: one of the above.
        quality: a score >= 0 per client, for ``"quality"``.
        label_counts: per client, the count of each class (a list, or a dict by label),
            for ``"diversity"``.
        seed: root seed; ``None`` draws a fresh one.
    """

    def __init__(
        self,
        num_clients: int | Any,
        clients_per_round: int = 1,
        strategy: str = "random",
        quality: Sequence[float] | None = None,
        label_counts: Sequence[Sequence[float]] | Sequence[Mapping[Any, float]] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if strategy not in ("random", "all", "quality", "diversity"):
            raise DataValueError(
                f"strategy must be 'random', 'all', 'quality' or 'diversity', got {strategy!r}"
            )
        infos = getattr(num_clients, "clients", None)
        if infos is not None:  # a FederatedDataset
            num_clients = len(infos)
            if label_counts is None:
                label_counts = [getattr(c, "label_counts", {}) for c in infos]
        self.num_clients = check_int("num_clients", num_clients, 1)
        self.clients_per_round = check_int("clients_per_round", clients_per_round, 1, num_clients)
        self.strategy = strategy
        self.quality: list[float] | None = None
        self._profiles: list[list[float]] = []
        if strategy == "quality":
            if quality is None:
                raise DataValueError("strategy='quality' needs quality scores")
            self.quality = check_weights(quality, "quality")
            if len(self.quality) != num_clients:
                raise DataValueError(
                    f"quality has {len(self.quality)} scores for {num_clients} clients"
                )
            if sum(1 for q in self.quality if q > 0) < clients_per_round:
                raise DataValueError("fewer clients have a positive quality than clients_per_round")
        if strategy == "diversity":
            if label_counts is None:
                raise DataValueError("strategy='diversity' needs label_counts")
            by_label: list[Any] = list(label_counts)
            if all(isinstance(r, Mapping) for r in by_label):  # counts by label
                keys = list(dict.fromkeys(k for r in by_label for k in r))
                label_counts = [[r.get(k, 0) for k in keys] for r in by_label]
            rows = _points("label_counts", label_counts, num_clients)
            self._profiles = [[x / (sum(r) or 1.0) for x in r] for r in rows]

    def __len__(self) -> int:
        return self.num_clients if self.strategy == "all" else self.clients_per_round

    def select(self, round: int) -> list[int]:
        """The clients of ``round`` (a function of seed and round only)."""
        gen = self._generator("clients", check_int("round", round, 0))
        k = self.clients_per_round
        if self.strategy == "all":
            return list(range(self.num_clients))
        if self.strategy == "random":
            return gen.permutation(self.num_clients)[:k]
        if self.strategy == "quality":
            assert self.quality is not None
            return weighted_draw(gen, self.quality, k, replacement=False)
        return farthest_first(gen, self._profiles, range(self.num_clients), k)

    def _order(self) -> list[int]:
        return self.select(self.epoch)
