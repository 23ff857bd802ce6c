"""Every parser on hostile input: it returns, or raises one of our errors, within the bounds.

The budget is inputs per target: ``$TORSH_FUZZ_EXAMPLES`` (``./dev fuzz`` sets a large one),
else a small one that keeps this module within about a minute natively and a minute and a
half in Pyodide. Failures are collected rather than shrunk, so one run reports every kind of
failure of a target, each with its input saved (see ``bounds.py`` and ``replay.py``).
"""

from __future__ import annotations

import os
import sys
import time

import pytest
from bounds import CPU_CLOCK, SECONDS, Collector, is_ours
from hypothesis import HealthCheck, given, settings
from targets import TARGETS, Target

from torsh_data import DataValueError, FormatError, TorshDataError

IN_PYODIDE = sys.platform == "emscripten"
EXAMPLES = int(os.environ.get("TORSH_FUZZ_EXAMPLES", "8" if IN_PYODIDE else "25"))
ROUND = 100
#: A target's inputs also stop after a round that ends past this many seconds (for pacing).
TARGET_SECONDS = float(os.environ.get("TORSH_FUZZ_TARGET_SECONDS", "0")) or None


def _marks(t: Target) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.skipif(True, reason=t.skip)] if t.skip else []
    if t.needs_jspi:
        marks.append(pytest.mark.needs_jspi(reason="WebCrypto answers with promises"))
    return marks


def _params() -> list[object]:
    return [pytest.param(t, id=t.name, marks=_marks(t)) for t in TARGETS]


@pytest.mark.parametrize("target", _params())
def test_valid_files_parse(target: Target) -> None:
    """The writers' files parse: the fuzzer starts from inputs that reach deep into the parser."""
    collector = Collector(target.name, target.parse)
    seeds = target.seeds()
    assert seeds
    for data in seeds:
        assert collector.run(data) == "parsed", collector.report() or repr(collector.last_error)


@pytest.mark.parametrize("target", _params())
def test_hostile_input(target: Target) -> None:
    """Mutated valid files and generated inputs: parsed or one of our errors, within bounds."""
    collector = Collector(target.name, target.parse)
    strategy = target.inputs()

    def run(data: bytes) -> None:
        collector.run(data)

    for data in target.corpus():
        run(data)

    # In rounds, so that a time budget can end the inputs of a target between two rounds.
    stop = None if TARGET_SECONDS is None else time.monotonic() + TARGET_SECONDS
    done = 0
    while done < EXAMPLES and (stop is None or time.monotonic() < stop):
        n = min(ROUND, EXAMPLES - done)
        rounds = settings(
            max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        rounds(given(data=strategy)(run))()
        done += n
    if collector.failures:
        pytest.fail(collector.report(), pytrace=False)


# --- the harness itself: each outcome class is told apart -------------------------------------
def _classify(parse: object, **bounds: float) -> tuple[str, Collector]:
    c = Collector("self-test", parse, **bounds)  # type: ignore[arg-type]
    return c.run(b"input"), c


def test_outcomes_parsed_and_our_errors() -> None:
    def refuse(data: bytes) -> None:
        raise FormatError("bad", source="<bytes>")

    assert _classify(len)[0] == "parsed"
    assert _classify(refuse)[0] == "error"
    assert is_ours(DataValueError("x")) and not is_ours(TorshDataError("x"))


@pytest.mark.parametrize(
    "exc", [KeyError("k"), ValueError("plain"), RecursionError(), TorshDataError("no builtin")]
)
def test_other_exceptions_fail_and_keep_the_input(exc: Exception) -> None:
    def crash(data: bytes) -> None:
        raise exc

    kind, c = _classify(crash)
    assert kind == "crash"
    (failure,) = c.failures.values()
    assert failure.data == b"input" and type(exc).__name__ in failure.detail
    assert failure.path is not None and failure.path.read_bytes() == b"input"
    assert "test_fuzz.py" in failure.where


def test_slow_input_is_a_hang() -> None:
    def spin(data: bytes) -> None:
        end = CPU_CLOCK() + 0.3
        while CPU_CLOCK() < end:
            pass

    assert _classify(spin, seconds=0.1)[0] == "hang"


@pytest.mark.native_only(reason="the hard stop uses signal.setitimer; Pyodide has no signals")
def test_endless_input_is_stopped() -> None:
    def forever(data: bytes) -> None:
        while True:
            pass

    t0 = CPU_CLOCK()
    assert _classify(forever, seconds=0.2)[0] == "hang"
    assert CPU_CLOCK() - t0 < 2


def test_large_allocation_is_a_memory_failure() -> None:
    def grow(data: bytes) -> int:
        return len(bytearray(8 << 20))

    # A long time bound: the memory pass only follows a timed pass well within it.
    assert _classify(grow, memory=4 << 20, seconds=60)[0] == "memory"
    assert _classify(grow, memory=64 << 20, seconds=60)[0] == "parsed"


def test_seconds_bound_is_generous() -> None:
    assert SECONDS >= 1
