"""DataLoader: sampler -> fetch -> collate, iterated with ``for`` or ``async for``."""

from __future__ import annotations

import itertools
import math
import multiprocessing
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from .._checks import check_bool, check_int
from .._errors import ArgumentError, DataTypeError, DataValueError
from .._interop import optional_import
from ..collate import default_collate, default_convert
from ..collate._output import check_output, to_output
from ..datasets import _is_iterable_dataset
from ..random import draw_seed, seed_source
from ..samplers import BatchSampler, RandomSampler, SequentialSampler
from ._executor import Executor, Failed, default_executor
from ._fetch import Fetcher, IterableFetcher, MapFetcher, finisher
from ._helpers import pin_memory as pin_batch

__all__ = ["DataLoader"]

T_co = TypeVar("T_co", covariant=True)

#: Largest ``epoch`` and ``batches`` a loaded state may hold (a C ``ssize_t``, what
#: ``itertools.islice`` takes).
MAX_STATE_COUNT = sys.maxsize  # 2**31 - 1 in WebAssembly (wasm32)

# what torch's DataLoader refuses to change after construction (its iterators depend on them)
_LOCKED = frozenset(
    ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
)


class DataLoader(Generic[T_co]):
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
        num_workers: load in this many worker processes (0: in the calling thread); in
            Pyodide, in Web Workers (``worker_threads`` under Node.js), iterated with
            ``async for``. The batches are the same for every value (NOTE [ Same batches
            with workers ]), except for an iterable dataset that splits its stream with
            :func:`~torsh_data.get_worker_info` itself: then each worker yields its share
            and batches interleave as in torch (NOTE [ Who splits an iterable stream ]).
            A batch that raises is raised by ``next()``; the next ``next()`` goes on.
        collate_fn: turns a list of samples into a batch (default
            :func:`~torsh_data.default_collate`).
        pin_memory: hand out batches as torch tensors in pinned memory (see
            :func:`~torsh_data.loader.pin_memory`; needs torch, so not in the browser).
        drop_last: drop a last batch smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers before giving up (0: forever;
            a dead worker is reported either way).
        worker_init_fn: called in each worker with its id, before loading.
        multiprocessing_context: ``"fork"``, ``"spawn"``, ``"forkserver"`` or a context.
        generator: a ``torch.Generator`` the root seed is drawn from (once, here), or an
            int seed.
        prefetch_factor: batches in flight per worker (default 2).
        persistent_workers: keep the workers between epochs.
        pin_memory_device: accepted as torch's (pinned memory is host memory here).
        in_order: False lets a batch that is ready overtake one that is not.
        seed: root seed (not with ``generator``). With neither, it is drawn from torch's
            global generator when torch is imported, else from :mod:`random`, so
            ``torch.manual_seed(s)`` before building the loader reproduces its batches; it
            is kept in ``loader.seed``.
        executor: where batches are loaded, instead of ``num_workers``.
        output: the kind of tensor in the batches handed out (NOTE [ torch in,
            torch out ] in ``collate/_output.py``; docs/TORCH_COMPAT.md):

            - ``"auto"`` (default): torch in, torch out. A batch that holds a torch tensor
              (with ``default_collate``: the samples held torch tensors) has all its tensors
              as ``torch.Tensor``, our collated buffers shared, not copied; any other batch
              (samples of numpy arrays, numbers, Tensors; always in the browser) holds
              :class:`~torsh_data.Tensor`.
            - ``"torch"``: every tensor a ``torch.Tensor`` (needs ``torsh-data[torch]``).
            - ``"torsh"``: every tensor a :class:`~torsh_data.Tensor`.
            - ``"numpy"``: every tensor a ``numpy.ndarray`` (needs ``torsh-data[numpy]``).

    The arguments from ``prefetch_factor`` on are keyword-only, as the arguments after
    ``generator`` are in torch. ``batch_size``, ``batch_sampler``, ``sampler``,
    ``drop_last``, ``dataset`` and ``persistent_workers`` cannot be set after construction
    (a ``ValueError``, as in torch). ``DataLoader[T]`` is a type, as in torch.

    >>> from torsh_data import TensorDataset
    >>> loader = DataLoader(TensorDataset(list(range(6))), batch_size=4, shuffle=True, seed=1)
    >>> [len(x) for (x,) in loader]
    [4, 2]
    """

    _locked = False  # set at the end of __init__; see __setattr__

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
        executor: Executor | None = None,
        output: str = "auto",
    ) -> None:
        self.dataset = dataset
        self.generator = generator
        self.seed = draw_seed(seed_source(seed, generator, "DataLoader"))
        self.pin_memory_device = pin_memory_device
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
        if executor is None:
            executor = default_executor(
                num_workers,
                multiprocessing_context,
                prefetch_factor=2 if prefetch_factor is None else prefetch_factor,
                persistent_workers=persistent_workers,
                timeout=timeout,
                in_order=in_order,
                worker_init_fn=worker_init_fn,
            )
        self.num_workers = num_workers
        self.executor: Executor = executor
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
        self.output = check_output(output, pin_memory=pin_memory)
        self.persistent_workers = persistent_workers
        self._next_epoch = 0
        self._skip = 0  # batches of the next epoch already consumed before a resume
        self._progress: _Progress | None = None
        self._locked = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LOCKED and self._locked:
            raise DataValueError(
                f"{name} attribute should not be set after {type(self).__name__} is "
                f"initialized; build a new {type(self).__name__} instead"
            )
        super().__setattr__(name, value)

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

    def plan(self) -> list[str]:
        """How a batch is made, one line per step: which run batch-wise (one bulk operation
        for the whole batch) and which per sample, and why. The batches are the same either
        way; this is about speed (NOTE [ Lifted pipelines ] in ``datasets/_batched.py``).

        >>> from torsh_data import TensorDataset, TransformDataset, Tensor
        >>> from torsh_data.transforms import Compose, Lambda, RandomCrop, ToTensor
        >>> images = TensorDataset(Tensor(bytes(4 * 64), shape=(4, 8, 8)), [0, 1, 2, 3])
        >>> pipeline = Compose([RandomCrop(6), Lambda(lambda x: x), ToTensor()])
        >>> for line in DataLoader(TransformDataset(images, pipeline), batch_size=2).plan():
        ...     print(line)
        TensorDataset: batched fetch (__getbatch__)
        RandomCrop(size=(6, 6), padding=(0, 0, 0, 0), fill=0): batch
        Lambda(<lambda>): per sample (no kernel)
        ToTensor(): batch
        default_collate of the other fields
        """
        ds = self.dataset
        name = type(ds).__name__
        if self._iterable:
            return [f"{name}: per sample (an iterable dataset is read sample by sample)"]
        if self.batch_sampler is None:
            return [f"{name}: per sample (batch_size=None)"]
        finish = None
        if self.collate_fn is not default_collate:
            finish = finisher(self.collate_fn)
            if finish is None:
                who = getattr(self.collate_fn, "__name__", type(self.collate_fn).__name__)
                return [f"{name}: per sample (collate_fn {who} takes the samples)"]
        describe = getattr(ds, "batch_plan", None)
        if callable(describe):
            lines = list(describe())
        elif callable(getattr(ds, "__getbatch__", None)):
            lines = [f"{name}: batched fetch (__getbatch__)"]
        else:
            lines = [f"{name}: per sample (no __getbatch__)", "default_collate"]
        if finish is not None:
            lines.append(f"{self.collate_fn!r}: on the collated batch")
        return lines

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

    def __iter__(self) -> _BatchIterator:
        fetcher, tasks, progress = self._start_epoch()
        return _BatchIterator(self, self.executor.run(fetcher, tasks), progress)

    def __aiter__(self) -> _AsyncBatchIterator:
        fetcher, tasks, progress = self._start_epoch()
        return _AsyncBatchIterator(self, self.executor.arun(fetcher, tasks), progress)

    def _hand_out(self, batch: Any, progress: _Progress) -> Any:
        """One batch from the executor, as the caller gets it (NOTE [ A failed batch ])."""
        progress.batches += 1
        if isinstance(batch, Failed):
            batch.reraise()
        batch = to_output(batch, self.output)
        return pin_batch(batch) if self.pin_memory else batch

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
        # NOTE [ Loaded numbers ]: a state may come from a file or a cache; its numbers are
        # bounded here, with the field named, not deep inside islice or a random generator.
        for key, value, low, high in (
            ("seed", seed, -(1 << 63), (1 << 64) - 1),
            ("epoch", epoch, 0, MAX_STATE_COUNT),
            ("batches", batches, 0, MAX_STATE_COUNT),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise DataValueError(
                    f"DataLoader state {key!r} must be an integer in [{low}, {high}], "
                    f"got {value!r:.40}"
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
        except OverflowError:  # len() > sys.maxsize (an endless sampler on a 32-bit runtime)
            return None


class _BatchIterator:
    """One epoch of a :class:`DataLoader`. A batch that failed to load raises here; the next
    ``next()`` carries on with the following batch (NOTE [ A failed batch ])."""

    def __init__(self, loader: DataLoader, batches: Iterator[Any], progress: _Progress) -> None:
        self._loader, self._batches, self._progress = loader, batches, progress

    def __iter__(self) -> _BatchIterator:
        return self

    def __next__(self) -> Any:
        try:
            batch = next(self._batches)
        except StopIteration:
            self._progress.done = True
            raise
        return self._loader._hand_out(batch, self._progress)

    def close(self) -> None:
        """Abandon the epoch (stops workers that are not persistent)."""
        self._batches.close()  # type: ignore[attr-defined]


class _AsyncBatchIterator:
    """One epoch of a :class:`DataLoader` for ``async for`` (see :class:`_BatchIterator`)."""

    def __init__(
        self, loader: DataLoader, batches: AsyncIterator[Any], progress: _Progress
    ) -> None:
        self._loader, self._batches, self._progress = loader, batches, progress

    def __aiter__(self) -> _AsyncBatchIterator:
        return self

    async def __anext__(self) -> Any:
        try:
            batch = await self._batches.__anext__()
        except StopAsyncIteration:
            self._progress.done = True
            raise
        return self._loader._hand_out(batch, self._progress)

    async def aclose(self) -> None:
        """Abandon the epoch (stops workers that are not persistent)."""
        await self._batches.aclose()  # type: ignore[attr-defined]


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
