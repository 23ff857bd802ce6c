"""Looking at a dataset: timing each access, and per-feature statistics over its samples.

>>> from torsh_data import TensorDataset
>>> ds = ProfiledDataset(TensorDataset([[1.0, 10.0], [3.0, 30.0]]))
>>> _ = ds[0], ds[1], ds[1]
>>> ds.profiler.stats().count
3
>>> st = dataset_statistics(TensorDataset([[1.0, 10.0], [3.0, 30.0]]))
>>> st.mean.tolist(), st.std.tolist(), st.min.tolist(), st.max.tolist()
([2.0, 20.0], [1.0, 10.0], [1.0, 10.0], [3.0, 30.0])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, ShapeError
from ..tensor import Tensor
from ..utils import RunningStats, StatisticsCollector
from ..utils._stats import check_ddof
from ._base import Dataset, _is_iterable_dataset

__all__ = [
    "DatasetProfileStats",
    "DatasetProfiler",
    "FeatureStats",
    "ProfiledDataset",
    "dataset_statistics",
]


@dataclass(frozen=True)
class DatasetProfileStats:
    """Access figures of one profiled dataset; times are in seconds."""

    name: str
    count: int
    errors: int
    total: float
    mean: float
    std: float
    min: float
    max: float

    @property
    def per_second(self) -> float:
        """Accesses per second of time spent in them."""
        return self.count / self.total if self.total > 0 else float("nan")


class DatasetProfiler:
    """Accumulates the time and count of accesses, per name.

    One profiler may watch several datasets (each :class:`ProfiledDataset` reports under its
    own name); :meth:`report` prints them side by side.
    """

    def __init__(self) -> None:
        self._times = StatisticsCollector()
        self._errors: dict[str, int] = {}

    def record(self, name: str, seconds: float, failed: bool = False) -> None:
        """Record one access of ``seconds`` under ``name``."""
        self._times.add(name, seconds)
        self._errors[name] = self._errors.get(name, 0) + bool(failed)

    def stats(self, name: str | None = None) -> DatasetProfileStats:
        """The figures recorded under ``name`` (default: the only name, or all merged)."""
        names = self._times.names()
        if name is None:
            merged = RunningStats()
            for n in names:
                merged.merge(self._times[n])
            return self._figures(
                "all" if len(names) != 1 else names[0], merged, sum(self._errors.values())
            )
        if name not in self._times:
            raise DataTypeError(f"nothing was profiled under {name!r}")
        return self._figures(name, self._times[name], self._errors[name])

    @staticmethod
    def _figures(name: str, s: RunningStats, errors: int) -> DatasetProfileStats:
        d = s.as_dict()
        total = s.total if s.count else 0.0
        return DatasetProfileStats(
            name, s.count, errors, total, d["mean"], d["std"], d["min"], d["max"]
        )

    def reset(self) -> None:
        """Forget everything recorded."""
        self._times.reset()
        self._errors.clear()

    def report(self) -> str:
        """A text table: per name, accesses, errors, total and per-access times."""
        width = max([len(n) for n in self._times.names()] + [7])
        head = f"{'dataset':<{width}}  {'count':>8}  {'errors':>6}  {'total s':>9}  {'mean us':>9}  {'std us':>9}  {'min us':>9}  {'max us':>9}"
        lines = [head]
        for name in self._times.names():
            f = self.stats(name)
            us = [x * 1e6 for x in (f.mean, f.std, f.min, f.max)]
            lines.append(
                f"{name:<{width}}  {f.count:>8}  {f.errors:>6}  {f.total:>9.4f}  "
                + "  ".join(f"{x:>9.1f}" for x in us)
            )
        return "\n".join(lines)

    def print_report(self) -> None:
        """Print :meth:`report`."""
        print(self.report())


class ProfiledDataset(Dataset[Any]):
    """Times every access of ``dataset`` (``__getitem__``, or each step of an iteration)
    into ``profiler`` (a new one by default) under ``name``.

    With loader workers each worker times its own copy; profile with ``num_workers=0`` to
    see the figures in the main process.
    """

    def __init__(
        self,
        dataset: Any,
        profiler: DatasetProfiler | None = None,
        name: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.profiler = DatasetProfiler() if profiler is None else profiler
        self.name = type(dataset).__name__ if name is None else name
        self._iterable = _is_iterable_dataset(dataset)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        if self._iterable:
            raise DataTypeError(f"{self.name} is an iterable dataset; iterate it")
        t0 = time.perf_counter()
        try:
            sample = self.dataset[index]
        except BaseException:
            self.profiler.record(self.name, time.perf_counter() - t0, failed=True)
            raise
        self.profiler.record(self.name, time.perf_counter() - t0)
        return sample

    def __iter__(self) -> Iterator[Any]:
        if not self._iterable:
            return (self[i] for i in range(len(self.dataset)))
        return self._timed_iter()

    def _timed_iter(self) -> Iterator[Any]:
        it = iter(self.dataset)
        while True:
            t0 = time.perf_counter()
            try:
                sample = next(it)
            except StopIteration:
                return
            except BaseException:
                self.profiler.record(self.name, time.perf_counter() - t0, failed=True)
                raise
            self.profiler.record(self.name, time.perf_counter() - t0)
            yield sample

    def stats(self) -> DatasetProfileStats:
        """This dataset's figures."""
        return self.profiler.stats(self.name)

    def print_report(self) -> None:
        """Print the profiler's report."""
        self.profiler.print_report()


@dataclass(frozen=True)
class FeatureStats:
    """Per-feature statistics: float64 tensors of the feature shape, and the sample count."""

    count: int
    mean: Tensor
    std: Tensor
    min: Tensor
    max: Tensor


def dataset_statistics(
    dataset: Any,
    feature: int | str | Callable[[Any], Any] | None = None,
    max_samples: int | None = None,
    ddof: int = 0,
) -> FeatureStats:
    """Mean, standard deviation, min and max of every feature over a dataset, in one pass.

    Each sample (or the part of it ``feature`` selects: a tuple position, a dict key, or a
    function of the sample) is a Tensor, a number or a nested list; its elements are the
    features, and every sample must have the same shape. Computed with Welford's streaming
    update (NOTE [ Welford ] in ``torsh_data.utils``), so it needs no second pass and works
    on streams. The results feed :class:`~torsh_data.transforms.Normalize` directly.

    Args:
        dataset: a map-style or iterable dataset (or any iterable of samples).
        feature: which part of a sample to describe (default: a tuple's first element, or
            the whole sample).
        max_samples: stop after this many samples.
        ddof: 0 for the population standard deviation, 1 for the sample one.

    Raises:
        DataValueError: an empty dataset, or a bad argument.
        ShapeError: samples of different shapes.
    """
    ddof = check_ddof(ddof)
    if max_samples is not None:
        check_int("max_samples", max_samples, 1)
    if _is_iterable_dataset(dataset) or not hasattr(dataset, "__getitem__"):
        samples: Any = iter(dataset)
    else:
        samples = (dataset[i] for i in range(len(dataset)))
    shape: tuple[int, ...] | None = None
    stats: list[RunningStats] = []
    count = 0
    for sample in samples:
        if max_samples is not None and count >= max_samples:
            break
        if callable(feature):
            x = feature(sample)
        elif feature is not None:
            x = sample[feature]
        else:
            x = sample[0] if isinstance(sample, tuple) else sample
        t = x if isinstance(x, Tensor) else Tensor(x)
        values = t.astype("float64").tolist() if t.shape else [float(t.item())]
        if t.ndim > 1:
            values = _flatten(values)
        if shape is None:
            shape = t.shape
            stats = [RunningStats() for _ in values]
        elif t.shape != shape:
            raise ShapeError(
                f"dataset_statistics needs samples of one shape: sample 0 is {shape}, "
                f"sample {count} is {t.shape}"
            )
        for s, v in zip(stats, values, strict=True):
            s.update(v)
        count += 1
    if shape is None:
        from .._errors import DataValueError

        raise DataValueError("dataset_statistics needs at least one sample; the dataset is empty")

    def pack(values: list[float]) -> Tensor:
        return (
            Tensor(values, dtype="float64").reshape(*shape)
            if shape
            else Tensor(values[0], dtype="float64")
        )

    return FeatureStats(
        count,
        pack([s.mean for s in stats]),
        pack([s.std(ddof) for s in stats]),
        pack([s.min for s in stats]),
        pack([s.max for s in stats]),
    )


def _flatten(nested: Any) -> list[float]:
    out: list[float] = []
    stack = [nested]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out
