"""The JavaScript package's options and format names: what ``WasmDataLoader(batchSize,
options)`` accepts (camelCase or snake_case) and how a source's format is told from its name
or content type."""

from __future__ import annotations

import re
from typing import Any

from ._errors import DataTypeError, DataValueError
from ._json import load_json

__all__ = ["FORMATS", "format_or_none", "guess_format", "parse_options"]

#: The formats :func:`guess_format` knows, by the names the ``format`` option takes.
FORMATS = ("csv", "idx", "json", "jsonl", "npy", "npz", "shards", "tar", "text", "tsv")
_EXTENSIONS = [
    (".shards.json", "shards"),
    (".tar.gz", "tar"),
    (".tgz", "tar"),
    (".ndjson", "jsonl"),
    (".jsonl", "jsonl"),
    (".json", "json"),
    (".csv", "csv"),
    (".tsv", "tsv"),
    (".npy", "npy"),
    (".npz", "npz"),
    (".idx", "idx"),
    (".tar", "tar"),
    (".txt", "text"),
]
_CONTENT_TYPES = {
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-tar": "tar",
    "application/x-npy": "npy",
    "text/plain": "text",
}
_IDX_NAME = re.compile(r"-(?:idx\d|ubyte)|\.idx\d-ubyte$")
_ALIASES = {  # camelCase -> snake_case option names
    "batchSize": "batch_size",
    "dropLast": "drop_last",
    "labelColumn": "label",
    "contentType": "content_type",
    "endOfEpoch": "end_of_epoch",
    "chunkSize": "chunk_size",
    "maxBytes": "max_bytes",
    "inMemoryBytes": "in_memory_bytes",
}
_OPTIONS = {
    "batch_size", "shuffle", "seed", "drop_last", "columns", "label", "transforms", "cache",
    "workers", "format", "name", "content_type", "names", "cast", "end_of_epoch", "delimiter",
    "header", "chunk_size", "max_bytes", "tokenize", "in_memory_bytes",
}  # fmt: skip


def guess_format(
    format: str | None = None, *, name: str | None = None, content_type: str | None = None
) -> str:
    """The format to parse: ``format`` if given, else from ``name``'s extension, else the type.

    >>> guess_format(name="data/train.csv.gz"), guess_format(content_type="text/csv; charset=x")
    ('csv', 'csv')
    >>> guess_format(name="train-images-idx3-ubyte.gz")
    'idx'
    """
    if format:
        if format not in FORMATS:
            raise DataValueError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
        return format
    if name:
        base = name.split("?", 1)[0].split("#", 1)[0].lower()
        if base.endswith(".gz") and not base.endswith(".tar.gz"):
            base = base[:-3]
        for ext, fmt in _EXTENSIONS:
            if base.endswith(ext):
                return fmt
        if _IDX_NAME.search(base):
            return "idx"
    if content_type:
        found = _CONTENT_TYPES.get(content_type.split(";", 1)[0].strip().lower())
        if found:
            return found
    raise DataValueError(
        f"cannot tell the format of {name or '<data>'!r} (content type {content_type!r}); "
        f"pass the format option, one of {', '.join(FORMATS)}"
    )


def parse_options(options: str | dict[str, Any] | None) -> dict[str, Any]:
    """JavaScript options (a JSON string or dict, camelCase or snake_case) as snake_case."""
    raw = load_json(options, source="options") if isinstance(options, str) else dict(options or {})
    if not isinstance(raw, dict):
        raise DataTypeError(f"options must be a JSON object, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        key = _ALIASES.get(key, key)
        if key not in _OPTIONS:
            raise DataValueError(f"unknown option {key!r}; known: {', '.join(sorted(_OPTIONS))}")
        if value is not None:
            out[key] = value
    return out


def format_or_none(name: str, content_type: str | None) -> str | None:
    """:func:`guess_format`, or None when the name and type do not tell."""
    try:
        return guess_format(name=name, content_type=content_type)
    except DataValueError:
        return None  # decided after the download, from its bytes' name and type
