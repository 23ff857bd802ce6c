"""What the runtime can do (workers, IndexedDB, streams, ...) and timings per batch.

:func:`capabilities` is the Python face of the JavaScript package's ``capabilities()``: the same
keys, probed from the same globals, so a page can decide (before or after booting Pyodide)
whether to ask for workers, a cache or streaming.
"""

from __future__ import annotations

import os
from typing import Any

from ._runtime import IN_PYODIDE, has_jspi, js_module, runtime_name
from .utils import StatisticsCollector

__all__ = ["PerformanceMonitor", "capabilities"]

#: The capability keys, in the order both probes report them.
KEYS = (
    "runtime",
    "workers",
    "indexeddb",
    "streams",
    "shared_array_buffer",
    "cross_origin_isolated",
    "jspi",
    "hardware_concurrency",
)


def capabilities() -> dict[str, Any]:
    """The runtime's capabilities as a dict.

    Keys: ``runtime`` (see :func:`~torsh_data.runtime_name`), ``workers`` (parallel loading
    is possible: processes natively, Web Workers or worker_threads in Pyodide), ``indexeddb``
    (the browser cache backend), ``streams`` (``ReadableStream``), ``shared_array_buffer`` and
    ``cross_origin_isolated`` (COOP/COEP headers were sent), ``jspi`` (WebAssembly JavaScript
    Promise Integration: the engine lets Python block on a promise, so ``for batch in
    loader`` works where it must wait; without it use ``async for``), ``hardware_concurrency``
    (cores).

    >>> caps = capabilities()
    >>> caps["runtime"] in ("cpython", "pyodide-node", "pyodide-browser"), caps["workers"]
    (True, True)
    """
    if not IN_PYODIDE:
        return {
            "runtime": runtime_name(),
            "workers": True,
            "indexeddb": False,
            "streams": False,
            "shared_array_buffer": False,
            "cross_origin_isolated": False,
            "jspi": False,
            "hardware_concurrency": os.cpu_count() or 1,
        }
    js = js_module()
    g = js.globalThis

    def has(name: str) -> bool:
        return bool(js.Reflect.has(g, name))

    node = runtime_name() == "pyodide-node"
    navigator = getattr(g, "navigator", None)
    cores = getattr(navigator, "hardwareConcurrency", None) if navigator is not None else None
    return {
        "runtime": runtime_name(),
        "workers": has("Worker") or node,
        "indexeddb": has("indexedDB"),
        "streams": has("ReadableStream"),
        "shared_array_buffer": has("SharedArrayBuffer"),
        "cross_origin_isolated": bool(getattr(g, "crossOriginIsolated", False)),
        "jspi": has_jspi(),
        "hardware_concurrency": int(cores or 1),
    }


class PerformanceMonitor:
    """Durations by name (``fetch``, ``parse``, ``batch``, ``to_js``, ...) and their summary.

    The durations are gathered by a :class:`~torsh_data.utils.StatisticsCollector`, so the
    summary covers every duration since the last :meth:`reset` in constant memory.

    >>> m = PerformanceMonitor()
    >>> for s in (0.002, 0.004, 0.003):
    ...     m.record("batch", s)
    >>> m.summary()["batch"]
    {'count': 3, 'total_ms': 9.0, 'mean_ms': 3.0, 'min_ms': 2.0, 'max_ms': 4.0, 'last_ms': 3.0}
    """

    def __init__(self) -> None:
        self.times = StatisticsCollector()

    def record(self, name: str, seconds: float) -> None:
        """Add one duration (in seconds) under ``name``."""
        self.times.add(name, seconds)

    def reset(self) -> None:
        self.times.reset()

    def summary(self) -> dict[str, dict[str, float]]:
        """``{name: {count, total_ms, mean_ms, min_ms, max_ms, last_ms}}`` (rounded to µs)."""

        def ms(x: float) -> float:
            return round(x * 1000, 3)

        return {
            name: {
                "count": s.count,
                "total_ms": ms(s.total),
                "mean_ms": ms(s.mean),
                "min_ms": ms(s.min),
                "max_ms": ms(s.max),
                "last_ms": ms(s.last),
            }
            for name in self.times.names()
            if (s := self.times[name]).count
        }
