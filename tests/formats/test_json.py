"""JSON and JSON Lines readers: round trips, incremental feeding, bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import cuts, json_values

from torsh_data import DataIndexError, FormatError
from torsh_data.formats.jsonfmt import (
    JsonlReader,
    json_dataset,
    jsonl_dataset,
    read_json,
    read_jsonl,
)


def feed_in_chunks(data: bytes, cuts: list[int], **kw: object) -> list[object]:
    reader = JsonlReader(**kw)  # type: ignore[arg-type]
    out: list[object] = []
    prev = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += reader.feed(data[prev:cut])
        prev = cut
    return out + reader.close()


# --- JSON Lines -------------------------------------------------------------------------------
@given(
    st.lists(json_values(), max_size=8),
    st.lists(st.integers(0, 500), max_size=6),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.booleans(),
)
def test_jsonl_round_trip_any_chunking(
    values: list[object], cuts: list[int], end: str, bom: bool, final_newline: bool
) -> None:
    text = "".join(
        json.dumps(v, ensure_ascii=False) + end + ("\n" if i % 3 == 1 else "")
        for i, v in enumerate(values)
    )
    if not final_newline:
        text = text.rstrip("\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    assert read_jsonl(data) == values
    assert feed_in_chunks(data, cuts) == values


@given(st.binary(max_size=200), cuts(200))
def test_jsonl_random_bytes(data: bytes, cuts: list[int]) -> None:
    try:
        whole = read_jsonl(data)
    except FormatError:
        whole = None
    try:
        chunked = feed_in_chunks(data, cuts)
    except FormatError:
        chunked = None
    assert repr(chunked) == repr(whole)  # repr: NaN != NaN


def test_jsonl_blank_lines_and_final_line() -> None:
    assert read_jsonl(b"") == []
    assert read_jsonl(b"\n \n\t\r\n") == []
    assert read_jsonl(b'\n{"a": 1}\n\n  \n[2]') == [{"a": 1}, [2]]


def test_jsonl_bad_line_names_line_column_record() -> None:
    with pytest.raises(FormatError) as e:
        read_jsonl(b'{"a": 1}\n\n{"a": }\n', name="x.jsonl")
    msg = str(e.value)
    assert msg.startswith(
        "x.jsonl: record 2: byte 16: line 3, column 7: invalid JSON: Expecting value"
    )
    assert e.value.record == 2 and e.value.offset == 16
    with pytest.raises(FormatError, match="byte 3: line 2, column 2: invalid JSON: Extra data"):
        read_jsonl(b"1\n1, 2\n")
    with pytest.raises(
        FormatError, match=r"record 2: .*line 3: JSON nested more than max_depth=500"
    ):
        read_jsonl(b"1\n\n" + b"[" * 100_000 + b"]" * 100_000)
    deep = b'["[[[", {"a": ' + b"[" * 498 + b"]" * 498 + b"}]"
    assert read_jsonl(deep + b"\n" + deep) == [json.loads(deep)] * 2
    with pytest.raises(FormatError, match="max_depth=10"):
        read_jsonl(deep, max_depth=10)
    with pytest.raises(FormatError, match=r"line 1: invalid JSON: .*digits"):
        read_jsonl(b"1" * 5000)


@pytest.mark.parametrize("mask", ['"' + "]" * 900 + '"', '"\\"' + "}" * 900 + '"', "]" * 900])
def test_deep_nesting_is_refused_even_after_closing_brackets(mask: str) -> None:
    # Closing brackets inside a string (or a stray line of them) must not hide deep nesting:
    # parsing it would overflow the WebAssembly stack in Pyodide.
    deep = "[" * 800 + "]" * 800
    stray = not mask.startswith('"')  # then the parser stops at the stray bracket
    with pytest.raises(FormatError, match="invalid JSON" if stray else "max_depth=500"):
        read_json(f"[{mask}, {deep}]".encode())
    with pytest.raises(FormatError, match="line 2: JSON nested more than max_depth=500"):
        read_jsonl(f"{mask}\n{deep}\n".encode())


def test_jsonl_truncated_invalid_utf8_and_long_lines() -> None:
    with pytest.raises(FormatError, match="truncated"):
        read_jsonl(b'"caf\xc3')
    with pytest.raises(FormatError, match=r"byte 5: line 2: invalid utf-8") as e:
        read_jsonl(b'"a"\n"\xff"\n')
    assert e.value.offset == 5
    with pytest.raises(FormatError, match="line 1 is longer than max_line_bytes=64"):
        read_jsonl(b"[" + b"1," * 1000 + b"1]\n", max_line_bytes=64)
    reader = JsonlReader(max_line_bytes=64)
    with pytest.raises(FormatError, match="longer than"):
        for _ in range(10):
            reader.feed(b" " * 10)
    with pytest.raises(FormatError, match=r"record 1: .*line 2"):
        read_jsonl(b"\n{\n}\n")  # a value may not span lines


def test_jsonl_dataset(tmp_path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(b'{"y": 0}\n{"y": 1}\n')
    ds = jsonl_dataset(p)
    assert len(ds) == 2 and ds[1] == {"y": 1} and ds.__getitems__([1, 0]) == [{"y": 1}, {"y": 0}]
    with pytest.raises(DataIndexError):
        ds[2]


# --- JSON -------------------------------------------------------------------------------------
@given(st.lists(json_values(), max_size=6))
def test_json_round_trip(values: list[object]) -> None:
    assert read_json(json.dumps(values).encode()) == values
    assert read_json(b"\xef\xbb\xbf" + json.dumps(values, indent=1).encode()) == values


@given(st.binary(max_size=200))
def test_json_random_bytes(data: bytes) -> None:
    try:
        assert isinstance(read_json(data), list)
    except FormatError:
        pass


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b'{"records": [1]}', "found an object \\(keys: 'records'\\); select the array first"),
        (b"42", "found a number"),
        (b'"x"', "found a string"),
        (b"null", "found null"),
        (b"true", "found a boolean"),
    ],
)
def test_json_top_level_must_be_array(data: bytes, found: str) -> None:
    with pytest.raises(
        FormatError, match=f"expected a JSON array of records at the top level, {found}"
    ):
        read_json(data)


def test_json_bad_inputs() -> None:
    with pytest.raises(FormatError, match="empty input"):
        read_json(b"")
    with pytest.raises(FormatError, match="empty input"):
        read_json(b" \n")
    with pytest.raises(FormatError, match="line 2, column 3: invalid JSON") as e:
        read_json(b"[1,\n  x]")
    assert e.value.offset == 6
    with pytest.raises(FormatError, match="line 1, column 3: invalid JSON"):
        read_json(b"[1")
    with pytest.raises(FormatError, match=r"byte 5: line 2: invalid UTF-8"):
        read_json(b'[1,\n"\xff"]')
    with pytest.raises(FormatError, match="nested more than max_depth=500"):
        read_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(FormatError, match="nested more than max_depth=500"):
        read_json(b"[" + b"{" * 600)  # malformed and deep: refused before parsing
    assert read_json(b"[" * 500 + b"]" * 500) == json.loads(b"[" * 500 + b"]" * 500)
    with pytest.raises(FormatError, match="larger than the 4-byte limit"):
        read_json(b"[1, 2]", max_bytes=4)


def test_json_dataset() -> None:
    ds = json_dataset(b'[{"a": 1}, {"a": 2}]')
    assert len(ds) == 2 and ds[-1] == {"a": 2}
