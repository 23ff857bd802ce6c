"""Augmentation pipelines whose strength changes during training.

* :class:`AugmentationPipeline`: ordered steps, each applied with its own probability,
  scaled by a global ``strength`` in [0, 1] (step ``i`` runs when ``u < p_i * strength``).
* :class:`ProgressiveAugmentation`: the strength follows the epoch (``set_epoch``), growing
  from ``start`` to ``end`` over ``epochs`` epochs: linearly, geometrically or in steps.
* :class:`AdaptiveAugmentation`: the strength follows feedback such as the training loss
  (``update(loss)``), with :class:`AugmentationStats` on what it saw.

Each step makes one uniform draw per call whether it runs or not, so a sample's later draws
do not depend on the strength. Inside a :class:`~torsh_data.DataLoader` set the strength
(``set_epoch``/``update``) between epochs: worker processes get the transform when an epoch
starts (use ``persistent_workers=False`` when the strength changes).

>>> from torsh_data import random as tdr
>>> aug = ProgressiveAugmentation([(lambda x: x + 1, 1.0)], start=0.0, end=1.0, epochs=4)
>>> [aug.strength_at(e) for e in range(5)]
[0.0, 0.25, 0.5, 0.75, 1.0]
>>> aug.set_epoch(4)
>>> with tdr.sample_scope(seed=0, epoch=4, index=0):
...     aug(1)
2
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .._errors import DataTypeError, DataValueError
from ..random import sample_generator
from ._compose import Transform, _probability

__all__ = [
    "AdaptiveAugmentation",
    "AugmentationPipeline",
    "AugmentationStats",
    "DynamicAugmentationStrategy",
    "ProgressionMode",
    "ProgressiveAugmentation",
]

Step = Callable[[Any], Any] | tuple[Callable[[Any], Any], float]


class AugmentationPipeline(Transform):
    """Ordered augmentations, step ``i`` applied with probability ``p_i * strength``.

    Args:
        steps: transforms (probability 1) or ``(transform, p)`` pairs, applied in order.
        strength: a factor in [0, 1] on every probability (0: nothing is applied).
    """

    def __init__(self, steps: Sequence[Step], strength: float = 1.0) -> None:
        if not isinstance(steps, (list, tuple)):
            raise DataTypeError(
                f"steps must be a list of transforms or (transform, p) pairs, got {steps!r}"
            )
        self.steps: list[tuple[Callable[[Any], Any], float]] = []
        for i, step in enumerate(steps):
            fn, p = step if isinstance(step, tuple) and len(step) == 2 else (step, 1.0)
            if not callable(fn):
                raise DataTypeError(f"AugmentationPipeline: step {i} is not callable: {fn!r}")
            self.steps.append((fn, _probability(p)))
        self.strength = 1.0
        self.set_strength(strength)

    def set_strength(self, strength: float) -> None:
        """Scale every step's probability by ``strength`` (in [0, 1])."""
        self.strength = _probability(strength)

    def __call__(self, sample: Any) -> Any:
        gen = sample_generator()
        s = self.strength
        for fn, p in self.steps:
            if gen.random() < p * s:
                sample = fn(sample)
        return sample

    def __repr__(self) -> str:
        return f"AugmentationPipeline({self.steps!r}, strength={self.strength})"


def _pipeline(p: Any) -> AugmentationPipeline:
    return p if isinstance(p, AugmentationPipeline) else AugmentationPipeline(p)


class ProgressionMode(str, enum.Enum):
    """How :class:`ProgressiveAugmentation` goes from ``start`` to ``end``."""

    LINEAR = "linear"
    """``start + (end - start) * t`` with ``t = min(epoch / epochs, 1)``."""
    EXPONENTIAL = "exponential"
    """``start * (end / start) ** t``: the same factor every epoch (``start > 0``)."""
    STEP = "step"
    """Linear, held constant for ``epochs / n_steps`` epochs at a time."""


class ProgressiveAugmentation(Transform):
    """An :class:`AugmentationPipeline` whose strength grows with the epoch.

    Args:
        pipeline: an :class:`AugmentationPipeline` or its steps.
        start: strength at epoch 0.
        end: strength from epoch ``epochs`` on.
        epochs: epochs to go from ``start`` to ``end``.
        mode: a :class:`ProgressionMode` or its value.
        n_steps: the number of increments in ``"step"`` mode.
    """

    def __init__(
        self,
        pipeline: AugmentationPipeline | Sequence[Step],
        start: float = 0.1,
        end: float = 1.0,
        epochs: int = 10,
        mode: ProgressionMode | str = ProgressionMode.LINEAR,
        n_steps: int = 4,
    ) -> None:
        self.pipeline = _pipeline(pipeline)
        self.start, self.end = _probability(start), _probability(end)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise DataValueError(f"epochs must be an integer >= 1, got {epochs!r}")
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
            raise DataValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
        try:
            self.mode = ProgressionMode(mode)
        except ValueError:
            raise DataValueError(
                f"mode must be 'linear', 'exponential' or 'step', got {mode!r}"
            ) from None
        if self.mode is ProgressionMode.EXPONENTIAL and self.start == 0:
            raise DataValueError("exponential progression needs start > 0")
        self.epochs, self.n_steps = epochs, n_steps
        self.epoch = 0
        self.set_epoch(0)

    def strength_at(self, epoch: int) -> float:
        """The strength of epoch ``epoch``."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise DataValueError(f"epoch must be an integer >= 0, got {epoch!r}")
        t = min(epoch / self.epochs, 1.0)
        if self.mode is ProgressionMode.EXPONENTIAL:
            return self.start * (self.end / self.start) ** t
        if self.mode is ProgressionMode.STEP:
            t = math.floor(t * self.n_steps + 1e-9) / self.n_steps
        return self.start + (self.end - self.start) * t

    def set_epoch(self, epoch: int) -> None:
        """Set the strength for ``epoch`` (call before iterating the loader for it)."""
        self.pipeline.set_strength(min(max(self.strength_at(epoch), 0.0), 1.0))
        self.epoch = epoch

    @property
    def strength(self) -> float:
        return self.pipeline.strength

    def __call__(self, sample: Any) -> Any:
        return self.pipeline(sample)

    def __repr__(self) -> str:
        return (
            f"ProgressiveAugmentation(start={self.start}, end={self.end}, epochs={self.epochs}, "
            f"mode={self.mode.value!r})"
        )


class DynamicAugmentationStrategy(str, enum.Enum):
    """How :class:`AdaptiveAugmentation` moves the strength after each feedback value ``f``
    (e.g. a loss: low means the model copes, so augment more)."""

    THRESHOLD = "threshold"
    """``+step`` when ``f < target``, ``-step`` when ``f > target``."""
    PROPORTIONAL = "proportional"
    """``+gain * (target - f)``."""
    PLATEAU = "plateau"
    """``+step`` after ``patience`` updates without an improvement of ``min_delta``."""


@dataclass
class AugmentationStats:
    """What an :class:`AdaptiveAugmentation` saw: feedback count, mean, extremes, the last
    value, and the strength after each update."""

    updates: int = 0
    mean_feedback: float = 0.0
    min_feedback: float = math.inf
    max_feedback: float = -math.inf
    last_feedback: float | None = None
    strength_history: list[float] = field(default_factory=list)

    def record(self, feedback: float, strength: float) -> None:
        self.updates += 1
        self.mean_feedback += (feedback - self.mean_feedback) / self.updates
        self.min_feedback = min(self.min_feedback, feedback)
        self.max_feedback = max(self.max_feedback, feedback)
        self.last_feedback = feedback
        self.strength_history.append(strength)

    def as_dict(self) -> dict[str, Any]:
        """The stats as a JSON-ready dict."""
        return asdict(self)


class AdaptiveAugmentation(Transform):
    """An :class:`AugmentationPipeline` whose strength follows feedback (``update(loss)``).

    Args:
        pipeline: an :class:`AugmentationPipeline` or its steps.
        strategy: a :class:`DynamicAugmentationStrategy` or its value.
        target: the feedback value the strategies compare with.
        initial: the starting strength.
        step: the change per update (threshold, plateau).
        gain: the factor on ``target - f`` (proportional).
        patience: updates without improvement before a plateau raise.
        min_delta: what counts as an improvement (a decrease of ``f``).
        min_strength: lower bound of the strength.
        max_strength: upper bound of the strength.

    >>> aug = AdaptiveAugmentation([lambda x: x], target=0.5, initial=0.5, step=0.1)
    >>> aug.update(0.2), aug.update(0.9), aug.stats.updates
    (0.6, 0.5, 2)
    """

    def __init__(
        self,
        pipeline: AugmentationPipeline | Sequence[Step],
        strategy: DynamicAugmentationStrategy | str = DynamicAugmentationStrategy.THRESHOLD,
        target: float = 0.0,
        initial: float = 0.5,
        step: float = 0.05,
        gain: float = 0.1,
        patience: int = 3,
        min_delta: float = 0.0,
        min_strength: float = 0.0,
        max_strength: float = 1.0,
    ) -> None:
        self.pipeline = _pipeline(pipeline)
        try:
            self.strategy = DynamicAugmentationStrategy(strategy)
        except ValueError:
            raise DataValueError(
                f"strategy must be 'threshold', 'proportional' or 'plateau', got {strategy!r}"
            ) from None
        for name, v in (
            ("target", target),
            ("step", step),
            ("gain", gain),
            ("min_delta", min_delta),
        ):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise DataValueError(f"{name} must be a finite number, got {v!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise DataValueError(f"patience must be an integer >= 1, got {patience!r}")
        self.min_strength, self.max_strength = (
            _probability(min_strength),
            _probability(max_strength),
        )
        if self.min_strength > self.max_strength:
            raise DataValueError("min_strength must not exceed max_strength")
        self.target, self.step, self.gain = float(target), float(step), float(gain)
        self.patience, self.min_delta = patience, float(min_delta)
        self.pipeline.set_strength(self._clamp(_probability(initial)))
        self.stats = AugmentationStats()
        self._best, self._waited = math.inf, 0

    def _clamp(self, s: float) -> float:
        return min(max(s, self.min_strength), self.max_strength)

    @property
    def strength(self) -> float:
        return self.pipeline.strength

    def update(self, feedback: float) -> float:
        """Take one feedback value (e.g. the epoch's loss) and return the new strength."""
        if (
            isinstance(feedback, bool)
            or not isinstance(feedback, (int, float))
            or not math.isfinite(feedback)
        ):
            raise DataValueError(f"feedback must be a finite number, got {feedback!r}")
        f, s = float(feedback), self.strength
        if self.strategy is DynamicAugmentationStrategy.THRESHOLD:
            s += self.step if f < self.target else -self.step if f > self.target else 0.0
        elif self.strategy is DynamicAugmentationStrategy.PROPORTIONAL:
            s += self.gain * (self.target - f)
        else:
            if f < self._best - self.min_delta:
                self._best, self._waited = f, 0
            else:
                self._waited += 1
                if self._waited >= self.patience:
                    s, self._waited = s + self.step, 0
        s = round(self._clamp(s), 12)
        self.pipeline.set_strength(s)
        self.stats.record(f, s)
        return s

    def state_dict(self) -> dict[str, Any]:
        """The adaptive state (strength, plateau counters, stats), JSON-ready."""
        best = None if math.isinf(self._best) else self._best
        return {
            "strength": self.strength,
            "best": best,
            "waited": self._waited,
            "stats": self.stats.as_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        try:
            self.pipeline.set_strength(self._clamp(_probability(state["strength"])))
            self._best = math.inf if state["best"] is None else float(state["best"])
            self._waited = int(state["waited"])
            self.stats = AugmentationStats(**state["stats"])
        except (KeyError, TypeError, ValueError) as e:
            raise DataValueError(f"not an AdaptiveAugmentation state: {e}") from None

    def __call__(self, sample: Any) -> Any:
        return self.pipeline(sample)

    def __repr__(self) -> str:
        return f"AdaptiveAugmentation(strategy={self.strategy.value!r}, strength={self.strength})"
