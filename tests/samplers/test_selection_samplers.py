"""Active learning and federated client selection: picks against hand-worked examples and
stated frequencies, uncertainty measures against their formulas, resume, bad input."""

from __future__ import annotations

import collections
import json
import math

import pytest

import torsh_data as td
from torsh_data.samplers import ActiveLearningSampler, ClientSampler, uncertainty_scores

LINE = [[0.0], [1.0], [2.0], [10.0], [11.0], [20.0]]


def test_uncertainty_measures() -> None:
    rows = [[0.25] * 4, [0.7, 0.2, 0.1], [1.0, 0.0]]
    assert uncertainty_scores(rows) == pytest.approx(
        [math.log(4), -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1)), 0.0]
    )
    assert uncertainty_scores(rows, "margin") == pytest.approx([1.0, 0.5, 0.0])
    assert uncertainty_scores(rows, "least_confidence") == pytest.approx([0.75, 0.3, 0.0])
    with pytest.raises(td.DataValueError, match="method"):
        uncertainty_scores(rows, "variance")
    with pytest.raises(td.DataValueError, match="probabilities"):
        uncertainty_scores([[0.5, -0.1]])


def test_uncertainty_strategy_takes_the_top_and_skips_labelled() -> None:
    s = ActiveLearningSampler([0.2, 0.9, 0.4, 0.8, 0.1], budget=2, labeled=[1], seed=0)
    assert list(s) == [3, 2] and len(s) == 2
    s.mark_labeled([3, 2])
    assert list(s) == [0, 4]
    s.mark_labeled([0, 4])
    assert len(s) == 0 and list(s) == []


def test_uncertainty_ties_are_broken_at_random() -> None:
    firsts = collections.Counter(
        next(iter(ActiveLearningSampler([0.5] * 4, budget=1, seed=seed))) for seed in range(400)
    )
    for i in range(4):
        assert abs(firsts[i] / 400 - 0.25) < 5 * math.sqrt(0.25 * 0.75 / 400)


def test_diversity_is_farthest_first() -> None:
    # labelled {0 at x=0}: farthest is x=20 (index 5); then from {0, 20}: distances
    # 1, 2, 10, 9 -> x=10 (index 3); then 1, 2, 1 -> x=2 (index 2)
    s = ActiveLearningSampler([0.0] * 6, budget=3, strategy="diversity", features=LINE, labeled=[0])
    assert list(s) == [5, 3, 2]


def test_uncertainty_and_diversity_mix() -> None:
    unc = [0.0, 1.0, 0.0, 0.0, 0.0, 0.2]
    both = ActiveLearningSampler(
        unc, 1, "uncertainty_diversity", features=LINE, labeled=[0], diversity_weight=0.5
    )
    # scores 0.5 * d / 20 + 0.5 * u / 1: index 1 -> 0.025 + 0.5, index 5 -> 0.5 + 0.1
    assert list(both) == [5]
    near = ActiveLearningSampler(
        unc, 1, "uncertainty_diversity", features=LINE, labeled=[0], diversity_weight=0.1
    )
    # index 1 -> 0.9 + 0.1 / 20, index 5 -> 0.18 + 0.1
    assert list(near) == [1]


def test_active_state_round_trip_and_bad_input() -> None:
    a = ActiveLearningSampler([0.3, 0.1, 0.7, 0.5], budget=1, seed=4)
    a.mark_labeled([2])
    a.update_uncertainties([1], [0.9])
    b = ActiveLearningSampler([0.0] * 4, budget=1, seed=0)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert list(b) == list(a) == [1]
    with pytest.raises(td.DataValueError, match="features"):
        ActiveLearningSampler([0.1], 1, "diversity")
    with pytest.raises(td.DataValueError, match="strategy"):
        ActiveLearningSampler([0.1], 1, "random")
    with pytest.raises(td.DataValueError, match="budget"):
        ActiveLearningSampler([0.1], 0)
    with pytest.raises(td.DataValueError, match="labeled index"):
        ActiveLearningSampler([0.1], 1, labeled=[3])
    with pytest.raises(td.DataValueError, match="rows"):
        ActiveLearningSampler([0.1, 0.2], 1, "diversity", features=[[0.0], [1.0, 2.0]])
    with pytest.raises(td.DataValueError, match="values has 1"):
        a.update_uncertainties([0, 1], [0.5])


# --- federated client selection -------------------------------------------------------------


def test_random_clients_are_uniform_and_distinct() -> None:
    s = ClientSampler(10, clients_per_round=3, seed=1)
    counts: collections.Counter[int] = collections.Counter()
    rounds = 1000
    for _ in range(rounds):
        picked = list(s)
        assert len(picked) == len(set(picked)) == 3
        counts.update(picked)
    p = 3 / 10
    for c in range(10):
        assert abs(counts[c] / rounds - p) < 5 * math.sqrt(p * (1 - p) / rounds)
    assert s.select(7) == ClientSampler(10, 3, seed=1).select(7)  # a function of seed, round


def test_quality_clients_follow_successive_weighted_draws() -> None:
    quality = [0.0, 1.0, 1.0, 2.0]
    s = ClientSampler(4, 1, "quality", quality=quality, seed=2)
    counts = collections.Counter(c for r in range(4000) for c in s.select(r))
    assert counts[0] == 0
    for c, q in enumerate(quality):
        p = q / 4
        assert abs(counts[c] / 4000 - p) < 5 * math.sqrt(p * (1 - p) / 4000) + 1e-12
    # two per round without replacement: P(client 3 in) = 1/2 + 1/4 * 2/3 * 2 = 5/6
    two = ClientSampler(4, 2, "quality", quality=quality, seed=3)
    hits = sum(3 in two.select(r) for r in range(3000))
    assert abs(hits / 3000 - 5 / 6) < 5 * math.sqrt(5 / 36 / 3000)


def test_all_and_diversity_clients() -> None:
    assert list(ClientSampler(5, strategy="all", seed=0)) == [0, 1, 2, 3, 4]
    counts = [[9, 1], [10, 0], [0, 10], [1, 9]]
    for r in range(20):  # two rounds' clients always cover both label profiles
        picked = ClientSampler(4, 2, "diversity", label_counts=counts, seed=r).select(0)
        assert {counts[c][0] > 5 for c in picked} == {True, False}


def test_client_sampler_resume_and_bad_input() -> None:
    from torsh_data.testing import check_resume

    check_resume(
        lambda: td.DataLoader(
            td.TensorDataset(list(range(8))), batch_size=2, sampler=ClientSampler(8, 5, seed=3)
        ),
        epochs=3,
    )
    with pytest.raises(td.DataValueError, match="clients_per_round"):
        ClientSampler(3, 4)
    with pytest.raises(td.DataValueError, match="quality"):
        ClientSampler(3, 1, "quality")
    with pytest.raises(td.DataValueError, match="quality has 2"):
        ClientSampler(3, 1, "quality", quality=[1.0, 1.0])
    with pytest.raises(td.DataValueError, match="positive quality"):
        ClientSampler(3, 2, "quality", quality=[1.0, 0.0, 0.0])
    with pytest.raises(td.DataValueError, match="label_counts"):
        ClientSampler(3, 1, "diversity")
    with pytest.raises(td.DataValueError, match="strategy"):
        ClientSampler(3, 1, "fastest")


def test_diversity_from_a_federated_dataset() -> None:
    from torsh_data.federated import FederatedDataset

    labels = [0] * 8 + [1] * 8
    ds = td.TensorDataset(list(range(16)), labels)
    # clients 0, 1 hold label 0; clients 2, 3 label 1
    fd = FederatedDataset(
        ds, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]], labels
    )
    for seed in range(10):
        picked = ClientSampler(fd, 2, "diversity", seed=seed).select(0)
        assert sorted(c // 2 for c in picked) == [0, 1]
    by_dict = ClientSampler(3, 2, "diversity", label_counts=[{"a": 5}, {"a": 5}, {"b": 2}], seed=0)
    assert 2 in by_dict.select(0)
