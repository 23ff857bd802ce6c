"""The JavaScript package's options and format names: what ``WasmDataLoader(batchSize,
options)`` accepts (camelCase or snake_case) and how a source's format is told from its name
or content type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import io as _io  # noqa: F401  (io registers the "shards" format in FORMATS)
from .._dtype import dtype
from .._errors import DataTypeError, DataValueError
from .._json import load_json
from ..formats import FORMATS as REGISTRY
from ..formats import sniff_format as sniff
from .labels import LABEL_DTYPES

__all__ = ["FORMATS", "format_or_none", "guess_format", "parse_options"]

#: The formats :func:`guess_format` knows, by the names the ``format`` option takes.
FORMATS = tuple(sorted(REGISTRY))
_ALIASES = {  # camelCase -> snake_case option names
    "batchSize": "batch_size",
    "dropLast": "drop_last",
    "labelColumn": "label",
    "contentType": "content_type",
    "endOfEpoch": "end_of_epoch",
    "chunkSize": "chunk_size",
    "maxBytes": "max_bytes",
    "inMemoryBytes": "in_memory_bytes",
    "labelDtype": "label_dtype",
}


def _int(minimum: int | None = None) -> Callable[[Any], bool]:
    return lambda v: type(v) is int and (minimum is None or v >= minimum)


def _list_of(*types: type) -> Callable[[Any], bool]:
    return lambda v: type(v) is list and all(type(x) in types for x in v)


_FLAG = ("true or false", lambda v: type(v) is bool)
_TEXT = ("a string", lambda v: type(v) is str)
#: Each option: what it must be (for the message) and the test of a value (null is dropped).
_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "batch_size": ("an integer >= 1", _int(1)),
    "shuffle": _FLAG,
    "seed": ("an integer", _int()),
    "drop_last": _FLAG,
    "columns": ("a list of column names or indices", _list_of(str, int)),
    "label": ("a column name or index", lambda v: type(v) in (str, int)),
    "transforms": ("a list of transforms", lambda v: type(v) is list),
    "cache": ("true, false or a cache name", lambda v: type(v) in (bool, str)),
    "workers": ("an integer >= 0", _int(0)),
    "format": _TEXT,
    "name": _TEXT,
    "content_type": _TEXT,
    "names": ("a list of strings", _list_of(str)),
    "cast": (
        'an object {dtype: dtype}, e.g. {"int64": "int32"}',
        lambda v: type(v) is dict and all(type(x) is str for x in v.values()),
    ),
    "end_of_epoch": ('"null" or "throw"', lambda v: v in ("null", "throw")),
    "delimiter": _TEXT,
    "header": (
        "true, false or a list of column names",
        lambda v: type(v) is bool or _list_of(str)(v),
    ),
    "chunk_size": ("an integer >= 1", _int(1)),
    "max_bytes": ("an integer >= 1", _int(1)),
    "tokenize": _FLAG,
    "in_memory_bytes": ("an integer >= 0", _int(0)),
    "label_dtype": (
        '"float32", "int32" or "int64"',
        lambda v: type(v) is str and v in LABEL_DTYPES,
    ),
    "classes": ("a list of class names", _list_of(str)),
}
_OPTIONS = frozenset(_KINDS)


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
        if format not in REGISTRY:
            raise DataValueError(f"unknown format {format!r}; known: {', '.join(sorted(REGISTRY))}")
        return format
    found, _ = sniff(name, content_type)
    if found is not None:
        return found.name
    raise DataValueError(
        f"cannot tell the format of {name or '<data>'!r} (content type {content_type!r}); "
        f"pass the format option, one of {', '.join(sorted(REGISTRY))}"
    )


def parse_options(options: str | dict[str, Any] | None) -> dict[str, Any]:
    """JavaScript options (a JSON string or dict, camelCase or snake_case) as snake_case.

    Raises:
        DataValueError: not JSON (a :class:`~torsh_data.FormatError`), an unknown option, or
            a number out of its range.
        DataTypeError: not an object, or an option's value of the wrong kind.

    >>> parse_options('{"batchSize": 4, "shuffle": true, "seed": null}')
    {'batch_size': 4, 'shuffle': True}
    >>> parse_options('{"chunkSize": "big"}')
    Traceback (most recent call last):
    ...
    torsh_data.DataTypeError: option 'chunk_size' must be an integer >= 1, got 'big'
    """
    if isinstance(options, str):
        raw = load_json(options, source="options")
    else:
        raw = {} if options is None else options
    if not isinstance(raw, dict):
        raise DataTypeError(f"the options must be a JSON object, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        key = _ALIASES.get(key, key)
        if key not in _OPTIONS:
            raise DataValueError(f"unknown option {key!r}; known: {', '.join(sorted(_OPTIONS))}")
        if value is None:
            continue
        what, ok = _KINDS[key]
        if not ok(value):
            wrong = DataValueError if type(value) is int else DataTypeError
            raise wrong(f"option {key!r} must be {what}, got {value!r:.200}")
        if key == "cast":
            for name in (*value, *value.values()):
                try:
                    dtype(name)
                except DataTypeError as exc:
                    raise DataTypeError(f"option 'cast': {exc}") from None
        out[key] = value
    return out


def format_or_none(name: str, content_type: str | None = None) -> str | None:
    """:func:`guess_format`, or None when the name and type do not tell."""
    try:
        return guess_format(name=name, content_type=content_type)
    except DataValueError:
        return None  # decided after the download, from its bytes' name and type
