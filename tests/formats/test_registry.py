"""The format registry (``torsh_data.formats._registry``): one table that ``reader_for``,
``open_dataset`` and the JavaScript package all read.

The expected names below are the tables each of those kept before the registry (written out
here, not derived from it), so a change to the registry that changes what a name or content
type means fails here.
"""

from __future__ import annotations

import gzip
import pathlib
import re
from typing import Any

import pytest
from support import run

from torsh_data import DataValueError
from torsh_data._jsapi import FORMATS as JS_FORMATS
from torsh_data._jsapi import JsLoader, guess_format
from torsh_data.formats import FORMATS, Format, IncrementalReader, register_format
from torsh_data.formats import lookup_format as lookup
from torsh_data.formats import sniff_format as sniff
from torsh_data.io import StreamingDataset, open_dataset, reader_for
from torsh_data.io._readers import detect_format

INDEX_D_TS = pathlib.Path(__file__).resolve().parents[2] / "js" / "index.d.ts"


@pytest.mark.native_only(
    reason="reads js/index.d.ts from the checkout; Pyodide runs mount tests/ only"
)
def test_index_d_ts_lists_the_registry_formats() -> None:
    found = re.search(r"export type Format =([^;]+);", INDEX_D_TS.read_text("utf-8"))
    assert found is not None, "js/index.d.ts has no 'export type Format = ...;'"
    declared = re.findall(r'"([^"]+)"', found.group(1))
    assert sorted(declared) == sorted(FORMATS) == list(JS_FORMATS)
    assert len(declared) == len(set(declared))


# (name, content type) -> (format, gzipped), as io's reader tables gave them.
IO_CASES = [
    ("a.csv", None, ("csv", False)),
    ("a.tsv", None, ("csv", False)),
    ("a.jsonl", None, ("jsonl", False)),
    ("a.ndjson", None, ("jsonl", False)),
    ("a.json", None, ("json", False)),
    ("a.txt", None, ("text", False)),
    ("a.text", None, ("text", False)),
    ("a.npy", None, ("npy", False)),
    ("a.tar", None, ("tar", False)),
    ("a.tgz", None, ("tar", False)),
    ("a.tar.gz", None, ("tar", True)),
    ("https://h.org/d.x/A.CSV.gz?v=1#frag", None, ("csv", True)),
    ("data.shards.json", None, ("json", False)),  # a manifest is JSON when streamed
    ("data.gz", "text/csv", ("csv", True)),
    ("data", "text/csv; charset=utf-8", ("csv", False)),
    (None, "text/tab-separated-values", ("csv", False)),
    (None, "application/x-ndjson", ("jsonl", False)),
    (None, "application/ndjson", ("jsonl", False)),
    (None, "application/jsonl", ("jsonl", False)),
    (None, "application/x-jsonlines", ("jsonl", False)),
    (None, "application/json", ("json", False)),
    (None, "text/plain", ("text", False)),
    (None, "application/x-tar", ("tar", False)),
    (None, "application/x-npy", ("npy", False)),  # the JS table's; io reads it too now
]


@pytest.mark.parametrize(("name", "ctype", "expected"), IO_CASES)
def test_io_tells_the_formats_it_told(name: Any, ctype: Any, expected: Any) -> None:
    assert detect_format(None, name, ctype) == expected


@pytest.mark.parametrize(
    ("name", "ctype"),
    [("a.npz", None), ("train-images-idx3-ubyte", None), (None, "application/gzip"), ("a", None)],
)
def test_io_refuses_what_it_cannot_stream(name: Any, ctype: Any) -> None:
    with pytest.raises(DataValueError, match="cannot tell the format"):
        detect_format(None, name, ctype)


# (name, content type) -> format, as the JavaScript package's table gave them.
JS_CASES = [
    ("a.csv.gz", None, "csv"),
    ("a.tsv", None, "tsv"),
    ("a.tar.gz", None, "tar"),
    ("a.tgz", None, "tar"),
    ("a.ndjson", None, "jsonl"),
    ("a.json", None, "json"),
    ("a.shards.json", None, "shards"),
    ("a.npy", None, "npy"),
    ("a.npz", None, "npz"),
    ("a.idx", None, "idx"),
    ("train-images-idx3-ubyte.gz", None, "idx"),
    ("t10k-labels.idx1-ubyte", None, "idx"),
    ("x.txt", None, "text"),
    ("x.text", None, "text"),  # io's table; the JS package reads it too now
    ("data", "text/tab-separated-values", "tsv"),
    ("data", "application/x-npy", "npy"),
    (None, "application/x-tar", "tar"),
    (None, "application/x-jsonlines", "jsonl"),  # io's table
]


@pytest.mark.parametrize(("name", "ctype", "expected"), JS_CASES)
def test_the_js_package_tells_the_formats_it_told(name: Any, ctype: Any, expected: str) -> None:
    assert guess_format(name=name, content_type=ctype) == expected


def test_every_extension_and_content_type_tells_one_format() -> None:
    claimed: dict[str, str] = {}
    for f in FORMATS.values():
        assert f.reader or f.whole or f.dataset, f"{f.name} has no way to be read"
        assert lookup(f.name) is f and lookup(f.name.upper()) is f
        for alias in f.aliases:
            assert lookup(alias) is f
        for key in (*f.extensions, *f.content_types):
            assert claimed.setdefault(key, f.name) == f.name, f"{key} is claimed twice"
        for ext in f.extensions:
            assert sniff(f"dir/x{ext}") == (f, False)
            assert sniff(f"https://h/x{ext.upper()}.gz?q=1") == (f, True)
        for ctype in f.content_types:
            assert sniff(content_type=f"{ctype}; charset=utf-8") == (f, False)
        assert FORMATS[f.records].reader is f.reader


def test_tsv_reads_tab_separated_rows_however_it_is_named() -> None:
    data = b"a\tb\n1\tx\n"
    expected = [{"a": 1, "b": "x"}]
    for kwargs in (
        {"format": "tsv"},
        {"format": "csv", "name": "t.tsv"},
        {"name": "t.csv", "content_type": "text/tab-separated-values"},
        {"name": "t.TSV.gz"},
    ):
        reader = reader_for(**kwargs)
        raw = gzip.compress(data) if kwargs.get("name", "").endswith(".gz") else data
        assert reader.feed(raw) + reader.close() == expected, kwargs
    reader = reader_for("tsv", delimiter=",")  # an explicit option wins
    assert reader.feed(b"a,b\n1,2\n") + reader.close() == [{"a": 1, "b": 2}]


class SemicolonReader(IncrementalReader[str]):
    """A toy format: records separated by ``;``."""

    def __init__(self, name: str = "<bytes>") -> None:
        super().__init__(name)
        self.rest = b""

    def feed(self, chunk: bytes) -> list[str]:
        *done, self.rest = (self.rest + bytes(chunk)).split(b";")
        return [d.decode() for d in done]

    def close(self) -> list[str]:
        return [self.rest.decode()] if self.rest else []


def test_a_new_format_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    toy = Format(
        "semi",
        aliases=("semicolons",),
        extensions=(".semi",),
        content_types=("application/x-semi",),
        reader=SemicolonReader,
    )
    monkeypatch.setitem(FORMATS, "semi", toy)
    data = b"a;bb;c"
    reader = reader_for("semicolons")
    assert reader.feed(data[:3]) + reader.feed(data[3:]) + reader.close() == ["a", "bb", "c"]
    packed = gzip.compress(b"x;y")
    assert list(StreamingDataset([packed[:5], packed[5:]], name="https://h/d.semi.gz")) == [
        "x",
        "y",
    ]
    assert list(open_dataset(data, content_type="application/x-semi")) == ["a", "bb", "c"]
    assert guess_format(name="data.semi") == guess_format("semi") == "semi"
    loader = JsLoader(2, {"name": "data.semi"})
    assert run(loader.load_bytes(data)) == 3
    assert loader.format == "semi"
    assert run(loader.next_batch()) == {"x0": "a", "x1": "bb"}  # strings collate to a list


def test_register_format_adds_replaces_and_refuses_a_taken_name(monkeypatch: Any) -> None:
    monkeypatch.setattr("torsh_data.formats._registry.FORMATS", dict(FORMATS))
    from torsh_data.formats import _registry

    semi = register_format(Format("semi", aliases=("sc",), extensions=(".semi",)))
    assert _registry.lookup("SC") is semi and _registry.sniff(name="x.semi.gz") == (semi, True)
    again = register_format(Format("semi", extensions=(".semi2",)))
    assert _registry.lookup("semi") is again and _registry.lookup("sc") is None
    with pytest.raises(DataValueError, match="'ndjson' is 'jsonl'"):
        register_format(Format("lines", aliases=("ndjson",)))
    assert _registry.lookup("lines") is None
    assert "shards" in FORMATS  # torsh_data.io registered it; the real table is untouched
