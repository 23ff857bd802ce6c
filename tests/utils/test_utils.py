"""torsh_data.utils: validation helpers, progress, timers, memory and running statistics."""

from __future__ import annotations

import io
import math
import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import IN_PYODIDE, has_module

import torsh_data as td
from torsh_data.utils import (
    MemoryTracker,
    ProgressTracker,
    RunningStats,
    StatisticsCollector,
    Timer,
    track,
    validate_extension,
    validate_path,
    validate_positive,
    validate_probability,
    validate_range,
    validate_same_length,
    validate_shape,
)


def test_validators_return_their_value() -> None:
    assert validate_probability("p", 0) == 0 and validate_probability("p", 1.0) == 1.0
    assert validate_range("x", 5, low=0) == 5 and validate_range("x", -5, high=0) == -5
    assert validate_positive("lr", 0.1) == 0.1 and validate_positive("n", 3, integer=True) == 3
    assert validate_same_length(a=[1, 2], b="xy") == 2 and validate_same_length() == 0
    assert validate_shape("img", [3, 8, 8], (3, None, None)) == (3, 8, 8)
    assert validate_extension("f", "A.CSV", [".csv", ".tsv"]) == "A.CSV"


def test_validators_say_what_is_wrong(tmp_path: Path) -> None:
    cases = [
        (
            lambda: validate_probability("p", 1.5),
            td.DataValueError,
            r"p must be in \[0.0, 1.0\], got 1.5",
        ),
        (lambda: validate_probability("p", float("nan")), td.DataValueError, "NaN"),
        (lambda: validate_probability("p", "0.5"), td.DataTypeError, "p must be a number"),
        (lambda: validate_probability("p", True), td.DataTypeError, "number"),
        (lambda: validate_range("x", 1, low=2), td.DataValueError, "x must be >= 2"),
        (lambda: validate_positive("lr", 0), td.DataValueError, "lr must be > 0"),
        (lambda: validate_positive("n", 1.5, integer=True), td.DataValueError, "positive integer"),
        (lambda: validate_same_length(x=[1], y=[1, 2]), td.DataValueError, "x has 1, y has 2"),
        (lambda: validate_shape("img", (3, 4), (3, None, None)), td.ShapeError, r"\(3, \*, \*\)"),
        (lambda: validate_extension("f", "a.txt", [".csv"]), td.DataValueError, ".csv"),
        (lambda: validate_path("root", tmp_path / "nope"), td.SourceError, "no such file"),
        (lambda: validate_path("root", tmp_path, kind="file"), td.SourceError, "not a file"),
        (lambda: validate_path("root", 3), td.DataTypeError, "must be a path"),
        (lambda: validate_path("root", tmp_path, kind="link"), td.DataValueError, "kind"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    assert validate_path("root", tmp_path, kind="dir") == str(tmp_path)
    assert validate_path("out", tmp_path / "new.csv", must_exist=False, extensions=[".csv"])


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=50), st.integers(0, 50))
def test_running_stats_match_statistics_and_merge(values: list[float], cut: int) -> None:
    s = RunningStats()
    s.update_many(values)
    assert s.count == len(values)
    assert math.isclose(s.mean, statistics.fmean(values), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(s.std(), statistics.pstdev(values), rel_tol=1e-7, abs_tol=1e-5)
    assert math.isclose(s.var(1), statistics.variance(values), rel_tol=1e-7, abs_tol=1e-4)
    assert (s.min, s.max) == (min(values), max(values))
    a, b = RunningStats(), RunningStats()
    a.update_many(values[:cut])
    b.update_many(values[cut:])
    a.merge(b)
    assert a.count == s.count and math.isclose(a.mean, s.mean, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(a.std(), s.std(), rel_tol=1e-7, abs_tol=1e-5)


def test_running_stats_empty_and_one() -> None:
    s = RunningStats()
    assert math.isnan(s.as_dict()["mean"]) and math.isnan(s.var())
    s.update(4)
    assert s.as_dict() == {"count": 1, "mean": 4.0, "std": 0.0, "min": 4.0, "max": 4.0}
    assert math.isnan(s.var(ddof=1))


def test_statistics_collector_report() -> None:
    c = StatisticsCollector()
    for loss in (4.0, 2.0, 3.0):
        c.add("loss", loss)
    c.add("acc", 0.5)
    assert c.names() == ["loss", "acc"] and "loss" in c
    assert c["loss"].mean == 3.0 and c.as_dict()["acc"]["count"] == 1
    lines = c.report(unit="nats").splitlines()
    assert lines[0].split()[:2] == ["name", "count"] and lines[1].split()[:3] == ["loss", "3", "3"]
    with pytest.raises(td.DataValueError, match="known: acc, loss"):
        c["lr"]
    with pytest.raises(td.DataValueError):
        c.add(3, 1.0)  # type: ignore[arg-type]
    c.reset()
    assert c.names() == []


def test_running_stats_last_follows_update_and_merge() -> None:
    a, b = RunningStats(), RunningStats()
    assert math.isnan(a.last)
    a.update_many([3.0, 1.0])
    assert a.last == 1.0
    b.update(7.0)
    assert a.merge(b).last == 7.0 and RunningStats().merge(a).last == 7.0


def test_performance_monitor_is_a_statistics_collector_in_ms() -> None:
    m = td.PerformanceMonitor()
    for s in (0.010, 0.030, 0.020):
        m.record("fetch", s)
    assert m.summary() == {
        "fetch": {
            "count": 3,
            "total_ms": 60.0,
            "mean_ms": 20.0,
            "min_ms": 10.0,
            "max_ms": 30.0,
            "last_ms": 20.0,
        }
    }
    assert m.times["fetch"].count == 3
    m.reset()
    assert m.summary() == {}


def test_timer_and_memory_tracker() -> None:
    t = Timer("step")
    for _ in range(3):
        with t:
            sum(range(1000))
    assert t.count == 3 and t.elapsed >= 0 and math.isclose(t.total, t.stats.total)
    with pytest.raises(td.DataValueError, match="without start"):
        t.stop()
    with MemoryTracker() as m:
        block = bytearray(4 << 20)
    assert m.peak >= 4 << 20 and m.current >= 4 << 20
    del block
    with MemoryTracker() as m2:
        pass
    assert m2.peak < 1 << 20


def test_progress_events() -> None:
    events: list[dict] = []  # type: ignore[type-arg]
    out = list(track(range(4), callback=events.append, desc="load", bar=False))
    assert out == [0, 1, 2, 3]
    assert [(e["done"], e["finished"]) for e in events] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (4, True),
    ]
    assert (
        events[-1]["total"] == 4 and events[-1]["fraction"] == 1.0 and events[0]["desc"] == "load"
    )
    quiet: list[dict] = []  # type: ignore[type-arg]
    p = ProgressTracker(total=100, callback=quiet.append, bar=False, min_interval=3600)
    for _ in range(100):
        p.update()
    p.close()
    assert [e["done"] for e in quiet] == [1, 100, 100]  # rate-limited, the end always sent
    unknown: list[dict] = []  # type: ignore[type-arg]
    list(track(iter("ab"), callback=unknown.append, bar=False))
    assert unknown[-1]["total"] is None and unknown[-1]["fraction"] is None


@pytest.mark.skipif(not has_module("tqdm") or IN_PYODIDE, reason="tqdm is not installed here")
def test_progress_bar_through_tqdm() -> None:
    sink = io.StringIO()
    with ProgressTracker(total=3, desc="files", bar=True, file=sink) as p:
        p.update(3)
    assert "files" in sink.getvalue() and "3/3" in sink.getvalue()


def test_progress_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="total"):
        ProgressTracker(total=-1, bar=False)
    with pytest.raises(td.DataTypeError, match="callback"):
        ProgressTracker(callback=3, bar=False)  # type: ignore[arg-type]
    p = ProgressTracker(bar=False)
    with pytest.raises(td.DataValueError, match="n should be"):
        p.update(-1)
    p.close()
    with pytest.raises(td.DataValueError, match="closed"):
        p.update()
    if not has_module("tqdm"):
        with pytest.raises(td.MissingExtraError, match="tqdm"):
            ProgressTracker(bar=True)
