"""The pandas engine of read_csv gives the pure path's tensors, bit for bit, or defers to it."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import has_module

import torsh_data as td
from torsh_data.formats import read_csv
from torsh_data.formats._csv_pandas import MIN_BYTES

needs_pandas = pytest.mark.skipif(
    not has_module("pandas"),
    reason="pandas is not installed here (Pyodide's npm package has none; natively the test "
    "command installs it)",
)


def table(rows: list[list[float]], labels: list[int]) -> bytes:
    lines = [",".join([*(repr(v) for v in r), str(y)]) for r, y in zip(rows, labels, strict=True)]
    body = "\n".join(lines) + "\n"
    return ("a,b,c,label\n" + body * (MIN_BYTES // len(body) + 1)).encode()  # pandas-sized


@needs_pandas
@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=20,
    ),
    st.data(),
)
def test_pandas_engine_is_bit_identical(rows: list[list[float]], data: st.DataObject) -> None:
    labels = data.draw(
        st.lists(st.integers(-(2**40), 2**40), min_size=len(rows), max_size=len(rows))
    )
    csv = table(rows, labels)
    fast = read_csv(csv, label="label", output="columnar")
    pure = read_csv(csv, label="label", output="columnar", engine="python")
    assert fast[0].equal(pure[0]) and fast[1].equal(pure[1])
    cols = read_csv(csv, columns=["c", "a"], label=3, output="columnar")
    assert cols[0].equal(
        read_csv(csv, columns=["c", "a"], label=3, output="columnar", engine="python")[0]
    )


@needs_pandas
def test_pandas_engine_defers_on_bad_data() -> None:
    csv = table([[1.0, 2.0, 3.0]], [1]) + b"1.0,,3.0,1\n"
    with pytest.raises(td.FormatError, match="missing"):
        read_csv(csv, label="label", output="columnar")
    bad = table([[1.0, 2.0, 3.0]], [1]) + b"1.0,x,3.0,1\n"
    with pytest.raises(td.FormatError, match="'x'"):
        read_csv(bad, label="label", output="columnar")


def test_engine_argument() -> None:
    with pytest.raises(td.DataValueError, match="engine"):
        read_csv(b"a\n1\n", engine="pyarrow")


@needs_pandas
def test_unimportable_pandas_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    csv = table([[1.5, -2.0, 3.25]], [2])
    want = read_csv(csv, label="label", output="columnar", engine="python")
    monkeypatch.setitem(sys.modules, "numpy", None)  # pandas is installed, numpy is not usable
    got = read_csv(csv, label="label", output="columnar")
    assert got[0].equal(want[0]) and got[1].equal(want[1])
