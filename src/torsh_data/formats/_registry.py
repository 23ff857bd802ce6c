"""The data formats a source can be read as, in one table: what :func:`~torsh_data.io.reader_for`,
:func:`~torsh_data.io.open_dataset` and the JavaScript package read.

Each :class:`Format` names its format (and the other names it answers to), the file extensions
and content types that tell it, and how it is read: record by record as the bytes arrive (an
incremental reader), whole (a reader of all the bytes), or as a dataset of its own (a shard
manifest). A new format is a module with its reader plus one entry in :data:`FORMATS`.

>>> sniff(name="https://x.org/train.csv.gz?v=2")
(Format('csv'), True)
>>> sniff(name="train-images-idx3-ubyte"), sniff(content_type="text/plain; charset=utf-8")
((Format('idx'), False), (Format('text'), False))
>>> import torsh_data.io  # registers the shard manifests' format
>>> sniff(name="data.shards.json")[0].name, sniff(name="data.shards.json", streamed=True)[0].name
('shards', 'json')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import DataValueError
from ._csvrecords import CsvRecordReader
from ._source import IncrementalReader
from .jsonfmt import JsonArrayReader, JsonlReader
from .npy import NpyReader
from .tar import TarSampleReader
from .text import TextLineReader

__all__ = ["FORMATS", "GZIP_CONTENT_TYPES", "Format", "lookup", "register_format", "sniff"]

#: Content types of gzip data (of any format).
GZIP_CONTENT_TYPES = ("application/gzip", "application/x-gzip")


@dataclass(frozen=True)
class Format:
    """One format: its names, how its sources are recognised and how they are read.

    Args:
        name: the format's name (``format="..."``).
        aliases: other names it answers to in Python (``"ndjson"`` for ``jsonl``).
        extensions: the file name endings that tell it (``".csv"``); a further ``.gz`` means
            gzip, so ``.csv.gz`` needs no entry of its own.
        content_types: the MIME types that tell it.
        name_pattern: a regular expression searched in a file name that tells it when no
            extension does (IDX's ``train-images-idx3-ubyte``).
        reader: the incremental reader, ``reader(name, **options)`` (records as the bytes
            arrive), or None.
        records: the format whose records this one's are, when it is a variant of another
            (``tsv`` gives the records of ``csv``); default: its own name.
        options: the reader's options this format implies (``tsv``: a tab delimiter).
        max_bytes: the reader takes a ``max_bytes`` cap of its own.
        whole: ``whole(data, name, columns) -> (dataset, field names)``, a reader of a whole
            source's bytes for a format that has no incremental reader, or None.
        dataset: ``dataset(source, **options)``, for a source that is opened as a dataset of
            its own (a manifest of shards), or None.
    """

    name: str
    aliases: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ()
    name_pattern: str | None = None
    reader: Callable[..., IncrementalReader[Any]] | None = None
    records: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    max_bytes: bool = False
    whole: Callable[[bytes, str, Sequence[Any] | None], tuple[Any, list[str]]] | None = None
    dataset: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if not self.records:
            object.__setattr__(self, "records", self.name)

    def __repr__(self) -> str:
        return f"Format({self.name!r})"


def _idx_whole(data: bytes, name: str, columns: Sequence[Any] | None) -> tuple[Any, list[str]]:
    from ..datasets import TensorDataset
    from .idx import read_idx

    t = read_idx(data, name=name)
    if not t.shape:
        raise DataValueError(f"{name}: a 0-d array has no samples to batch")
    return TensorDataset(t), ["x"]


def _npz_whole(data: bytes, name: str, columns: Sequence[Any] | None) -> tuple[Any, list[str]]:
    from ..datasets import TensorDataset
    from .npy import read_npz

    arrays = read_npz(data, name=name)
    keys = list(columns) if columns is not None else sorted(arrays)
    missing = [k for k in keys if k not in arrays]
    if missing or not keys:
        raise DataValueError(f"{name}: no arrays {missing or keys}; it has {sorted(arrays)}")
    return TensorDataset(*(arrays[k] for k in keys)), keys


#: Every format, by name.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", extensions=(".csv",), content_types=("text/csv",), reader=CsvRecordReader),
        Format(
            "tsv",
            extensions=(".tsv",),
            content_types=("text/tab-separated-values",),
            reader=CsvRecordReader,
            records="csv",
            options={"delimiter": "\t"},
        ),
        Format(
            "jsonl",
            aliases=("ndjson",),
            extensions=(".jsonl", ".ndjson"),
            content_types=(
                "application/x-ndjson",
                "application/ndjson",
                "application/jsonl",
                "application/x-jsonlines",
            ),
            reader=JsonlReader,
        ),
        Format(
            "json",
            extensions=(".json",),
            content_types=("application/json",),
            reader=JsonArrayReader,
        ),
        Format(
            "text",
            aliases=("txt",),
            extensions=(".txt", ".text"),
            content_types=("text/plain",),
            reader=TextLineReader,
        ),
        Format(
            "npy",
            extensions=(".npy",),
            content_types=("application/x-npy",),
            reader=NpyReader,
            max_bytes=True,
        ),
        Format(
            "tar",
            extensions=(".tar", ".tgz"),
            content_types=("application/x-tar",),
            reader=TarSampleReader,
            max_bytes=True,
        ),
        Format(
            "idx",
            extensions=(".idx",),
            name_pattern=r"-(?:idx\d|ubyte)|\.idx\d-ubyte$",
            whole=_idx_whole,
        ),
        Format("npz", extensions=(".npz",), whole=_npz_whole),
    )
}


def register_format(fmt: Format) -> Format:
    """Add ``fmt`` to :data:`FORMATS` (or replace the entry of that name) and return it.

    A layer above ``formats`` registers the formats it reads itself: ``torsh_data.io`` adds
    ``shards`` (a manifest opened as a :class:`~torsh_data.io.ShardedDataset`) when imported.

    >>> import torsh_data.io  # registers "shards"
    >>> lookup("shards").dataset.__name__
    'ShardedDataset'
    """
    taken = {
        n: f.name for f in FORMATS.values() if f.name != fmt.name for n in (f.name, *f.aliases)
    }
    clash = [n for n in (fmt.name, *fmt.aliases) if n in taken]
    if clash:
        raise DataValueError(f"format {fmt.name!r}: the name {clash[0]!r} is {taken[clash[0]]!r}'s")
    FORMATS[fmt.name] = fmt
    return fmt


def lookup(name: str) -> Format | None:
    """The format called ``name`` (or one of its aliases; any case), or None.

    >>> lookup("NDJSON")
    Format('jsonl')
    """
    name = name.lower()
    return next((f for f in FORMATS.values() if name == f.name or name in f.aliases), None)


def _by_name(name: str, formats: list[Format]) -> tuple[Format | None, bool]:
    """The format of the longest extension ``name`` ends with (after a ``.gz``), else of the
    first name pattern found in it; and whether it ends with ``.gz``."""
    base = name.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1].lower()
    gz = base.endswith(".gz")
    if gz:
        base = base[:-3]
    ends = [(len(ext), f) for f in formats for ext in f.extensions if base.endswith(ext)]
    if ends:
        return max(ends, key=lambda end: end[0])[1], gz
    patterns = (f for f in formats if f.name_pattern and re.search(f.name_pattern, base))
    return next(patterns, None), gz


def sniff(
    name: str | None = None, content_type: str | None = None, *, streamed: bool = False
) -> tuple[Format | None, bool]:
    """``(format, gzipped)`` told by a file name or URL (its extension, a further ``.gz``, a
    name pattern), else by a content type; ``(None, ...)`` when neither tells. With
    ``streamed`` only the formats with an incremental reader are candidates."""
    formats = [f for f in FORMATS.values() if f.reader is not None or not streamed]
    found, gz = _by_name(name, formats) if name else (None, False)
    if found is None and content_type:
        ctype = content_type.split(";", 1)[0].strip().lower()
        gz = gz or ctype in GZIP_CONTENT_TYPES
        found = next((f for f in formats if ctype in f.content_types), None)
    return found, gz
