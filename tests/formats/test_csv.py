"""CSV reader: round trips, incremental feeding, typed columns, bad input."""

from __future__ import annotations

import csv
import io
import math
import struct
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import cuts

from torsh_data import DataValueError, FormatError, Tensor, TensorDataset
from torsh_data.formats.csv import CsvReader, csv_dataset, read_csv

# Field text: anything but NUL (rejected by design), including quotes, commas, line ends.
field = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=8)
FIELD_CHARS = st.sampled_from(list('ab,"\r\n \t\x0c\u2028\x85é€😀'))
tricky = st.lists(FIELD_CHARS, max_size=6).map("".join)


def write(rows: list[list[str]], **kw: object) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, **kw).writerows(rows)  # type: ignore[arg-type]
    return buf.getvalue().encode()


def feed_in_chunks(data: bytes, cuts: list[int], **kw: object) -> tuple[list[list[str]], CsvReader]:
    reader = CsvReader(**kw)  # type: ignore[arg-type]
    out: list[list[str]] = []
    prev = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        out += reader.feed(data[prev:cut])
        prev = cut
    return out + reader.close(), reader


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


# --- round trips ---------------------------------------------------------------------------
@given(
    st.integers(1, 4).flatmap(
        lambda w: st.lists(st.lists(st.one_of(field, tricky), min_size=w, max_size=w), max_size=6)
    )
)
def test_round_trip_text_fields(rows: list[list[str]]) -> None:
    width = len(rows[0]) if rows else 1
    names = [f"c{i}" for i in range(width)]
    data = write([names, *rows])
    got = read_csv(data, dtypes={n: "str" for n in names}, missing="nan")
    assert got == [dict(zip(names, r, strict=False)) for r in rows]


@given(
    st.lists(st.lists(st.one_of(field, tricky), min_size=2, max_size=2), max_size=6),
    st.lists(st.integers(0, 400), max_size=6),
    st.booleans(),
)
def test_incremental_equals_whole(rows: list[list[str]], cuts: list[int], bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + write([["a", "b"], *rows])
    whole = CsvReader()
    expected = whole.feed(data) + whole.close()
    assert expected == rows
    got, reader = feed_in_chunks(data, [c % (len(data) + 1) for c in cuts])
    assert got == expected
    assert reader.header == ["a", "b"]


@given(
    st.lists(
        st.tuples(
            st.lists(st.floats(allow_nan=False, width=64), min_size=3, max_size=3),
            st.integers(-(2**40), 2**40),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_columnar_round_trip_and_fast_path_equals_slow_path(
    rows: list[tuple[list[float], int]],
) -> None:
    body = [[repr(v) for v in xs] + [str(y)] for xs, y in rows]
    fast = write([["x0", "x1", "x2", "y"], *body])
    quoted = write([["x0", "x1", "x2", "y"], *body], quoting=csv.QUOTE_ALL)
    # A last row with a missing feature and a label written "1.0" sends both columns through
    # the per-column (slow) path; the rows before it must come out the same.
    slow = write([["x0", "x1", "x2", "y"], *body, ["", "0", "0", "1.0"]])
    x, y = read_csv(fast, label="y", output="columnar")
    x2, y2 = read_csv(quoted, label="y", output="columnar")
    x3, y3 = read_csv(slow, label="y", output="columnar", missing="nan")
    assert x.equal(x2) and y.equal(y2)
    assert x.equal(x3[: len(rows)]) and y.equal(y3[: len(rows)])
    assert math.isnan(x3[len(rows)].tolist()[0]) and y3.tolist()[-1] == 1
    assert x.shape == (len(rows), 3) and x.dtype.name == "float32"
    assert x.tobytes() == array("f", [v for xs, _ in rows for v in xs]).tobytes()
    assert y.tolist() == [lab for _, lab in rows]


@given(st.binary(max_size=200), st.sampled_from(["rows", "columnar"]))
def test_random_bytes_give_result_or_format_error(data: bytes, output: str) -> None:
    try:
        read_csv(data, output=output, missing="nan")
    except FormatError:
        pass


@given(st.binary(max_size=120), cuts(120, 5))
def test_random_bytes_incremental_matches_whole(data: bytes, cuts: list[int]) -> None:
    try:
        whole = CsvReader()
        expected = whole.feed(data) + whole.close()
    except FormatError:
        expected = None
    try:
        got, _ = feed_in_chunks(data, [c % (len(data) + 1) for c in cuts])
    except FormatError:
        got = None
    assert got == expected


# --- typed rows ---------------------------------------------------------------------------
def test_inference_int_float_str() -> None:
    data = b"i,f,s,m\n1,1.5,a,2\n-2,3,b,2.5\n"
    assert read_csv(data) == [
        {"i": 1, "f": 1.5, "s": "a", "m": 2.0},
        {"i": -2, "f": 3.0, "s": "b", "m": 2.5},
    ]


def test_missing_policies() -> None:
    data = b"a,b,c\n1,,x\n2,3,\n"
    with pytest.raises(FormatError, match=r"line 2, column 'b': missing value") as e:
        read_csv(data)
    assert e.value.record == 1
    rows = read_csv(data, missing="nan")
    assert math.isnan(rows[0]["b"]) and rows[1]["b"] == 3.0 and rows[1]["c"] == ""
    # a text column has no missing values: its empty field stays "" (issue 17, cause 7)
    assert read_csv(data, missing=0) == [{"a": 1, "b": 0, "c": "x"}, {"a": 2, "b": 3, "c": ""}]
    assert read_csv(data, missing={"fill": -1.5})[0]["b"] == -1.5
    with pytest.raises(DataValueError):
        read_csv(data, missing="drop")
    with pytest.raises(FormatError, match="cannot hold NaN"):
        read_csv(data, missing="nan", dtypes={"b": "int64"})


@pytest.mark.parametrize("missing", ["error", "nan", 0, {"fill": "?"}])
def test_empty_text_fields_are_empty_strings_like_the_csv_module(missing: object) -> None:
    # issue 17 cause 7: Python's csv gives "" for an empty field; in a text column that is
    # the value (not a missing one), whatever the policy; numeric columns keep the policy.
    data = "name,note,n\nann,,1\n,hi,2\nbob,  ,3\n"
    want = list(csv.DictReader(io.StringIO(data)))
    got = read_csv(data.encode(), missing=missing)
    assert [{k: str(v) for k, v in row.items()} for row in got] == want
    assert got[1]["name"] == "" and got[0]["note"] == "" and got[2]["note"] == "  "


def test_empty_field_in_a_numeric_column_is_still_missing() -> None:
    data = b"name,n\nann,\nbob,3\n"
    with pytest.raises(FormatError, match=r"line 2, column 'n': missing value") as info:
        read_csv(data)
    assert isinstance(info.value, ValueError) and info.value.record == 1
    assert math.isnan(read_csv(data, missing="nan")[0]["n"])
    assert read_csv(data, missing=7)[0] == {"name": "ann", "n": 7}
    assert read_csv(b"s,n\n,1\n", dtypes={"s": "str"}) == [{"s": "", "n": 1}]


def test_dtypes_in_rows() -> None:
    data = b"a,b,c,d\n0.1,7,true,x\n"
    row = read_csv(data, dtypes={"a": "float32", "b": "int8", "c": "bool", 3: "str"})[0]
    assert row == {"a": f32(0.1), "b": 7, "c": True, "d": "x"}
    with pytest.raises(FormatError, match="300 is out of range for int8"):
        read_csv(b"a\n300\n", dtypes={"a": "int8"})
    with pytest.raises(FormatError, match=r"line 3, column 'a': cannot read 'x' as float64"):
        read_csv(b"a\n1\nx\n", dtypes={"a": "float64"})


def test_columns_label_and_header_options() -> None:
    data = b"a,b,c\n1,2,3\n4,5,6\n"
    assert read_csv(data, columns=["c", 0]) == [{"c": 3, "a": 1}, {"c": 6, "a": 4}]
    assert read_csv(data, columns=["a"], label="c")[0] == {"a": 1, "c": 3}
    assert read_csv(data, header=False)[0] == {0: "a", 1: "b", 2: "c"}
    assert read_csv(b"1,2\n", header=["x", "y"]) == [{"x": 1, "y": 2}]
    x = read_csv(data, columns=[2, 0], output="columnar")
    assert isinstance(x, Tensor) and x.tolist() == [[3.0, 1.0], [6.0, 4.0]]
    with pytest.raises(FormatError, match="no column 'z'"):
        read_csv(data, columns=["z"])
    with pytest.raises(FormatError, match="out of range"):
        read_csv(data, label=3)
    with pytest.raises(DataValueError, match="twice"):
        read_csv(data, columns=["a", 0])


def test_line_ends_blank_lines_bom_and_quotes() -> None:
    crlf = b'\xef\xbb\xbfa,b\r\n1,"x\r\ny"\r\n\r\n2,"q""r"\r\n'
    assert read_csv(crlf) == [{"a": 1, "b": "x\r\ny"}, {"a": 2, "b": 'q"r'}]
    assert read_csv(b"a,b\r1,2\r3,4") == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert read_csv(b"a;b\n'1;2';3\n", delimiter=";", quotechar="'") == [{"a": "1;2", "b": 3}]


# --- columnar -----------------------------------------------------------------------------
def test_columnar_missing_and_errors() -> None:
    data = b"x,y\n1.5,0\n,1\n"
    with pytest.raises(FormatError, match=r"line 3, column 'x': missing value") as e:
        read_csv(data, label="y", output="columnar")
    assert e.value.record == 2
    x, y = read_csv(data, label="y", output="columnar", missing="nan")
    assert math.isnan(x.tolist()[1][0]) and y.tolist() == [0, 1]
    x, _ = read_csv(data, label="y", output="columnar", missing=0)
    assert x.tolist() == [[1.5], [0.0]]
    with pytest.raises(FormatError, match=r"line 2, column 'x': cannot read 'abc' as float32"):
        read_csv(b"x,y\nabc,1\n", label="y", output="columnar")
    with pytest.raises(FormatError, match=r"column 'y': cannot read '2.5' as int64"):
        read_csv(b"x,y\n1,2.5\n", label="y", output="columnar")
    with pytest.raises(FormatError, match="out of range for int64"):
        read_csv(b"x,y\n1,99999999999999999999\n", label="y", output="columnar")


def test_columnar_labels_dtypes_and_integral_floats() -> None:
    for data in (b"x,y\n1,3.0\n2,1e1\n", b'x,y\n1,"3.0"\n2,1e1\n'):
        _, y = read_csv(data, label="y", output="columnar")
        assert y.dtype.name == "int64" and y.tolist() == [3, 10]
    x, y = read_csv(
        b"x,y\n1,0.25\n", label="y", output="columnar", dtypes={"y": "float32", "x": "float64"}
    )
    assert x.dtype.name == "float64" and y.dtype.name == "float32" and y.tolist() == [0.25]
    big = 2**60 + 1
    _, y = read_csv(f"x,y\n1,{big}\n".encode(), label="y", output="columnar")
    assert y.tolist() == [big]
    with pytest.raises(DataValueError, match="one tensor"):
        read_csv(b"a,b\n1,2\n", output="columnar", dtypes={"a": "int64", "b": "float32"})


def test_csv_dataset() -> None:
    data = b"a,b,y\n1,2,0\n3,4,1\n"
    ds = csv_dataset(data, label="y")
    assert isinstance(ds, TensorDataset) and len(ds) == 2
    x, y = ds[1]
    assert x.tolist() == [3.0, 4.0] and y.item() == 1
    assert csv_dataset(data)[0][0].tolist() == [1.0, 2.0, 0.0]
    rows = csv_dataset(data, output="rows")
    assert len(rows) == 2 and rows[0] == {"a": 1, "b": 2, "y": 0}


def test_path_source(tmp_path) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes(b"x,y\n1,2\n,3\n")
    with pytest.raises(FormatError, match=r"d\.csv: record 2: line 3"):
        read_csv(p, label="y", output="columnar")
    assert read_csv(str(p), missing=0)[1] == {"x": 0, "y": 3}


# --- bad input ----------------------------------------------------------------------------
def test_wrong_number_of_fields() -> None:
    with pytest.raises(
        FormatError,
        match=r"record 2: line 3: expected 2 fields, found 1 \(the field for column 'b'",
    ) as e:
        read_csv(b"a,b\n1,2\n3\n", name="t.csv")
    assert e.value.source == "t.csv"
    with pytest.raises(FormatError, match="line 2: expected 2 fields, found 3"):
        read_csv(b"a,b\n1,2,3\n")
    with pytest.raises(FormatError, match="record 2: line 4: expected 2 fields"):
        read_csv(b'a,b\n"1\n2",2\n3\n', output="columnar")


def test_unterminated_quote_and_quote_errors() -> None:
    with pytest.raises(
        FormatError, match="unterminated quoted field in the record starting at line 2"
    ):
        read_csv(b'a,b\n1,"open\nmore\n')
    reader = CsvReader()
    assert reader.feed(b'a\n"x\n') == []
    with pytest.raises(FormatError, match="unterminated"):
        reader.close()
    with pytest.raises(FormatError, match="malformed CSV"):
        read_csv(b'a,b\n"x"y,1\n2,3\n')


def test_invalid_and_truncated_utf8() -> None:
    with pytest.raises(FormatError, match=r"byte 10: line 3: invalid utf-8") as e:
        read_csv(b"a,b\n1,2\n3,\xff\n")
    assert e.value.offset == 10
    with pytest.raises(FormatError, match="truncated character"):
        read_csv(b"a\n\xc3")
    assert read_csv(b"a\ncaf\xe9\n", encoding="latin-1") == [{"a": "café"}]


def test_hostile_and_empty_inputs() -> None:
    with pytest.raises(FormatError, match="NUL"):
        read_csv(b"a\nx\0y\n")
    with pytest.raises(FormatError, match="longer than max_line_bytes=100"):
        read_csv(b"a\n" + b"1" * 1000, max_line_bytes=100)
    with pytest.raises(FormatError, match="longer than max_line_bytes=100"):
        read_csv(b'a\n"' + b"x\n" * 100, max_line_bytes=100)
    with pytest.raises(FormatError, match="field limit"):
        read_csv(b'a\n"' + b"x" * 200_000 + b'"\n')
    with pytest.raises(FormatError, match="duplicate column name 'a'"):
        read_csv(b"a,a\n1,2\n")
    assert read_csv(b"") == []
    assert read_csv(b"\n\n") == []
    assert read_csv(b"a,b\n") == []
    x = read_csv(b"", output="columnar")
    assert isinstance(x, Tensor) and x.shape == (0, 0)
    x, y = read_csv(b"a,b\n", label="b", output="columnar")
    assert x.shape == (0, 1) and y.shape == (0,)


def test_bad_arguments() -> None:
    with pytest.raises(DataValueError):
        read_csv(b"a\n", delimiter=",,")
    with pytest.raises(DataValueError):
        read_csv(b"a\n", delimiter='"')
    with pytest.raises(DataValueError):
        read_csv(b"a\n", output="table")
    with pytest.raises(DataValueError):
        read_csv(b"a\n", encoding="utf-16")
    with pytest.raises(DataValueError):
        read_csv(b"a\n", encoding="no-such-codec")
