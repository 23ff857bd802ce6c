"""Privacy: noise calibrated as the definitions say, budgets that refuse, noisy datasets."""

from __future__ import annotations

import math
import statistics

import pytest

import torsh_data as td
from torsh_data.privacy import (
    GaussianMechanism,
    LaplaceMechanism,
    PrivacyBudget,
    PrivacyBudgetExceeded,
    PrivateDataset,
)


def test_laplace_scale_is_sensitivity_over_epsilon() -> None:
    m = LaplaceMechanism(sensitivity=2.0, epsilon=0.5, seed=1)
    draws = m.noise(40000)
    b = 4.0
    # Laplace(0, b): mean 0, E|X| = b, variance 2 b^2
    assert abs(statistics.fmean(draws)) < 5 * math.sqrt(2) * b / math.sqrt(40000)
    assert abs(statistics.fmean(map(abs, draws)) / b - 1) < 0.03
    assert abs(statistics.pvariance(draws) / (2 * b * b) - 1) < 0.06
    # the median of |X| is b ln 2
    assert abs(statistics.median(map(abs, draws)) / (b * math.log(2)) - 1) < 0.04


def test_gaussian_sigma_is_the_classic_calibration() -> None:
    m = GaussianMechanism(sensitivity=1.5, epsilon=0.8, delta=1e-5, seed=2)
    assert m.sigma == pytest.approx(1.5 * math.sqrt(2 * math.log(1.25 / 1e-5)) / 0.8)
    draws = m.noise(40000)
    assert abs(statistics.pstdev(draws) / m.sigma - 1) < 0.02
    inside = sum(abs(d) < m.sigma for d in draws) / len(draws)
    assert abs(inside - 0.6827) < 0.01  # the 68% rule
    with pytest.raises(td.DataValueError, match="epsilon must be < 1"):
        GaussianMechanism(1.0, 1.5, 1e-5)
    with pytest.raises(td.DataValueError):
        LaplaceMechanism(0.0, 1.0)


def test_mechanisms_are_seeded_and_keep_types() -> None:
    a, b = LaplaceMechanism(1.0, 1.0, seed=7), LaplaceMechanism(1.0, 1.0, seed=7)
    assert a([1.0, 2.0]).tolist() == b([1.0, 2.0]).tolist()
    t = td.tensor([[1.0, 2.0]], dtype="float32")
    out = a(t)
    assert out.shape == (1, 2) and out.dtype == td.float32
    assert isinstance(a(3), float)
    with pytest.raises(td.DataTypeError):
        a(td.tensor([1, 2]))
    with pytest.raises(td.DataTypeError):
        a("text")


def test_budget_basic_and_advanced() -> None:
    basic = PrivacyBudget(1.0, delta=1e-5)
    for _ in range(10):
        basic.spend(0.1)
    with pytest.raises(PrivacyBudgetExceeded, match="after 10 queries"):
        basic.spend(0.01)
    assert len(basic.queries) == 10  # nothing charged by the refused query
    assert issubclass(PrivacyBudgetExceeded, td.TorshDataError)
    adv = PrivacyBudget(3.0, delta=0.5, composition="advanced", delta_prime=1e-4)
    k = 0
    while adv.can_spend(0.05):
        adv.spend(0.05)
        k += 1

    def bound(n: int) -> float:  # Dwork, Rothblum, Vadhan: sqrt(2n ln(1/d')) e + n e (e^e - 1)
        return math.sqrt(2 * n * math.log(1e4)) * 0.05 + n * 0.05 * math.expm1(0.05)

    assert k > 60  # basic composition would stop at 3.0 / 0.05 = 60 queries
    assert bound(k) <= 3.0 < bound(k + 1)
    assert adv.spent[1] == pytest.approx(1e-4)
    with pytest.raises(PrivacyBudgetExceeded, match="delta"):
        PrivacyBudget(10.0, delta=1e-6).spend(0.1, 1e-5)
    with pytest.raises(td.DataValueError):
        PrivacyBudget(1.0, composition="fancy")


def test_private_dataset_fixed_noise_and_one_charge() -> None:
    base = td.TensorDataset([[float(i)] * 3 for i in range(100)], list(range(100)))
    budget = PrivacyBudget(1.0)
    ds = PrivateDataset(base, LaplaceMechanism(1.0, 0.5, seed=3), fields=[0], budget=budget)
    assert budget.spent == (0.5, 0.0)
    x0 = ds[0][0].tolist()
    assert ds[0][0].tolist() == x0 and ds[0][1].item() == 0
    diffs = [v - i for i in range(100) for v in ds[i][0].tolist()]
    assert abs(statistics.fmean(map(abs, diffs)) / 2.0 - 1) < 0.15  # Laplace scale 2
    with pytest.raises(PrivacyBudgetExceeded):
        PrivateDataset(base, LaplaceMechanism(1.0, 0.6), budget=budget)
    batch = next(iter(td.DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3)
    with pytest.raises(td.DataIndexError):
        ds[100]
