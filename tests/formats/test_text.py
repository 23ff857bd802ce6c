"""Text line reader: line ends, encodings, incremental feeding, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import cuts

from torsh_data import DataValueError, FormatError
from torsh_data.formats.text import TextLineReader, read_text_lines, text_lines_dataset

line_text = st.text(st.sampled_from(list("ab \r\t\x0c\u2028\x85é€😀")), max_size=6)


def feed_in_chunks(data: bytes, cuts: list[int], **kw: object) -> list[str]:
    reader = TextLineReader(**kw)  # type: ignore[arg-type]
    out: list[str] = []
    prev = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += reader.feed(data[prev:cut])
        prev = cut
    return out + reader.close()


@given(
    st.lists(st.tuples(line_text, st.sampled_from(["\n", "\r\n"])), max_size=8),
    st.booleans(),
    st.booleans(),
    st.lists(st.integers(0, 300), max_size=6),
)
def test_round_trip_any_chunking(
    lines: list[tuple[str, str]], last_end: bool, bom: bool, cuts: list[int]
) -> None:
    text = "".join(t + e for t, e in lines)
    if lines and not last_end:
        text = text[: -len(lines[-1][1])]
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    # lines whose text ends with "\r" followed by "\n" read as a "\r\n" line end
    expected = text.replace("\r\n", "\n").split("\n")
    if text.endswith("\n") or not text:
        expected.pop()
    assert read_text_lines(data) == expected
    assert feed_in_chunks(data, cuts) == expected
    with_ends = feed_in_chunks(data, cuts, keep_ends=True)
    assert "".join(with_ends) == text
    assert feed_in_chunks(data, cuts, skip_empty=True) == [x for x in expected if x]


@given(st.binary(max_size=200), cuts(200))
def test_random_bytes(data: bytes, cuts: list[int]) -> None:
    try:
        whole = read_text_lines(data)
    except FormatError:
        whole = None
    try:
        chunked = feed_in_chunks(data, cuts)
    except FormatError:
        chunked = None
    assert chunked == whole
    replaced = feed_in_chunks(data, cuts, errors="replace", keep_ends=True)
    assert "".join(replaced) == data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")


def test_line_ends() -> None:
    assert read_text_lines(b"a\r\nb\nc") == ["a", "b", "c"]
    assert read_text_lines(b"a\rb\n") == ["a\rb"]  # a lone CR is not a line end
    assert read_text_lines(b"a\n\n", keep_ends=True) == ["a\n", "\n"]
    assert read_text_lines(b"a\r\n\r\nb", keep_ends=True, skip_empty=True) == ["a\r\n", "b"]
    assert read_text_lines(b"") == []
    assert read_text_lines(b"\n") == [""]
    assert read_text_lines(b"\xef\xbb\xbf") == []


def test_encodings_and_errors() -> None:
    assert read_text_lines(b"caf\xe9\n", encoding="latin-1") == ["café"]
    assert read_text_lines(b"a\xffb\n", errors="ignore") == ["ab"]
    assert read_text_lines(b"a\xffb\n", errors="replace") == ["a\ufffdb"]
    with pytest.raises(FormatError, match=r"t.txt: byte 5: line 3: invalid utf-8") as e:
        read_text_lines(b"ab\n\nc\xff\n", name="t.txt")
    assert e.value.offset == 5
    with pytest.raises(FormatError, match="truncated character at the end"):
        read_text_lines(b"ok\n\xe2\x82")
    with pytest.raises(DataValueError, match="newline"):
        read_text_lines(b"", encoding="utf-16")
    with pytest.raises(DataValueError, match="errors"):
        read_text_lines(b"", errors="surrogateescape")


def test_long_lines_are_refused() -> None:
    with pytest.raises(FormatError, match="line 2 is longer than max_line_bytes=10"):
        read_text_lines(b"short\n" + b"x" * 11, max_line_bytes=10)
    with pytest.raises(FormatError, match="line 2 is longer than max_line_bytes=10"):
        TextLineReader(max_line_bytes=10).feed(b"short\n" + b"x" * 11 + b"\nok\n")
    reader = TextLineReader(max_line_bytes=100)
    with pytest.raises(FormatError, match="no line end"):
        for _ in range(20):
            reader.feed(b"y" * 10)
    with pytest.raises(DataValueError):
        TextLineReader(max_line_bytes=0)


def test_file_sources(tmp_path) -> None:
    p = tmp_path / "lines.txt"
    p.write_bytes(b"one\ntwo\n")
    assert read_text_lines(p) == ["one", "two"]
    with open(p, "rb") as f:
        assert read_text_lines(f) == ["one", "two"]
    ds = text_lines_dataset(str(p), keep_ends=True)
    assert len(ds) == 2 and ds[0] == "one\n"
