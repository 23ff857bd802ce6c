"""The samplers of ``torch.utils.data``: sequential, random, weighted, batch, distributed.

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
import collections
import itertools
import math
from collections.abc import Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from .._checks import check_bool, check_int, check_seed
from .._distributed import distributed_defaults as _distributed_defaults
from .._errors import ArgumentError, DataTypeError, DataValueError, SamplingError
from ..random import Generator, derive_seed, draw_seed, seed_source

__all__ = [
    "BatchSampler",
    "DistributedSampler",
    "DistributedSamplerWrapper",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "class_balanced_weights",
]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: an iterable of indices (or of lists of indices, for batch samplers)."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order the next iteration gives (no-op if order is fixed)."""


class _SeededSampler(Sampler[T_co]):
    """A sampler whose order is a function of ``(seed, epoch)`` (and of the state that
    ``state_dict`` returns, for samplers that learn during training).

    NOTE [ Seeds drawn per iteration ]: torch's random samplers given no seed draw one from
    their ``generator`` (or torch's global generator) each time they are iterated, at the
    first index. Ours do the same when built with neither ``seed`` nor an int ``generator``
    (``draws_seeds``): each iteration takes a new root seed from :func:`draw_seed` (then the
    order is a function of that seed, and the epoch stays put), so ``torch.manual_seed(s)``
    before an iteration replays it. :meth:`state_dict` draws the next iteration's seed early
    and records it, so a loader that saves its state resumes exactly.
    """

    auto_advance = True  # move to the next epoch after each iteration
    _varying = False  # the length changes with the epoch (see _epoch_length)
    _draws_per_iteration = False  # torch's samplers: draw a seed per iteration if none given

    def __init__(self, seed: int | None, generator: Any = None) -> None:
        source = seed_source(seed, generator, type(self).__name__)
        self.generator = generator
        self._source = source
        self.draws_seeds = self._draws_per_iteration and not isinstance(source, int)
        self.seed: int | None = None if self.draws_seeds else draw_seed(source)
        self._pending: int | None = None  # the next iteration's drawn seed, once recorded
        self.epoch = 0
        self._current: int | None = None  # length of the epoch being iterated
        self._token: object = None  # which iteration that is

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int("epoch", epoch, 0)
        self._current = None

    def state_dict(self) -> dict[str, Any]:
        """``{"seed", "epoch", ...}``: all that decides the next iteration's order (JSON-ready)."""
        seed = self.seed
        if self.draws_seeds:
            if self._pending is None:
                self._pending = draw_seed(self._source)
            seed = self._pending
        return {"seed": seed, "epoch": self.epoch, **self._extra_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            seed, epoch = state["seed"], state["epoch"]
        except (KeyError, TypeError):
            raise DataValueError(
                f"a sampler state needs 'seed' and 'epoch', got {state!r:.200}"
            ) from None
        check_seed(seed)
        self._load_extra_state(state)
        self.set_epoch(epoch)
        self.seed = seed
        if self.draws_seeds:
            self._pending = seed

    def _extra_state(self) -> dict[str, Any]:
        """What besides seed and epoch decides the order (scores, counts); JSON-ready."""
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`_extra_state` (validate before changing anything)."""

    def _generator(self, purpose: str, epoch: int | None = None) -> Generator:
        """The stream of ``purpose`` in ``epoch`` (default: the current one)."""
        assert self.seed is not None, "a sampler that draws seeds has drawn one by now"
        return Generator(derive_seed(self.seed, purpose, self.epoch if epoch is None else epoch))

    def __iter__(self) -> Iterator[T_co]:
        return self._drawn() if self.draws_seeds else self._epoch()

    def _drawn(self) -> Iterator[T_co]:
        # a generator function: the seed is drawn at the first index, as torch's samplers do
        if self._pending is None:
            self.seed = draw_seed(self._source)
        else:
            self.seed, self._pending = self._pending, None
        yield from self._epoch()

    def _epoch(self) -> Iterator[T_co]:
        if self._varying:
            order = self._order()
            token = object()
            self._current, self._token = len(order), token
            self._advance()
            return self._drain(order, token)
        stream = self._stream()
        self._advance()
        return stream

    def _advance(self) -> None:
        if self.auto_advance and not self.draws_seeds:
            self.epoch += 1

    def _drain(self, order: list[Any], token: object) -> Iterator[Any]:
        yield from order
        if self._token is token:  # this epoch is over: len() now speaks of the next one
            self._current = None

    def _epoch_length(self) -> int:
        """For samplers whose length changes with the epoch: the length of the epoch being
        iterated, else of the next one (a loader compares it with the batches it gave)."""
        return len(self._order()) if self._current is None else self._current

    def _stream(self) -> Iterator[T_co]:
        """This epoch's indices; the random draws are bound to the epoch when called."""
        return iter(self._order())

    def _order(self) -> list[Any]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


_CHUNK = 1 << 12  # indices drawn at a time by the lazy samplers


class RandomSampler(_SeededSampler[int]):
    """Random indices of ``data_source``: a permutation, or draws with replacement.

    Indices are drawn as they are consumed, so ``num_samples`` may be huge (an endless
    loader): the first index comes at once and memory stays bounded.

    Args:
        data_source: anything with a length.
        replacement: draw ``num_samples`` indices independently.
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement, more than the length gives successive permutations.
        generator: a ``torch.Generator`` to draw each iteration's seed from, or an int seed
            (as ``seed``).
        seed: root seed. With neither, each iteration draws its seed from torch's global
            generator when torch is imported, else from :mod:`random` (NOTE [ Seeds drawn
            per iteration ]).

    >>> s = RandomSampler(range(10), replacement=True, num_samples=10**12, seed=0)
    >>> it = iter(s)
    >>> len(s), all(0 <= next(it) < 10 for _ in range(5))
    (1000000000000, True)
    """

    _draws_per_iteration = True

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed, generator)
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
        return list(self._stream())

    def _stream(self) -> Iterator[int]:
        gen, n, k = self._generator("shuffle"), len(self.data_source), self.num_samples
        if not self.replacement and k <= n:  # one permutation, handed out by its list's iterator
            order = gen.permutation(n)
            return iter(order if k == n else order[:k])
        return _random_indices(gen, n, k, self.replacement)


def _random_indices(gen: Generator, n: int, k: int, replacement: bool) -> Iterator[int]:
    """``k`` indices below ``n``, drawn a chunk at a time: independent draws, or successive
    permutations cut at ``k`` (the same indices as drawing them all at once)."""
    while k > 0 and n > 0:
        take = min(k, _CHUNK) if replacement else min(k, n)
        yield from gen.integers(n, take) if replacement else gen.permutation(n)[:take]
        k -= take


class SubsetRandomSampler(_SeededSampler[int]):
    """The given indices in a random order each epoch.

    ``generator`` and ``seed`` are as for :class:`RandomSampler`.
    """

    _draws_per_iteration = True

    def __init__(
        self, indices: Sequence[int], generator: Any = None, *, seed: int | None = None
    ) -> None:
        super().__init__(seed, generator)
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def _order(self) -> list[int]:
        return [self.indices[i] for i in self._generator("shuffle").permutation(len(self.indices))]


def as_list(values: Any, name: str, what: str = "numbers") -> list[Any]:
    """``values`` (a sequence, a Tensor, an array) as a list, or a
    :class:`~torsh_data.DataTypeError` saying ``name`` must be a sequence of ``what``."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    try:
        return list(values)
    except TypeError:
        raise DataTypeError(f"{name} must be a sequence of {what}, got {values!r:.80}") from None


def check_weights(weights: Any, name: str = "weights") -> list[float]:
    """``weights`` as a list of finite floats >= 0 with at least one positive (raises
    :class:`ArgumentError` for a weight that is not a number and :class:`SamplingError` for
    one that cannot be sampled, naming the first bad entry)."""
    w = as_list(weights, name)
    for i, x in enumerate(w):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ArgumentError(
                f"{name} should be a 1d sequence of numbers, but {name}[{i}] is {x!r}"
            )
        if not math.isfinite(x) or x < 0:
            raise SamplingError(
                f"invalid multinomial distribution: {name}[{i}] is {x!r}; {name} must be "
                "finite and >= 0"
            )
    if not any(x > 0 for x in w):
        raise SamplingError(
            f"invalid multinomial distribution (sum of probabilities <= 0): {name} are all "
            "zero (or empty); at least one must be positive"
        )
    return [float(x) for x in w]


def weighted_draw(gen: Generator, weights: list[float], k: int, replacement: bool) -> list[int]:
    """``k`` indices drawn with probability proportional to ``weights``: independently (by
    inverse CDF), or without replacement as successive weighted draws would be
    (Efraimidis-Spirakis keys ``-log(1 - u) / w``, smallest first)."""
    return list(_weighted_indices(gen, weights, k, replacement))


def _weighted_indices(
    gen: Generator, weights: list[float], k: int, replacement: bool
) -> Iterator[int]:
    """:func:`weighted_draw`, lazily: with replacement, a chunk of draws at a time."""
    if replacement:
        cum = list(itertools.accumulate(weights))
        total = cum[-1]
        last = max(i for i, x in enumerate(weights) if x > 0)
        while k > 0:
            take = min(k, _CHUNK)
            yield from [min(bisect.bisect_right(cum, u * total), last) for u in gen.uniforms(take)]
            k -= take
        return
    pairs = enumerate(zip(gen.uniforms(len(weights)), weights, strict=True))
    keys = sorted((-math.log1p(-u) / w, i) for i, (u, w) in pairs if w > 0)
    yield from [i for _, i in keys[:k]]


def class_balanced_weights(labels: Sequence[Any]) -> list[float]:
    """One weight per sample, ``1 / (count of its class)``: every class gets the same total
    weight, so weighted draws see the classes equally often.

    >>> class_balanced_weights(["a", "a", "a", "b"])
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 1.0]
    """
    labels = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    if not labels:
        raise DataValueError("labels are empty; class-balanced weights need at least one label")
    try:
        counts = collections.Counter(labels)
    except TypeError:
        raise DataTypeError("labels must be hashable (ints or strings)") from None
    return [1.0 / counts[y] for y in labels]


class WeightedRandomSampler(_SeededSampler[int]):
    """Indices ``0..len(weights)-1`` drawn with probability proportional to ``weights``.

    Without replacement, indices are drawn one after another as successive weighted draws
    would (Efraimidis-Spirakis keys); zero-weight indices are never drawn. With replacement,
    they are drawn as they are consumed, so ``num_samples`` may be huge. ``generator`` and
    ``seed`` are as for :class:`RandomSampler`.

    >>> s = WeightedRandomSampler.balanced([0, 0, 0, 1], seed=0)
    >>> s.weights
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 1.0]
    """

    _draws_per_iteration = True

    def __init__(
        self,
        weights: Sequence[float] | Any,
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed, generator)
        check_bool("replacement", replacement)
        w = check_weights(weights)
        self.num_samples = check_int("num_samples", num_samples, 1)
        positive = sum(1 for x in w if x > 0)
        if not replacement and num_samples > positive:
            raise SamplingError(
                f"cannot sample n_sample > number of positive weights without replacement: "
                f"{num_samples} samples from {positive} positive weights; lower num_samples "
                "or set replacement=True"
            )
        self.weights = w
        self.replacement = replacement

    @classmethod
    def balanced(
        cls,
        labels: Sequence[Any],
        num_samples: int | None = None,
        replacement: bool = True,
        generator: Any = None,
        *,
        seed: int | None = None,
    ) -> WeightedRandomSampler:
        """Draw classes equally often: weights from :func:`class_balanced_weights`
        (``num_samples`` defaults to the number of labels)."""
        w = class_balanced_weights(labels)
        n = len(w) if num_samples is None else num_samples
        return cls(w, n, replacement, generator, seed=seed)

    def __len__(self) -> int:
        return self.num_samples

    def _order(self) -> list[int]:
        return list(self._stream())

    def _stream(self) -> Iterator[int]:
        return _weighted_indices(
            self._generator("weighted"), self.weights, self.num_samples, self.replacement
        )


class _Wrapper(Sampler[T_co]):
    """A sampler over another sampler, ``self.sampler``: the epoch and the state are the
    wrapped sampler's (a state of ``None``: it keeps none)."""

    sampler: Any

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


class BatchSampler(_Wrapper[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size``."""

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.drop_last = check_bool("drop_last", drop_last)

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


class DistributedSampler(_SeededSampler[int]):
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
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ArgumentError(
                f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.rank = rank
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


class DistributedSamplerWrapper(_Wrapper[int]):
    """This rank's share of any sampler's epoch, as :class:`DistributedSampler` splits a
    dataset: every rank runs the same (seeded) sampler, pads or cuts its order to a multiple
    of ``num_replicas`` and keeps every ``num_replicas``-th index from ``rank``.

    Every rank must build the inner sampler with the same seed; :meth:`set_epoch` is passed
    on, and the wrapper's state is the inner sampler's. A batch sampler (bucket, adaptive,
    Poisson) is split the same way, whole batches per rank: pass the wrapper as a loader's
    ``batch_sampler``.

    >>> shares = [list(DistributedSamplerWrapper(RandomSampler(range(10), seed=4), 3, r))
    ...           for r in range(3)]
    >>> sorted(set(sum(shares, []))) == list(range(10)), [len(x) for x in shares]
    (True, [4, 4, 4])
    """

    def __init__(
        self,
        sampler: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            world, env_rank = _distributed_defaults()
            num_replicas = world if num_replicas is None else num_replicas
            rank = env_rank if rank is None else rank
        self.num_replicas = check_int("num_replicas", num_replicas, 1)
        self.rank = check_int("rank", rank, 0, num_replicas - 1)
        self.drop_last = check_bool("drop_last", drop_last)
        self.sampler = sampler

    def _share(self, n: int) -> int:
        world = self.num_replicas
        return n // world if self.drop_last else -(-n // world)

    def __len__(self) -> int:
        return self._share(len(self.sampler))

    def __iter__(self) -> Iterator[int]:
        order = list(self.sampler)
        total = self._share(len(order)) * self.num_replicas
        if len(order) < total and order:
            order += (order * math.ceil((total - len(order)) / len(order)))[: total - len(order)]
        return iter(order[self.rank : total : self.num_replicas])
