"""Datasets and random_split as torch's own tests check them, against both backends.

Each test names the test of ``pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:
test/test_dataloader.py`` whose behaviour it checks (our own code, not a copy).
"""

from __future__ import annotations

from types import ModuleType

import pytest

torch = pytest.importorskip(
    "torch", reason="the conformance suite compares with torch, which is not installed here"
)

from conformance_support import native, values  # noqa: E402

pytestmark = native


def counting_iterable(tud: ModuleType, n: int) -> object:
    class Counting(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(n))

        def __len__(self) -> int:
            return n

    return Counting()


# --- random_split --------------------------------------------------------------------------


def test_random_split_lengths_must_equal_dataset_size(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_lengths_must_equal_dataset_size"""
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        tud.random_split([1, 2, 3, 4], [1, 2])


@pytest.mark.parametrize(
    ("n", "lengths", "sizes"),
    [
        (6, [2, 4], [2, 4]),
        (6, [0.5, 0.5], [3, 3]),
        (3, [0.5, 0.5], [2, 1]),
        (106, [0.1, 0.2, 0.3, 0.4], [11, 22, 31, 42]),
    ],
)
def test_random_split_sizes(tud: ModuleType, n: int, lengths: list, sizes: list) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_splits_have_correct_size"""
    assert [len(s) for s in tud.random_split(range(n), lengths)] == sizes


@pytest.mark.parametrize("lengths", [[2, 4], [0.33, 0.67], [0.25, 0.75]])
def test_random_split_mutually_exclusive(tud: ModuleType, lengths: list) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_splits_are_mutually_exclusive"""
    data = [5, 2, 3, 4, 1, 6]
    parts = tud.random_split(data, lengths)
    assert sorted(x for part in parts for x in part) == sorted(data)


def test_random_split_indices_are_ints(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_splits_indexing_type"""
    seen: list[type] = []

    class Custom:
        def __getitem__(self, key: int) -> int:
            seen.append(type(key))
            return key * 10

        def __len__(self) -> int:
            return 5

    for lengths in ([5], [1.0]):
        part = tud.random_split(Custom(), lengths)[0]
        assert sorted(values(b)[0] for b in tud.DataLoader(part)) == [0, 10, 20, 30, 40]
    assert set(seen) == {int}


@pytest.mark.parametrize("lengths", [[0.1], [1.1]])
def test_random_split_incomplete_fractions(tud: ModuleType, lengths: list) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_incomplete_fractional_splits"""
    with pytest.raises(ValueError):
        tud.random_split([1, 2, 3, 4], lengths)


def test_random_split_generator_reproducible(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_splits_reproducibility"""

    def split() -> list[list[int]]:
        parts = tud.random_split(
            range(100), [0.33, 0.33, 0.34], generator=torch.Generator().manual_seed(42)
        )
        return [list(p) for p in parts]

    assert split() == split()


def test_random_split_follows_torch_manual_seed(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_splits_generator"""
    torch.manual_seed(7)
    a = [list(p) for p in tud.random_split(range(30), [10, 20])]
    torch.manual_seed(7)
    b = [list(p) for p in tud.random_split(range(30), [10, 20])]
    assert a == b


def test_subset_slicing(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_slicing_of_subset_of_dataset"""
    ds = tud.TensorDataset(torch.tensor([1, 2, 3, 4, 5]))
    sub = tud.Subset(ds, [0, 1, 2, 3, 4])
    assert values(sub[1:3]) == values(ds[1:3]) == [[2, 3]]
    assert values(sub[0:-1:2]) == [[1, 3]]


def test_subset_of_subset_slicing(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDatasetRandomSplit.test_slicing_of_subset_of_subset
    (a Subset indexed with a list passes the mapped list on to its dataset)"""
    ds = tud.TensorDataset(torch.tensor([1, 2, 3, 4, 5]))
    subsub = tud.Subset(tud.Subset(ds, [4, 3, 2, 1, 0]), [1, 2])
    assert values(subsub[:]) == [[4, 3]]


# --- TensorDataset -------------------------------------------------------------------------


def test_tensor_dataset_len_and_rows(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestTensorDataset.test_len, test_getitem, test_getitem_1d, test_many_tensors"""
    g = torch.Generator().manual_seed(0)
    t0, t1, t2 = torch.randn(15, 2, 3, generator=g), torch.randn(15), torch.randperm(15)
    ds = tud.TensorDataset(t0, t1, t2)
    assert len(ds) == 15
    for i in (0, 7, 14, -1):
        row = ds[i]
        assert len(row) == 3
        assert values(row) == [t0[i].tolist(), t1[i].tolist(), t2[i].tolist()]


def test_tensor_dataset_single_tensor(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestTensorDataset.test_single_tensor"""
    t = torch.arange(10.0).reshape(5, 2)
    ds = tud.TensorDataset(t)
    assert len(ds) == 5
    assert [values(ds[i]) for i in range(5)] == [[row] for row in t.tolist()]


def test_tensor_dataset_size_mismatch(tud: ModuleType) -> None:
    """torch asserts that all tensors share their first dimension (``TensorDataset.__init__``;
    no test at pytorch/pytorch@74436f902560 names it)."""
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tud.TensorDataset(torch.zeros(2), torch.zeros(3))


# --- StackDataset --------------------------------------------------------------------------


def test_stack_dataset_errors(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestStackDataset.test_empty, test_mixed, test_size_mismatch"""
    a, b = tud.TensorDataset(torch.randn(15, 10)), tud.TensorDataset(torch.randn(10, 15))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        tud.StackDataset()
    with pytest.raises(ValueError, match="Supported either"):
        tud.StackDataset(a, x=b)
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        tud.StackDataset(a, b)
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        tud.StackDataset(x=a, y=b)


def test_stack_dataset_tuples_and_dicts(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestStackDataset.test_len, test_single, test_getitem"""
    t = tud.TensorDataset(torch.arange(15.0).reshape(15, 1))
    labels = tud.TensorDataset(torch.arange(15) * 2)
    pair, named = tud.StackDataset(t, labels), tud.StackDataset(x=t, y=labels)
    assert len(pair) == len(named) == len(tud.StackDataset(t)) == 15
    for i in (0, 9):
        assert values(pair[i]) == [values(t[i]), values(labels[i])]
        assert set(named[i]) == {"x", "y"}
        assert values(named[i]["y"]) == values(labels[i])


def test_stack_dataset_getitems(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestStackDataset.test_getitems, test_getitems_raises_index_error, test_getitems_value_error"""

    class Batched(tud.Dataset):
        def __init__(self, short: bool = False) -> None:
            self.data, self.short = [10, 11, 12, 13], short

        def __getitem__(self, i: int) -> int:
            return self.data[i]

        def __getitems__(self, items: list[int]) -> list[int]:
            out = [self.data[i] for i in items]
            return out[:-1] if self.short else out

        def __len__(self) -> int:
            return 4

    labels = [1, 2, 3, 4]
    assert tud.StackDataset(Batched(), labels).__getitems__([0, 3]) == [(10, 1), (13, 4)]
    assert tud.StackDataset(t=Batched(), l=labels).__getitems__([1]) == [{"t": 11, "l": 2}]
    with pytest.raises(IndexError):
        tud.StackDataset(Batched(), labels).__getitems__([0, 4])
    with pytest.raises(ValueError, match="Nested dataset's output size mismatch"):
        tud.StackDataset(Batched(short=True), labels).__getitems__([0, 1, 2, 3])


# --- ConcatDataset and ChainDataset --------------------------------------------------------


def test_concat_dataset(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestConcatDataset.test_concat_two_singletons, test_concat_two_non_singletons(_with_empty), test_concat_raises_index_error"""
    assert [tud.ConcatDataset([[0], [1]])[i] for i in range(2)] == [0, 1]
    both = tud.ConcatDataset([[0, 1, 2, 3, 4], [], [5, 6, 7, 8, 9]])
    assert len(both) == 10
    assert [both[i] for i in (0, 5, 9, -1)] == [0, 5, 9, 9]
    with pytest.raises(IndexError):
        both[11]


def test_concat_by_adding_datasets(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestConcatDataset.test_add_dataset"""
    parts = [tud.TensorDataset(torch.full((7, 3), float(k)), torch.arange(7)) for k in range(3)]
    total = parts[0] + parts[1] + parts[2]
    assert len(total) == 21
    assert [values(total[i][0]) for i in (0, 7, 14)] == [[0.0] * 3, [1.0] * 3, [2.0] * 3]


def test_concat_refuses_iterable_datasets(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestConcatDataset.test_iterable_dataset_err"""
    d1 = tud.TensorDataset(torch.rand(7, 3), torch.rand(7))
    it1, it2 = counting_iterable(tud, 5), counting_iterable(tud, 10)
    for datasets in ([d1, it2, it1], [it2], [it1, d1]):
        with pytest.raises(AssertionError, match="does not support IterableDataset"):
            tud.ConcatDataset(datasets)
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        tud.ConcatDataset([])


@pytest.mark.parametrize("num_workers", [0, 1])
def test_chain_dataset_values(tud: ModuleType, num_workers: int) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_chain_iterable_style_dataset"""
    a, b = counting_iterable(tud, 20), counting_iterable(tud, 15)
    expected = [[i] for i in [*range(20), *range(15)]]
    for chained in (a + b, tud.ChainDataset([a, b])):
        assert len(chained) == 35
        got = list(tud.DataLoader(chained, num_workers=num_workers))
        assert [values(x) for x in got] == expected


def test_chain_dataset_refuses_map_style(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_chain_iterable_style_dataset (the errors)"""
    it = counting_iterable(tud, 3)
    mapped = tud.TensorDataset(torch.arange(3))
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(iter(it + mapped))
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(iter(tud.ChainDataset([it, mapped])))
