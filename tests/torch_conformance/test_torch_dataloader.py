"""DataLoader semantics as torch's own tests check them, against both backends.

Each test names the test of ``pytorch/pytorch@74436f9025609987bbc69c617564f98635b67807:
test/test_dataloader.py`` whose behaviour it checks (our own code, not a copy). CUDA and
pin-memory-on-GPU tests are left out; workers use the platform's default start method.
"""

from __future__ import annotations

import math
import time
from types import ModuleType
from typing import Any

import pytest

torch = pytest.importorskip(
    "torch", reason="the conformance suite compares with torch, which is not installed here"
)

from conformance_support import native, values  # noqa: E402

pytestmark = native

N = 20


@pytest.fixture
def data() -> tuple[Any, Any]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(N, 2, 3, generator=g), torch.randperm(N // 2, generator=g).repeat(2)


def check_sequential(loader: Any, x: Any, y: Any) -> None:
    bs = loader.batch_size
    got = list(loader)
    if bs is None:
        assert [values(s) for s in got] == [[x[i].tolist(), y[i].tolist()] for i in range(N)]
        return
    assert len(got) == math.ceil(N / bs)
    for i, (xb, yb) in enumerate(got):
        assert values(xb) == x[i * bs : (i + 1) * bs].tolist()
        assert values(yb) == y[i * bs : (i + 1) * bs].tolist()


def check_shuffle(loader: Any, x: Any, y: Any) -> None:
    rows = {tuple(torch.flatten(x[i]).tolist()): int(y[i]) for i in range(N)}
    seen = []
    for xb, yb in loader:
        xs, ys = values(xb), values(yb)
        if loader.batch_size is None:
            xs, ys = [xs], [ys]
        for xi, yi in zip(xs, ys, strict=True):
            key = tuple(torch.tensor(xi).flatten().tolist())
            assert rows[key] == yi
            seen.append(key)
    assert sorted(seen) == sorted(rows)


def test_sequential(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_sequential_nonbatch, test_sequential_batch"""
    ds = tud.TensorDataset(*data)
    for bs in (None, 1, 2, 3):
        check_sequential(tud.DataLoader(ds, batch_size=bs), *data)


def test_sequential_workers(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_sequential_workers,
    test_seqential_batch_workers, test_seqential_batch_workers_prefetch"""
    ds = tud.TensorDataset(*data)
    check_sequential(tud.DataLoader(ds, num_workers=2), *data)
    check_sequential(tud.DataLoader(ds, batch_size=3, num_workers=2, prefetch_factor=3), *data)


def test_shuffle(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_shuffle,
    test_shuffle_batch_none, test_shuffle_batch, test_shuffle_workers, test_shuffle_batch_workers_prefetch"""
    ds = tud.TensorDataset(*data)
    for kwargs in (
        {},
        {"batch_size": None},
        {"batch_size": 2},
        {"batch_size": 3, "num_workers": 2},
    ):
        check_shuffle(tud.DataLoader(ds, shuffle=True, **kwargs), *data)


def test_shuffle_generator_reproducible(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_shuffle_reproducibility"""
    ds = tud.TensorDataset(*data)
    for workers in (0, 2):

        def run(workers: int = workers) -> list:
            g = torch.Generator().manual_seed(42)
            return values(list(tud.DataLoader(ds, shuffle=True, num_workers=workers, generator=g)))

        assert run() == run()


def test_shuffle_follows_torch_manual_seed(tud: ModuleType) -> None:
    """IntegrationTestDataLoaderDataPipe.test_shuffler_iterdatapipe's premise at
    pytorch/pytorch@74436f902560: ``torch.manual_seed`` fixes a shuffling loader's order."""
    ds = tud.TensorDataset(torch.arange(50))
    torch.manual_seed(123)
    a = values(list(tud.DataLoader(ds, shuffle=True, batch_size=10)))
    torch.manual_seed(123)
    assert values(list(tud.DataLoader(ds, shuffle=True, batch_size=10))) == a


def test_len(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_len"""
    ds = tud.TensorDataset(*data)
    for bs, n in ((2, 10), (3, 7)):
        loader = tud.DataLoader(ds, batch_size=bs)
        assert len(loader) == n == sum(1 for _ in loader)
    assert len(tud.DataLoader(ds, batch_size=3, drop_last=True)) == 6


def test_growing_dataset(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_growing_dataset"""
    ds = [torch.ones(4) for _ in range(4)]
    seq, shuf = tud.DataLoader(ds, shuffle=False), tud.DataLoader(ds, shuffle=True)
    ds.append(torch.ones(4))
    assert len(seq) == len(shuf) == 5


def test_iterable_dataset_len(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_iterabledataset_len"""

    class Ten(tud.IterableDataset):
        def __len__(self) -> int:
            return 10

        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(10))

    for bs, drop, n in ((1, False, 10), (1, True, 10), (2, False, 5), (3, False, 4), (3, True, 3)):
        assert len(tud.DataLoader(Ten(), batch_size=bs, drop_last=drop)) == n


def test_sampler_and_batch_sampler_iterables(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_sampler, test_batch_sampler"""
    x, _ = data
    ds = tud.TensorDataset(*data)
    for workers in (0, 2):
        loader = tud.DataLoader(ds, sampler=range(2, 12), batch_size=2, num_workers=workers)
        assert len(loader) == 5
        assert [values(b[0]) for b in loader] == [x[i : i + 2].tolist() for i in range(2, 12, 2)]
        batches = [tuple(range(i, i + 2)) for i in range(0, 10, 5)]
        batches += [tuple(range(i + 2, i + 5)) for i in range(0, 10, 5)]
        loader = tud.DataLoader(ds, batch_sampler=batches, num_workers=workers)
        assert len(loader) == 4
        assert [values(b[0]) for b in loader] == [x[list(b)].tolist() for b in batches]


def test_bulk_loading_without_auto_batching(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_bulk_loading_nobatch"""

    class Bulk(tud.Dataset):
        def __getitem__(self, indices: list[int]) -> Any:
            assert isinstance(indices, (list, tuple))
            return torch.as_tensor(indices)

        def __len__(self) -> int:
            return 35

    chunks = [list(range(i, min(i + 4, 35))) for i in range(0, 35, 4)]
    for workers in (0, 2):
        got = list(tud.DataLoader(Bulk(), batch_size=None, sampler=chunks, num_workers=workers))
        assert sorted(i for b in got for i in values(b)) == list(range(35))


def test_builtin_collection_conversion(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_builtin_collection_conversion (values)"""

    class Counting(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            return i

        def __len__(self) -> int:
            return 20

    class CountingIter(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(20))

    for workers in (0, 1):
        for ds in (Counting(), CountingIter()):
            assert list(tud.DataLoader(ds, batch_size=None, num_workers=workers)) == list(range(20))
            got = [values(b) for b in tud.DataLoader(ds, batch_size=2, num_workers=workers)]
            assert got == [[i, i + 1] for i in range(0, 20, 2)]


def test_batches_are_torch_tensors(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_builtin_collection_conversion,
    test_chain_iterable_style_dataset (``assertIsInstance(d, torch.Tensor)``)"""
    x, y = next(iter(tud.DataLoader(tud.TensorDataset(*data), batch_size=4)))
    assert isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
    assert x.size() == torch.Size([4, 2, 3])


def test_iterable_dataset_single_process(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_iterable_style_dataset (single process)"""

    class Counting(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(20))

        def __len__(self) -> int:
            return 20

    loader = tud.DataLoader(Counting(), batch_size=None)
    got = list(loader)
    assert got == list(range(20)) and all(type(d) is int for d in got)
    assert len(loader) == 20
    assert [values(b) for b in tud.DataLoader(Counting(), batch_size=7)] == [
        list(range(7)),
        list(range(7, 14)),
        list(range(14, 20)),
    ]
    assert len(list(tud.DataLoader(Counting(), batch_size=7, drop_last=True))) == 2


class WorkerSpecific:
    """``WorkerSpecificIterableDataset``: each worker yields ``range(sizes[worker id])``."""

    @staticmethod
    def make(tud: ModuleType, sizes: list[int]) -> Any:
        class Specific(tud.IterableDataset):
            def __iter__(self):  # type: ignore[no-untyped-def]
                info = tud.get_worker_info()
                assert info is not None
                return iter(range(sizes[info.id]))

            def __len__(self) -> int:
                return sum(sizes)

        return Specific()


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")
def test_iterable_dataset_split_by_get_worker_info(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_iterable_style_dataset (multiprocessing)"""
    sizes = [0, 4, 20]
    ds = WorkerSpecific.make(tud, sizes)
    got = sorted(tud.DataLoader(ds, num_workers=3, batch_size=None))
    assert got == sorted([*range(4), *range(20)])
    batches = {tuple(values(b)) for b in tud.DataLoader(ds, num_workers=3, batch_size=7)}
    assert batches == {tuple(range(4)), tuple(range(7)), tuple(range(7, 14)), tuple(range(14, 20))}


def test_multi_epochs_worker_batches(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_multi_epochs_reproducibility"""

    class PerWorker(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            info = tud.get_worker_info()
            for _ in range(20 // info.num_workers):
                yield info.id

    loader = tud.DataLoader(PerWorker(), batch_size=10, num_workers=2)
    for _ in range(2):
        assert [values(b) for b in loader] == [[0] * 10, [1] * 10]


def test_worker_init_fn_and_seed(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_worker_init_fn"""

    class Seed(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            return torch.initial_seed()

        def __len__(self) -> int:
            return 4

    def init_fn(worker_id: int) -> None:
        torch.manual_seed(12345)

    for batch in tud.DataLoader(Seed(), batch_size=2, num_workers=2, worker_init_fn=init_fn):
        assert values(batch) == [12345, 12345]


def test_get_worker_info(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_get_worker_info"""
    assert tud.get_worker_info() is None

    class Info(tud.Dataset):
        def __getitem__(self, i: int) -> list[int]:
            info = tud.get_worker_info()
            assert isinstance(info.dataset, Info)
            info.dataset.touched = True  # the worker's copy, not the loader's
            return [info.id, info.num_workers, int(info.seed == torch.initial_seed())]

        def __len__(self) -> int:
            return 6

    parent = Info()
    got = [values(b) for b in tud.DataLoader(parent, batch_size=None, num_workers=2)]
    assert {row[0] for row in got} == {0, 1}
    assert all(row[1] == 2 and row[2] == 1 for row in got)
    assert tud.get_worker_info() is None
    assert not hasattr(parent, "touched")


def test_worker_seeds_differ(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_worker_seed"""

    class Seed(tud.Dataset):
        def __getitem__(self, i: int) -> list[int]:
            return [tud.get_worker_info().id, torch.initial_seed()]

        def __len__(self) -> int:
            return 8

    rows = [values(b) for b in tud.DataLoader(Seed(), batch_size=None, num_workers=2)]
    seeds = {wid: seed for wid, seed in rows}
    assert len(seeds) == 2 and len(set(seeds.values())) == 2


@pytest.mark.parametrize("persistent", [False, True])
def test_worker_torch_random_differs_between_epochs(tud: ModuleType, persistent: bool) -> None:
    """Random transforms that use torch's global generator (as torchvision's do) in workers:
    different in each worker and in each epoch (torch seeds every epoch's workers anew, and
    persistent workers continue their streams)."""

    class Noisy(tud.Dataset):
        def __getitem__(self, i: int) -> float:
            return float(torch.rand(1))

        def __len__(self) -> int:
            return 4

    loader = tud.DataLoader(Noisy(), batch_size=2, num_workers=2, persistent_workers=persistent)
    first, second = values(list(loader)), values(list(loader))
    assert first != second
    assert len({x for batch in first + second for x in batch}) == 8


def test_error_in_dataset_propagates(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_error, test_error_workers (the first error)"""

    class Broken(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            raise NotImplementedError("no items here")

        def __len__(self) -> int:
            return 10

    for workers in (0, 2):
        with pytest.raises(NotImplementedError, match="no items here"):
            next(iter(tud.DataLoader(Broken(), batch_size=2, shuffle=True, num_workers=workers)))


@pytest.mark.parametrize("workers", [0, 2])
def test_iterator_carries_on_after_an_error(tud: ModuleType, workers: int) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_error, test_error_workers
    (every batch raises, and the iterator carries on to the end)"""

    class Broken(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            raise NotImplementedError

        def __len__(self) -> int:
            return 9

    it = iter(tud.DataLoader(Broken(), batch_size=2, shuffle=True, num_workers=workers))
    errors = 0
    while True:
        try:
            next(it)
        except NotImplementedError:
            errors += 1
        except StopIteration:
            break
        assert errors < 50
    assert errors == 5


def test_error_in_init(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_error_in_init"""

    class BadIter(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("Error in __iter__")

    def bad_init(_: int) -> None:
        raise RuntimeError("Error in worker_init_fn")

    for workers in (0, 2):
        with pytest.raises(RuntimeError, match="Error in __iter__"):
            list(tud.DataLoader(BadIter(), num_workers=workers))
    loader = tud.DataLoader(tud.TensorDataset(*data), num_workers=2, worker_init_fn=bad_init)
    with pytest.raises(RuntimeError, match="Error in worker_init_fn"):
        list(loader)


def test_timeout(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_timeout (in-process)"""

    class Slow(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            time.sleep(1)
            return i

        def __len__(self) -> int:
            return 4

    loader = tud.DataLoader(Slow(), batch_size=2, num_workers=1, timeout=0.3)
    it = iter(loader)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after"):
        next(it)
    del it, loader


def test_partial_iteration_and_multiple_loaders(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_multiple_dataloaders, test_partial_workers"""
    ds = tud.TensorDataset(*data)
    it1 = iter(tud.DataLoader(ds, num_workers=1))
    it2 = iter(tud.DataLoader(ds, num_workers=2))
    a = [next(it1), next(it1), next(it2), next(it2), next(it1), next(it2)]
    assert [values(b[1]) for b in a] == [[int(data[1][i])] for i in (0, 1, 0, 1, 2, 2)]
    del it1, it2


def test_persistent_workers_keep_their_dataset(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoaderPersistentWorkers.test_dataset_not_reset"""

    class Dummy(tud.Dataset):
        start = 0

        def __getitem__(self, i: int) -> int:
            assert self.start == 0  # the workers' copy from the first epoch
            return i

        def __len__(self) -> int:
            return 10

    ds = Dummy()
    loader = tud.DataLoader(ds, num_workers=2, persistent_workers=True)
    for epoch in range(3):
        assert [values(b) for b in loader] == [[i] for i in range(10)]
        ds.start = epoch + 1


def test_in_order_false_loses_nothing(tud: ModuleType) -> None:
    """``in_order=False`` (torch 2.6+, after pytorch/pytorch@74436f902560): a slow sample
    may be overtaken, but every sample arrives once."""

    class SlowOne(tud.Dataset):
        def __getitem__(self, i: int) -> int:
            if i == 2:
                time.sleep(0.3)
            return i

        def __len__(self) -> int:
            return 10

    for in_order in (True, False):
        got = [values(b)[0] for b in tud.DataLoader(SlowOne(), num_workers=2, in_order=in_order)]
        assert sorted(got) == list(range(10))
        if in_order:
            assert got == list(range(10))


def test_worker_processes_ordered_round_robin(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestIndividualWorkerQueue.test_ind_worker_queue
    (batch ``i`` comes from worker ``i % num_workers``)"""

    class Tagged(tud.Dataset):
        def __getitem__(self, i: int) -> list[int]:
            return [tud.get_worker_info().id, i]

        def __len__(self) -> int:
            return 32

    for workers in (1, 2):
        loader = tud.DataLoader(Tagged(), batch_size=8, num_workers=workers, timeout=10)
        for i, (wid, idx) in enumerate(values(b) for b in loader):
            assert wid == [i % workers] * 8 and idx == list(range(8 * i, 8 * i + 8))


def test_invalid_assign_after_init(tud: ModuleType, data: tuple) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_invalid_assign_after_init"""
    loader = tud.DataLoader(tud.TensorDataset(*data))
    for attr in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset"):
        with pytest.raises(ValueError):
            setattr(loader, attr, {})


def test_typing(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_typing"""

    class Some(tud.Dataset[list[int]]):
        pass

    assert tud.DataLoader[list[int]] is not None


def dataset_for_errors(tud: ModuleType) -> Any:
    return tud.TensorDataset(torch.arange(10))


def iterable_for_errors(tud: ModuleType) -> Any:
    class Counting(tud.IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(range(20))

    return Counting()


@pytest.mark.parametrize(
    ("iterable", "kwargs", "match"),
    [
        (False, {"num_workers": -1}, "num_workers option should be non-negative"),
        (False, {"timeout": -1}, "timeout option should be non-negative"),
        (
            False,
            {"batch_size": None, "drop_last": True},
            "batch_size=None option disables auto-batching",
        ),
        (
            False,
            {"num_workers": 0, "multiprocessing_context": "spawn"},
            r"multi-process loading \(num_workers > 0\), but got",
        ),
        (
            False,
            {"num_workers": 1, "multiprocessing_context": "bad"},
            "should specify a valid start method in",
        ),
        (
            False,
            {"batch_size": 11, "sampler": range(10), "shuffle": True},
            "sampler option is mutually exclusive with shuffle",
        ),
        (
            False,
            {"batch_sampler": [[0]], "sampler": range(10), "shuffle": 3},
            "sampler option is mutually exclusive with shuffle",
        ),
        (
            False,
            {"batch_size": 11, "batch_sampler": [[0]]},
            "batch_sampler option is mutually exclusive with",
        ),
        (
            False,
            {"shuffle": True, "batch_sampler": [[0]]},
            "batch_sampler option is mutually exclusive with",
        ),
        (
            False,
            {"drop_last": True, "batch_sampler": [[0]]},
            "batch_sampler option is mutually exclusive with",
        ),
        (
            False,
            {"drop_last": 3, "batch_sampler": [[0]]},
            "batch_sampler option is mutually exclusive with",
        ),
        (
            False,
            {"prefetch_factor": 2},
            "prefetch_factor option could only be specified in multiprocessing",
        ),
        (False, {"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        (False, {"batch_size": 0}, "batch_size should be a positive integer value"),
        (True, {"shuffle": True}, "DataLoader with IterableDataset: expected unspecified shuffle"),
        (True, {"shuffle": 3}, "DataLoader with IterableDataset: expected unspecified shuffle"),
        (True, {"sampler": 3}, "DataLoader with IterableDataset: expected unspecified sampler"),
        (
            True,
            {"batch_sampler": 3},
            "DataLoader with IterableDataset: expected unspecified batch_sampler",
        ),
    ],
)
def test_invalid_ctor_args_combinations(
    tud: ModuleType, iterable: bool, kwargs: dict, match: str
) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_invalid_ctor_args_combinations"""
    ds = iterable_for_errors(tud) if iterable else dataset_for_errors(tud)
    with pytest.raises(ValueError, match=match):
        tud.DataLoader(ds, **kwargs)


def test_invalid_multiprocessing_context_object(tud: ModuleType) -> None:
    """pytorch/pytorch@74436f902560:test/test_dataloader.py::TestDataLoader.test_invalid_ctor_args_combinations (TypeError)"""
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid context"):
        tud.DataLoader(dataset_for_errors(tud), num_workers=1, multiprocessing_context=object())


def test_truthy_shuffle_is_accepted(tud: ModuleType) -> None:
    """torch treats ``shuffle`` as a truth value (its tests pass ``shuffle=3``)."""
    loader = tud.DataLoader(dataset_for_errors(tud), shuffle=1, batch_size=10)
    assert sorted(values(next(iter(loader)))[0]) == list(range(10))
