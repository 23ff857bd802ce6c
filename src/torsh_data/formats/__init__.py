"""Readers and writers of data formats; every reader takes a path, a binary file or bytes.

Record-oriented readers can also be fed incrementally (see :class:`IncrementalReader`).
"""

from ._source import (
    DEFAULT_MAX_BYTES,
    GzipDecoder,
    IncrementalReader,
    iter_chunks,
    read_bytes,
    read_records,
    source_name,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GzipDecoder",
    "IncrementalReader",
    "iter_chunks",
    "read_bytes",
    "read_records",
    "source_name",
]
