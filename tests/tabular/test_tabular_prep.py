"""Tabular preprocessing against textbook definitions: scalers, encoders, imputer, selection."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.tabular import (
    LabelEncoder,
    MinMaxScaler,
    OneHotEncoder,
    SelectKBest,
    SimpleImputer,
    StandardScaler,
    TabularDataset,
    VarianceThreshold,
    f_classif,
    f_regression,
)

X = [[1.0, 10.0, 0.5], [2.0, 10.0, -1.5], [4.0, 10.0, 2.0], [9.0, 10.0, 3.0]]


def test_standard_scaler_is_the_textbook_z_score() -> None:
    s = StandardScaler().fit(X)
    cols = list(zip(*X, strict=True))
    assert s.mean == [statistics.fmean(c) for c in cols]
    z = s.transform(X).tolist()
    for j, c in enumerate(cols):
        sd = statistics.pstdev(c) or 1.0
        assert [r[j] for r in z] == pytest.approx(
            [(v - statistics.fmean(c)) / sd for v in c], rel=1e-6
        )
    back = s.inverse_transform(s.fit_transform(X)).tolist()
    assert [v for r in back for v in r] == pytest.approx([v for r in X for v in r], rel=1e-6)


def test_min_max_scaler() -> None:
    s = MinMaxScaler((-1.0, 1.0)).fit(X)
    out = s.transform(X).tolist()
    assert [r[0] for r in out] == pytest.approx([-1.0, -0.75, -0.25, 1.0])
    assert [r[1] for r in out] == [-1.0] * 4  # a constant column maps to lo
    assert [v for r in s.inverse_transform(out).tolist() for v in r] == pytest.approx(
        [v for r in X for v in r], rel=1e-6
    )
    with pytest.raises(td.ShapeError):
        s.inverse_transform([1.0, 2.0])
    with pytest.raises(td.DataValueError, match="not fitted"):
        StandardScaler().transform(X)


def test_label_encoder() -> None:
    enc = LabelEncoder()
    codes = enc.fit_transform(["b", "a", "c", "a"])
    assert enc.classes_ == ["a", "b", "c"] and codes.tolist() == [1, 0, 2, 0]
    assert enc.inverse_transform([2, 0]) == ["c", "a"]
    with pytest.raises(td.DataValueError, match="'z'"):
        enc.transform(["z"])
    assert LabelEncoder(unknown_value=-1).fit(["a"]).transform(["z"]).tolist() == [-1]
    with pytest.raises(td.DataValueError):
        enc.inverse_transform([3])
    with pytest.raises(td.DataValueError, match="comparable"):
        LabelEncoder().fit([1, "a"])


def test_one_hot_encoder() -> None:
    rows = [["red", 1], ["blue", 2], ["red", 3]]
    enc = OneHotEncoder().fit(rows)
    assert enc.categories_ == [["blue", "red"], [1, 2, 3]]
    out = enc.transform(rows).tolist()
    assert out[1] == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert all(sum(r) == 2.0 for r in out)
    assert enc.get_feature_names_out(["color", "size"])[:2] == ["color_blue", "color_red"]
    with pytest.raises(td.DataValueError, match="unknown category 'green'"):
        enc.transform([["green", 1]])
    ignore = OneHotEncoder(handle_unknown="ignore").fit(rows)
    assert ignore.transform([["green", 1]]).tolist() == [[0.0, 0.0, 1.0, 0.0, 0.0]]
    with pytest.raises(td.ShapeError):
        enc.transform([["red"]])
    with pytest.raises(td.DataValueError):
        OneHotEncoder(handle_unknown="drop")


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_imputer_strategies(strategy: str) -> None:
    rows = [[1.0, None], [2.0, 5.0], [float("nan"), 5.0], [9.0, 7.0]]
    imp = SimpleImputer(strategy, fill_value=-1.0).fit(rows)
    col0, col1 = [1.0, 2.0, 9.0], [5.0, 5.0, 7.0]
    expected = {
        "mean": [statistics.fmean(col0), statistics.fmean(col1)],
        "median": [statistics.median(col0), statistics.median(col1)],
        "most_frequent": [1.0, 5.0],
        "constant": [-1.0, -1.0],
    }[strategy]
    assert imp.statistics_ == expected
    out = imp.transform(rows).tolist()
    assert out[0][1] == pytest.approx(expected[1]) and out[2][0] == pytest.approx(expected[0])


def test_imputer_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="column 0 has no values"):
        SimpleImputer().fit([[None], [None]])
    with pytest.raises(td.DataValueError, match="not numeric"):
        SimpleImputer().fit([["a"], ["b"]])
    assert SimpleImputer("most_frequent").fit([["a"], [None], ["a"]]).transform([[None]]) == [["a"]]
    with pytest.raises(td.ShapeError):
        SimpleImputer().fit([[1.0, 2.0], [1.0]])
    with pytest.raises(td.DataValueError):
        SimpleImputer("mode")


def test_variance_threshold() -> None:
    vt = VarianceThreshold(0.5).fit(X)
    assert vt.variances_ == pytest.approx([statistics.pvariance(c) for c in zip(*X, strict=True)])
    assert vt.get_support() == [True, False, True]
    assert vt.transform(X).shape == (4, 2)


def _anova(col: list[float], ys: list[int]) -> float:
    groups = {g: [v for v, y in zip(col, ys, strict=True) if y == g] for g in set(ys)}
    grand, n, k = statistics.fmean(col), len(col), len(groups)
    ssb = sum(len(g) * (statistics.fmean(g) - grand) ** 2 for g in groups.values())
    ssw = sum(sum((v - statistics.fmean(g)) ** 2 for v in g) for g in groups.values())
    return (ssb / (k - 1)) / (ssw / (n - k))


def test_f_tests_match_their_definitions() -> None:
    data = [
        [1.0, 5.0, 2.0],
        [2.0, 3.0, 2.5],
        [3.0, 4.0, 7.0],
        [6.0, 1.0, 8.0],
        [7.0, 2.0, 9.5],
        [8.0, 3.5, 8.0],
    ]
    ys = [0, 0, 0, 1, 1, 1]
    cols = [list(c) for c in zip(*data, strict=True)]
    assert f_classif(data, ys) == pytest.approx([_anova(c, ys) for c in cols])
    target = [1.0, 2.0, 2.0, 5.0, 6.0, 7.5]
    expected = []
    for c in cols:
        r = statistics.correlation(c, target)
        expected.append(r * r / (1 - r * r) * (len(c) - 2))
    assert f_regression(data, target) == pytest.approx(expected)
    best = SelectKBest(f_classif, k=2).fit(data, ys)
    order = sorted(range(3), key=lambda j: -_anova(cols[j], ys))
    assert best.get_support(indices=True) == sorted(order[:2])
    with pytest.raises(td.DataValueError):
        SelectKBest(k=5).fit(data, ys)
    with pytest.raises(td.DataValueError, match="2\\+ classes"):
        f_classif(data, [0] * 6)
    with pytest.raises(td.DataValueError, match="finite"):
        f_regression([[float("nan")], [1.0], [2.0]], [1.0, 2.0, 3.0])


def test_tabular_dataset_from_csv_and_loader() -> None:
    raw = b"height,weight,label\n1.5,50,0\n1.8,80,1\n1.7,,1\n"
    with pytest.raises(td.FormatError, match=r"record|row|line"):
        TabularDataset.from_csv(raw, target="label")
    ds = TabularDataset.from_csv(raw, target="label", missing="nan")
    assert ds.feature_names == ["height", "weight"] and len(ds) == 3
    assert ds[1][0].tolist() == pytest.approx([1.8, 80.0]) and ds[1][1].item() == 1
    batches = list(td.DataLoader(ds, batch_size=2))
    assert batches[0][0].shape == (2, 2)
    with pytest.raises(td.ShapeError):
        TabularDataset([1.0, 2.0], [0, 1])
    with pytest.raises(td.DataValueError):
        TabularDataset([[1.0]], [0], ["a", "b"])


@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2), min_size=2, max_size=20))
def test_scaler_round_trip_any_data(rows: list[list[float]]) -> None:
    s = StandardScaler().fit(rows)
    back = s.inverse_transform(s.transform(rows)).tolist()
    for r, b in zip(rows, back, strict=True):
        for v, w in zip(r, b, strict=True):
            assert math.isclose(
                v, w, rel_tol=1e-5, abs_tol=1e-6 * (1 + max(abs(x) for row in rows for x in row))
            )
