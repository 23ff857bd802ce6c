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
from ._textio import DEFAULT_MAX_LINE_BYTES, RecordDataset
from .csv import CsvReader, csv_dataset, read_csv
from .idx import IdxReader, idx_dataset, read_idx, write_idx
from .image import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, convert_mode, decode_image, decode_pnm
from .jsonfmt import (
    DEFAULT_MAX_DEPTH,
    JsonlReader,
    json_dataset,
    jsonl_dataset,
    read_json,
    read_jsonl,
)
from .npy import NpyReader, npy_dataset, read_npy, read_npz, write_npy
from .png import decode_png
from .tar import TarDataset, TarSampleReader, base_plus_ext, default_decoders, iter_tar_samples
from .text import TextLineReader, read_text_lines, text_lines_dataset

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "CsvReader",
    "GzipDecoder",
    "IdxReader",
    "IncrementalReader",
    "JsonlReader",
    "NpyReader",
    "RecordDataset",
    "TarDataset",
    "TarSampleReader",
    "TextLineReader",
    "base_plus_ext",
    "convert_mode",
    "csv_dataset",
    "decode_image",
    "decode_png",
    "decode_pnm",
    "default_decoders",
    "idx_dataset",
    "iter_chunks",
    "iter_tar_samples",
    "json_dataset",
    "jsonl_dataset",
    "npy_dataset",
    "read_bytes",
    "read_csv",
    "read_idx",
    "read_json",
    "read_jsonl",
    "read_npy",
    "read_npz",
    "read_records",
    "read_text_lines",
    "source_name",
    "text_lines_dataset",
    "write_idx",
    "write_npy",
]
