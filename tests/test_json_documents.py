"""``torsh_data._json.load_json``: the one JSON reader of documents from files, caches and
callers. Every check here also runs inside Pyodide, where a deep document parsed without the
depth bound kills the interpreter (a WebAssembly stack overflow, not an exception)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values

from torsh_data import DataTypeError, FormatError, TorshDataError
from torsh_data._json import MAX_DEPTH, load_json, nesting_depth


def _reference_depth(text: str) -> int:
    """Depth by a character loop, the obvious way (quadratic nowhere, slow everywhere)."""
    depth = best = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


@pytest.mark.parametrize(
    "doc",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "[" * 600 + '"' + '\\"' * 20_000,  # an unterminated string of escaped quotes
        "[" * 600 + '"' + '\\"' * 20_000 + "\\",
    ],
)
def test_deep_documents_are_refused_before_parsing(doc: str) -> None:
    for data in (doc, doc.encode()):
        with pytest.raises(FormatError, match=f"deep.json: JSON nested deeper than {MAX_DEPTH}"):
            load_json(data, source="deep.json")
    with pytest.raises(ValueError):  # the builtin a caller catches
        load_json(doc, source="deep.json")


def test_depth_limit_is_exact_and_adjustable() -> None:
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, source="x") is not None
    with pytest.raises(FormatError, match="deeper than 500 levels \\(501 or more\\)"):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), source="x")
    assert load_json("[[[1]]]", source="x", max_depth=3) == [[[1]]]
    with pytest.raises(FormatError, match="deeper than 2"):
        load_json("[[[1]]]", source="x", max_depth=2)
    # brackets inside strings do not count
    assert load_json(json.dumps(["[" * 5000]), source="x", max_depth=1) == ["[" * 5000]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("", "line 1, column 1: Expecting value"),
        ('{"a": 1,\n "b": }', "line 2, column 7: Expecting value"),
        (b'{"a": "\xff"}', "not JSON text: invalid utf-8"),
        ("\ufeff[]", "BOM"),
        ("[" + "9" * 5000 + "]", "not valid JSON: Exceeds the limit"),  # found by fuzzing
    ],
)
def test_errors_name_the_source_and_the_place(data: str | bytes, match: str) -> None:
    with pytest.raises(FormatError, match=match) as info:
        load_json(data, source="cfg/settings.json")
    assert str(info.value).startswith("cfg/settings.json: ")
    assert info.value.source == "cfg/settings.json"


def test_bytes_like_inputs_and_encodings() -> None:
    doc = {"k": ["é", 1.5, None]}
    text = json.dumps(doc, ensure_ascii=False)
    for data in (
        text,
        text.encode(),
        b"\xef\xbb\xbf" + text.encode(),
        text.encode("utf-16"),
        bytearray(text.encode()),
        memoryview(text.encode()),
    ):
        assert load_json(data, source="x") == doc


@pytest.mark.parametrize("value", [None, 3, ["[]"], {"a": 1}])
def test_not_text_is_a_type_error(value: object) -> None:
    with pytest.raises(DataTypeError, match=r"x\.json: a JSON document is str or bytes"):
        load_json(value, source="x.json")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        load_json(value, source="x.json")  # type: ignore[arg-type]


@given(json_values(st.text(alphabet='[]{}"\\ab\n'), floats=False, max_leaves=20))
def test_depth_of_valid_documents(value: object) -> None:
    text = json.dumps(value)
    assert nesting_depth(text) == _reference_depth(text)
    assert load_json(text, source="x") == value


@given(st.text(alphabet='[]{}"\\a ,:'))
def test_depth_of_any_text_is_at_least_the_parsers(text: str) -> None:
    # For any text the linear scan agrees with a character loop; and load_json either parses
    # or raises the package's FormatError, never RecursionError or a crash.
    assert nesting_depth(text) == _reference_depth(text)
    try:
        load_json(text, source="x", max_depth=8)
    except FormatError as exc:
        assert isinstance(exc, (TorshDataError, ValueError))
