"""Samplers as torch's own tests check them, against both backends.

Each test names the test of ``pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:
test/test_dataloader.py`` whose behaviour it checks, or the torch source whose behaviour it
pins where that file has no test for it (our own code, not a copy).
"""

from __future__ import annotations

import math
from collections import Counter
from types import ModuleType

import pytest

torch = pytest.importorskip(
    "torch", reason="the conformance suite compares with torch, which is not installed here"
)

from conformance_support import native, values  # noqa: E402

pytestmark = native

N = 100  # the size of TestDataLoader's dataset


def stats(sampler: object) -> tuple[int, int, int, int]:
    counts = Counter(sampler)  # type: ignore[call-overload]
    repeated = sum(c > 1 for c in counts.values())
    return repeated, min(counts), max(counts), sum(counts.values())


def test_sequential_sampler(tud: ModuleType) -> None:
    """The index order every sequential TestDataLoader test relies on (``_test_sequential``)."""
    s = tud.SequentialSampler(range(7))
    assert list(s) == list(range(7)) and len(s) == 7


def test_random_sampler_draws(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_random_sampler"""
    data = range(N)
    repeated, lo, hi, total = stats(tud.RandomSampler(data, replacement=True, num_samples=N + 1))
    assert repeated > 0 and lo >= 0 and hi < N and total == N + 1
    assert stats(tud.RandomSampler(data)) == (0, 0, N - 1, N)
    assert stats(tud.RandomSampler(data, num_samples=2 * N)) == (N, 0, N - 1, 2 * N)
    repeated, lo, hi, total = stats(tud.RandomSampler(data, num_samples=N - 1))
    assert repeated == 0 and total == N - 1
    assert stats(tud.RandomSampler(data, num_samples=N + 1)) == (1, 0, N - 1, N + 1)


def test_random_sampler_argument_errors(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_random_sampler
    (the error) and ``RandomSampler.__init__``'s num_samples check"""
    with pytest.raises(
        TypeError, match="replacement should be a boolean value, but got replacement=0"
    ):
        tud.RandomSampler(range(3), replacement=0)
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
            tud.RandomSampler(range(3), num_samples=bad)


@pytest.mark.parametrize("replacement", [True, False])
def test_random_sampler_len(tud: ModuleType, replacement: bool) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_random_sampler_len_with_replacement, test_random_sampler_len_without_replacement"""
    ds = tud.TensorDataset(torch.arange(N))
    sampler = tud.RandomSampler(ds, replacement=replacement, num_samples=N + 5)
    assert len(sampler) == sum(1 for _ in sampler) == N + 5
    assert len(tud.DataLoader(ds, batch_size=1, sampler=sampler)) == N + 5
    assert len(tud.DataLoader(ds, batch_size=6, sampler=sampler)) == math.ceil((N + 5) / 6)


def test_random_sampler_endless_is_lazy(tud: ModuleType) -> None:
    """``RandomSampler(replacement=True, num_samples=10**10)`` draws as it goes (torch draws
    in chunks of 32), so an endless loader starts at once (issue 15, item 7)."""
    it = iter(tud.RandomSampler(range(10), replacement=True, num_samples=10**10))
    assert all(0 <= next(it) < 10 for _ in range(100))


def test_sampler_generator_reproducibility(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_sampler_reproducibility (generator=)"""
    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    for make in (
        lambda g: tud.RandomSampler(range(N), num_samples=5, replacement=True, generator=g),
        lambda g: tud.RandomSampler(range(N), generator=g),
        lambda g: tud.WeightedRandomSampler(weights, 5, replacement=True, generator=g),
        lambda g: tud.WeightedRandomSampler(weights, 5, replacement=False, generator=g),
        lambda g: tud.SubsetRandomSampler(range(10), generator=g),
    ):
        a = list(make(torch.Generator().manual_seed(42)))
        assert a == list(make(torch.Generator().manual_seed(42)))


def test_sampler_manual_seed_reproducibility(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_sampler_reproducibility (torch.manual_seed)"""
    for sampler in (
        tud.RandomSampler(range(N), num_samples=5, replacement=True),
        tud.RandomSampler(range(N)),
        tud.WeightedRandomSampler([0.1, 0.9, 0.4, 3.0], 5, replacement=True),
        tud.SubsetRandomSampler(range(10)),
    ):
        torch.manual_seed(0)
        first = list(sampler) + list(sampler)
        torch.manual_seed(0)
        assert list(sampler) + list(sampler) == first


def test_subset_random_sampler(tud: ModuleType) -> None:
    """The permutation of the given indices that ``SubsetRandomSampler`` yields each epoch."""
    s = tud.SubsetRandomSampler([3, 5, 7, 11])
    assert len(s) == 4 and sorted(s) == [3, 5, 7, 11]


def test_weighted_random_sampler_draws(tud: ModuleType) -> None:
    """``WeightedRandomSampler``: zero weights are never drawn; without replacement every
    index at most once."""
    w = [0.0, 1.0, 0.0, 2.0, 5.0]
    drawn = list(tud.WeightedRandomSampler(w, 200, replacement=True))
    assert len(drawn) == 200 and set(drawn) <= {1, 3, 4}
    assert sorted(tud.WeightedRandomSampler(w, 3, replacement=False)) == [1, 3, 4]
    assert len(tud.WeightedRandomSampler(torch.tensor(w), 7)) == 7


def test_weighted_random_sampler_argument_errors(tud: ModuleType) -> None:
    """``WeightedRandomSampler.__init__`` at pytorch/pytorch@74436f902560 (no test there):
    ValueError for num_samples, replacement and weights that are not 1-d."""
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        tud.WeightedRandomSampler([1.0, 2.0], num_samples=0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        tud.WeightedRandomSampler([1.0, 2.0], 2, replacement=0)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        tud.WeightedRandomSampler([[1.0, 2.0]], 2)


@pytest.mark.parametrize(
    ("weights", "num_samples", "replacement"),
    [([1.0, -2.0], 3, True), ([0.0, 0.0], 3, True), ([1.0, 2.0], 3, False)],
)
def test_weighted_random_sampler_invalid_distribution(
    tud: ModuleType, weights: list, num_samples: int, replacement: bool
) -> None:
    """torch's multinomial refuses these draws with a RuntimeError (at the first iteration;
    torsh_data already at construction, inside the same ``with`` here)."""
    with pytest.raises(RuntimeError):
        list(tud.WeightedRandomSampler(weights, num_samples, replacement=replacement))


def test_batch_sampler(tud: ModuleType) -> None:
    """The batches ``BatchSampler`` makes, with and without drop_last, and its length."""
    seq = tud.SequentialSampler(range(10))
    assert list(tud.BatchSampler(seq, 4, False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(tud.BatchSampler(seq, 4, True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(tud.BatchSampler(seq, 4, False)) == 3 and len(tud.BatchSampler(seq, 4, True)) == 2
    assert list(tud.BatchSampler(range(3), batch_size=3, drop_last=False)) == [[0, 1, 2]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0, "drop_last": False}, "batch_size should be a positive integer value"),
        ({"batch_size": True, "drop_last": False}, "batch_size should be a positive integer value"),
        ({"batch_size": 2.0, "drop_last": False}, "batch_size should be a positive integer value"),
        ({"batch_size": 2, "drop_last": 0}, "drop_last should be a boolean value"),
    ],
)
def test_batch_sampler_argument_errors(tud: ModuleType, kwargs: dict, match: str) -> None:
    """``BatchSampler.__init__`` at pytorch/pytorch@74436f902560: ValueError in these words."""
    with pytest.raises(ValueError, match=match):
        tud.BatchSampler(range(5), **kwargs)


def test_distributed_sampler_invalid_rank(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_distributed_sampler_invalid_rank"""
    data = torch.IntTensor(range(10))
    for rank in (3, -1):
        with pytest.raises(ValueError, match="Invalid rank"):
            tud.DistributedSampler(data, 3, rank)


def test_distributed_sampler_drop_last_no_duplicates(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_duplicating_data_with_drop_last"""
    data = tud.TensorDataset(torch.arange(9))
    seen: list[int] = []
    for rank in range(4):
        s = tud.DistributedSampler(data, 4, rank)
        for (batch,) in tud.DataLoader(data, batch_size=2, drop_last=True, sampler=s):
            seen += values(batch)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_distributed_sampler_shares(tud: ModuleType, shuffle: bool, drop_last: bool) -> None:
    """``DistributedSampler``'s contract: equal shares, disjoint up to the padding, covering
    the dataset (without drop_last), a new order after ``set_epoch``, the same on every rank."""
    n, world = 10, 3
    shares = []
    for rank in range(world):
        s = tud.DistributedSampler(range(n), world, rank, shuffle=shuffle, drop_last=drop_last)
        shares.append(list(s))
        assert len(s) == len(shares[-1]) == (3 if drop_last else 4)
    flat = [i for share in shares for i in share]
    if drop_last:
        assert len(set(flat)) == 9
    else:
        assert set(flat) == set(range(n)) and len(flat) == 12
    if shuffle:
        s = tud.DistributedSampler(range(50), 2, 0, shuffle=True)
        first = list(s)
        assert list(s) == first  # the epoch only moves with set_epoch
        s.set_epoch(1)
        assert list(s) != first
