"""DataLoader: sampler -> fetch -> collate, iterated with ``for`` or ``async for``."""

from __future__ import annotations

import itertools
import math
import multiprocessing
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from .._checks import check_bool, check_int, check_seed
from .._errors import ArgumentError, DataTypeError, DataValueError
from .._interop import optional_import
from .._runtime import IN_PYODIDE
from ..collate import default_collate, default_convert
from ..datasets import _is_iterable_dataset
from ..random import fresh_seed
from ..samplers import BatchSampler, RandomSampler, SequentialSampler
from ._executor import Executor, SerialExecutor
from ._fetch import Fetcher, IterableFetcher, MapFetcher
from ._helpers import pin_memory as pin_batch
from ._webworkers import WebWorkerExecutor
from ._workers import ProcessExecutor

__all__ = ["DataLoader"]


class DataLoader:
    """Batches from a dataset, with the arguments of ``torch.utils.data.DataLoader``.

    Each iteration is a new epoch; the order and every sample's random stream derive from
    ``(seed, epoch)``, so one seed gives the same batches on every runtime.

    Args:
        dataset: a map-style dataset (``__getitem__``/``__len__``) or an iterable one.
        batch_size: samples per batch, or ``None`` to yield samples one by one (converted
            with :func:`~torsh_data.default_convert` unless a ``collate_fn`` is given).
        shuffle: reshuffle each epoch (map-style datasets only).
        sampler: an iterable of indices, instead of ``shuffle``.
        batch_sampler: an iterable of index lists, instead of ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        drop_last: drop a last batch smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default
            :func:`~torsh_data.default_collate`).
        seed: root seed; ``None`` draws a fresh one, kept in ``loader.seed``.
        num_workers: load in this many worker processes (0: in the calling thread); in
            Pyodide, in Web Workers (``worker_threads`` under Node.js), iterated with
            ``async for``. The batches are the same for every value (NOTE [ Same batches
            with workers ]).
        prefetch_factor: batches in flight per worker (default 2).
        persistent_workers: keep the workers between epochs.
        timeout: seconds to wait for a batch from the workers before giving up (0: forever;
            a dead worker is reported either way).
        in_order: False lets a batch that is ready overtake one that is not.
        worker_init_fn: called in each worker with its id, before loading.
        multiprocessing_context: ``"fork"``, ``"spawn"``, ``"forkserver"`` or a context.
        executor: where batches are loaded, instead of ``num_workers``.
        pin_memory: hand out batches as torch tensors in pinned memory (see
            :func:`~torsh_data.loader.pin_memory`; needs torch, so not in the browser).

    >>> from torsh_data import TensorDataset
    >>> loader = DataLoader(TensorDataset(list(range(6))), batch_size=4, shuffle=True, seed=1)
    >>> [len(x) for (x,) in loader]
    [4, 2]
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        drop_last: bool = False,
        collate_fn: Callable[[Any], Any] | None = None,
        seed: int | None = None,
        num_workers: int = 0,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        timeout: float = 0,
        in_order: bool = True,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        executor: Executor | None = None,
        pin_memory: bool = False,
    ) -> None:
        self.dataset = dataset
        self.seed = fresh_seed() if seed is None else check_seed(seed)
        self._iterable = _is_iterable_dataset(dataset)
        _check_options(
            self._iterable,
            batch_size,
            shuffle,
            sampler,
            batch_sampler,
            drop_last,
            num_workers,
            prefetch_factor,
            persistent_workers,
            timeout,
            multiprocessing_context,
        )
        shuffle = None if shuffle is None else bool(shuffle)  # torch takes any truthy value
        if num_workers and executor is not None:
            raise DataValueError("pass num_workers or an executor, not both")
        if num_workers and IN_PYODIDE:  # NOTE [ Web Worker pool ] in _webworkers.py
            executor = WebWorkerExecutor(
                num_workers,
                2 if prefetch_factor is None else prefetch_factor,
                persistent_workers,
                timeout,
                in_order,
                worker_init_fn,
            )
        elif num_workers:
            executor = ProcessExecutor(
                num_workers,
                2 if prefetch_factor is None else prefetch_factor,
                persistent_workers,
                timeout,
                in_order,
                worker_init_fn,
                multiprocessing_context,
            )
        self.num_workers = num_workers
        self.executor: Executor = executor or SerialExecutor()
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        self._own_sampler = False
        if not self._iterable and sampler is None:
            if shuffle:
                sampler = RandomSampler(dataset, seed=self.seed)
                self._own_sampler = True
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)
        self.pin_memory = check_bool("pin_memory", pin_memory)
        if pin_memory:
            optional_import("torch", "torch", "DataLoader(pin_memory=True)")
        self._next_epoch = 0
        self._skip = 0  # batches of the next epoch already consumed before a resume
        self._progress: _Progress | None = None

    @property
    def epoch(self) -> int:
        """The epoch the next iteration will produce."""
        return self._next_epoch

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce ``epoch`` (its order and random streams)."""
        self._next_epoch = check_int("epoch", epoch, 0)

    def __len__(self) -> int:
        if not self._iterable:
            index_source = self.batch_sampler if self.batch_sampler is not None else self.sampler
            return len(index_source)
        try:
            n = len(self.dataset)
        except TypeError:
            raise DataTypeError(
                f"{type(self.dataset).__name__} has no length, so neither has this loader"
            ) from None
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    # --- iteration -----------------------------------------------------------------------
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def _start_epoch(self) -> tuple[Fetcher, Iterator[Any], _Progress]:
        epoch = self._next_epoch
        self._next_epoch += 1
        skip, self._skip = self._skip, 0
        if self._iterable:
            stream = IterableFetcher(
                self.dataset, self.collate_fn, self.seed, epoch, self.batch_size, self.drop_last
            )
            self._progress = _Progress(epoch, skip, None)
            return stream, itertools.count(skip), self._progress
        if self._own_sampler:
            self.sampler.set_epoch(epoch)
        index_sampler = self._index_sampler()
        get_state = getattr(index_sampler, "state_dict", None)
        self._progress = _Progress(epoch, skip, get_state() if get_state is not None else None)
        batched = self.batch_sampler is not None
        fetcher = MapFetcher(
            self.dataset, self.collate_fn, self.seed, epoch, auto_collation=batched
        )
        return fetcher, itertools.islice(iter(index_sampler), skip, None), self._progress

    def __iter__(self) -> Iterator[Any]:
        fetcher, tasks, progress = self._start_epoch()
        for batch in self.executor.run(fetcher, tasks):
            progress.batches += 1
            yield pin_batch(batch) if self.pin_memory else batch
        progress.done = True

    async def __aiter__(self) -> AsyncIterator[Any]:
        fetcher, tasks, progress = self._start_epoch()
        async for batch in self.executor.arun(fetcher, tasks):
            progress.batches += 1
            yield pin_batch(batch) if self.pin_memory else batch
        progress.done = True

    # --- exact resume ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Where this loader is, as JSON-ready data: restoring it with
        :meth:`load_state_dict` continues with exactly the batches an uninterrupted run
        would give next (mid-epoch included). Batches count as done once handed out.
        """
        p = self._progress
        finished = p is None or p.done or (p.batches == self._length_or_none())
        if finished:
            epoch, batches = self._next_epoch, 0
            get_state = getattr(self._index_sampler(), "state_dict", None)
            sampler = get_state() if get_state is not None and not self._own_sampler else None
        else:
            assert p is not None
            epoch, batches, sampler = p.epoch, p.batches, None if self._own_sampler else p.sampler
        return {
            "version": 1,
            "seed": self.seed,
            "epoch": epoch,
            "batches": batches,
            "sampler": sampler,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: the next iteration resumes that epoch."""
        if not isinstance(state, dict) or state.get("version") != 1:
            raise DataValueError(f"not a DataLoader state (version 1): {state!r:.200}")
        try:
            seed, epoch, batches, sampler = (
                state[k] for k in ("seed", "epoch", "batches", "sampler")
            )
        except KeyError as exc:
            raise DataValueError(f"DataLoader state lacks {exc.args[0]!r}") from None
        for key, value in (("seed", seed), ("epoch", epoch), ("batches", batches)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or (key != "seed" and value < 0)
            ):
                raise DataValueError(
                    f"DataLoader state {key!r} must be an integer >= 0, got {value!r}"
                )
        self.seed = seed
        if self._own_sampler:
            self.sampler.seed = seed
        if sampler is not None:
            load = getattr(self._index_sampler(), "load_state_dict", None)
            if load is None:
                raise DataValueError(
                    "the state carries a sampler state but this loader's sampler keeps none"
                )
            load(sampler)
        self._next_epoch, self._skip, self._progress = epoch, batches, None

    def _length_or_none(self) -> int | None:
        try:
            return len(self)
        except TypeError:
            return None


def _check_options(
    iterable: bool,
    batch_size: Any,
    shuffle: Any,
    sampler: Any,
    batch_sampler: Any,
    drop_last: Any,
    num_workers: Any,
    prefetch_factor: Any,
    persistent_workers: Any,
    timeout: Any,
    multiprocessing_context: Any,
) -> None:
    """The argument checks of torch's DataLoader, in its order and with its key words (a
    conflict between options is reported before the type of either)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ArgumentError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            f"multiprocessing, got num_workers={num_workers!r}"
        )
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ArgumentError(f"timeout option should be non-negative, got timeout={timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise DataValueError(
            "prefetch_factor option could only be specified in multiprocessing: let "
            "num_workers > 0 to enable it, or leave prefetch_factor=None"
        )
    if prefetch_factor is not None:
        check_int("prefetch_factor", prefetch_factor, 1)
    if persistent_workers and num_workers == 0:
        raise DataValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        if num_workers == 0:
            raise DataValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        if isinstance(multiprocessing_context, str):
            methods = multiprocessing.get_all_start_methods()
            if multiprocessing_context not in methods:
                raise DataValueError(
                    "multiprocessing_context option should specify a valid start method in "
                    f"{methods!r}, but got multiprocessing_context={multiprocessing_context!r}"
                )
        elif not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
            raise DataTypeError(
                "multiprocessing_context option should be a valid context object or a string "
                f"specifying the start method, but got {multiprocessing_context!r}"
            )
    if iterable:
        for name, value in (
            ("shuffle", shuffle if shuffle not in (False, None) else None),
            ("sampler", sampler),
            ("batch_sampler", batch_sampler),
        ):
            if value is not None:
                raise DataValueError(
                    f"DataLoader with IterableDataset: expected unspecified {name} option, but "
                    f"got {name}={value!r}; an iterable dataset has no indices, so shuffle "
                    "inside the dataset (or use a map-style dataset)"
                )
    if sampler is not None and shuffle:
        raise DataValueError(
            "sampler option is mutually exclusive with shuffle: the sampler decides the order; "
            "drop shuffle or pass RandomSampler as the sampler"
        )
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise DataValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                "and drop_last; pass only batch_sampler"
            )
    elif batch_size is None:
        if drop_last:
            raise DataValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last; batch_size=None yields single samples"
            )
    else:
        check_int("batch_size", batch_size, 1)
    check_bool("drop_last", drop_last)


class _Progress:
    """How far the iteration of one epoch has got (batches handed to the caller)."""

    __slots__ = ("batches", "done", "epoch", "sampler")

    def __init__(self, epoch: int, batches: int, sampler: Any) -> None:
        self.epoch, self.batches, self.sampler, self.done = epoch, batches, sampler, False
