"""The one URL classifier (io/_urls.py), with the cases where the manifest's and the
sources' old ``is_url`` disagreed."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin

import pytest
from support import run

from torsh_data import FormatError
from torsh_data._ffi import page_url
from torsh_data._runtime import IN_BROWSER
from torsh_data.io import _manifest, load_manifest
from torsh_data.io._manifest import parse_manifest
from torsh_data.io._urls import (
    absolute_url,
    is_http_url,
    is_local_path,
    is_page_relative,
    is_remote,
    is_url,
)

# (text, is_url, is_http_url): the old manifest test said only "http://"/"https://" (lower
# case); the old sources test said any "http:"/"https:"/"blob:"/"data:" in any case.
DISAGREED = [
    ("HTTPS://example.org/a.tar", True, True),  # scheme case: URL (RFC 3986)
    ("Http://example.org/a.tar", True, True),
    ("blob:https://example.org/5e1c", True, False),  # fetch opens it; no shard base
    ("data:application/json,{}", True, False),
    ("DATA:,x", True, False),
    ("http:relative/a.tar", False, False),  # no "//": not an absolute URL
]
AGREED = [
    ("https://example.org/a.tar", True, True),
    ("http://127.0.0.1:8000/x", True, True),
    ("train.csv", False, False),
    ("dir/s-000.tar", False, False),
    ("/abs/path.tar", False, False),
    ("ftp://example.org/a", False, False),
    ("", False, False),
]


@pytest.mark.parametrize(("text", "url", "http"), DISAGREED + AGREED)
def test_is_url_and_is_http_url(text: str, url: bool, http: bool) -> None:
    assert is_url(text) is url
    assert is_http_url(text) is http
    assert is_remote(text) is (url or (IN_BROWSER and bool(text) and not os.path.exists(text)))


@pytest.mark.parametrize("value", [b"https://x/a", Path("https:/x"), None, 3])
def test_only_strings_are_urls(value: object) -> None:
    assert not is_url(value) and not is_remote(value)


def test_an_existing_file_is_a_path_on_every_runtime(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("x\n1\n")
    assert is_local_path(str(f)) and is_local_path(f) and not is_page_relative(str(f))
    assert absolute_url(str(f)) == str(f)
    assert not is_local_path("https://example.org/a.csv")


def test_a_missing_file_is_a_relative_url_only_in_a_page() -> None:
    name = "no/such/file.csv"
    if IN_BROWSER:  # resolved against the page, as a link on it would be
        assert is_page_relative(name) and is_remote(name) and not is_local_path(name)
        page = page_url()
        assert page is not None
        assert absolute_url(name) == urljoin(page, name)
    else:  # natively and under Node.js there is no page to be relative to
        assert is_local_path(name) and not is_page_relative(name) and not is_remote(name)
        assert absolute_url(name) == name


def test_a_manifest_accepts_an_upper_case_scheme_from_a_local_directory() -> None:
    # the old manifest test took "HTTPS://..." for a path and refused it ("://")
    m = parse_manifest({"shards": ["HTTPS://example.org/a.tar", "b.tar"]}, base="/data")
    assert [s.local for s in m.shards] == [False, True]
    assert m.shards[0].url == "HTTPS://example.org/a.tar"


@pytest.mark.parametrize("name", ["blob:https://example.org/5e1c", "data:,shard"])
def test_a_manifest_refuses_blob_and_data_shards(name: str) -> None:
    with pytest.raises(FormatError, match="only http"):
        parse_manifest({"shards": [name]}, base="https://example.org/m.json")
    with pytest.raises(FormatError, match="only http"):
        parse_manifest({"shards": [name]})


def test_a_manifest_refuses_a_data_base_url() -> None:
    with pytest.raises(FormatError, match="base_url"):
        parse_manifest({"shards": ["a.tar"], "base_url": "data:,x"})


@pytest.mark.parametrize("url", ["data:application/json,{}", "HTTPS://example.org/m.json"])
def test_load_manifest_fetches_what_the_old_test_took_for_a_file(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the old manifest test took these for file names and failed to open them
    asked: list[str] = []

    async def fetch_capped(got: str, limit: int, **options: object) -> bytes:
        asked.append(got)
        return b'{"shards": ["https://e.org/a.tar"]}'

    monkeypatch.setattr(_manifest, "fetch_capped", fetch_capped)
    m = run(load_manifest(url))
    assert asked == [url]
    assert [s.url for s in m.shards] == ["https://e.org/a.tar"]
