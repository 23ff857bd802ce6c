"""Batch samplers that choose the batches themselves: by length, by a token budget, by
Poisson subsampling.

>>> s = AdaptiveBatchSampler([3, 9, 4, 8, 2], max_tokens=16, seed=0)
>>> sorted(len(b) for b in s)  # padded cost max(len) * count stays within 16
[1, 1, 3]
>>> p = PoissonBatchSampler(1000, sample_rate=0.01, seed=0)
>>> len(p)  # 1 / sample_rate batches per epoch
100
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Sized
from typing import Any

from .._checks import check_bool, check_int
from .._errors import DataValueError
from ._basic import _SeededSampler, as_list

__all__ = ["AdaptiveBatchSampler", "BucketBatchSampler", "PoissonBatchSampler"]


def _lengths(lengths: Any, name: str = "lengths") -> list[int]:
    out = as_list(lengths, name, "integers")
    for i, n in enumerate(out):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DataValueError(f"{name}[{i}] must be an integer >= 0, got {n!r}")
    return out


class _PooledBatchSampler(_SeededSampler[list[int]]):
    """Shuffle, cut into pools, sort each pool by length, cut pools into batches, shuffle
    the batches; subclasses say how a sorted pool is cut (:meth:`_cut`)."""

    _purpose = "bucket"
    shuffle = True

    def __init__(self, lengths: Any, pool: int, seed: int | None) -> None:
        super().__init__(seed)
        self.lengths = _lengths(lengths)
        self._pool = pool

    def batches(self, epoch: int) -> list[list[int]]:
        """The batches of ``epoch`` (does not move the epoch)."""
        gen = self._generator(self._purpose, epoch)
        n = len(self.lengths)
        order = gen.permutation(n) if self.shuffle else list(range(n))
        key = self.lengths.__getitem__
        out: list[list[int]] = []
        for start in range(0, n, self._pool):
            out += self._cut(sorted(order[start : start + self._pool], key=key))
        return [out[i] for i in gen.permutation(len(out))] if self.shuffle else out

    def _cut(self, chunk: list[int]) -> list[list[int]]:
        raise NotImplementedError

    def _order(self) -> list[list[int]]:
        return self.batches(self.epoch)


class BucketBatchSampler(_PooledBatchSampler):
    """Batches of indices whose lengths are similar, to waste little padding.

    Each epoch: shuffle the indices; cut them into pools of ``batch_size *
    bucket_size_multiplier``; sort each pool by length (stable); cut the pools into batches;
    shuffle the batches. The order is a function of ``(seed, epoch)``; like ``RandomSampler``
    the epoch moves on after each pass, and :meth:`set_epoch` chooses it.

    Args:
        lengths: the length of each sample (index ``i`` has ``lengths[i]``).
        batch_size: samples per batch.
        bucket_size_multiplier: pool size in batches (1: little sorting; large: almost a sort).
        drop_last: drop the last, smaller batch of each pool.
        seed: the root seed (``None``: a fresh one).

    >>> s = BucketBatchSampler([5, 1, 4, 2, 3, 1], batch_size=2, seed=0)
    >>> sorted(i for batch in s for i in batch)
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        bucket_size_multiplier: int = 100,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.bucket_size_multiplier = check_int("bucket_size_multiplier", bucket_size_multiplier, 1)
        self.drop_last = check_bool("drop_last", drop_last)
        super().__init__(lengths, batch_size * bucket_size_multiplier, seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.lengths), self._pool)
        tail = rest // self.batch_size if self.drop_last else -(-rest // self.batch_size)
        return full * self.bucket_size_multiplier + tail

    def _cut(self, chunk: list[int]) -> list[list[int]]:
        b = self.batch_size
        out = [chunk[i : i + b] for i in range(0, len(chunk), b)]
        return out[:-1] if self.drop_last and out and len(out[-1]) < b else out


class AdaptiveBatchSampler(_PooledBatchSampler):
    """Batches sized by a token (or memory) budget instead of a fixed count.

    Samples are pooled and sorted by length as in :class:`BucketBatchSampler`, then each
    sorted pool is cut greedily: a batch grows while its cost stays within ``max_tokens``
    (and its size within ``max_batch_size``). The cost of a batch is ``max(length) *
    count`` when it will be padded (``padding=True``, the memory a padded batch takes) and
    ``sum(length)`` when it will be packed. Collate its batches with
    :class:`~torsh_data.collate.DynamicBatchCollate`.

    Args:
        lengths: the size of each sample (tokens, pixels, bytes).
        max_tokens: the budget per batch; a sample larger than it is an error.
        max_batch_size: at most this many samples per batch (default: no limit).
        padding: cost as padded (True) or as packed/summed (False).
        pool_size: samples sorted together (default: all of them, the tightest batches).
        shuffle: shuffle before pooling and shuffle the batches (False: the given order).
        seed: root seed; ``None`` draws a fresh one.

    The number of batches depends on the epoch's shuffle; ``len()`` is that of the epoch
    being iterated (or of the next one).
    """

    _purpose = "adaptive-batch"
    _varying = True

    def __init__(
        self,
        lengths: Sequence[int],
        max_tokens: int,
        max_batch_size: int | None = None,
        padding: bool = True,
        pool_size: int | None = None,
        shuffle: bool = True,
        seed: int | None = None,
    ) -> None:
        self.max_tokens = check_int("max_tokens", max_tokens, 1)
        self.max_batch_size = (
            None if max_batch_size is None else check_int("max_batch_size", max_batch_size, 1)
        )
        self.padding = check_bool("padding", padding)
        self.shuffle = check_bool("shuffle", shuffle)
        lens = _lengths(lengths)
        pool = len(lens) if pool_size is None else check_int("pool_size", pool_size, 1)
        super().__init__(lens, max(pool, 1), seed)
        for i, n in enumerate(self.lengths):
            if n > max_tokens:
                raise DataValueError(
                    f"sample {i} has length {n}, more than max_tokens={max_tokens}; raise "
                    "the budget or truncate that sample"
                )

    def __len__(self) -> int:
        return self._epoch_length()

    def _cut(self, chunk: list[int]) -> list[list[int]]:
        out: list[list[int]] = []
        batch: list[int] = []
        longest = total = 0
        cap = self.max_batch_size or len(chunk) or 1
        for i in chunk:
            n = self.lengths[i]
            new_longest, new_total = max(longest, n), total + n
            cost = new_longest * (len(batch) + 1) if self.padding else new_total
            if batch and (cost > self.max_tokens or len(batch) == cap):
                out.append(batch)
                batch, new_longest, new_total = [], n, n
            batch.append(i)
            longest, total = new_longest, new_total
        if batch:
            out.append(batch)
        return out


class PoissonBatchSampler(_SeededSampler[list[int]]):
    """Poisson-subsampled batches, as differentially private training needs: every sample
    is in each batch independently with probability ``sample_rate``.

    Batch sizes vary (mean ``n * sample_rate``) and a batch may be empty: the privacy
    analysis of DP-SGD counts on it, so empty batches are yielded as ``[]`` unless
    ``skip_empty=True`` (which weakens that guarantee); in a DataLoader the ``collate_fn``
    must then accept an empty list (``default_collate`` refuses one). Sampling uses
    geometric gaps between members, so a batch costs about its size, not ``n``.

    Args:
        data_source: a dataset (or its length).
        sample_rate: the inclusion probability ``q`` in (0, 1].
        num_batches: batches per epoch (default ``round(1 / q)``, one pass in expectation).
        skip_empty: leave out empty batches.
        seed: root seed; ``None`` draws a fresh one.
    """

    _varying = True

    def __init__(
        self,
        data_source: Sized | int,
        sample_rate: float,
        num_batches: int | None = None,
        skip_empty: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        n = data_source if isinstance(data_source, int) else len(data_source)
        self.n = check_int("number of samples", n, 0)
        if (
            isinstance(sample_rate, bool)
            or not isinstance(sample_rate, (int, float))
            or not 0 < sample_rate <= 1
        ):
            raise DataValueError(
                f"sample_rate must be a probability in (0, 1], got {sample_rate!r}"
            )
        self.sample_rate = float(sample_rate)
        default = max(1, round(1 / self.sample_rate))
        self.num_batches = (
            default if num_batches is None else check_int("num_batches", num_batches, 1)
        )
        self.skip_empty = check_bool("skip_empty", skip_empty)

    def __len__(self) -> int:
        return self._epoch_length() if self.skip_empty else self.num_batches

    def _order(self) -> list[list[int]]:
        gen = self._generator("poisson")
        n, q = self.n, self.sample_rate
        out: list[list[int]] = []
        if q == 1.0:
            out = [list(range(n)) for _ in range(self.num_batches)]
        else:
            log1q = math.log1p(-q)
            for _ in range(self.num_batches):
                batch: list[int] = []
                i = -1
                while True:  # gap to the next member ~ Geometric(q): floor(log(1-u) / log(1-q))
                    i += 1 + int(math.log1p(-gen.random()) / log1q)
                    if i >= n:
                        break
                    batch.append(i)
                out.append(batch)
        return [b for b in out if b] if self.skip_empty else out
