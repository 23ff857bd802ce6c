"""Records as feature and label tensors (``torsh_data.tabular.records_to_tensors`` and the
per-record ``feature_row`` / ``collate_feature_rows``), against ``struct``'s float32 rounding."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import DataValueError, FormatError
from torsh_data.tabular import (
    FeatureRow,
    collate_feature_rows,
    feature_row,
    records_to_tensors,
)


def f32(v: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", v))[0])


numbers = st.one_of(st.integers(-(2**20), 2**20), st.floats(-1e30, 1e30, allow_nan=False))
tables = st.integers(1, 4).flatmap(
    lambda width: st.lists(
        st.tuples(st.lists(numbers, min_size=width, max_size=width), st.integers(0, 9)),
        min_size=1,
        max_size=12,
    )
)


@given(tables, st.booleans(), st.booleans())
def test_whole_table_and_row_by_row_agree_with_float32(
    table: list[Any], with_label: bool, float_labels: bool
) -> None:
    names = [f"c{j}" for j in range(len(table[0][0]))]
    records = [
        {**dict(zip(names, xs, strict=True)), "y": float(y) if float_labels else y}
        for xs, y in table
    ]
    label = "y" if with_label else None
    columns = None if with_label else names
    ds = records_to_tensors(records, columns=columns, label=label, name="t.csv")
    rows = [feature_row(r, columns=columns, label=label, index=i) for i, r in enumerate(records)]
    batch = collate_feature_rows(rows)
    expected_x = [[f32(v) for v in xs] for xs, _ in table]
    assert ds.tensors[0].dtype.name == batch[0].dtype.name == "float32"
    assert ds.tensors[0].tolist() == batch[0].tolist() == expected_x
    assert [r.tensors()[0].tolist() for r in rows] == expected_x
    if with_label:
        assert ds.tensors[1].dtype.name == batch[1].dtype.name == "int64"
        assert ds.tensors[1].tolist() == batch[1].tolist() == [y for _, y in table]
        assert [r.tensors()[1].item() for r in rows] == [y for _, y in table]
    else:
        assert len(ds.tensors) == len(batch) == 1


def test_columns_pick_and_order_the_features() -> None:
    records = [{"a": 1, "b": 2, "c": 3, "y": 1}, {"a": 4, "b": 5, "c": 6, "y": 0}]
    ds = records_to_tensors(records, columns=["c", "a"], label="y")
    assert ds.tensors[0].tolist() == [[3.0, 1.0], [6.0, 4.0]]
    assert feature_row(records[1], columns=["b"]) == FeatureRow((feature_row({"b": 5})[0],))


@pytest.mark.parametrize(
    ("records", "error", "message"),
    [
        (
            [{"x": 1, "y": 0}, {"x": "a", "y": 1}],
            FormatError,
            r"t\.csv: record 1: not a number: 'a'",
        ),
        ([{"x": 1, "y": 0.5}], FormatError, r"record 0: the label 0\.5 is not an integer"),
        ([{"x": 1, "y": 0}, {"x": 2}], DataValueError, r"t\.csv: no label column 'y'"),
        ([{"x": 1, "y": 0}, {"z": 2, "y": 1}], DataValueError, r"no columns \['x'\]"),
        ([], DataValueError, "no records"),
    ],
)
def test_bad_records_are_named(records: list[Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        records_to_tensors(records, columns=["x"] if records else None, label="y", name="t.csv")
