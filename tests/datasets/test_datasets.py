"""Datasets: torch.utils.data semantics and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import needs_torch

import torsh_data as td
from torsh_data import (
    ChainDataset,
    ConcatDataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
)


class Squares(td.Dataset[int]):
    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self) -> int:
        return self.n


class Count(IterableDataset[int]):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


def test_tensor_dataset_rows() -> None:
    ds = TensorDataset([[1, 2], [3, 4], [5, 6]], td.Tensor([7, 8, 9]))
    assert len(ds) == 3
    x, y = ds[2]
    assert x.tolist() == [5, 6] and y.item() == 9
    assert ds[-1][1].item() == 9


def test_tensor_dataset_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"first dimension; got shapes \(3,\), \(2,\)"):
        TensorDataset([1, 2, 3], [1, 2])
    with pytest.raises(td.DataValueError, match=r"\(\)"):
        TensorDataset(td.Tensor(1))
    with pytest.raises(td.DataIndexError, match="out of range"):
        TensorDataset([1, 2])[2]


def test_stack_dataset_tuple_and_dict() -> None:
    a, b = Squares(3), TensorDataset([10, 11, 12])
    assert StackDataset(a, b)[1][0] == 1
    item = StackDataset(sq=a, t=b)[2]
    assert item["sq"] == 4 and item["t"][0].item() == 12
    assert len(StackDataset(a, b)) == 3
    with pytest.raises(td.DataValueError, match="equal lengths"):
        StackDataset(a, Squares(4))
    with pytest.raises(td.DataValueError, match="Supported either"):
        StackDataset(a, x=b)
    with pytest.raises(td.DataValueError, match="At least one dataset should be passed"):
        StackDataset()


def test_concat_dataset() -> None:
    ds = Squares(2) + Squares(3)
    assert isinstance(ds, ConcatDataset)
    assert len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 0, 1, 4]
    assert ds[-1] == 4 and ds.cumulative_sizes == [2, 5]
    with pytest.raises(
        td.DataIndexError, match="index 5 is out of range for a dataset of length 5"
    ):
        ds[5]
    with pytest.raises(td.DataTypeError, match="with ChainDataset"):
        ConcatDataset([Squares(1), Count(0, 2)])
    with pytest.raises(td.DataValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    assert len(ConcatDataset([Squares(0), Squares(2)])) == 2


def test_chain_dataset() -> None:
    ds = Count(0, 2) + Count(5, 7)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 5, 6] and len(ds) == 4
    with pytest.raises(td.DataTypeError, match="map-style"):
        ChainDataset([Squares(2)])


def test_subset() -> None:
    s = Subset(Squares(10), [9, 2, 3])
    assert len(s) == 3 and s[0] == 81 and s.__getitems__([2, 1]) == [9, 4]
    nested = Subset(s, [2, 0])
    assert nested.__getitems__([0, 1]) == [9, 81]


def test_random_split_sizes_and_fractions() -> None:
    base = Squares(10)
    parts = td.random_split(base, [3, 7], seed=5)
    assert [len(p) for p in parts] == [3, 7]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(10))
    again = td.random_split(base, [3, 7], seed=5)
    assert [p.indices for p in parts] == [p.indices for p in again]
    other = td.random_split(base, [3, 7], seed=6)
    assert [p.indices for p in parts] != [p.indices for p in other]
    assert [len(p) for p in td.random_split(Squares(11), [0.5, 0.5], seed=0)] == [6, 5]
    assert [len(p) for p in td.random_split(Squares(10), [0.33, 0.33, 0.34], seed=0)] == [4, 3, 3]


def test_random_split_bad_lengths() -> None:
    with pytest.raises(td.DataValueError, match="add up to 9 but the dataset has 10"):
        td.random_split(Squares(10), [4, 5])
    with pytest.raises(ValueError, match=r"fractions add up to 0\.9"):
        td.random_split(Squares(10), [0.5, 0.4])
    with pytest.raises(td.DataValueError, match="non-negative"):
        td.random_split(Squares(10), [-1, 11])
    with pytest.raises(td.DataValueError, match="at least one"):
        td.random_split(Squares(10), [])


@given(
    st.integers(0, 60),
    st.lists(st.integers(1, 5), min_size=1, max_size=4),
    st.integers(0, 2**64 - 1),
)
def test_random_split_partitions_property(n: int, weights: list[int], seed: int) -> None:
    fractions = [w / sum(weights) for w in weights]
    fractions[-1] = 1.0 - sum(fractions[:-1])
    parts = td.random_split(Squares(n), fractions, seed=seed)
    assert sorted(i for p in parts for i in p.indices) == list(range(n))


def test_async_only_iterable_says_use_async_for() -> None:
    class AsyncOnly(IterableDataset[int]):
        def __aiter__(self):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    with pytest.raises(td.DataTypeError, match="async for"):
        iter(AsyncOnly())


def test_transform_dataset() -> None:
    base = TensorDataset([[1, 2], [3, 4]], [0, 1])
    ds = td.TransformDataset(
        base, transform=lambda x: x.astype("float32"), target_transform=lambda y: y.item()
    )
    x, y = ds[1]
    assert x.dtype is td.float32 and x.tolist() == [3.0, 4.0] and y == 1 and len(ds) == 2
    plain = td.TransformDataset(Squares(3), transform=lambda v: -v)
    assert plain[2] == -4
    assert td.TransformDataset(Squares(3))[2] == 4
    with pytest.raises(td.DataTypeError, match="transform must be callable"):
        td.TransformDataset(base, transform=3)
    with pytest.raises(td.DataTypeError, match="target_transform"):
        td.TransformDataset(base, target_transform="x")


def test_shard_by_rank() -> None:
    shards = [list(td.ShardByRank(Count(0, 10), num_replicas=3, rank=r)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    with pytest.raises(td.DataValueError, match=r"rank should be an integer in \[0, 1\]"):
        td.ShardByRank(Count(0, 3), num_replicas=2, rank=2)
    with pytest.raises(td.DataValueError, match="num_replicas"):
        td.ShardByRank(Count(0, 3), num_replicas=0, rank=0)


# --- __getitems__ as torch: Subset and StackDataset ---------------------------------------


class Recording(td.Dataset[int]):
    """Squares that record how they were asked: ``("item", i)`` or ``("items", [i, ...])``."""

    def __init__(self, n: int, batched: bool) -> None:
        self.n, self.calls = n, []
        if batched:
            self.__getitems__ = self._getitems  # type: ignore[method-assign]

    def __getitem__(self, index: Any) -> Any:
        self.calls.append(("item", index))
        if isinstance(index, list):
            return [i * i for i in index]
        return index * index

    def _getitems(self, indices: list[int]) -> list[int]:
        self.calls.append(("items", list(indices)))
        return [i * i for i in indices]

    def __len__(self) -> int:
        return self.n


def test_subset_passes_a_list_index_to_its_dataset() -> None:
    # as torch's Subset.__getitem__ (pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:
    # torch/utils/data/dataset.py): the dataset is asked once, with its own indices
    base = Recording(10, batched=False)
    assert Subset(base, [5, 6, 7])[[0, 2]] == [25, 49]
    assert base.calls == [("item", [5, 7])]


@pytest.mark.parametrize("batched", [True, False])
def test_subset_getitems_goes_through_the_datasets(batched: bool) -> None:
    base = Recording(10, batched)
    assert Subset(base, [9, 2, 3]).__getitems__([2, 0]) == [9, 81]
    assert base.calls == ([("items", [3, 9])] if batched else [("item", 3), ("item", 9)])
    loaded = list(td.DataLoader(Subset(base, [1, 2, 3, 4]), batch_size=2))
    assert [b.tolist() for b in loaded] == [[1, 4], [9, 16]]


def test_a_subset_subclass_that_overrides_getitem_gets_its_batches_from_it() -> None:
    class Negated(Subset[int]):
        def __getitem__(self, index: Any) -> Any:
            return -super().__getitem__(index)

    s = Negated(td.TensorDataset(list(range(6))), [4, 5])
    assert [b.tolist() for b in td.DataLoader(Negated(Squares(6), [4, 5]), batch_size=2)] == [
        [-16, -25]
    ]
    assert s.__getbatch__([0, 1]) is NotImplemented


@pytest.mark.parametrize("batched", [True, False])
def test_stack_dataset_getitems_per_member(batched: bool) -> None:
    # after pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:test/test_dataloader.py
    # ::TestStackDataset.test_getitems
    a, b = Recording(4, batched), Recording(4, batched=False)
    assert StackDataset(a, b).__getitems__([3, 1]) == [(9, 9), (1, 1)]
    assert a.calls == ([("items", [3, 1])] if batched else [("item", 3), ("item", 1)])
    assert b.calls == [("item", 3), ("item", 1)]
    named = StackDataset(x=Recording(4, batched), y=Squares(4))
    assert named.__getitems__([2, 0]) == [{"x": 4, "y": 4}, {"x": 0, "y": 0}]
    assert named.__getitems__([]) == [] and StackDataset(a).__getitems__([]) == []
    loaded = list(td.DataLoader(StackDataset(a, b), batch_size=4))
    assert [[t.tolist() for t in batch] for batch in loaded] == [[[0, 1, 4, 9]] * 2]


def test_stack_dataset_getitems_of_the_wrong_size_is_an_error() -> None:
    class Short(Squares):
        def __getitems__(self, indices: list[int]) -> list[int]:
            return [0]

    with pytest.raises(
        ValueError, match=r"output size mismatch\. Expected 2, got 1: Short\.__getitems__"
    ):
        StackDataset(Squares(3), Short(3)).__getitems__([0, 1])
    with pytest.raises(td.DataValueError, match="one sample per index"):
        StackDataset(a=Short(3)).__getitems__([0, 1])


# --- random_split: generator= and default seeds --------------------------------------------


def _split(**kw: Any) -> list[list[int]]:
    return [list(p.indices) for p in td.random_split(range(30), [0.3, 0.3, 0.4], **kw)]


def test_random_split_follows_the_global_generator(seed_globally: Any) -> None:
    seed_globally(21)
    first = _split()
    seed_globally(21)
    assert _split() == first and _split() != first  # each split draws a new seed
    assert sorted(i for part in first for i in part) == list(range(30))


def test_random_split_int_generator_and_errors() -> None:
    assert _split(generator=4) == _split(seed=4) != _split(seed=5)
    assert td.random_split(range(4), [2, 2], 4)[0].indices == _first_half(4)
    with pytest.raises(ValueError, match="random_split: pass seed= or generator="):
        _split(seed=1, generator=1)
    with pytest.raises(TypeError, match=r"random_split: generator must be a torch\.Generator"):
        _split(generator=object())


def _first_half(seed: int) -> list[int]:
    return list(td.random_split(range(4), [2, 2], seed=seed)[0].indices)


@needs_torch
def test_random_split_with_a_torch_generator() -> None:
    # after pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:test/test_dataloader.py
    # ::TestDatasetRandomSplit.test_splits_reproducibility
    import torch

    assert _split(generator=torch.Generator().manual_seed(1)) == _split(
        generator=torch.Generator().manual_seed(1)
    )
    g = torch.Generator().manual_seed(1)
    first, second = _split(generator=g), _split(generator=g)  # the generator advances
    assert first != second
    assert _split(generator=torch.default_generator) != _split(generator=torch.default_generator)


@pytest.mark.parametrize("split", ["subset", "random_split", "nested"])
def test_a_subset_of_a_random_pipeline_does_not_depend_on_the_batch_size(split: str) -> None:
    """Each sample of a subset draws from its own (seed, epoch, index) stream, as without the
    subset; one stream per batch made the augmentations change with the batch size."""
    base = td.TransformDataset(
        td.TensorDataset(td.arange(0, 40)),
        transform=lambda s: (s[0].item(), td.random.sample_generator().randbelow(1 << 30)),
    )
    if split == "subset":
        ds: Any = td.Subset(base, list(range(3, 30)))
    elif split == "random_split":
        ds = td.random_split(base, [0.5, 0.5], seed=7)[0]
    else:
        ds = td.Subset(td.Subset(base, list(range(1, 35))), list(range(0, 30, 2)))

    def samples(batch_size: int) -> list[Any]:
        loader = td.DataLoader(ds, batch_size=batch_size, shuffle=True, seed=5)
        return sorted(p for b in loader for p in zip(b[0].tolist(), b[1].tolist(), strict=True))

    one = samples(1)
    assert len(one) == len(ds) and samples(4) == one == samples(len(ds))
    assert len({draw for _, draw in one}) == len(one)  # the draws are the samples' own
