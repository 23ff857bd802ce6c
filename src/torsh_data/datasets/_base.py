"""The dataset protocols and torch's combinators, with the semantics of ``torch.utils.data``.

A map-style dataset has ``__getitem__`` and ``__len__``; an iterable dataset has ``__iter__``
(and may have ``__aiter__`` for sources that are only reachable asynchronously).

>>> ds = TensorDataset([[1, 2], [3, 4], [5, 6]], [0, 1, 0])
>>> x, y = ds[1]
>>> x.tolist(), y.item()
([3, 4], 1)
>>> train, test = random_split(ds, [2, 1], seed=0)
>>> len(train), len(test)
(2, 1)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from .._checks import check_int
from .._errors import CombineError, DataIndexError, DataTypeError, DataValueError
from .._interop import is_torch_tensor
from ..random import Generator, SampleStreams, derive_seed, draw_seed, seed_source
from ..tensor import Tensor
from ._batched import batch_plan, transformed_batch

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "ShardByRank",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "TransformDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__`` and usually ``__len__``.

    A subclass may also implement ``__getitems__(indices) -> list`` to fetch a whole batch at
    once; the loader then calls it instead of ``__getitem__`` per index.

    NOTE [ Batched fetch ]: a dataset whose samples need no per-sample work may implement
    ``__getbatch__(indices)``, returning exactly what ``default_collate`` would make of
    ``[self[i] for i in indices]`` (or ``NotImplemented``). The loader uses it when its
    ``collate_fn`` is ``default_collate``, turning a batch into one bulk operation;
    :class:`TensorDataset` gathers each tensor's rows with one buffer join.

    A batched fetch that draws random numbers says so with ``batch_streams = True``: the
    loader then calls ``__getbatch__(indices, streams)`` with its
    :class:`~torsh_data.random.SampleStreams`, and sample ``i`` must draw from the stream of
    ``indices[i]``, as ``self[indices[i]]`` would in the loader. Such a fetch is only valid
    under the loader's own numbering, so wrappers that renumber indices (:class:`Subset`)
    and a :class:`TransformDataset` above it fetch per index instead.
    :class:`TransformDataset` is the one here: its batches run the transform's kernels
    (NOTE [ Batch kernels ] in :mod:`torsh_data.transforms`).
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is a stream: subclasses implement ``__iter__`` (or ``__aiter__``).

    In a loader with workers, each worker iterates its own copy. If ``__iter__`` reads
    :func:`~torsh_data.get_worker_info` (torch's recipe), each worker yields the share it
    picks and batches interleave as in torch; otherwise the loader splits the stream by
    batch, giving the batches of ``num_workers=0``.
    """

    def __iter__(self) -> Iterator[T_co]:
        if hasattr(self, "__aiter__"):
            raise DataTypeError(
                f"{type(self).__name__} can only be read asynchronously; use 'async for'"
            )
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other: Dataset[Any]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


def _is_iterable_dataset(ds: Any) -> bool:
    return isinstance(ds, IterableDataset) or (
        not hasattr(ds, "__getitem__") and (hasattr(ds, "__iter__") or hasattr(ds, "__aiter__"))
    )


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows of tensors sharing a first dimension.

    Each argument is a :class:`Tensor` or anything it can be built from (nested lists, numpy
    arrays). ``ds[i]`` is the tuple of the ``i``-th rows, as views. When any argument is a
    torch tensor, all of them are kept as (or made) torch tensors, so the samples and the
    loader's batches are torch tensors too, as with torch's ``TensorDataset``.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise DataValueError("TensorDataset needs at least one tensor")
        if any(map(is_torch_tensor, tensors)):
            self.tensors: tuple[Any, ...] = tuple(
                t if is_torch_tensor(t) else Tensor(t).torch() for t in tensors
            )
        else:
            self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.shape else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise CombineError(
                f"Size mismatch between tensors: TensorDataset tensors must share their first "
                f"dimension; got shapes {shapes}"
            )

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple([t[index] for t in self.tensors])

    def __getbatch__(self, indices: Sequence[int]) -> list[Any]:
        return [
            t.take(indices) if isinstance(t, Tensor) else t[list(indices)] for t in self.tensors
        ]

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class StackDataset(Dataset[Any]):
    """Zip datasets of equal length: ``StackDataset(a, b)[i] == (a[i], b[i])``, or a dict
    when given keyword arguments: ``StackDataset(image=a, label=b)[i] == {"image": ..., ...}``.
    """

    def __init__(self, *args: Dataset[Any], **kwargs: Dataset[Any]) -> None:
        if args and kwargs:
            raise DataValueError(
                "StackDataset: Supported either tuple-like (positional) or dict-like (keyword) "
                "datasets, but both were given; pass them one way"
            )
        if not args and not kwargs:
            raise DataValueError("StackDataset: At least one dataset should be passed")
        self.datasets: tuple[Any, ...] | dict[str, Any] = args or dict(kwargs)
        parts = args or tuple(kwargs.values())
        lengths = {len(d) for d in parts}  # type: ignore[arg-type]
        if len(lengths) != 1:
            raise DataValueError(
                f"StackDataset: Size mismatch between datasets: they must have equal "
                f"lengths, got {sorted(lengths)}"
            )
        self._length = lengths.pop()

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch: each member's ``__getitems__`` when it has one, else its samples."""
        if isinstance(self.datasets, dict):
            columns = {k: _getitems(d, indices) for k, d in self.datasets.items()}
            return [{k: c[j] for k, c in columns.items()} for j in range(len(indices))]
        return list(zip(*(_getitems(d, indices) for d in self.datasets), strict=True))

    def __len__(self) -> int:
        return self._length


def _getitems(dataset: Any, indices: list[int]) -> list[Any]:
    """``[dataset[i] for i in indices]``, through ``dataset.__getitems__`` when it has one
    (which must give one sample per index)."""
    getitems = getattr(dataset, "__getitems__", None)
    if not callable(getitems):
        return [dataset[i] for i in indices]
    samples = list(getitems(indices))
    if len(samples) != len(indices):
        raise DataValueError(
            f"Nested dataset's output size mismatch. Expected {len(indices)}, got "
            f"{len(samples)}: {type(dataset).__name__}.__getitems__ must give one sample per index"
        )
    return samples


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise CombineError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if _is_iterable_dataset(d):
                raise CombineError(
                    f"ConcatDataset does not support IterableDataset: dataset {i} is "
                    "iterable; chain iterable datasets with ChainDataset"
                )
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if not -n <= index < n:
            raise DataIndexError(f"index {index} is out of range for a dataset of length {n}")
        if index < 0:
            index += n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset[T_co]):
    """Iterable datasets one after the other."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        for i, d in enumerate(self.datasets):
            if not _is_iterable_dataset(d):
                raise CombineError(
                    f"ChainDataset only supports IterableDataset: dataset {i} is map-style; "
                    "concatenate map-style datasets with ConcatDataset"
                )

    def __iter__(self) -> Iterator[T_co]:
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class ShardByRank(IterableDataset[T_co]):
    """This process's share of an iterable dataset: every ``num_replicas``-th sample,
    starting at ``rank``; the shares of all ranks are disjoint and cover the stream.

    ``num_replicas`` and ``rank`` default as :class:`~torsh_data.DistributedSampler`'s do
    (torch.distributed, then torchrun's ``WORLD_SIZE``/``RANK``, then a single process).
    Inside a loader with workers, each rank's share is then split between its workers.

    >>> list(ShardByRank(range(7), num_replicas=3, rank=1))
    [1, 4]
    """

    def __init__(
        self, dataset: Any, num_replicas: int | None = None, rank: int | None = None
    ) -> None:
        from .._distributed import distributed_defaults

        if num_replicas is None or rank is None:
            world, env_rank = distributed_defaults()
            num_replicas = world if num_replicas is None else num_replicas
            rank = env_rank if rank is None else rank
        self.dataset = dataset
        self.num_replicas = check_int("num_replicas", num_replicas, 1)
        self.rank = check_int("rank", rank, 0, num_replicas - 1)

    def __iter__(self) -> Iterator[T_co]:
        return itertools.islice(iter(self.dataset), self.rank, None, self.num_replicas)


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    As in torch, ``subset[[i, j]]`` passes the list ``[indices[i], indices[j]]`` to the
    dataset, and a batch goes through the dataset's ``__getitems__`` when it has one. A
    subclass that overrides ``__getitem__`` gets its batches from it (torch raises instead
    unless ``__getitems__`` is overridden too).
    """

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int | list[int]) -> Any:
        if isinstance(index, list):  # as torch: the dataset gets the list of its own indices
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[index]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        if type(self).__getitem__ is not Subset.__getitem__:  # a subclass's own samples
            return [self[i] for i in indices]
        return _getitems(self.dataset, [self.indices[i] for i in indices])

    @property
    def getitems_per_sample(self) -> bool:
        """Whether :meth:`__getitems__` only gets the samples one by one (the dataset below
        has no ``__getitems__`` of its own). A loader then fetches per index instead, so each
        sample draws from its own ``(seed, epoch, index)`` stream, as it would without the
        subset: a subset (or :func:`random_split`) of a random pipeline gives the same
        samples whatever the batch size."""
        if type(self).__getitem__ is not Subset.__getitem__:
            return True
        inner = getattr(self.dataset, "__getitems__", None)
        return inner is None or bool(getattr(self.dataset, "getitems_per_sample", False))

    def _inner_batch(self) -> Any:
        """The dataset's batched fetch when a batch may go through it (NOTE [ Batched
        fetch ]: not one that draws, whose streams follow the loader's numbering)."""
        getbatch = getattr(self.dataset, "__getbatch__", None)
        if (
            getbatch is None
            or getattr(self.dataset, "batch_streams", False)
            or type(self).__getitem__ is not Subset.__getitem__
        ):
            return None
        return getbatch

    def __getbatch__(self, indices: Sequence[int]) -> Any:
        getbatch = self._inner_batch()
        if getbatch is None:
            return NotImplemented
        return getbatch([self.indices[i] for i in indices])

    def batch_plan(self) -> list[str]:
        """How a loader makes this subset's batches (see :meth:`DataLoader.plan`)."""
        inner = type(self.dataset).__name__
        if self._inner_batch() is None:
            return [f"Subset of {inner}: per sample (its batched fetch cannot serve a subset)"]
        return [f"Subset of {inner}: batched fetch (__getbatch__)"]

    def __len__(self) -> int:
        return len(self.indices)


class TransformDataset(Dataset[Any]):
    """Apply transforms to the samples of a map-style dataset, as torchvision datasets do.

    A sample ``(x, y, ...)`` becomes ``(transform(x), target_transform(y), ...)``; any other
    sample becomes ``transform(sample)``. Random transforms inside draw from the stream of the
    sample being loaded, so the result is a function of ``(seed, epoch, index)``.

    In a :class:`~torsh_data.DataLoader` whose ``collate_fn`` is ``default_collate`` (or a
    :class:`~torsh_data.transforms.BatchTransform` over it, which is that and one more step)
    the batch is made batch-wise: each step of ``transform`` with a kernel runs once on the
    stacked batch, the others per sample (NOTE [ Lifted pipelines ] in
    ``datasets/_batched.py``), with the same bytes. With any other ``collate_fn`` the samples
    are made one by one, as that function must see them. ``loader.plan()`` says which steps
    run how; ``TORSH_DATA_KERNELS=0`` in the environment turns the batch path off.

    >>> ds = TransformDataset(TensorDataset([1, 2], [0, 1]), transform=lambda x: x.item() * 10)
    >>> ds[1][0], ds[1][1].item()
    (20, 1)
    """

    def __init__(
        self,
        dataset: Dataset[Any],
        transform: Any = None,
        target_transform: Any = None,
    ) -> None:
        if transform is not None and not callable(transform):
            raise DataTypeError(f"transform must be callable, got {type(transform).__name__}")
        if target_transform is not None and not callable(target_transform):
            raise DataTypeError(
                f"target_transform must be callable, got {type(target_transform).__name__}"
            )
        self.dataset = dataset
        self.transform = transform
        self.target_transform = target_transform

    #: Its batched fetch draws from the loader's streams (NOTE [ Batched fetch ]).
    batch_streams = True

    def __getbatch__(self, indices: Sequence[int], streams: SampleStreams | None = None) -> Any:
        """The loader's batch at ``indices``: the transform's kernels on the whole batch
        (NOTE [ Lifted pipelines ] in ``datasets/_batched.py``), or ``NotImplemented``
        (outside a loader's ``streams``, or where the per-sample path must run)."""
        return transformed_batch(self, indices, streams)

    def batch_plan(self) -> list[str]:
        """How a loader makes this dataset's batches: which steps run batch-wise, which per
        sample and why (what :meth:`DataLoader.plan` shows)."""
        return batch_plan(self)

    def __getitem__(self, index: int) -> Any:
        sample = self.dataset[index]
        if isinstance(sample, tuple) and len(sample) >= 2:
            x, y, *rest = sample
            if self.transform is not None:
                x = self.transform(x)
            if self.target_transform is not None:
                y = self.target_transform(y)
            return (x, y, *rest)
        return sample if self.transform is None else self.transform(sample)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]


def random_split(
    dataset: Dataset[T_co],
    lengths: Sequence[int | float],
    generator: Any = None,
    *,
    seed: int | None = None,
) -> list[Subset[T_co]]:
    """Split a dataset into non-overlapping random subsets.

    ``lengths`` are integer sizes that add up to ``len(dataset)``, or fractions (floats) that
    add up to 1; the remainder of rounding fractions down goes one by one to the first subsets,
    as torch does. The split is a function of the root seed alone: ``seed``, or an int
    ``generator``, or one drawn from a ``torch.Generator`` (advancing it); with neither, from
    torch's global generator when torch is imported, else from :mod:`random`, so
    ``torch.manual_seed(s)`` reproduces it.

    >>> a = random_split(range(10), [0.5, 0.5], generator=3)
    >>> b = random_split(range(10), [0.5, 0.5], seed=3)
    >>> [list(x.indices) for x in a] == [list(x.indices) for x in b]
    True
    """
    root = draw_seed(seed_source(seed, generator, "random_split"))
    n = len(dataset)  # type: ignore[arg-type]
    if not lengths:
        raise DataValueError("random_split needs at least one length")
    if any(isinstance(x, bool) or not isinstance(x, (int, float)) or x < 0 for x in lengths):
        raise DataValueError(
            f"random_split lengths must be non-negative numbers, got {list(lengths)}"
        )
    if all(isinstance(x, int) for x in lengths):
        sizes = [int(x) for x in lengths]
        if sum(sizes) != n:
            raise DataValueError(
                f"Sum of input lengths does not equal the length of the input dataset: "
                f"random_split lengths add up to {sum(sizes)} but the dataset has {n} samples; "
                "give sizes that add up to its length or fractions that add up to 1"
            )
    else:
        if not math.isclose(sum(lengths), 1.0, abs_tol=1e-9):
            raise DataValueError(
                f"random_split fractions add up to {sum(lengths)}, not 1; "
                "give fractions that add up to 1 or sizes that add up to the dataset length"
            )
        sizes = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    order = Generator(derive_seed(root, "random_split")).permutation(n)
    out, start = [], 0
    for size in sizes:
        out.append(Subset(dataset, order[start : start + size]))
        start += size
    return out
