"""Calibrated noise: the Laplace and Gaussian mechanisms of differential privacy.

A mechanism adds noise whose scale comes from the query's sensitivity and the privacy
parameters: Laplace ``b = sensitivity / epsilon`` gives ``epsilon``-DP; Gaussian
``sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon`` gives ``(epsilon, delta)``-DP for
``epsilon < 1`` (Dwork and Roth, 2014, Thm. 3.22). Draws are seeded (NOTE [ Exact draws ]):
the same seed gives the same noise on every runtime, which makes experiments reproducible;
the default seed comes from ``os.urandom``. The stream is not a cryptographic generator.

>>> m = LaplaceMechanism(sensitivity=1.0, epsilon=0.5, seed=0)
>>> m.scale
2.0
>>> len(m([1.0, 2.0, 3.0]).tolist())
3
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype
from .._distributions import laplaces, normals
from .._errors import DataTypeError, DataValueError
from ..random import Generator, entropy_seed
from ..tensor import Tensor

__all__ = ["GaussianMechanism", "LaplaceMechanism", "Mechanism"]


def _positive(name: str, v: Any, upper: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise DataValueError(f"{name} must be a finite number > 0, got {v!r}")
    if upper is not None and v >= upper:
        raise DataValueError(f"{name} must be < {upper}, got {v!r}")
    return float(v)


class Mechanism:
    """Base: ``mechanism(value)`` returns ``value`` plus noise (a number, a list of numbers or
    a float Tensor; a Tensor keeps its shape and float dtype)."""

    epsilon: float
    delta: float = 0.0

    def __init__(self, seed: int | None) -> None:
        self.seed = entropy_seed() if seed is None else seed
        self._gen = Generator(self.seed)

    def noise(self, n: int) -> list[float]:
        """``n`` noise draws."""
        raise NotImplementedError

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            if value.dtype.kind != "f":
                raise DataTypeError(
                    f"{type(self).__name__}: noise goes on float tensors, not {value.dtype}"
                )
            vals = value.dtype.unpack(value._data)
            out = [v + z for v, z in zip(vals, self.noise(len(vals)), strict=True)]
            return Tensor._make(memoryview(value.dtype.pack(out)), value.dtype, value.shape)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) + self.noise(1)[0]
        if isinstance(value, (list, tuple)):
            try:
                vals = [float(v) for v in value]
            except (TypeError, ValueError):
                raise DataTypeError(f"{type(self).__name__}: a list of numbers is needed") from None
            return Tensor(
                [v + z for v, z in zip(vals, self.noise(len(vals)), strict=True)],
                dtype=_dtype.float64,
            )
        raise DataTypeError(
            f"{type(self).__name__} adds noise to numbers and float tensors, not {type(value).__name__}"
        )


class LaplaceMechanism(Mechanism):
    """Laplace noise of scale ``sensitivity / epsilon`` (``epsilon``-DP for an L1 sensitivity)."""

    def __init__(self, sensitivity: float, epsilon: float, seed: int | None = None) -> None:
        super().__init__(seed)
        self.sensitivity, self.epsilon = (
            _positive("sensitivity", sensitivity),
            _positive("epsilon", epsilon),
        )
        self.scale = self.sensitivity / self.epsilon

    def noise(self, n: int) -> list[float]:
        return laplaces(self._gen, n, 0.0, self.scale)

    def __repr__(self) -> str:
        return f"LaplaceMechanism(sensitivity={self.sensitivity}, epsilon={self.epsilon})"


class GaussianMechanism(Mechanism):
    """Gaussian noise of ``sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon``
    (``(epsilon, delta)``-DP for an L2 sensitivity and ``0 < epsilon < 1``)."""

    def __init__(
        self, sensitivity: float, epsilon: float, delta: float, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.sensitivity = _positive("sensitivity", sensitivity)
        self.epsilon = _positive("epsilon", epsilon, upper=1.0)
        self.delta = _positive("delta", delta, upper=1.0)
        self.sigma = self.sensitivity * math.sqrt(2.0 * math.log(1.25 / self.delta)) / self.epsilon

    def noise(self, n: int) -> list[float]:
        return normals(self._gen, n, 0.0, self.sigma)

    def __repr__(self) -> str:
        return f"GaussianMechanism(sensitivity={self.sensitivity}, epsilon={self.epsilon}, delta={self.delta})"
