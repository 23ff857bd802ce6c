"""Batch samplers that choose their batches: bucket (by length), adaptive (by a token
budget) and Poisson subsampling (each sample in with probability q)."""

from __future__ import annotations

import collections
import itertools
import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.collate import DynamicBatchCollate
from torsh_data.samplers import AdaptiveBatchSampler, BucketBatchSampler, PoissonBatchSampler
from torsh_data.testing import check_resume


def test_bucket_sampler_lives_with_the_samplers() -> None:
    from torsh_data.text import BucketBatchSampler as from_text

    assert from_text is BucketBatchSampler


def test_bucket_sampler_resumes_through_a_loader() -> None:
    lengths = [(i * 7) % 11 for i in range(30)]
    check_resume(
        lambda: td.DataLoader(
            td.TensorDataset(list(range(30))),
            batch_sampler=BucketBatchSampler(lengths, 4, bucket_size_multiplier=2, seed=3),
        )
    )


# --- AdaptiveBatchSampler ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 20), min_size=1, max_size=60),
    budget=st.integers(20, 80),
    padding=st.booleans(),
    cap=st.one_of(st.none(), st.integers(1, 6)),
    pool=st.one_of(st.none(), st.integers(1, 30)),
    seed=st.integers(0, 2**32),
)
def test_adaptive_batches_respect_the_budget(
    lengths: list[int], budget: int, padding: bool, cap: int | None, pool: int | None, seed: int
) -> None:
    s = AdaptiveBatchSampler(
        lengths, budget, max_batch_size=cap, padding=padding, pool_size=pool, seed=seed
    )
    expected = len(s)  # the length of the epoch about to be iterated
    batches = list(s)
    assert len(batches) == expected
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        sizes = [lengths[i] for i in b]
        cost = max(sizes) * len(b) if padding else sum(sizes)
        assert cost <= budget
        assert cap is None or len(b) <= cap


def test_adaptive_batches_are_greedy_over_the_sorted_pool() -> None:
    # No shuffle, one pool: the sorted lengths are cut greedily, so joining a batch with
    # the first sample of the next one would break the budget.
    lengths = [5, 1, 4, 4, 2, 3, 6, 2]
    s = AdaptiveBatchSampler(lengths, max_tokens=12, shuffle=False, seed=0)
    batches = list(s)
    assert batches == [[1, 4, 7, 5], [2, 3], [0, 6]]  # lengths [1,2,2,3] [4,4] [5,6]
    for b, nxt in itertools.pairwise(batches):
        grown = [lengths[i] for i in [*b, nxt[0]]]
        assert max(grown) * len(grown) > 12


def test_adaptive_sampler_and_dynamic_collate_in_a_loader() -> None:
    seqs = [list(range(1, n + 1)) for n in (3, 7, 2, 9, 4, 4, 1, 8)]

    class Seqs(td.Dataset):
        def __getitem__(self, i: int) -> list[int]:
            return seqs[i]

        def __len__(self) -> int:
            return len(seqs)

    def make() -> td.DataLoader:
        sampler = AdaptiveBatchSampler([len(s) for s in seqs], max_tokens=16, seed=7)
        return td.DataLoader(Seqs(), batch_sampler=sampler, collate_fn=DynamicBatchCollate())

    seen = []
    for batch in make():
        assert batch.data.numel() <= 16  # padded to the batch's own longest
        assert batch.data.shape[1] == max(batch.lengths.tolist())
        for row, n in zip(batch.data.tolist(), batch.lengths.tolist(), strict=True):
            assert row[:n] == list(range(1, n + 1)) and not any(row[n:])
            seen.append(n)
    assert sorted(seen) == sorted(len(s) for s in seqs)
    check_resume(make, epochs=3)


def test_adaptive_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="sample 1 has length 9"):
        AdaptiveBatchSampler([1, 9], max_tokens=8)
    with pytest.raises(td.DataValueError, match="max_tokens"):
        AdaptiveBatchSampler([1], max_tokens=0)
    with pytest.raises(td.DataValueError, match=r"lengths\[0\]"):
        AdaptiveBatchSampler([-1], max_tokens=4)
    with pytest.raises(td.DataTypeError):
        AdaptiveBatchSampler(5, max_tokens=4)  # type: ignore[arg-type]


# --- PoissonBatchSampler -----------------------------------------------------------------------


def test_poisson_inclusion_rate_and_batch_size_variance() -> None:
    n, q, batches = 200, 0.1, 2000
    s = PoissonBatchSampler(n, q, num_batches=batches, seed=11)
    out = list(s)
    assert len(out) == len(s) == batches
    sizes = [len(b) for b in out]
    # each of n * batches Bernoulli(q) trials: rate within 5 standard errors
    assert abs(sum(sizes) / (n * batches) - q) < 5 * math.sqrt(q * (1 - q) / (n * batches))
    # batch size ~ Binomial(n, q): variance n q (1 - q) = 18; the sample variance of 2000
    # draws has standard error about var * sqrt(2 / batches) = 0.57
    assert abs(statistics.variance(sizes) - n * q * (1 - q)) < 5 * 18 * math.sqrt(2 / batches)
    per_index = collections.Counter(i for b in out for i in b)
    sd = math.sqrt(batches * q * (1 - q))
    assert all(abs(per_index[i] - batches * q) < 6 * sd for i in range(n))
    assert all(b == sorted(set(b)) for b in out)  # no repeats inside a batch


def test_poisson_empty_batches_are_kept_at_their_rate() -> None:
    n, q, batches = 5, 0.2, 5000
    out = list(PoissonBatchSampler(n, q, num_batches=batches, seed=3))
    p_empty = (1 - q) ** n
    empty = sum(1 for b in out if not b) / batches
    assert abs(empty - p_empty) < 5 * math.sqrt(p_empty * (1 - p_empty) / batches)
    skipped = PoissonBatchSampler(n, q, num_batches=batches, skip_empty=True, seed=3)
    assert len(skipped) == sum(1 for b in out if b)
    assert list(skipped) == [b for b in out if b]


def test_poisson_defaults_resume_and_bad_input() -> None:
    assert len(PoissonBatchSampler(range(10), 0.25)) == 4
    assert list(PoissonBatchSampler(3, 1.0, num_batches=2, seed=0)) == [[0, 1, 2], [0, 1, 2]]
    check_resume(
        lambda: td.DataLoader(
            td.TensorDataset(list(range(40))),
            batch_sampler=PoissonBatchSampler(40, 0.2, skip_empty=True, seed=9),
        )
    )
    for bad in (0, 1.5, -0.1, float("nan"), True):
        with pytest.raises(td.DataValueError, match="sample_rate"):
            PoissonBatchSampler(10, bad)  # type: ignore[arg-type]
    with pytest.raises(td.DataValueError, match="num_batches"):
        PoissonBatchSampler(10, 0.5, num_batches=0)
