"""Shard manifests: which shards a dataset has, where they are, and what they must contain.

A manifest is a JSON object (a ``*.shards.json`` file, a URL, or a dict)::

    {"version": 1, "format": "tar",
     "shards": [{"url": "data-000.tar", "size": 10240, "records": 100, "sha256": "..."}, ...]}

``shards`` is a list of entries (an object with ``url`` and optional ``size``, ``records``,
``sha256``; or just the URL string), or a brace pattern such as ``"data-{000..099}.tar"``
(with optional lists ``sizes``, ``records`` and ``sha256``, one item per shard). ``format``
(default ``"tar"``) says how a shard is parsed; ``base_url`` (optional) is where relative shard
URLs point, itself relative to the manifest's URL. Shards of a manifest read from a URL
resolve against that URL; shards of a local manifest are files beside it and must stay in
its directory (no absolute paths, no ``..``).

>>> m = parse_manifest({"shards": "s-{0..2}.tar"}, base="https://example.org/d/m.json")
>>> [s.url for s in m.shards]
['https://example.org/d/s-0.tar', 'https://example.org/d/s-1.tar', 'https://example.org/d/s-2.tar']
"""

from __future__ import annotations

import itertools
import os
import posixpath
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from .._errors import DataTypeError, FormatError, SourceError
from .._json import load_json
from ..formats import read_bytes
from ._http import FetchTimeoutError, IntegrityError, NetworkError
from ._urls import absolute_url, is_http_url, is_local_path, is_url

__all__ = ["Manifest", "Shard", "expand_braces", "load_manifest", "parse_manifest"]

#: Most shards a manifest may list.
MAX_SHARDS = 1_000_000
#: Most shards one brace pattern may name, and most characters all its names may hold:
#: a pattern of a few bytes costs a validated :class:`Shard` per name (about 1 µs and 600
#: bytes each), so it is held to 100,000 names; a bigger dataset lists its shards.
MAX_PATTERN_SHARDS = 100_000
MAX_PATTERN_CHARS = 1 << 24
#: Largest manifest file or download read, in bytes.
MAX_MANIFEST_BYTES = 64 << 20
#: Largest ``size`` or ``records`` of a shard, and of their sums (``len()`` of a dataset):
#: ``sys.maxsize``, 2**63 - 1 natively and 2**31 - 1 in Pyodide.
MAX_COUNT = sys.maxsize
_BRACE = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"(-?)(\d+)\.\.(-?)(\d+)")
_MAX_DIGITS = 18  # significant digits of a range bound
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _bound(sign: str, digits: str, body: str, pattern: str) -> int:
    significant = digits.lstrip("0") or "0"  # int() refuses 4,300+ digits, zeros included
    if len(significant) > _MAX_DIGITS:
        raise FormatError(
            f"brace range {{{body:.60}}}: a bound of {len(digits)} digits "
            f"(at most {_MAX_DIGITS} significant digits)",
            source=pattern[:200],
        )
    return -int(significant) if sign else int(significant)


def _group(body: str, pattern: str) -> tuple[int, range, int] | list[str] | None:
    """A brace group's names: ``(count, range, width)`` for a range, a list for ``a,b``."""
    m = _RANGE.fullmatch(body)
    if m:
        (sa, a, sb, b) = m.groups()
        lo, hi = _bound(sa, a, body, pattern), _bound(sb, b, body, pattern)
        padded = any(len(d) > 1 and d[0] == "0" for d in (a, b))
        width = max(len(sa + a), len(sb + b)) if padded else 0
        step = 1 if hi >= lo else -1
        return abs(hi - lo) + 1, range(lo, hi + step, step), width
    if "," in body:
        return body.split(",")
    return None  # like a shell: no range and no comma, the braces are literal


def expand_braces(pattern: str, *, limit: int = MAX_PATTERN_SHARDS) -> list[str]:
    """Expand shell-style braces: numeric ranges ``{000..099}`` and alternatives ``{a,b}``.

    Several groups multiply (``{a,b}-{0..1}`` gives four names). A range keeps the width of
    a bound written with a leading zero, and may count down. Braces with neither ``..`` nor
    ``,`` inside stay as they are. Nested braces, more than ``limit`` names (default
    :data:`MAX_PATTERN_SHARDS`) or more than :data:`MAX_PATTERN_CHARS` characters in all
    raise :class:`~torsh_data.FormatError`, counted before anything is expanded; the work
    is linear in the names made.

    >>> expand_braces("data-{000..002}.tar")
    ['data-000.tar', 'data-001.tar', 'data-002.tar']
    >>> expand_braces("{train,val}-{0..1}")
    ['train-0', 'train-1', 'val-0', 'val-1']
    """
    if not isinstance(pattern, str):
        raise DataTypeError(f"a brace pattern is a str, not {type(pattern).__name__}")
    label = pattern[:200]
    depth = 0
    for c in pattern:
        depth += (c == "{") - (c == "}")
        if depth > 1:
            raise FormatError("nested braces are not supported", source=label)
    groups: list[tuple[int, range, int] | list[str]] = []
    fixed: list[str] = []
    pos, count, longest = 0, 1, 0
    for m in _BRACE.finditer(pattern):
        group = _group(m.group(1), pattern)
        if group is None:
            continue
        fixed.append(pattern[pos : m.start()])
        pos = m.end()
        if isinstance(group, list):
            count *= len(group)
            longest += max(map(len, group))
        else:
            n, numbers, width = group
            count *= n
            longest += max(width, len(str(numbers[0])), len(str(numbers[-1])))
        groups.append(group)
        if count > limit:
            raise FormatError(f"the brace pattern names more than {limit} shards", source=label)
    fixed.append(pattern[pos:])
    longest += sum(map(len, fixed))
    if count * longest > MAX_PATTERN_CHARS:
        raise FormatError(
            f"the brace pattern's {count} names of up to {longest} characters are more than "
            f"MAX_PATTERN_CHARS={MAX_PATTERN_CHARS} characters in all",
            source=label,
        )
    pieces: list[list[str]] = [[fixed[0]]]
    for group, text in zip(groups, fixed[1:], strict=True):
        if isinstance(group, tuple):
            _, numbers, width = group
            group = [f"{i:0{width}d}" for i in numbers]
        pieces += [group, [text]]
    return ["".join(parts) for parts in itertools.product(*pieces)]


@dataclass(frozen=True)
class Shard:
    """One shard: where it is (a URL or a local path) and what the manifest promises."""

    url: str
    size: int | None = None
    records: int | None = None
    sha256: str | None = None

    @property
    def local(self) -> bool:
        """True for a file on this machine (or in Pyodide's file system)."""
        return not is_url(self.url)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: the shards in order, their format and where it came from."""

    shards: tuple[Shard, ...]
    format: str = "tar"
    source: str = "<manifest>"

    @property
    def records(self) -> int | None:
        """Total records, when every shard says how many it has."""
        counts = [s.records for s in self.shards]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)

    @property
    def size(self) -> int | None:
        """Total bytes, when every shard says how big it is."""
        sizes = [s.size for s in self.shards]
        return None if any(n is None for n in sizes) else sum(n for n in sizes if n is not None)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready data (shard locations as resolved)."""
        shards = [{k: v for k, v in vars(s).items() if v is not None} for s in self.shards]
        return {"version": 1, "format": self.format, "shards": shards}


def _count(value: Any, field: str, source: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise FormatError(
            f"{field} must be an integer from 0 to {MAX_COUNT}, got {_show(value)}", source=source
        )
    return value


def _show(value: Any) -> str:
    """``value`` for a message, short even when it is a huge int (``repr`` of one of 4,300+
    digits raises ``ValueError``)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4096:
        return f"an integer of {value.bit_length()} bits"
    return f"{value!r:.80}"


def _digest(value: Any, field: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.fullmatch(value.lower()):
        raise FormatError(f"{field} must be 64 hex digits, got {value!r:.80}", source=source)
    return value.lower()


def _resolve(name: Any, base: str | None, field: str, source: str) -> str:
    if not isinstance(name, str) or not name:
        raise FormatError(f"{field} must be a non-empty string, got {_show(name)}", source=source)
    if "\0" in name:
        raise FormatError(f"{field} {name!r:.80} contains a NUL character", source=source)
    if is_url(name) and not is_http_url(name):
        raise FormatError(f"{field} {name!r}: only http(s) URLs and relative paths", source=source)
    if is_url(name):
        return name
    if base is not None and is_url(base):
        url = urljoin(base, name)
        if not is_http_url(url):
            raise FormatError(f"{field} {name!r} is not an http(s) URL", source=source)
        return url
    if "://" in name or name.startswith("//"):
        raise FormatError(f"{field} {name!r}: only http(s) URLs and relative paths", source=source)
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or name[1:2] == ":" or ".." in parts:
        raise FormatError(
            f"{field} {name!r} leaves the manifest's directory (absolute or '..'); refused",
            source=source,
        )
    if base is None:
        return posixpath.normpath(name)
    return os.path.join(base, *[p for p in parts if p not in ("", ".")])


def _lists(data: Mapping[str, Any], n: int, source: str) -> list[list[Any]]:
    out = []
    for field in ("sizes", "records", "sha256"):
        values = data.get(field)
        if values is None:
            out.append([None] * n)
            continue
        if not isinstance(values, list) or len(values) != n:
            raise FormatError(
                f"{field!r} must be a list with one item per shard ({n})", source=source
            )
        out.append(values)
    return out


def parse_manifest(data: Any, *, base: str | None = None, source: str | None = None) -> Manifest:
    """Validate manifest ``data`` (a dict, as parsed from JSON) into a :class:`Manifest`.

    Args:
        data: the manifest object.
        base: where relative shard names point: the manifest's URL (names are joined to it)
            or its local directory (names must stay inside it). None: the current directory.
        source: how errors name the manifest (default: ``base`` or ``<manifest>``).

    Raises:
        FormatError: a missing or malformed field, a hostile pattern or path; the message
            names the manifest and the field.
    """
    label = source or base or "<manifest>"
    if not isinstance(data, Mapping):
        raise FormatError(f"a manifest is a JSON object, not {type(data).__name__}", source=label)
    version = data.get("version", 1)
    if version != 1:
        raise FormatError(f"unsupported manifest version {version!r:.40}", source=label)
    fmt = data.get("format", "tar")
    if not isinstance(fmt, str) or not fmt:
        raise FormatError(f"'format' must be a non-empty string, got {fmt!r:.80}", source=label)
    if "base_url" in data:
        raw = data["base_url"]
        if not isinstance(raw, str) or not raw:
            raise FormatError(f"'base_url' must be a URL string, got {raw!r:.80}", source=label)
        base = urljoin(base, raw) if base is not None and is_url(base) else raw
        if not is_http_url(base):
            raise FormatError(f"'base_url' must be an http(s) URL, got {raw!r:.80}", source=label)
        if not base.endswith("/"):
            base += "/"
    if "shards" not in data:
        raise FormatError("missing field 'shards'", source=label)
    raw_shards = data["shards"]
    entries: list[Any]
    if isinstance(raw_shards, str):
        try:
            names = expand_braces(raw_shards)
        except FormatError as exc:
            raise FormatError(
                f"'shards' pattern {raw_shards[:80]!r}: {exc.reason}", source=label
            ) from None
        sizes, records, digests = _lists(data, len(names), label)
        entries = [
            {"url": u, "size": s, "records": r, "sha256": d}
            for u, s, r, d in zip(names, sizes, records, digests, strict=True)
        ]
    elif isinstance(raw_shards, list):
        entries = raw_shards
    else:
        raise FormatError("'shards' must be a list or a brace pattern string", source=label)
    if not entries:
        raise FormatError("'shards' is empty: a manifest needs at least one shard", source=label)
    if len(entries) > MAX_SHARDS:
        raise FormatError(f"more than {MAX_SHARDS} shards", source=label)
    shards = []
    for i, entry in enumerate(entries):
        field = f"shards[{i}]"
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, Mapping):
            raise FormatError(f"{field} must be an object or a URL string", source=label)
        if "url" not in entry:
            raise FormatError(f"{field} has no 'url'", source=label)
        shards.append(
            Shard(
                _resolve(entry["url"], base, f"{field}.url", label),
                _count(entry.get("size"), f"{field}.size", label),
                _count(entry.get("records"), f"{field}.records", label),
                _digest(entry.get("sha256"), f"{field}.sha256", label),
            )
        )
    for field in ("records", "size"):
        total = sum(getattr(s, field) or 0 for s in shards)
        if total > MAX_COUNT:
            raise FormatError(
                f"the shards' {field!r} add up to {_show(total)}, more than {MAX_COUNT}",
                source=label,
            )
    return Manifest(tuple(shards), fmt, label)


def _decode(raw: bytes, label: str) -> Any:
    if len(raw) > MAX_MANIFEST_BYTES:
        raise FormatError(f"larger than the {MAX_MANIFEST_BYTES}-byte limit", source=label)
    return load_json(raw, source=label)


def read_manifest_file(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a local manifest file (shards are files beside it)."""
    label = os.fspath(path)
    try:  # in chunks: f.read(MAX_MANIFEST_BYTES + 1) would allocate the whole cap at once
        raw = read_bytes(label, max_bytes=MAX_MANIFEST_BYTES)
    except OSError as exc:
        raise SourceError(f"{label}: cannot read the manifest: {exc.strerror or exc}") from None
    base = os.path.dirname(os.path.abspath(label))
    return parse_manifest(_decode(raw, label), base=base, source=label)


async def load_manifest(
    source: str | os.PathLike[str] | Mapping[str, Any] | Manifest,
    *,
    base: str | None = None,
    cache: Any = None,
    **fetch_options: Any,
) -> Manifest:
    """Load and validate a manifest from a URL, a local path or a dict.

    Args:
        source: an ``http(s)`` URL (fetched with :func:`~torsh_data.io.fetch_bytes`; in a
            browser, also a URL relative to the page), a path of a ``*.shards.json`` file, a
            dict, or a :class:`Manifest` (returned as it is).
        base: for a dict, where its relative shard names point (see :func:`parse_manifest`).
        cache: a :class:`~torsh_data.io.Cache`: a downloaded manifest is kept there, and used
            when the network fails (offline); a manifest that downloads is always preferred.
        **fetch_options: passed to ``fetch_bytes`` for a URL (``timeout``, ``retries``, ...).

    Raises:
        FormatError: the manifest is malformed (the message names it and the field).
        SourceError: it could not be read or downloaded.

    >>> import asyncio
    >>> m = asyncio.run(load_manifest({"shards": ["a.tar", {"url": "b.tar", "records": 5}]}))
    >>> [(s.url, s.records) for s in m.shards], m.records
    ([('a.tar', None), ('b.tar', 5)], None)
    """
    if isinstance(source, Manifest):
        return source
    if isinstance(source, Mapping):
        return parse_manifest(source, base=base)
    if is_local_path(source):
        return read_manifest_file(source)
    if not isinstance(source, str):
        raise DataTypeError(f"a manifest is a URL, a path or a dict, not {type(source).__name__}")
    url = absolute_url(source)
    key = f"manifest:{url}"
    try:
        raw = await fetch_capped(url, MAX_MANIFEST_BYTES, **fetch_options)
    except (NetworkError, FetchTimeoutError):
        kept = None if cache is None else await cache.get(key)
        if kept is None:
            raise
        raw = kept
    else:
        if cache is not None:
            try:
                await cache.put(key, raw)
            except SourceError:
                pass  # a cache that cannot hold it does not fail the load
    return parse_manifest(_decode(raw, url), base=url, source=url)


async def fetch_capped(url: str, limit: int, **fetch_options: Any) -> bytes:
    """Download ``url`` like ``fetch_bytes``, stopping with an error past ``limit`` bytes
    (a hostile or broken server cannot fill memory; nothing is cached then)."""
    from .fetch import iter_fetch

    chunks, got = [], 0
    stream = iter_fetch(url, **fetch_options)
    try:
        async for chunk in stream:
            got += len(chunk)
            if got > limit:
                raise IntegrityError(url, f"more than the {limit} bytes expected; stopped")
            chunks.append(chunk)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return b"".join(chunks)
