"""Differential privacy for data: calibrated Laplace/Gaussian noise, a privacy budget that
refuses queries once spent, and a dataset that releases noisy samples. Poisson-subsampled
batches for DP training are a sampler: see :mod:`torsh_data.samplers`.

>>> from torsh_data.privacy import GaussianMechanism
>>> round(GaussianMechanism(sensitivity=1.0, epsilon=0.5, delta=1e-5).sigma, 4)
9.6896
"""

from .._exports import publish as _publish
from ._budget import PrivacyBudget, PrivacyBudgetExceeded
from ._dataset import PrivateDataset
from ._mechanisms import GaussianMechanism, LaplaceMechanism, Mechanism

__all__ = [
    "GaussianMechanism",
    "LaplaceMechanism",
    "Mechanism",
    "PrivacyBudget",
    "PrivacyBudgetExceeded",
    "PrivateDataset",
]

_publish(globals())
