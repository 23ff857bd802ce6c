"""Timing and memory figures a user can print: :class:`Timer`, :class:`MemoryTracker`,
:class:`StatisticsCollector`.

>>> stats = StatisticsCollector()
>>> for x in (1.0, 2.0, 3.0):
...     stats.add("loss", x)
>>> stats["loss"].mean
2.0
>>> with Timer() as t:
...     _ = sum(range(1000))
>>> t.elapsed >= 0.0 and t.count == 1
True
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from .._errors import DataValueError
from ._stats import RunningStats

__all__ = ["MemoryTracker", "StatisticsCollector", "Timer"]


class StatisticsCollector:
    """Named streams of numbers, each summarised by a :class:`RunningStats`.

    ``add(name, value)`` records a value; ``collector[name]`` is its statistics;
    :meth:`report` is a table of all of them.
    """

    def __init__(self) -> None:
        self._stats: dict[str, RunningStats] = {}

    def add(self, name: str, value: float) -> None:
        """Record ``value`` under ``name``."""
        if not isinstance(name, str):
            raise DataValueError(f"statistic names are strings, got {name!r}")
        stats = self._stats.get(name)
        if stats is None:
            stats = self._stats[name] = RunningStats()
        stats.update(value)

    def __getitem__(self, name: str) -> RunningStats:
        try:
            return self._stats[name]
        except KeyError:
            known = ", ".join(sorted(self._stats)) or "none"
            raise DataValueError(f"no statistic named {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._stats

    def names(self) -> list[str]:
        """The names recorded so far, in order of first use."""
        return list(self._stats)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Every statistic as ``{name: {"count", "mean", "std", "min", "max"}}``."""
        return {k: s.as_dict() for k, s in self._stats.items()}

    def reset(self) -> None:
        """Forget everything."""
        self._stats.clear()

    def report(self, unit: str = "") -> str:
        """A text table, one line per name."""
        width = max([len(n) for n in self._stats] + [4])
        lines = [
            f"{'name':<{width}}  {'count':>8}  {'mean':>11}  {'std':>11}  {'min':>11}  {'max':>11}"
        ]
        for name, s in self._stats.items():
            d = s.as_dict()
            lines.append(
                f"{name:<{width}}  {d['count']:>8}  "
                + "  ".join(f"{d[k]:>11.4g}" for k in ("mean", "std", "min", "max"))
            )
        if unit:
            lines.append(f"(values in {unit})")
        return "\n".join(lines)


class Timer:
    """A stopwatch: ``with timer:`` times a block; repeated blocks are summarised.

    ``elapsed`` is the last block's duration in seconds, ``stats`` the statistics over all
    blocks (a :class:`RunningStats`), ``total`` their sum. Uses ``time.perf_counter``, which
    in a browser has the page's coarsened clock resolution (often 0.1 ms or 1 ms).
    """

    def __init__(self, name: str = "timer") -> None:
        self.name = name
        self.stats = RunningStats()
        self.elapsed = 0.0
        self._start: float | None = None

    @property
    def count(self) -> int:
        return self.stats.count

    @property
    def total(self) -> float:
        return self.stats.total

    def start(self) -> Timer:
        """Start timing (``with`` does this)."""
        self._start = time.perf_counter()
        return self

    def stop(self) -> float:
        """Stop timing; return and record the elapsed seconds."""
        if self._start is None:
            raise DataValueError(f"{self.name}: stop() without start()")
        self.elapsed = time.perf_counter() - self._start
        self._start = None
        self.stats.update(self.elapsed)
        return self.elapsed

    def __enter__(self) -> Timer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Timer({self.name!r}, count={self.count}, total={self.total:.6g} s)"


class MemoryTracker:
    """Python memory allocated inside a block, through ``tracemalloc`` (every runtime).

    ``current`` and ``peak`` are the bytes allocated by Python since the block started (as
    ``tracemalloc`` counts them: Python objects and buffers, not the interpreter itself).
    Tracing slows allocation down several times: track a block, not a whole training run.

    >>> with MemoryTracker() as m:
    ...     data = bytearray(1 << 20)
    >>> m.peak >= 1 << 20
    True
    """

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self._base = 0
        self._owner = False

    def __enter__(self) -> MemoryTracker:
        self._owner = not tracemalloc.is_tracing()
        if self._owner:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        current, peak = tracemalloc.get_traced_memory()
        self.current, self.peak = current - self._base, peak - self._base
        if self._owner:
            tracemalloc.stop()

    def __repr__(self) -> str:
        return f"MemoryTracker(current={self.current} B, peak={self.peak} B)"
