"""Importance, adaptive and curriculum samplers: draw frequencies against the stated
weights, pacing against its formulas, state for exact resume, bad input."""

from __future__ import annotations

import collections
import json
import math

import pytest

import torsh_data as td
from torsh_data.samplers import AdaptiveSampler, CurriculumSampler, ImportanceSampler
from torsh_data.testing import check_resume


def assert_frequencies(draws: list[int], weights: list[float]) -> None:
    """Each index's share of the draws within 5 binomial standard errors of its weight."""
    n, total = len(draws), sum(weights)
    counts = collections.Counter(draws)
    for i, w in enumerate(weights):
        p = w / total
        assert abs(counts[i] / n - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-12, (i, counts[i], p)


SCORES = [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    ("strategy", "temperature", "expected"),
    [
        ("uniform", 1.0, [1, 1, 1, 1]),
        ("loss", 1.0, SCORES),
        ("loss", 2.0, [math.sqrt(s) for s in SCORES]),
        ("exponential", 1.0, [math.exp(s) for s in SCORES]),
        ("exponential", 0.5, [math.exp(2 * s) for s in SCORES]),
    ],
)
def test_importance_draws_follow_the_strategy(
    strategy: str, temperature: float, expected: list[float]
) -> None:
    s = ImportanceSampler(4, strategy, temperature, num_samples=20000, seed=1)
    s.update_importance_scores([0, 1, 2, 3], SCORES)
    total = sum(expected)
    assert [w / sum(s.weights) for w in s.weights] == pytest.approx([e / total for e in expected])
    assert_frequencies(list(s), expected)


def test_importance_class_balanced_and_momentum() -> None:
    labels = ["a"] * 8 + ["b"] * 2
    s = ImportanceSampler(10, "class_balanced", labels=labels, num_samples=20000, seed=2)
    counts = collections.Counter(labels[i] for i in s)
    assert abs(counts["a"] / 20000 - 0.5) < 5 * math.sqrt(0.25 / 20000)
    m = ImportanceSampler(3, momentum=0.75, seed=0)
    m.update_importance_scores([1], [5.0])
    assert m.scores == [1.0, 0.75 * 1.0 + 0.25 * 5.0, 1.0]


def test_importance_without_replacement_and_zero_scores() -> None:
    s = ImportanceSampler(5, num_samples=3, replacement=False, seed=0)
    s.update_importance_scores([0, 1], [0.0, 0.0])
    for _ in range(20):
        out = list(s)
        assert sorted(out) == [2, 3, 4]  # zero-score samples are never drawn
    s.update_importance_scores([2], [0.0])
    with pytest.raises(td.DataValueError, match="without replacement"):
        list(s)


def test_importance_state_restores_scores_and_order() -> None:
    a = ImportanceSampler(6, "exponential", num_samples=10, seed=3)
    a.update_importance_scores(range(6), [0.5, 1, 2, 0, 3, 1])
    list(a)
    state = json.loads(json.dumps(a.state_dict()))
    b = ImportanceSampler(6, "exponential", num_samples=10, seed=99)
    b.load_state_dict(state)
    assert b.scores == a.scores and list(b) == list(a)
    with pytest.raises(td.DataValueError, match="scores"):
        b.load_state_dict({**state, "scores": [1.0]})
    assert b.scores == a.scores  # nothing half-loaded

    def make() -> td.DataLoader:
        s = ImportanceSampler(15, "loss", num_samples=11, seed=4)
        s.update_importance_scores(range(15), [float(i % 4) + 0.5 for i in range(15)])
        return td.DataLoader(td.TensorDataset(list(range(15))), batch_size=3, sampler=s)

    check_resume(make)


def test_importance_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="strategy"):
        ImportanceSampler(3, "greedy")
    with pytest.raises(td.DataValueError, match="temperature"):
        ImportanceSampler(3, temperature=0)
    with pytest.raises(td.DataValueError, match="labels"):
        ImportanceSampler(3, "class_balanced")
    with pytest.raises(td.DataValueError, match="labels has 2"):
        ImportanceSampler(3, "class_balanced", labels=[0, 1])
    s = ImportanceSampler(3, seed=0)
    with pytest.raises(td.DataValueError, match="index"):
        s.update_importance_scores([0, 3], [1.0, 1.0])
    with pytest.raises(td.DataValueError, match="finite"):
        s.update_importance_scores([0], [float("nan")])
    with pytest.raises(td.DataValueError, match=">= 0"):
        s.update_importance_scores([0], [-1.0])
    with pytest.raises(td.DataValueError, match="values has 1"):
        s.update_importance_scores([0, 1], [1.0])
    assert s.scores == [1.0, 1.0, 1.0]  # nothing half-written
    with pytest.raises(td.DataValueError, match="momentum"):
        ImportanceSampler(3, momentum=1.0)
    zero = ImportanceSampler(3, seed=0)
    zero.update_importance_scores([0, 1, 2], [0.0, 0.0, 0.0])
    with pytest.raises(td.DataValueError, match="all zero or overflow"):
        list(zero)
    hot = ImportanceSampler(3, temperature=0.01, seed=0)
    hot.update_importance_scores([0], [1e10])  # 1e10 ** 100 overflows a float
    with pytest.raises(td.DataValueError, match="raise the temperature"):
        list(hot)


# --- AdaptiveSampler ------------------------------------------------------------------------


def test_adaptive_hard_mining_follows_smoothed_losses() -> None:
    s = AdaptiveSampler(4, "hard", momentum=0.9, num_samples=20000, seed=5)
    s.update([0, 1, 2, 3], [1.0, 11.0, 1.0, 21.0])  # ema: 1.0, 2.0, 1.0, 3.0
    assert s.scores == pytest.approx([1.0, 2.0, 1.0, 3.0])
    assert_frequencies(list(s), [1.0, 2.0, 1.0, 3.0])


def test_adaptive_frequency_balancing_uses_the_draw_counts() -> None:
    s = AdaptiveSampler(20, "frequency", num_samples=20, seed=6)
    seen: collections.Counter[int] = collections.Counter()
    for _ in range(30):
        expected = [(1 + seen[i]) ** -1.0 for i in range(20)]
        assert s.weights == pytest.approx(expected)
        seen.update(s)
    # balancing keeps the counts closer than independent draws would (sd sqrt(30) ~ 5.5)
    assert max(seen.values()) - min(seen.values()) < 12
    check_resume(
        lambda: td.DataLoader(
            td.TensorDataset(list(range(12))),
            batch_size=5,
            sampler=AdaptiveSampler(12, "frequency", seed=1),
        ),
        epochs=3,
    )


def test_adaptive_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="strategy"):
        AdaptiveSampler(3, "loss")
    with pytest.raises(td.DataValueError, match="number of samples"):
        AdaptiveSampler(0)
    with pytest.raises(td.DataValueError, match="counts"):
        AdaptiveSampler(3).load_state_dict({"seed": 0, "epoch": 0, "counts": [1, -1, 0]})


# --- CurriculumSampler ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("linear", [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]),
        ("exponential", [0.2 ** (1 - e / 4) for e in range(5)] + [1.0]),
        ("step", [0.2, 0.2, 0.6, 0.6, 1.0, 1.0]),  # num_steps=2: 0.2, 0.2 + 0.8 * 1/2, 1
    ],
)
def test_curriculum_pacing(strategy: str, expected: list[float]) -> None:
    c = CurriculumSampler(range(10), strategy, start_fraction=0.2, ramp_epochs=4, num_steps=2)
    assert [c.fraction(e) for e in range(6)] == pytest.approx(expected)


def test_curriculum_takes_the_easiest_then_grows() -> None:
    difficulty = [0.7, 0.1, 0.9, 0.3, 0.5, 0.2, 0.8, 0.4, 0.6, 0.0]
    easy_first = sorted(range(10), key=difficulty.__getitem__)
    c = CurriculumSampler(difficulty, start_fraction=0.3, ramp_epochs=7, seed=2)
    for epoch in range(9):
        k = math.ceil(min(1.0, 0.3 + 0.7 * min(1, epoch / 7)) * 10 - 1e-9)
        assert len(c) == k
        assert sorted(c) == sorted(easy_first[:k])
    anti = CurriculumSampler(difficulty, "anti", start_fraction=0.3, shuffle=False)
    assert list(anti) == easy_first[::-1][:3]  # the hardest first


def test_curriculum_resume_and_bad_input() -> None:
    check_resume(
        lambda: td.DataLoader(
            td.TensorDataset(list(range(10))),
            batch_size=3,
            sampler=CurriculumSampler([i % 5 for i in range(10)], ramp_epochs=2, seed=1),
        ),
        epochs=3,
    )
    with pytest.raises(td.DataValueError, match="strategy"):
        CurriculumSampler([1.0], "random")
    with pytest.raises(td.DataValueError, match="start_fraction"):
        CurriculumSampler([1.0], start_fraction=0)
    with pytest.raises(td.DataValueError, match="empty"):
        CurriculumSampler([])
    with pytest.raises(td.DataValueError, match="finite"):
        CurriculumSampler([1.0, float("inf")])
