"""default_collate and default_convert as torch's own tests check them, against both backends.

Each test names the test of ``pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:
test/test_dataloader.py`` whose behaviour it checks (our own code, not a copy). Values are
compared with ``tolist()``; that a batch *is* a ``torch.Tensor`` is checked separately
(issue 15, item (b)).
"""

from __future__ import annotations

import collections
from types import ModuleType

import pytest

torch = pytest.importorskip(
    "torch", reason="the conformance suite compares with torch, which is not installed here"
)
np = pytest.importorskip("numpy", reason="numpy is not installed here")

from conformance_support import BY_DESIGN_B, native, values  # noqa: E402

pytestmark = native


class CustomList(list):
    pass


class CustomDict(dict):
    pass


Point = collections.namedtuple("Point", ["x", "label"])


def test_collate_numbers_dtypes(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_dtype (values)"""
    assert values(tud.default_collate([1, 2, -1])) == [1, 2, -1]
    assert values(tud.default_collate([1.1, 2.3, -0.9])) == [1.1, 2.3, -0.9]
    assert values(tud.default_collate([True, False])) == [True, False]
    assert tud.default_collate(["a", "b", "c"]) == ["a", "b", "c"]


def test_collate_number_dtype_names(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_dtype (dtypes)"""
    names = [str(tud.default_collate(b).dtype) for b in ([1, 2], [1.5], [True])]
    assert [n.removeprefix("torch.") for n in names] == ["int64", "float64", "bool"]


def test_collate_torch_tensors_gives_torch_tensor(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_shared_tensor
    (torch tensors in, a torch tensor out)"""
    batch = tud.default_collate([torch.zeros(2), torch.ones(2)])
    assert isinstance(batch, torch.Tensor) and batch.dtype == torch.float32


@pytest.mark.torsh_xfail(reason=BY_DESIGN_B)
def test_collate_numbers_gives_torch_tensor(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_dtype
    (``assertEqual(collated, torch.tensor(arr))``: numbers collate to a torch tensor)"""
    assert isinstance(tud.default_collate([1, 2]), torch.Tensor)


def test_collate_mapping_keeps_type(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_mapping_keep_type"""
    out = tud.default_collate([CustomDict({"a": 1, "b": 2}), CustomDict({"a": 3, "b": 4})])
    assert type(out) is CustomDict
    assert values(out) == {"a": [1, 3], "b": [2, 4]}


def test_collate_sequence_keeps_type(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_sequence_keep_type"""
    out = tud.default_collate([CustomList([1, 2, 3]), CustomList([4, 5, 6])])
    assert type(out) is CustomList
    assert values(out) == [[1, 4], [2, 5], [3, 6]]


def test_collate_sequence_without_constructor(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_sequence_dont_keep_type"""
    out = tud.default_collate([range(2), range(2)])
    assert type(out) is list and values(out) == [[0, 0], [1, 1]]


def test_collate_ragged_sequences_raise_runtime_error(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_bad_sequence_type"""
    batch = [["X"], ["X", "X"]]
    for b in (batch, batch[::-1]):
        with pytest.raises(
            RuntimeError, match="each element in list of batch should be of equal size"
        ):
            tud.default_collate(b)


def test_collate_ragged_tensors_raise_runtime_error(tud: ModuleType) -> None:
    """Stacking tensors of different shapes: torch's ``stack`` raises RuntimeError (the
    ragged-batch error a torch program catches)."""
    for batch in ([torch.zeros(2), torch.zeros(3)], [np.ones((2, 3)), np.zeros((2, 4))]):
        with pytest.raises(RuntimeError):
            tud.default_collate(batch)


def test_collate_bad_numpy_types(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_bad_numpy_types"""
    assert list(tud.default_collate(np.array(["a", "b", "c"]))) == ["a", "b", "c"]
    for bad in (
        np.array([[["a", "b", "c"]]]),
        np.array([object(), object(), object()]),
        np.array([[[object(), object(), object()]]]),
    ):
        with pytest.raises(TypeError):
            tud.default_collate(bad)


def test_collate_unsupported_type(tud: ModuleType) -> None:
    """torch's ``default_collate`` raises TypeError naming what a batch may contain."""
    with pytest.raises(TypeError):
        tud.default_collate([object(), object()])


def test_collate_numpy_arrays(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_numpy (values and shape)"""

    class Arrays(tud.Dataset):
        def __getitem__(self, i: int) -> np.ndarray:
            return np.ones((2, 3, 4)) * i

        def __len__(self) -> int:
            return 1000

    batch = next(iter(tud.DataLoader(Arrays(), batch_size=12)))
    assert tuple(batch.shape) == (12, 2, 3, 4)
    assert str(batch.dtype).removeprefix("torch.") == "float64"
    assert values(batch[5])[0][0] == [5.0] * 4


@pytest.mark.parametrize(
    "dtype", ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8"]
)
def test_collate_numpy_scalars(tud: ModuleType, dtype: str) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_numpy_scalars (dtypes)"""
    batch = tud.default_collate([np.dtype(dtype).type(3), np.dtype(dtype).type(4)])
    assert str(batch.dtype).removeprefix("torch.") == dtype
    assert values(batch) == [3, 4]


@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_collate_numpy_memmap(tud: ModuleType, tmp_path: object) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_collate_numpy_memmap"""
    path = f"{tmp_path}/arr.bin"
    arr = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    mm = np.memmap(path, dtype=arr.dtype, mode="w+", shape=arr.shape)
    mm[:] = arr
    mm.flush()
    ro = np.memmap(path, dtype=arr.dtype, mode="r", shape=arr.shape)
    assert values(tud.default_collate(list(ro))) == arr.tolist()


def test_collate_dicts_of_tensors_and_numbers(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDictDataLoader.test_sequential_batch"""

    class Dicts(tud.Dataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> dict:
            return {"a_tensor": torch.full((4, 2), float(i)), "another_dict": {"a_number": i}}

    for persistent, workers in ((False, 0), (True, 1)):
        loader = tud.DataLoader(
            Dicts(), batch_size=2, shuffle=False, persistent_workers=persistent, num_workers=workers
        )
        for i, sample in enumerate(loader):
            assert set(sample) == {"a_tensor", "another_dict"}
            assert tuple(sample["a_tensor"].shape) == (2, 4, 2)
            assert values(sample["a_tensor"]) == [[[2.0 * i] * 2] * 4, [[2.0 * i + 1] * 2] * 4]
            assert values(sample["another_dict"]["a_number"]) == [2 * i, 2 * i + 1]


def test_collate_named_tuples(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestNamedTupleDataLoader.test_dataloader_with_namedtuple (structure)"""
    Batch = collections.namedtuple("Batch", ["data", "label", "random_tensor"])
    Data = collections.namedtuple("Data", ["positive", "negative"])

    class Named(tud.Dataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> tuple:
            return Batch(Data(i, -i), str(i), torch.randn(3))

    for batch in tud.DataLoader(Named(), batch_size=2):
        assert isinstance(batch, Batch) and isinstance(batch.data, Data)
        assert len(values(batch.data.positive)) == 2 and len(batch.label) == 2
    for sample in tud.DataLoader(Named(), batch_size=None):
        assert isinstance(sample, Batch) and isinstance(sample.data, Data)
        assert isinstance(sample.data.positive, int)  # not converted without batching


def test_collate_strings_with_numbers(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestStringDataLoader (without pinning)"""

    class Strings(tud.Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> tuple:
            return "12345"[i], i

    s, n = next(iter(tud.DataLoader(Strings(), batch_size=2)))
    assert list(s) == ["1", "2"] and values(n) == [0, 1]


def test_default_convert(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_default_convert_mapping_keep_type,
    test_default_convert_sequence_keep_type, test_default_convert_sequence_dont_keep_type"""
    d = tud.default_convert(CustomDict({"a": 1, "b": 2}))
    assert type(d) is CustomDict and d == {"a": 1, "b": 2}
    lst = tud.default_convert(CustomList([1, 2, 3]))
    assert type(lst) is CustomList and lst == [1, 2, 3]
    assert tud.default_convert(range(2)) == [0, 1]
    p = tud.default_convert(Point(np.arange(3), "x"))
    assert isinstance(p, Point) and values(p.x) == [0, 1, 2] and p.label == "x"


@pytest.mark.torsh_xfail(reason=BY_DESIGN_B)
def test_default_convert_numpy_gives_torch_tensor(tud: ModuleType) -> None:
    """torch's ``default_convert`` turns a numpy array into a torch tensor."""
    assert isinstance(tud.default_convert(np.arange(3)), torch.Tensor)


def test_default_convert_keeps_torch_tensors(tud: ModuleType) -> None:
    """torch's ``default_convert`` leaves torch tensors as they are (values here; the type
    with the test above)."""
    assert values(tud.default_convert(torch.arange(3))) == [0, 1, 2]
