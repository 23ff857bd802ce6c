"""The flat split of simple CSV (formats/_csvsplit.py) gives what the full reader gives.

Every case is read twice, once as it comes and once with the flat split switched off, and
the results (or the errors, message and all) must be the same.
"""

from __future__ import annotations

import codecs
import math
from array import array
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torsh_data import FormatError
from torsh_data.formats import _csvsplit
from torsh_data.formats import csv as csv_module
from torsh_data.formats._csvsplit import numeric_columns, simple_lines
from torsh_data.formats.csv import read_csv


def outcome(data: bytes, **kw: Any) -> Any:
    """The result of read_csv, or the error's type, text and record."""
    try:
        out = read_csv(data, **kw)
    except FormatError as exc:
        return ("error", str(exc), exc.record)
    if isinstance(out, tuple):
        return tuple((t.dtype.name, t.shape, t.tobytes()) for t in out)
    if not isinstance(out, list):
        return (out.dtype.name, out.shape, out.tobytes())
    # NaN != NaN: compare floats by their repr
    return [{k: repr(v) for k, v in row.items()} for row in out]


def both_paths(data: bytes, **kw: Any) -> tuple[Any, Any]:
    fast = outcome(data, **kw)
    with mock.patch.object(csv_module, "simple_lines", lambda *a, **k: None):
        slow = outcome(data, **kw)
    return fast, slow


def simple(data: bytes, header: Any = True, delimiter: str = ",") -> bool:
    got = simple_lines(
        data,
        header=header,
        delimiter=delimiter,
        quotechar='"',
        encoding="utf-8",
        max_line_bytes=1 << 20,
    )
    return got is not None


# Cells: numbers, words, spaces, empty, other Unicode breaks that are not CSV line ends.
CELL = st.one_of(
    st.floats(allow_nan=False, width=32).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["", " ", "nan", "inf", "1e3", "3.0", "x", "é", "\x0b", "\x85", "1_0"]),
    st.text(st.sampled_from("ab 19.-e\u2028"), max_size=4),
)


@st.composite
def tables(draw: Any) -> tuple[bytes, str, bool]:
    width = draw(st.integers(1, 4))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.booleans())
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=8))
    if draw(st.booleans()) and rows:  # a ragged row somewhere
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][:-1] if draw(st.booleans()) else [*rows[i], "1"]
    lines = [delimiter.join(r) for r in rows]
    if header:
        lines.insert(0, delimiter.join(f"c{j}" for j in range(width)))
    for _ in range(draw(st.integers(0, 2))):  # blank lines anywhere
        lines.insert(draw(st.integers(0, len(lines))), "")
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    data = text.encode()
    if draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    return data, delimiter, header


@given(tables(), st.sampled_from(["error", "nan", 0]))
def test_rows_equal_the_full_reader(case: tuple[bytes, str, bool], missing: Any) -> None:
    data, delimiter, header = case
    fast, slow = both_paths(data, delimiter=delimiter, header=header, missing=missing)
    assert fast == slow


@given(tables(), st.sampled_from(["error", "nan"]))
def test_columnar_equals_the_full_reader(case: tuple[bytes, str, bool], missing: Any) -> None:
    data, delimiter, header = case
    kw = {"delimiter": delimiter, "header": header, "missing": missing, "output": "columnar"}
    fast, slow = both_paths(data, **kw)
    assert fast == slow
    fast, slow = both_paths(data, label=0, **kw)
    assert fast == slow


@given(
    st.lists(
        st.tuples(
            st.floats(width=32, allow_nan=False),
            st.floats(width=32, allow_nan=False),
            st.integers(0, 9),
        ),
        max_size=20,
    )
)
def test_numeric_table_takes_the_flat_split(rows: list[tuple[float, float, int]]) -> None:
    text = "a,b,y\n" + "".join(f"{a!r},{b!r},{y}\n" for a, b, y in rows)
    data = text.encode()
    assert simple(data)
    fast, slow = both_paths(data, label="y", output="columnar", missing="nan")
    assert fast == slow
    for kw in ({"columns": ["y", "a"]}, {"columns": ["b", "y"]}, {"label": "a"}):
        fast, slow = both_paths(data, output="columnar", **kw)  # gathers of other columns
        assert fast == slow
    x, y = read_csv(data, label="y", output="columnar", missing="nan")
    assert x.tobytes() == array("f", [v for a, b, _ in rows for v in (a, b)]).tobytes()
    assert y.tolist() == [lab for _, _, lab in rows]


N = 70_000


def big(row_at_n: str | None = None, end: str = "\n") -> bytes:
    """A 3-column numeric CSV of N + 1 rows; the last row replaced by ``row_at_n``."""
    rows = [f"{i * 0.25},{-i},{i % 7}" for i in range(N + 1)]
    if row_at_n is not None:
        rows[N] = row_at_n
    return ("a,b,y" + end + end.join(rows) + end).encode()


def test_a_quote_late_in_the_file_is_read_as_quoted() -> None:
    data = big('"1,5",7,"3"')
    assert not simple(data)
    x = read_csv(data, output="columnar", columns=["b", "y"])
    fast, slow = both_paths(data, output="columnar", columns=["b", "y"])
    assert fast == slow
    assert x.tolist()[N] == [7.0, 3.0] and x.tolist()[N - 1] == [-(N - 1), (N - 1) % 7]
    rows = read_csv(data)
    assert rows[N] == {"a": "1,5", "b": 7, "y": 3}  # column a is text: inferred per column


def test_a_ragged_row_late_in_the_file_names_its_record_and_line() -> None:
    data = big("1,2")
    assert not simple(data)
    fast, slow = both_paths(data, output="columnar")
    assert fast == slow
    with pytest.raises(FormatError, match=rf"record {N + 1}: line {N + 2}: expected 3 fields"):
        read_csv(data, output="columnar")


def test_a_non_number_late_in_a_float_column_names_its_record_line_and_column() -> None:
    data = big("1.5,abc,2")
    assert simple(data)  # splitting works; the conversion finds the bad cell
    fast, slow = both_paths(data, label="y", output="columnar")
    assert fast == slow
    with pytest.raises(FormatError, match=rf"line {N + 2}, column 'b': cannot read 'abc'") as e:
        read_csv(data, label="y", output="columnar")
    assert e.value.record == N + 1


def test_crlf_bom_and_blank_lines_keep_the_line_numbers() -> None:
    data = codecs.BOM_UTF8 + b"a,b\r\n1,2\r\n\r\n3,4\r\n\r\n5,x\r\n"
    assert simple(data)
    fast, slow = both_paths(data, output="columnar")
    assert fast == slow
    with pytest.raises(FormatError, match=r"line 6, column 'b': cannot read 'x'"):
        read_csv(data, output="columnar")
    assert read_csv(data[:-5], output="columnar").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert read_csv(data) == [{"a": 1, "b": "2"}, {"a": 3, "b": "4"}, {"a": 5, "b": "x"}]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        codecs.BOM_UTF8,
        b"a,b\n",
        b"a,a\n1,2\n",  # duplicate names: the full reader raises
        b"a,b\n1,2\r3,4\n",  # a lone CR ends a line
        b"a,b\n1,\xff\n",  # invalid UTF-8
        b"a,b\n1,2\x003\n",  # NUL
        b"a,b\n1, \n",  # a cell of spaces: missing
    ],
)
def test_small_and_hostile_inputs(data: bytes) -> None:
    for kw in ({}, {"output": "columnar"}, {"output": "columnar", "missing": "nan"}):
        fast, slow = both_paths(data, **kw)
        assert fast == slow


def test_field_longer_than_the_csv_limit_is_left_to_the_full_reader() -> None:
    data = b"a,b\n1," + b"9" * (200 * 1024) + b"\n"
    assert not simple(data)
    with pytest.raises(FormatError, match="field limit"):
        read_csv(data)


def test_line_limit_is_kept() -> None:
    data = b"a,b\n" + b"1,2\n" * 10 + b"1," + b"2" * 300 + b"\n"
    with pytest.raises(FormatError, match="longer than max_line_bytes=100"):
        read_csv(data, max_line_bytes=100)


def test_nan_and_infinity_cells_read_as_float_reads_them() -> None:
    x = read_csv(b"a,b\nnan,inf\n-inf,1e3\n", output="columnar")
    vals = x.tolist()
    assert math.isnan(vals[0][0]) and vals[0][1] == math.inf and vals[1] == [-math.inf, 1000.0]


# --- NOTE [ CSV numeric columns ]: columnar output converted chunk by chunk ---------------

# Numbers in every form float() and int() read (and some they do not), as ASCII bytes and
# as text that is not ASCII (Unicode digits and spaces, which float() also reads).
NUMBER = st.one_of(
    st.floats(width=32).map(repr),
    st.floats().map(repr),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        [
            " 1.5 ",
            "1_000",
            "1e3",
            "-0",
            "+2",
            ".5",
            "5.",
            "-0.0",
            "1e400",
            "3.5e38",
            "nan",
            "-inf",
            "Infinity",
            "0x10",
            "1__0",
            "",
            " ",
            "\t3",
            "٣",
            "\u20071",
            "3.0",
            "1e3",
        ]
    ),
)


@st.composite
def numeric_tables(draw: Any) -> bytes:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(NUMBER, min_size=width, max_size=width), max_size=12))
    lines = [",".join(f"c{j}" for j in range(width))] + [",".join(r) for r in rows]
    for _ in range(draw(st.integers(0, 2))):  # blank lines anywhere
        lines.insert(draw(st.integers(1, len(lines))), "")
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return (end.join(lines) + (end if draw(st.booleans()) else "")).encode()


@given(numeric_tables(), st.integers(1, 4), st.sampled_from(["error", "nan"]))
def test_chunked_columns_equal_the_full_reader(data: bytes, chunk: int, missing: Any) -> None:
    """Values, or the error (message and record), as the full reader gives them, whatever
    the chunk size and wherever the bad cell is."""
    width = data.split(b"\n", 1)[0].count(b",") + 1
    with mock.patch.object(_csvsplit, "CHUNK_LINES", chunk):
        cases: list[dict[str, Any]] = [{}, {"label": width - 1}]
        if width > 1:  # a label among reordered columns
            cases.append({"label": 0, "columns": [width - 1, 0]})
        for kw in cases:
            fast, slow = both_paths(data, output="columnar", missing=missing, **kw)
            assert fast == slow


def clean(rows: int) -> bytes:
    return ("a,b,y\n" + "".join(f"{i / 8},{-i}e-3,{i % 5}\n" for i in range(rows))).encode()


def test_clean_numbers_take_the_chunked_path_bytes_undecoded() -> None:
    data = clean(10)
    simple = simple_lines(
        data, header=True, delimiter=",", quotechar='"', encoding="utf-8", max_line_bytes=1 << 20
    )
    assert simple is not None and simple.lines[0] == b"0.0,0e-3,0"
    assert simple.header == ["a", "b", "y"]
    with mock.patch.object(_csvsplit, "CHUNK_LINES", 3):
        found = numeric_columns(simple, [0, 1], "f", 2)
    assert found is not None
    x, y = found
    assert x.tolist() == array("f", [v for i in range(10) for v in (i / 8, -i / 1000)]).tolist()
    assert y is not None and y.tolist() == [i % 5 for i in range(10)]
    # a label int() does not read: None (the exact path reads 3.0 as 3, 3.5 as an error)
    odd = simple._replace(lines=[*simple.lines, b"1,2,3.0"])
    assert numeric_columns(odd, [0, 1], "f", 2) is None


def test_a_bad_cell_in_a_later_chunk_names_its_record_line_and_column() -> None:
    data = clean(50) + b"1.5,2,x\n" + clean(3)[6:]
    with mock.patch.object(_csvsplit, "CHUNK_LINES", 8):
        with pytest.raises(
            FormatError, match=r"line 52, column 'y': cannot read 'x' as int64"
        ) as e:
            read_csv(data, label="y", output="columnar")
    assert e.value.record == 51
    big_label = clean(20) + b"1,2,9223372036854775808\n"
    with pytest.raises(
        FormatError, match=r"line 22, column 'y': 9223372036854775808 is out of range"
    ):
        read_csv(big_label, label="y", output="columnar")


def test_a_missing_value_in_a_later_chunk_follows_missing() -> None:
    data = clean(20) + b"1.5,,4\n"
    with mock.patch.object(_csvsplit, "CHUNK_LINES", 4):
        with pytest.raises(FormatError, match=r"line 22, column 'b': missing value"):
            read_csv(data, label="y", output="columnar")
        x, y = read_csv(data, label="y", output="columnar", missing="nan")
    assert math.isnan(x.tolist()[20][1]) and y.tolist()[20] == 4
