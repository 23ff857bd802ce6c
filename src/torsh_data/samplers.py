"""Samplers: iterables of dataset indices, with the semantics of ``torch.utils.data``.

Random samplers take a ``seed``; their order for an epoch is a function of ``(seed, epoch)``
only, so it is the same on every runtime. ``RandomSampler``, ``SubsetRandomSampler`` and
``WeightedRandomSampler`` move to the next epoch each time they are iterated (a new order each
pass, as in torch); ``DistributedSampler`` stays on its epoch until ``set_epoch`` is called,
as in torch, so that every rank agrees.

>>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
[[0, 1], [2, 3], [4]]
>>> s = RandomSampler(range(4), seed=0)
>>> sorted(s) == [0, 1, 2, 3]
True
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ._checks import check_bool, check_int, check_seed
from ._distributed import distributed_defaults as _distributed_defaults
from ._errors import DataTypeError, DataValueError
from .random import Generator, derive_seed, fresh_seed

__all__ = [
    "BatchSampler",
    "DistributedSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: an iterable of indices (or of lists of indices, for batch samplers)."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order the next iteration gives (no-op if order is fixed)."""


class _SeededSampler(Sampler[int]):
    """A sampler whose order is a function of ``(seed, epoch)``."""

    auto_advance = True  # move to the next epoch after each iteration

    def __init__(self, seed: int | None) -> None:
        self.seed = fresh_seed() if seed is None else seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int("epoch", epoch, 0)

    def state_dict(self) -> dict[str, int]:
        """``{"seed", "epoch"}``: all that decides the next iteration's order (JSON-ready)."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            seed, epoch = state["seed"], state["epoch"]
        except (KeyError, TypeError):
            raise DataValueError(
                f"a sampler state needs 'seed' and 'epoch', got {state!r}"
            ) from None
        check_seed(seed)
        self.set_epoch(epoch)
        self.seed = seed

    def _generator(self, purpose: str) -> Generator:
        return Generator(derive_seed(self.seed, purpose, self.epoch))

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        if self.auto_advance:
            self.epoch += 1
        return iter(order)

    def _order(self) -> list[int]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(_SeededSampler):
    """Random indices of ``data_source``: a permutation, or draws with replacement.

    Args:
        data_source: anything with a length.
        replacement: draw ``num_samples`` indices independently.
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement, more than the length gives successive permutations.
        seed: root seed; ``None`` draws a fresh one.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        check_bool("replacement", replacement)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = (
            None if num_samples is None else check_int("num_samples", num_samples, 1)
        )
        if replacement and len(data_source) == 0:
            raise DataValueError("RandomSampler cannot draw with replacement from an empty dataset")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self) -> int:
        return self.num_samples

    def _order(self) -> list[int]:
        n, k = len(self.data_source), self.num_samples
        gen = self._generator("shuffle")
        if self.replacement:
            return gen.integers(n, k)
        if n == 0:
            return []
        out: list[int] = []
        while len(out) < k:
            out.extend(gen.permutation(n))
        return out[:k]


class SubsetRandomSampler(_SeededSampler):
    """The given indices in a random order each epoch."""

    def __init__(self, indices: Sequence[int], seed: int | None = None) -> None:
        super().__init__(seed)
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def _order(self) -> list[int]:
        return [self.indices[i] for i in self._generator("shuffle").permutation(len(self.indices))]


class WeightedRandomSampler(_SeededSampler):
    """Indices ``0..len(weights)-1`` drawn with probability proportional to ``weights``.

    Without replacement, indices are drawn one after another as successive weighted draws
    would (Efraimidis-Spirakis keys); zero-weight indices are never drawn.
    """

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if hasattr(weights, "tolist"):
            weights = weights.tolist()
        check_bool("replacement", replacement)
        w = list(weights)
        for i, x in enumerate(w):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise DataTypeError(
                    f"weights[{i}] is {x!r}; weights must be a flat list of numbers"
                )
            if not math.isfinite(x) or x < 0:
                raise DataValueError(f"weights[{i}] is {x!r}; weights must be finite and >= 0")
        positive = sum(1 for x in w if x > 0)
        if positive == 0:
            raise DataValueError("weights are all zero (or empty); at least one must be positive")
        self.num_samples = check_int("num_samples", num_samples, 1)
        if not replacement and num_samples > positive:
            raise DataValueError(
                f"cannot draw {num_samples} samples without replacement from {positive} "
                "positive weights; lower num_samples or set replacement=True"
            )
        self.weights = [float(x) for x in w]
        self.replacement = replacement

    def __len__(self) -> int:
        return self.num_samples

    def _order(self) -> list[int]:
        gen = self._generator("weighted")
        us = gen.uniforms(self.num_samples if self.replacement else len(self.weights))
        if self.replacement:
            cum = list(itertools.accumulate(self.weights))
            total = cum[-1]
            last = max(i for i, x in enumerate(self.weights) if x > 0)
            return [min(bisect.bisect_right(cum, u * total), last) for u in us]
        pairs = enumerate(zip(us, self.weights, strict=True))
        keys = [(-math.log1p(-u) / w, i) for i, (u, w) in pairs if w > 0]
        keys.sort()
        return [i for _, i in keys[: self.num_samples]]


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.drop_last = check_bool("drop_last", drop_last)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def state_dict(self) -> dict[str, Any] | None:
        """The wrapped sampler's state, or ``None`` if it keeps none."""
        inner = getattr(self.sampler, "state_dict", None)
        return inner() if inner is not None else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if state is None:
            return
        load = getattr(self.sampler, "load_state_dict", None)
        if load is None:
            raise DataValueError(
                f"a sampler state was given but {type(self.sampler).__name__} keeps none"
            )
        load(state)

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        size = self.batch_size
        while batch := list(itertools.islice(it, size)):
            if len(batch) < size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(_SeededSampler):
    """This rank's share of a dataset: disjoint across ranks, the union is the whole epoch.

    Without ``drop_last`` the index list is padded with its own start so every rank gets the
    same count; with it, the tail that does not divide evenly is dropped. ``num_replicas`` and
    ``rank`` default to those of an initialised ``torch.distributed`` process group, else to
    the ``WORLD_SIZE``/``RANK`` variables set by ``torchrun``, else to a single process.
    """

    auto_advance = False

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        super().__init__(seed)
        if num_replicas is None or rank is None:
            world, env_rank = _distributed_defaults()
            num_replicas = world if num_replicas is None else num_replicas
            rank = env_rank if rank is None else rank
        self.num_replicas = check_int("num_replicas", num_replicas, 1)
        self.rank = check_int("rank", rank, 0, num_replicas - 1)
        self.dataset = dataset
        self.shuffle = shuffle
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __len__(self) -> int:
        return self.num_samples

    def _order(self) -> list[int]:
        n = len(self.dataset)
        indices = self._generator("distributed").permutation(n) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0 and indices:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return indices[self.rank : self.total_size : self.num_replicas]
