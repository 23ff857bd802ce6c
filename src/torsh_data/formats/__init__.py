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
from .idx import IdxReader, idx_dataset, read_idx, write_idx
from .npy import NpyReader, npy_dataset, read_npy, read_npz, write_npy

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GzipDecoder",
    "IdxReader",
    "IncrementalReader",
    "NpyReader",
    "idx_dataset",
    "iter_chunks",
    "npy_dataset",
    "read_bytes",
    "read_idx",
    "read_npy",
    "read_npz",
    "read_records",
    "source_name",
    "write_idx",
    "write_npy",
]
