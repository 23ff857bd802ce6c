"""A dataset that releases its samples with calibrated noise: :class:`PrivateDataset`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import DataIndexError
from ..datasets import Dataset
from ..random import Generator, derive_seed
from ._budget import PrivacyBudget
from ._mechanisms import Mechanism

__all__ = ["PrivateDataset"]


class PrivateDataset(Dataset[Any]):
    """Each sample of ``dataset`` with the mechanism's noise added to its numeric ``fields``
    (indices or keys of a tuple/dict sample; the whole sample when ``fields`` is None).

    The noise of a sample is fixed (drawn from a stream of the mechanism's seed and the
    index), so reading a sample again gives the same values and leaks nothing more: every
    record is released once, and the mechanism's ``(epsilon, delta)`` is charged to
    ``budget`` once, when the dataset is made (records are disjoint: parallel composition).

    >>> from torsh_data import TensorDataset
    >>> from torsh_data.privacy import LaplaceMechanism, PrivacyBudget
    >>> base = TensorDataset([[1.0, 2.0], [3.0, 4.0]], [0, 1])
    >>> budget = PrivacyBudget(1.0)
    >>> ds = PrivateDataset(base, LaplaceMechanism(1.0, 0.5, seed=0), fields=[0], budget=budget)
    >>> ds[0][1].item(), ds[0][0].tolist() == ds[0][0].tolist(), budget.spent
    (0, True, (0.5, 0.0))
    """

    def __init__(
        self,
        dataset: Any,
        mechanism: Mechanism,
        fields: Sequence[int | str] | None = None,
        budget: PrivacyBudget | None = None,
    ) -> None:
        if budget is not None:
            budget.spend(mechanism.epsilon, mechanism.delta)
        self.dataset, self.mechanism, self.fields, self.budget = dataset, mechanism, fields, budget

    def __len__(self) -> int:
        return len(self.dataset)

    def _noisy(self, value: Any, index: int, field: Any) -> Any:
        m = self.mechanism
        saved = m._gen
        m._gen = Generator(derive_seed(m.seed, "private", index, str(field)))
        try:
            return m(value)
        finally:
            m._gen = saved

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise DataIndexError(f"index {index} out of range for {len(self)} samples")
        index %= len(self)
        sample = self.dataset[index]
        if self.fields is None:
            return self._noisy(sample, index, "")
        if isinstance(sample, dict):
            return {
                k: self._noisy(v, index, k) if k in self.fields else v for k, v in sample.items()
            }
        if isinstance(sample, (tuple, list)):
            out = [
                self._noisy(v, index, k) if k in self.fields else v for k, v in enumerate(sample)
            ]
            return type(sample)(out) if not hasattr(sample, "_fields") else type(sample)(*out)
        raise DataIndexError(
            f"fields {list(self.fields)} need tuple or dict samples, got {type(sample).__name__}"
        )
