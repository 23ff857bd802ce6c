"""Tabular transforms against plain-Python references."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import needs_numpy

from torsh_data import (
    DataIndexError,
    DataTypeError,
    DataValueError,
    FormatError,
    ShapeError,
    Tensor,
    TensorDataset,
)
from torsh_data.random import Generator
from torsh_data.transforms import FillMissing, MinMaxScale, OneHot, SelectColumns, Standardize


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


values = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def tables(draw):
    f = draw(st.integers(1, 4))
    return draw(st.lists(st.lists(values, min_size=f, max_size=f), min_size=1, max_size=12))


def ref_standardize(rows):
    cols = list(zip(*rows, strict=True))
    mean = [math.fsum(c) / len(c) for c in cols]
    std = []
    for c, m in zip(cols, mean, strict=True):
        # square by multiplication: IEEE rounds it exactly everywhere, while ``** 2`` goes
        # through the C library's pow(), which differed by an ulp on CPython 3.10 here
        var = math.fsum((x - m) * (x - m) for x in c) / len(c)
        std.append(math.sqrt(var) if var > 0 else 1.0)
    return mean, std


@given(tables(), st.randoms(use_true_random=False))
def test_standardize_matches_reference_in_any_row_order(rows, rnd):
    mean, std = ref_standardize(rows)
    scaler = Standardize().fit(rows)
    assert scaler.mean == mean and scaler.std == std
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    again = Standardize().fit(shuffled)
    assert again.mean == scaler.mean and again.std == scaler.std  # fsum: order-free bits
    out = scaler(Tensor(rows, dtype="float64"))
    assert out.dtype.name == "float32"
    want = [[f32((x - m) / s) for x, m, s in zip(r, mean, std, strict=True)] for r in rows]
    assert out.tolist() == want
    assert scaler(rows[0]).tolist() == want[0]


def test_fit_sources_agree():
    rows = [[1.0, 5.0], [2.0, 7.0], [6.0, 9.0]]
    by_list = Standardize().fit(rows)
    by_tensor = Standardize().fit(Tensor(rows))
    by_dataset = Standardize().fit(TensorDataset(Tensor(rows), Tensor([0, 1, 2])), field=0)
    by_iter = Standardize().fit(iter([Tensor(r) for r in rows]))
    for other in (by_tensor, by_dataset, by_iter):
        assert other.state_dict() == by_list.state_dict()


def test_zero_variance_column_scales_by_one():
    s = Standardize().fit([[1.0, 4.0], [3.0, 4.0]])
    assert s.std == [1.0, 1.0]
    assert s([2.0, 5.0]).tolist() == [0.0, 1.0]
    m = MinMaxScale().fit([[1.0, 4.0], [3.0, 4.0]])
    assert m([2.0, 4.0]).tolist() == [0.5, 0.0]


@given(tables(), st.sampled_from([(0.0, 1.0), (-1.0, 1.0), (2.0, 10.0)]))
def test_min_max_matches_reference(rows, feature_range):
    lo, hi = feature_range
    scaler = MinMaxScale(feature_range).fit(rows)
    cols = list(zip(*rows, strict=True))
    want = []
    for r in rows:
        out = []
        for x, c in zip(r, cols, strict=True):
            rng = (max(c) - min(c)) if max(c) > min(c) else 1.0
            out.append(f32(lo + (x - min(c)) / (rng / (hi - lo))))
        want.append(out)
    assert scaler(rows).tolist() == want
    got = scaler(rows).tolist()
    assert all(lo - 1e-6 <= v <= hi + 1e-6 for r in got for v in r)


@given(tables())
def test_state_round_trips(rows):
    for cls in (Standardize, MinMaxScale):
        fitted = cls().fit(rows)
        for again in (
            cls.from_state_dict(fitted.state_dict()),
            cls.from_json(fitted.to_json()),
            cls.from_state_dict(json.loads(json.dumps(fitted.state_dict()))),
        ):
            assert again.state_dict() == fitted.state_dict()
            assert again(rows).equal(fitted(rows))


def test_errors():
    for cls in (Standardize, MinMaxScale):
        with pytest.raises(DataValueError, match="not fitted"):
            cls()([1.0])
        with pytest.raises(DataValueError, match="not fitted"):
            cls().state_dict()
        with pytest.raises(DataValueError):
            cls().fit([])
        with pytest.raises(DataValueError, match="column 1"):
            cls().fit([[1.0, float("nan")]])
        with pytest.raises(DataValueError, match="FillMissing"):
            cls().fit([[1.0, None]])
        with pytest.raises(ShapeError):
            cls().fit([[1.0, 2.0], [1.0]])
        with pytest.raises(ShapeError):
            cls().fit([[1.0, 2.0]])([1.0, 2.0, 3.0])
        with pytest.raises(DataTypeError):
            cls().fit(["ab"])
        with pytest.raises(ShapeError):
            cls().fit(Tensor([1.0, 2.0]))
        with pytest.raises(DataValueError):
            cls.from_json("{not json")
        with pytest.raises(FormatError, match=f"{cls.__name__}.from_json: JSON nested deeper"):
            cls.from_json("[" * 100_000)  # issue 17: no RecursionError, no stack overflow
        with pytest.raises(DataValueError):
            cls.from_state_dict({"type": "Other"})
        with pytest.raises(DataValueError):
            cls.from_state_dict({"type": cls.__name__, **{key: ["x"] for key in cls._stats}})
    with pytest.raises(DataValueError):
        Standardize.from_state_dict({"type": "Standardize", "mean": [0.0], "std": [0.0]})
    with pytest.raises(DataValueError):
        Standardize.from_state_dict({"type": "Standardize", "mean": [0.0], "std": [1.0, 2.0]})
    with pytest.raises(DataValueError):
        MinMaxScale.from_state_dict({"type": "MinMaxScale", "min": [2.0], "max": [1.0]})
    with pytest.raises(DataValueError):
        MinMaxScale((1.0, 0.0))


@given(st.lists(st.integers(0, 9), max_size=20))
def test_one_hot_matches_reference(labels):
    oh = OneHot(10)
    want = [[1.0 if k == v else 0.0 for k in range(10)] for v in labels]
    assert oh(labels).tolist() == (want if labels else [])
    assert oh(Tensor(labels, dtype="int64")).tolist() == (want if labels else [])
    for v, row in zip(labels, want, strict=True):
        assert oh(v).tolist() == row
        assert oh(Tensor(v)).tolist() == row


def test_one_hot_errors():
    with pytest.raises(DataValueError, match="label 3 "):
        OneHot(3)(3)
    with pytest.raises(DataValueError, match="label -1 "):
        OneHot(3)([0, -1])
    with pytest.raises(DataTypeError):
        OneHot(3)(1.5)
    with pytest.raises(DataTypeError):
        OneHot(3)(True)
    with pytest.raises(DataTypeError):
        OneHot(3)(Tensor([1.0]))
    with pytest.raises(ShapeError):
        OneHot(3)(Tensor([[1]]))
    with pytest.raises(DataValueError):
        OneHot(0)


def test_fill_missing():
    nan = float("nan")
    assert FillMissing(0)([1, None, nan]) == [1, 0, 0]
    assert FillMissing({1: -1})((None, None)) == (None, -1)
    assert FillMissing({"a": 5})({"a": nan, "b": None}) == {"a": 5, "b": None}
    t = FillMissing({0: 9.0})(Tensor([[nan, nan], [1.0, nan]]))
    assert t.tolist()[0][0] == 9.0 and t.tolist()[1][0] == 1.0 and math.isnan(t.tolist()[0][1])
    assert FillMissing(2.5)(Tensor([nan, 1.0])).tolist() == [2.5, 1.0]
    ints = Tensor([1, 2])
    assert FillMissing(0)(ints) is ints
    assert FillMissing(7)(None) == 7 and FillMissing(7)(3) == 3


@given(st.lists(st.one_of(values, st.none(), st.just(float("nan"))), max_size=10), values)
def test_fill_missing_leaves_nothing_missing(row, fill):
    out = FillMissing(fill)(row)
    want = [fill if v is None or v != v else v for v in row]
    assert out == want


def test_select_columns():
    assert SelectColumns(["b", "a"])({"a": 1, "b": 2}) == [2, 1]
    assert SelectColumns([2, 0])([10, 11, 12]) == [12, 10]
    assert SelectColumns([-1])([10, 11, 12]) == [12]
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert SelectColumns([2, 0])(t).tolist() == [[3, 1], [6, 4]]
    assert SelectColumns([1])(Tensor([7.0, 8.0])).tolist() == [8.0]
    with pytest.raises(DataValueError, match="'z'"):
        SelectColumns(["z"])({"a": 1})
    with pytest.raises(DataIndexError):
        SelectColumns([3])([1, 2])
    with pytest.raises(DataTypeError):
        SelectColumns(["a"])([1, 2])
    with pytest.raises(DataTypeError):
        SelectColumns([0])(5)
    with pytest.raises(ShapeError):
        SelectColumns([0])(Tensor(1))
    with pytest.raises(DataValueError):
        SelectColumns([])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int16", "int64", "uint8"])
def test_tensor_fit_and_scale_equal_the_row_list_path(dtype: str) -> None:
    """A Tensor of any numeric dtype is fitted and scaled from typed views; a list of rows
    from Python floats: the same statistics and the same float32 bits."""
    g = Generator(11)
    width = 5
    vals = [int(u * 200) for u in g.uniforms(60 * width)]
    rows = [vals[i : i + width] for i in range(0, len(vals), width)]
    t = Tensor(rows, dtype=dtype)
    as_floats = [[float(v) for v in r] for r in t.tolist()]
    for make in (Standardize, lambda: MinMaxScale((-1.0, 3.0))):
        fitted, listed = make().fit(t), make().fit(as_floats)
        assert fitted.state_dict() == listed.state_dict()
        assert fitted(t).tobytes() == listed(Tensor(as_floats, dtype="float64")).tobytes()
        assert fitted(t[2]).tobytes() == fitted(t).tobytes()[2 * width * 4 : 3 * width * 4]


@needs_numpy
def test_numpy_path_gives_the_same_bits() -> None:
    import sys

    import numpy  # noqa: F401  (the transforms use numpy only once it is imported)

    g = Generator(3)
    x = Tensor([[(u - 0.5) * 1e3 for u in g.uniforms(7)] for _ in range(1000)], dtype="float32")
    for scaler in (Standardize().fit(x), MinMaxScale((-1.0, 2.0)).fit(x)):
        fast = scaler(x)
        numpy_mod = sys.modules.pop("numpy")
        try:
            slow = scaler(x)
            pure_fit = type(scaler).from_state_dict(scaler.state_dict())  # same statistics?
            refit = Standardize().fit(x) if isinstance(scaler, Standardize) else None
        finally:
            sys.modules["numpy"] = numpy_mod
        assert fast.equal(slow) and pure_fit.state_dict() == scaler.state_dict()
        if refit is not None:
            assert refit.state_dict() == scaler.state_dict()  # numpy fit == pure fit, bit for bit


@needs_numpy
def test_numpy_fit_refuses_nan_like_the_pure_path() -> None:
    import numpy  # noqa: F401

    rows = [[float(i), 1.0, 2.0, float(i % 7)] for i in range(2000)]
    rows[1500][3] = math.nan
    with pytest.raises(DataValueError, match="column 3 has NaN"):
        Standardize().fit(Tensor(rows, dtype="float64"))


def test_rowwise_transforms_are_the_tabular_ones_and_are_rowwise() -> None:
    """NOTE [ Row-wise transforms ]: ``rowwise = True`` promises that a whole ``[N, F]``
    tensor gives each row's result, stacked (what the JS package's whole-column path uses)."""
    import torsh_data.transforms as T
    from torsh_data import stack

    marked = sorted(n for n in T.__all__ if getattr(getattr(T, n), "rowwise", False) is True)
    assert marked == ["FillMissing", "MinMaxScale", "OneHot", "SelectColumns", "Standardize"]
    assert not hasattr(T.Normalize, "rowwise") and not hasattr(T.Compose, "rowwise")
    table = [[1.0, math.nan, 3.0], [4.0, 5.0, 6.0], [-2.0, 0.5, 9.0]]
    fit = [[1.0, 2.0, 3.0], [3.0, 5.0, 9.0]]
    x = Tensor(table)
    for fn in (
        Standardize().fit(fit),
        MinMaxScale().fit(fit),
        FillMissing(0.0),
        FillMissing({1: -1.0}),
        SelectColumns([2, 0]),
    ):
        whole, rows = fn(x), stack([fn(Tensor(r)) for r in table])
        assert struct.pack(f"{whole.numel()}f", *_flat(whole.tolist())) == struct.pack(
            f"{rows.numel()}f", *_flat(rows.tolist())
        ), fn
    labels = Tensor([0, 2, 1])
    assert OneHot(3)(labels).tolist() == [OneHot(3)(y).tolist() for y in (0, 2, 1)]


def _flat(rows: list[list[float]]) -> list[float]:
    return [v for r in rows for v in r]


def test_scaling_across_chunks_matches_the_reference_bit_for_bit() -> None:
    """Many rows are scaled in chunks (NOTE [ Scaling in chunks ]): every row, on both sides
    of each chunk boundary and in the partial last chunk, is ``f32((x - mean) / std)``, and a
    result beyond float32's range rounds to infinity as ``array('f')`` rounds it."""
    g = Generator(5)
    width, n = 3, 700  # not a multiple of the chunk size
    rows = [[(u - 0.5) * 1e4 for u in g.uniforms(width)] for _ in range(n)]
    scaler = Standardize().fit(rows)
    mean, std = ref_standardize(rows)
    assert (scaler.mean, scaler.std) == (mean, std)
    want = [[f32((x - m) / s) for x, m, s in zip(r, mean, std, strict=True)] for r in rows]
    assert scaler(Tensor(rows, dtype="float64")).tolist() == want
    as_ints = [[int(x) for x in r] for r in rows]
    want_ints = [[f32((x - m) / s) for x, m, s in zip(r, mean, std, strict=True)] for r in as_ints]
    assert scaler(Tensor(as_ints, dtype="int64")).tolist() == want_ints
    tiny = Standardize.from_state_dict(
        {"type": "Standardize", "mean": [0.0] * 3, "std": [1e-300] * 3}
    )
    out = tiny(Tensor(rows, dtype="float32")).tolist()
    pairs = [(x, v) for r, o in zip(rows, out, strict=True) for x, v in zip(r, o, strict=True)]
    assert all(math.isinf(v) and (v > 0) == (x > 0) for x, v in pairs)
