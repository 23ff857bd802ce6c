"""Samplers driven by per-sample scores that change during training: importance sampling,
adaptive (hard-sample / frequency-balanced / uncertainty) reweighting, curriculum pacing.

>>> s = ImportanceSampler(4, strategy="loss", num_samples=8, seed=0)
>>> s.update_importance_scores([0, 1, 2, 3], [0.0, 0.0, 0.0, 5.0])
>>> list(s)
[3, 3, 3, 3, 3, 3, 3, 3]
>>> c = CurriculumSampler([0.9, 0.1, 0.5, 0.3], start_fraction=0.5, ramp_epochs=2, seed=0)
>>> sorted(c), sorted(c), sorted(c)  # the easiest half, then 3/4, then all
([1, 3], [1, 2, 3], [0, 1, 2, 3])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence, Sized
from typing import Any, ClassVar

from .._checks import check_bool, check_int
from .._errors import DataValueError
from ._basic import _SeededSampler, as_list, class_balanced_weights, weighted_draw

__all__ = ["AdaptiveSampler", "CurriculumSampler", "ImportanceSampler"]


def _positive_float(name: str, value: Any, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataValueError(f"{name} must be a finite number, got {value!r}")
    if value <= 0 or (upper is not None and value > upper):
        bound = f"in (0, {upper}]" if upper is not None else "> 0"
        raise DataValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def _scores(name: str, values: Any, n: int | None = None) -> list[float]:
    out = as_list(values, name)
    for i, x in enumerate(out):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise DataValueError(f"{name}[{i}] is {x!r}; {name} must be finite numbers")
    if n is not None and len(out) != n:
        raise DataValueError(f"{name} has {len(out)} values, expected {n}")
    return [float(x) for x in out]


def _size(data_source: Sized | int) -> int:
    n = data_source if isinstance(data_source, int) else len(data_source)
    return check_int("number of samples", n, 1)


class _ScoreSampler(_SeededSampler[int]):
    """Weighted draws whose weights come from per-sample scores by a named strategy; the
    scores (and draw counts) are part of the state, so a resumed run draws the same."""

    strategies: ClassVar[dict[str, Callable[[Any], list[float]]]] = {}
    _purpose = "scored"

    def __init__(
        self,
        data_source: Sized | int,
        strategy: str,
        temperature: float,
        momentum: float,
        num_samples: int | None,
        replacement: bool,
        seed: int | None,
    ) -> None:
        super().__init__(seed)
        if strategy not in self.strategies:
            raise DataValueError(
                f"strategy must be one of {sorted(self.strategies)}, got {strategy!r}"
            )
        n = _size(data_source)
        self.strategy = strategy
        self.temperature = _positive_float("temperature", temperature)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
            raise DataValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
        if not 0 <= momentum < 1:
            raise DataValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.num_samples = n if num_samples is None else check_int("num_samples", num_samples, 1)
        self.replacement = check_bool("replacement", replacement)
        self.scores = [1.0] * n
        self.counts = [0] * n

    def __len__(self) -> int:
        return self.num_samples

    def update_scores(self, indices: Sequence[int] | Any, values: Sequence[float] | Any) -> None:
        """Blend new scores into ``scores[i]``: ``momentum * old + (1 - momentum) * new``
        (momentum 0 replaces). Validates everything before changing anything."""
        if hasattr(indices, "tolist"):
            indices = indices.tolist()
        idx = list(indices)
        vals = _scores("values", values, len(idx))
        n = len(self.scores)
        for i in idx:
            check_int("index", i, 0, n - 1)
        if any(v < 0 for v in vals):
            raise DataValueError("scores must be >= 0 (losses, uncertainties)")
        m = self.momentum
        for i, v in zip(idx, vals, strict=True):
            self.scores[i] = m * self.scores[i] + (1 - m) * v

    @property
    def weights(self) -> list[float]:
        """The current draw weights (unnormalised)."""
        return self.strategies[self.strategy](self)

    def _order(self) -> list[int]:
        try:  # scores are validated on the way in, so only overflow can go wrong here
            w = self.weights
            total = math.fsum(w)
        except OverflowError:
            total = math.inf
        if not 0 < total < math.inf:
            raise DataValueError(
                f"the {self.strategy!r} weights are all zero or overflow (temperature "
                f"{self.temperature}); report positive scores or raise the temperature"
            )
        if not self.replacement and self.num_samples > sum(1 for x in w if x > 0):
            raise DataValueError(
                f"cannot draw {self.num_samples} samples without replacement: too few have a "
                "positive weight; lower num_samples or set replacement=True"
            )
        order = weighted_draw(self._generator(self._purpose), w, self.num_samples, self.replacement)
        for i in order:
            self.counts[i] += 1
        return order

    def _extra_state(self) -> dict[str, Any]:
        return {"scores": list(self.scores), "counts": list(self.counts)}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        n = len(self.scores)
        scores = _scores("state['scores']", state.get("scores", self.scores), n)
        counts = state.get("counts", self.counts)
        if not isinstance(counts, list) or len(counts) != n:
            raise DataValueError(f"state['counts'] must be a list of {n} integers")
        for c in counts:
            check_int("state['counts'] entry", c, 0)
        self.scores, self.counts = scores, list(counts)


def _power(s: _ScoreSampler) -> list[float]:
    return [x ** (1 / s.temperature) for x in s.scores]


def _softmax(s: _ScoreSampler) -> list[float]:
    top = max(s.scores)
    return [math.exp((x - top) / s.temperature) for x in s.scores]


class ImportanceSampler(_ScoreSampler):
    """Draw samples by importance scores that change during training.

    Strategies (``weights`` from ``scores``, temperature ``T``):

    - ``"uniform"``: every sample equally (the baseline).
    - ``"class_balanced"``: ``1 / count(class)`` from ``labels``: classes equally often.
    - ``"loss"``: ``score ** (1 / T)`` (T=1: proportional to the loss; large T: uniform).
    - ``"exponential"``: ``exp(score / T)``, a softmax over the scores.

    Scores start at 1 (uniform); report losses with :meth:`update_importance_scores` after
    each step. The next epoch's draw uses the scores as they are when it starts.

    Args:
        data_source: a dataset or the number of samples.
        strategy: one of the above.
        temperature: > 0; flattens (large) or sharpens (small) the distribution.
        labels: the class of each sample, for ``"class_balanced"``.
        momentum: in [0, 1): new scores are blended into the old ones (0: replaced).
        num_samples: draws per epoch (default: the number of samples).
        replacement: draw with replacement (default) or without.
        seed: root seed; ``None`` draws a fresh one.
    """

    strategies: ClassVar[dict[str, Callable[[Any], list[float]]]] = {
        "uniform": lambda s: [1.0] * len(s.scores),
        "class_balanced": lambda s: s._class_weights,
        "loss": _power,
        "exponential": _softmax,
    }
    _purpose = "importance"

    def __init__(
        self,
        data_source: Sized | int,
        strategy: str = "loss",
        temperature: float = 1.0,
        labels: Sequence[Hashable] | None = None,
        momentum: float = 0.0,
        num_samples: int | None = None,
        replacement: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            data_source, strategy, temperature, momentum, num_samples, replacement, seed
        )
        self._class_weights: list[float] = []
        if strategy == "class_balanced":
            if labels is None:
                raise DataValueError("strategy='class_balanced' needs labels")
            self._class_weights = class_balanced_weights(labels)
            if len(self._class_weights) != len(self.scores):
                raise DataValueError(
                    f"labels has {len(self._class_weights)} entries for {len(self.scores)} samples"
                )

    def update_importance_scores(
        self, indices: Sequence[int] | Any, scores: Sequence[float] | Any
    ) -> None:
        """Set (or blend, with ``momentum``) the scores of ``indices``, e.g. their losses."""
        self.update_scores(indices, scores)


class AdaptiveSampler(_ScoreSampler):
    """Reweight samples from what training reports, smoothed over recent steps.

    Strategies:

    - ``"hard"``: hard-sample mining, weights ``ema(loss) ** (1 / T)``.
    - ``"uncertainty"``: the same from the model's uncertainty per sample.
    - ``"frequency"``: frequency balancing, ``(1 + times drawn) ** (-1 / T)``, so samples
      seen less often come up more (the counts are kept by the sampler).

    Report with :meth:`update` (``ema = momentum * ema + (1 - momentum) * value``).

    Args:
        data_source: a dataset or the number of samples.
        strategy: ``"hard"``, ``"uncertainty"`` or ``"frequency"``.
        momentum: in [0, 1), the smoothing of reported values (default 0.9).
        temperature: > 0.
        num_samples: draws per epoch (default: the number of samples).
        seed: root seed; ``None`` draws a fresh one.
    """

    strategies: ClassVar[dict[str, Callable[[Any], list[float]]]] = {
        "hard": _power,
        "uncertainty": _power,
        "frequency": lambda s: [(1 + c) ** (-1 / s.temperature) for c in s.counts],
    }
    _purpose = "adaptive"

    def __init__(
        self,
        data_source: Sized | int,
        strategy: str = "hard",
        momentum: float = 0.9,
        temperature: float = 1.0,
        num_samples: int | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(data_source, strategy, temperature, momentum, num_samples, True, seed)

    def update(self, indices: Sequence[int] | Any, values: Sequence[float] | Any) -> None:
        """Report losses (``"hard"``) or uncertainties (``"uncertainty"``) for ``indices``."""
        self.update_scores(indices, values)


_PACING: dict[str, Callable[[float, float, int], float]] = {
    "linear": lambda f0, t, _: f0 + (1 - f0) * t,
    "anti": lambda f0, t, _: f0 + (1 - f0) * t,
    "exponential": lambda f0, t, _: f0 ** (1 - t),
    "step": lambda f0, t, steps: f0 + (1 - f0) * math.floor(t * steps) / steps,
}


class CurriculumSampler(_SeededSampler[int]):
    """Easy samples first, harder ones added epoch by epoch (curriculum learning).

    In epoch ``e`` the sampler gives the ``ceil(fraction(e) * n)`` easiest samples (lowest
    difficulty; ties by index), shuffled, where with ``t = min(1, e / ramp_epochs)`` and
    ``f0 = start_fraction`` the pacing is

    - ``"linear"``: ``f0 + (1 - f0) * t``;
    - ``"exponential"``: ``f0 ** (1 - t)``, growing geometrically from ``f0`` to 1;
    - ``"step"``: ``f0 + (1 - f0) * floor(t * num_steps) / num_steps``;
    - ``"anti"``: linear pacing, hardest samples first (anti-curriculum).

    ``len()`` is the size of the epoch being iterated (or of the next one).

    Args:
        difficulties: a score per sample, higher is harder.
        strategy: the pacing, one of the above.
        start_fraction: the share of the data in epoch 0, in (0, 1].
        ramp_epochs: epochs until the whole dataset is in (>= 1).
        num_steps: the number of increments of ``"step"``.
        shuffle: shuffle the chosen samples (else easiest first).
        seed: root seed; ``None`` draws a fresh one.
    """

    _varying = True

    def __init__(
        self,
        difficulties: Sequence[float] | Any,
        strategy: str = "linear",
        start_fraction: float = 0.25,
        ramp_epochs: int = 10,
        num_steps: int = 4,
        shuffle: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if strategy not in _PACING:
            raise DataValueError(f"strategy must be one of {sorted(_PACING)}, got {strategy!r}")
        self.difficulties = _scores("difficulties", difficulties)
        if not self.difficulties:
            raise DataValueError("difficulties are empty; a curriculum needs samples")
        self.strategy = strategy
        self.start_fraction = _positive_float("start_fraction", start_fraction, 1.0)
        self.ramp_epochs = check_int("ramp_epochs", ramp_epochs, 1)
        self.num_steps = check_int("num_steps", num_steps, 1)
        self.shuffle = check_bool("shuffle", shuffle)
        hard_first = strategy == "anti"
        self._ranked = sorted(
            range(len(self.difficulties)),
            key=lambda i: (-self.difficulties[i] if hard_first else self.difficulties[i], i),
        )

    def fraction(self, epoch: int) -> float:
        """The share of the data that ``epoch`` uses."""
        t = min(1.0, check_int("epoch", epoch, 0) / self.ramp_epochs)
        return min(1.0, _PACING[self.strategy](self.start_fraction, t, self.num_steps))

    def __len__(self) -> int:
        return self._epoch_length()

    def _order(self) -> list[int]:
        n = len(self._ranked)
        k = max(1, min(n, math.ceil(self.fraction(self.epoch) * n - 1e-9)))
        pool = self._ranked[:k]
        if not self.shuffle:
            return pool
        return [pool[i] for i in self._generator("curriculum").permutation(k)]
