"""Run one parser on one input within a time and memory bound, and classify what happened.

An input is *fine* when the parser returns, or raises an error of the package's tree
(:class:`~torsh_data.TorshDataError`) that is also the builtin a caller would catch. Anything
else is a *failure*: another exception (``crash``), running past the time bound (``hang``),
or allocating past the memory bound (``memory``). A failure keeps the input: it is written to
``$TORSH_FUZZ_FAILURES`` (default ``build/fuzz-failures`` beside ``tests/``, or
``/tmp/fuzz-failures`` in Pyodide) and can be replayed with ``replay.py``.

NOTE [fuzz bounds]: memory is measured with :mod:`tracemalloc` (it works in Pyodide too), as
the peak of Python allocations during the call (see NOTE [two passes]). Time is measured per
input against 2 s plus 1 s per 64 KiB of input (a linear parser is never near it, a quadratic
one soon is); natively a hard stop also interrupts the call at the bound
(``signal.setitimer``, which raises in the main thread between bytecodes), and an
address-space limit (``RLIMIT_AS``, Linux) turns an allocation far past the memory bound into
a ``MemoryError`` instead of exhausting the machine. Pyodide has neither signals nor threads:
there a slow input is told after it returns, and an input that never returns is stopped by the
runner's own timeout (``pyrun.mjs --timeout``), which fails the run. The bounds are generous:
they find bugs, they do not time parsers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutations import Bomb

from torsh_data import TorshDataError

IN_PYODIDE = sys.platform == "emscripten"
SECONDS = float(os.environ.get("TORSH_FUZZ_SECONDS", "2"))
MEMORY = int(os.environ.get("TORSH_FUZZ_MEMORY_MIB", "256")) << 20
#: Bytes per second any parser must manage: the time bound grows by 1 s per 64 KiB of input.
RATE = float(os.environ.get("TORSH_FUZZ_BYTES_PER_SECOND", str(64 << 10)))
#: The builtins a caller catches; an error of ours must also be one of these.
BUILTINS = (ValueError, TypeError, LookupError, OSError, ImportError)
#: Outcomes per target in this process: {target: {kind: count}} (printed by conftest.py).
TRIED: dict[str, dict[str, int]] = {}


class Timeout(BaseException):
    """The hard stop (a BaseException, so a parser's ``except Exception`` cannot swallow it)."""


def failure_dir() -> Path:
    given = os.environ.get("TORSH_FUZZ_FAILURES")
    if given:
        return Path(given)
    if IN_PYODIDE:
        return Path("/tmp/fuzz-failures")
    return Path(__file__).resolve().parents[2] / "build" / "fuzz-failures"


@dataclass
class Failure:
    target: str
    kind: str  # crash, hang, memory
    detail: str
    where: str
    path: Path | None
    data: bytes
    count: int = 1

    def __str__(self) -> str:
        head = self.data[:120]
        more = f" (+{len(self.data) - len(head)} bytes)" if len(self.data) > len(head) else ""
        saved = f"\n    saved: {self.path}" if self.path else ""
        return (
            f"{self.target}: {self.kind} x{self.count}: {self.detail}\n    at {self.where}"
            f"\n    input ({len(self.data)} bytes): {head!r}{more}{saved}"
        )


#: The clock the time bounds are in: this process's CPU time, so that a machine busy with
#: other work (a CI runner, other test processes) does not make an input look like a hang.
CPU_CLOCK = time.process_time


def _hard_stop_available() -> bool:
    import threading

    return hasattr(os, "fork") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _hard_stop(seconds: float) -> Iterator[None]:
    """Natively: raise :class:`Timeout` in the call after ``seconds`` of CPU time, and cap the address
    space at what the process has now plus a few times the memory bound."""
    if IN_PYODIDE or not _hard_stop_available():
        yield
        return
    import signal

    def fire(signum: int, frame: Any) -> None:
        raise Timeout

    old = signal.signal(signal.SIGPROF, fire)
    limit = _limit_memory()
    signal.setitimer(signal.ITIMER_PROF, seconds)  # CPU time, as CPU_CLOCK
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
        if limit is not None:
            limit()


def _limit_memory() -> Callable[[], None] | None:
    try:
        import resource

        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + 4 * MEMORY + (512 << 20)
        if hard != resource.RLIM_INFINITY and cap > hard:
            return None
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _call(
    parse: Callable[[bytes], Any], data: bytes, seconds: float
) -> tuple[BaseException | None, float]:
    """What ``parse(data)`` raised (or None) and how long it ran, within the hard stops."""
    t0 = CPU_CLOCK()
    try:
        with _hard_stop(seconds):
            parse(data)
    except (Exception, Timeout) as e:
        return e, CPU_CLOCK() - t0
    return None, CPU_CLOCK() - t0


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "torsh_data" in f.filename] or frames
    if not ours:
        return "?"
    f = ours[-1]
    return (
        f"{f.filename.rsplit('torsh_data', 1)[-1].lstrip('/') or f.filename}:{f.lineno} ({f.name})"
    )


def is_ours(exc: BaseException) -> bool:
    """An error of the package's tree that is also a builtin a caller would catch."""
    return isinstance(exc, TorshDataError) and isinstance(exc, BUILTINS)


@dataclass
class Collector:
    """Runs inputs through one target's parser; keeps one failure per (kind, type, place)."""

    target: str
    parse: Callable[[bytes], Any]
    seconds: float = SECONDS
    memory: int = MEMORY
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)
    last_error: BaseException | None = None

    def bound(self, data: bytes) -> float:
        """Seconds allowed for ``data``: the bound plus time to read it at :data:`RATE`
        (a :class:`~strategies.Bomb` gets no more for its size: it inflates to gigabytes)."""
        return self.seconds + (0 if isinstance(data, Bomb) else len(data) / RATE)

    def run(self, data: bytes) -> str:
        """Parse ``data``; return ``"parsed"``, ``"error"`` or the failure's kind.

        NOTE [two passes]: the timed pass runs untraced, because tracemalloc slows a parser
        that makes many small objects (CSV rows) up to ten times; natively it is also capped
        by the hard stops. An input that parsed within half its bound runs again under
        tracemalloc (with 20 times the time) for its memory peak.
        """
        seconds = self.bound(data)
        data = bytes(data)
        exc, elapsed = _call(self.parse, data, seconds)
        peak = 0
        if not isinstance(exc, (Timeout, MemoryError)) and elapsed < seconds / 2:
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                _call(self.parse, data, seconds * 20)
                peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
        if isinstance(exc, Timeout) or elapsed > seconds:
            kind, detail = "hang", f"ran {elapsed:.1f} s of CPU time (bound {seconds:.1f} s)"
        elif isinstance(exc, MemoryError):
            kind, detail = "memory", "MemoryError (natively: past the address-space cap)"
        elif peak > self.memory:
            kind, detail = "memory", f"peak {peak >> 20} MiB (bound {self.memory >> 20} MiB)"
        elif exc is None:
            kind = "parsed"
        elif is_ours(exc):
            kind, self.last_error = "error", exc
        else:
            kind, detail = "crash", f"{type(exc).__name__}: {str(exc)[:200]}"
        tally = TRIED.setdefault(self.target, {})
        tally[kind] = tally.get(kind, 0) + 1
        if kind in ("parsed", "error"):
            return kind
        where = _where(exc) if exc is not None else "?"
        key = (kind, type(exc).__name__, where)
        if key in self.failures:
            self.failures[key].count += 1
        else:
            path = _save(self.target, kind, data)
            self.failures[key] = Failure(self.target, kind, detail, where, path, data)
        return kind

    def report(self) -> str:
        return "\n".join(str(f) for f in self.failures.values())


def _save(target: str, kind: str, data: bytes) -> Path | None:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in target)
    path = failure_dir() / f"{safe}-{kind}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError:
        return None
    return path
