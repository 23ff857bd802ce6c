"""ProfiledDataset / DatasetProfiler, and dataset_statistics against the statistics module."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.datasets import (
    DataPipeline,
    DatasetProfiler,
    ProfiledDataset,
    dataset_statistics,
)


class Flaky(td.Dataset[int]):
    def __getitem__(self, i: int) -> int:
        if i == 3:
            raise KeyError(i)
        return i

    def __len__(self) -> int:
        return 5


def test_profile_counts_accesses_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    prof = DatasetProfiler()
    ds = ProfiledDataset(Flaky(), prof, name="flaky")
    for i in (0, 1, 2, 4):
        assert ds[i] == i
    with pytest.raises(KeyError):
        ds[3]
    s = ds.stats()
    assert (s.name, s.count, s.errors) == ("flaky", 5, 1)
    assert 0 <= s.min <= s.mean <= s.max and s.total >= 0
    assert math.isclose(s.total, s.mean * s.count, rel_tol=1e-9, abs_tol=1e-12)
    ds.print_report()
    out = capsys.readouterr().out
    assert "flaky" in out and "count" in out.splitlines()[0]


def test_one_profiler_many_datasets_and_iteration() -> None:
    prof = DatasetProfiler()
    a = ProfiledDataset(td.TensorDataset([1, 2, 3]), prof, "a")
    b = ProfiledDataset(DataPipeline(range(4)), prof, "b")
    assert [x.item() for (x,) in a] == [1, 2, 3]
    assert list(b) == [0, 1, 2, 3]
    assert len(list(td.DataLoader(a, batch_size=2))) == 2
    assert prof.stats("a").count == 6 and prof.stats("b").count == 4
    assert prof.stats().count == 10
    assert [line.split()[0] for line in prof.report().splitlines()[1:]] == ["a", "b"]
    prof.reset()
    assert prof.stats().count == 0


def test_profile_bad_input() -> None:
    with pytest.raises(td.DataTypeError, match="iterate"):
        ProfiledDataset(DataPipeline([1]))[0]
    with pytest.raises(td.DataTypeError, match="nothing was profiled"):
        DatasetProfiler().stats("x")


finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@given(
    st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=30),
    st.sampled_from([0, 1]),
)
def test_statistics_match_the_statistics_module(rows: list[list[float]], ddof: int) -> None:
    if ddof == 1 and len(rows) < 2:
        rows = rows * 2
    st_ = dataset_statistics(td.TensorDataset(td.tensor(rows, dtype="float64")), ddof=ddof)
    assert st_.count == len(rows)
    for j in range(3):
        col = [r[j] for r in rows]
        ref_std = statistics.pstdev(col) if ddof == 0 else statistics.stdev(col)
        assert math.isclose(st_.mean.tolist()[j], statistics.fmean(col), rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(st_.std.tolist()[j], ref_std, rel_tol=1e-7, abs_tol=1e-6)
        assert st_.min.tolist()[j] == min(col) and st_.max.tolist()[j] == max(col)


def test_statistics_feature_selection_shapes_and_streams() -> None:
    pairs = [(td.tensor([[1.0, 2.0], [3.0, 4.0]]), 0), (td.tensor([[3.0, 6.0], [5.0, 8.0]]), 1)]
    s = dataset_statistics(pairs)  # an iterable of (x, y): x is described
    assert s.mean.shape == (2, 2) and s.mean.tolist() == [[2.0, 4.0], [4.0, 6.0]]
    assert dataset_statistics(pairs, feature=1).mean.item() == 0.5
    dicts = [{"v": float(i)} for i in range(5)]
    assert dataset_statistics(dicts, feature="v", max_samples=3).max.item() == 2.0
    assert dataset_statistics(DataPipeline(range(4)), feature=lambda x: [x, -x]).min.tolist() == [
        0.0,
        -3.0,
    ]


def test_statistics_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="empty"):
        dataset_statistics([])
    with pytest.raises(td.ShapeError, match="sample 1"):
        dataset_statistics([[1.0, 2.0], [1.0]])
    with pytest.raises(td.DataValueError, match="ddof"):
        dataset_statistics([[1.0]], ddof=2)
    with pytest.raises(td.DataValueError, match="max_samples"):
        dataset_statistics([[1.0]], max_samples=0)
