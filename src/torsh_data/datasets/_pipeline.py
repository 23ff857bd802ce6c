"""DataPipeline: a stream of samples through a chain of stages (map, filter, shuffle, batch...).

A pipeline starts from a source - a map-style dataset (read in index order, or in a fresh
permutation per epoch with ``shuffle=True``), an iterable dataset or any iterable, or a
function returning an iterator - and each method returns a new pipeline with one more stage.
A stage is a plain generator function over an iterator (webdataset's habit), so
``.then(my_stage)`` adds any stage a user writes.

NOTE [ Pipeline randomness ]: the random stages (``shuffle``, a shuffled source) draw from a
key fixed when iteration starts. Inside a :class:`~torsh_data.DataLoader` the key derives from
the loader's seed and epoch (and the pipeline's own ``seed``, if given), so the stream is the
same with any ``num_workers``, on every runtime, and after a resume. Iterated by hand, the key
derives from ``seed`` (a fresh one if ``None``) and a pass counter (see :meth:`set_epoch`).
Each stage draws from its own stream, derived from the key and the stage's position.

>>> p = DataPipeline(range(10)).filter(lambda x: x % 2 == 0).map(lambda x: x * 10)
>>> list(p)
[0, 20, 40, 60, 80]
>>> [b.tolist() for b in DataPipeline(range(5)).batch(2)]
[[0, 1], [2, 3], [4]]
>>> sorted(DataPipeline(range(6), seed=1).shuffle(buffer_size=3)) == list(range(6))
True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from .._checks import check_bool, check_int, check_seed
from .._errors import DataTypeError
from ..random import Generator, _current, derive_seed, fresh_seed
from ._base import IterableDataset, _is_iterable_dataset

__all__ = ["DataPipeline"]

_Op = Callable[["DataPipeline", int], Iterator[Any]]


class DataPipeline(IterableDataset[Any]):
    """A stream of samples and the stages it goes through.

    Args:
        source: a map-style dataset, an iterable dataset, any re-iterable object (a list, a
            ``range``), or a zero-argument function returning a fresh iterator.
        shuffle: read a map-style source in a new random permutation each epoch.
        seed: fixes the random stages (NOTE [ Pipeline randomness ]); ``None`` lets the
            loader's seed decide, or draws a fresh one when iterated by hand.

    >>> from torsh_data import TensorDataset
    >>> ds = TensorDataset([1, 2, 3, 4])
    >>> sorted(x.item() for (x,) in DataPipeline(ds, shuffle=True, seed=0))
    [1, 2, 3, 4]
    """

    def __init__(self, source: Any, *, shuffle: bool = False, seed: int | None = None) -> None:
        if not (callable(source) or hasattr(source, "__iter__") or hasattr(source, "__getitem__")):
            raise DataTypeError(
                f"a pipeline source is a dataset, an iterable or a function returning an "
                f"iterator; got {type(source).__name__}"
            )
        self.source = source
        self.shuffle_source = check_bool("shuffle", shuffle)
        self._map_style = not _is_iterable_dataset(source) and hasattr(source, "__getitem__")
        if shuffle and not self._map_style:
            raise DataTypeError(
                "shuffle=True needs a map-style source (indices to permute); shuffle a stream "
                "with .shuffle(buffer_size)"
            )
        self.seed = None if seed is None else check_seed(seed)
        self._fallback_seed = fresh_seed() if seed is None else seed
        self._parent: DataPipeline | None = None
        self._op: _Op | None = None
        self._depth = 0
        self._epoch = 0

    # --- building -------------------------------------------------------------------------
    def _chain(self, op: _Op) -> DataPipeline:
        p = object.__new__(type(self))
        p.__dict__.update(self.__dict__)
        p._parent, p._op, p._depth, p._epoch = self, op, self._depth + 1, 0
        return p

    def then(self, stage: Callable[[Iterator[Any]], Iterable[Any]]) -> DataPipeline:
        """Add a stage: a function from the iterator of samples to an iterable of samples.

        >>> def pairs(it):
        ...     it = iter(it)
        ...     return zip(it, it)
        >>> list(DataPipeline(range(4)).then(pairs))
        [(0, 1), (2, 3)]
        """
        _callable("then", stage)
        return self._chain(partial(_op_then, stage))

    def map(self, fn: Callable[[Any], Any]) -> DataPipeline:
        """Apply ``fn`` to each sample."""
        _callable("map", fn)
        return self._chain(partial(_op_map, fn))

    def filter(self, predicate: Callable[[Any], Any]) -> DataPipeline:
        """Keep the samples for which ``predicate`` is true."""
        _callable("filter", predicate)
        return self._chain(partial(_op_filter, predicate))

    def take(self, n: int) -> DataPipeline:
        """The first ``n`` samples."""
        return self._chain(partial(_op_slice, 0, check_int("n", n, 0)))

    def skip(self, n: int) -> DataPipeline:
        """All but the first ``n`` samples."""
        return self._chain(partial(_op_slice, check_int("n", n, 0), None))

    def shuffle(self, buffer_size: int) -> DataPipeline:
        """Shuffle through a buffer of ``buffer_size`` samples (as tf.data and webdataset do):
        a sample leaves the buffer at a random position once it is full. The order is random
        only within a window of about ``buffer_size``; a map-style source can be shuffled
        entirely with ``DataPipeline(ds, shuffle=True)`` instead."""
        check_int("buffer_size", buffer_size, 1)
        return self._chain(partial(_op_shuffle, buffer_size, self._depth + 1))

    def batch(
        self,
        batch_size: int,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> DataPipeline:
        """Group samples into batches of ``batch_size``, made by ``collate_fn`` (default
        :func:`~torsh_data.default_collate`; pass ``list`` to keep lists). Give a loader
        over a batched pipeline ``batch_size=None``."""
        check_int("batch_size", batch_size, 1)
        check_bool("drop_last", drop_last)
        if collate_fn is None:
            from ..collate import default_collate

            collate_fn = default_collate
        _callable("batch collate_fn", collate_fn)
        return self._chain(partial(_op_batch, batch_size, drop_last, collate_fn))

    def unbatch(self) -> DataPipeline:
        """Flatten: each sample is a sequence (a list, a batch Tensor) whose items are yielded."""
        return self._chain(_op_unbatch)

    def repeat(self, times: int | None = None) -> DataPipeline:
        """Run the pipeline so far ``times`` times (``None``: forever); each pass has its own
        random key, so shuffles differ between passes."""
        if times is not None:
            check_int("times", times, 0)
        return self._chain(partial(_op_repeat, times))

    # --- running ----------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration by hand use the random key of ``epoch`` (inside a loader
        the loader's epoch decides)."""
        self._epoch = check_int("epoch", epoch, 0)

    def _iter(self, key: int) -> Iterator[Any]:
        if self._op is not None:
            assert self._parent is not None
            return self._op(self._parent, key)
        source = self.source
        if self._map_style:
            n = len(source)
            order: Iterable[int] = (
                Generator(derive_seed(key, "source")).permutation(n)
                if self.shuffle_source
                else range(n)
            )
            return (source[i] for i in order)
        if hasattr(source, "__iter__"):
            return iter(source)
        return iter(source())

    def __iter__(self) -> Iterator[Any]:
        # A generator: this body runs at the first next(), which a loader calls inside the
        # sample scope of its (seed, epoch).
        scope = _current.get()
        if scope is not None:
            key = derive_seed(scope.base, "pipeline", 0 if self.seed is None else self.seed)
        else:
            key = derive_seed(self._fallback_seed, "pipeline-epoch", self._epoch)
            self._epoch += 1
        yield from self._iter(key)


def _callable(what: str, fn: Any) -> None:
    if not callable(fn):
        raise DataTypeError(f"{what} needs a callable, got {type(fn).__name__}")


# Stages are partials of module functions, so a pipeline pickles (to spawned loader workers)
# whenever the user's functions do.
def _op_then(stage: Any, parent: DataPipeline, key: int) -> Iterator[Any]:
    return iter(stage(parent._iter(key)))


def _op_map(fn: Any, parent: DataPipeline, key: int) -> Iterator[Any]:
    return map(fn, parent._iter(key))


def _op_filter(predicate: Any, parent: DataPipeline, key: int) -> Iterator[Any]:
    return filter(predicate, parent._iter(key))


def _op_slice(start: int, stop: int | None, parent: DataPipeline, key: int) -> Iterator[Any]:
    return itertools.islice(parent._iter(key), start, stop)


def _op_unbatch(parent: DataPipeline, key: int) -> Iterator[Any]:
    return itertools.chain.from_iterable(parent._iter(key))


def _op_batch(
    size: int, drop_last: bool, collate: Any, parent: DataPipeline, key: int
) -> Iterator[Any]:
    it = parent._iter(key)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk or (drop_last and len(chunk) < size):
            return
        yield collate(chunk)


def _op_repeat(times: int | None, parent: DataPipeline, key: int) -> Iterator[Any]:
    passes = itertools.count() if times is None else range(times)
    for rep in passes:
        empty = True
        for sample in parent._iter(derive_seed(key, "repeat", rep)):
            empty = False
            yield sample
        if empty:  # an empty source repeated forever is still empty, not a hang
            return


def _op_shuffle(size: int, depth: int, parent: DataPipeline, key: int) -> Iterator[Any]:
    return _shuffle_buffer(parent._iter(key), size, Generator(derive_seed(key, "shuffle", depth)))


def _shuffle_buffer(it: Iterator[Any], size: int, gen: Generator) -> Iterator[Any]:
    buf = list(itertools.islice(it, size))
    for sample in it:
        j = gen.randbelow(len(buf))
        out, buf[j] = buf[j], sample
        yield out
    for j in gen.permutation(len(buf)):
        yield buf[j]
