"""Readers and writers of data formats; every reader takes a path, a binary file or bytes.

Record-oriented readers can also be fed incrementally (see :class:`IncrementalReader`). The
formats that :func:`~torsh_data.io.reader_for`, :func:`~torsh_data.io.open_dataset` and the
JavaScript package read, with their extensions and content types, are one table in
``formats/_registry.py``: a new format is its module plus one entry there.
"""

from .._exports import publish as _publish
from ._csvrecords import CsvRecordReader
from ._registry import FORMATS, Format, register_format
from ._registry import lookup as lookup_format
from ._registry import sniff as sniff_format
from ._source import (
    DEFAULT_MAX_BYTES,
    GzipDecoder,
    IncrementalReader,
    is_gzip,
    iter_chunks,
    read_bytes,
    read_records,
    source_name,
)
from ._textio import DEFAULT_MAX_LINE_BYTES, RecordDataset
from .arrow import ArrowDataset, ParquetDataset, arrow_columns, read_arrow, read_parquet
from .csv import CsvReader, csv_dataset, read_csv
from .hdf5 import HDF5Dataset, HDF5Metadata, hdf5_metadata
from .idx import IdxReader, idx_dataset, read_idx, write_idx
from .image import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, convert_mode, decode_image, decode_pnm
from .jsonfmt import (
    DEFAULT_MAX_DEPTH,
    JsonArrayReader,
    JsonlReader,
    json_dataset,
    jsonl_dataset,
    read_json,
    read_jsonl,
)
from .npy import NpyReader, npy_dataset, read_npy, read_npz, write_npy
from .png import decode_png
from .sql import SqlDataset, read_sql
from .tar import TarDataset, TarSampleReader, base_plus_ext, default_decoders, iter_tar_samples
from .text import TextLineReader, read_text_lines, text_lines_dataset
from .tfrecord import (
    TFRecordDataset,
    TFRecordReader,
    TFRecordWriter,
    crc32c,
    decode_example,
    encode_example,
    masked_crc32c,
    read_tfrecord,
    write_tfrecord,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_MAX_PIXELS",
    "FORMATS",
    "IMAGE_EXTENSIONS",
    "ArrowDataset",
    "CsvReader",
    "CsvRecordReader",
    "Format",
    "GzipDecoder",
    "HDF5Dataset",
    "HDF5Metadata",
    "IdxReader",
    "IncrementalReader",
    "JsonArrayReader",
    "JsonlReader",
    "NpyReader",
    "ParquetDataset",
    "RecordDataset",
    "SqlDataset",
    "TFRecordDataset",
    "TFRecordReader",
    "TFRecordWriter",
    "TarDataset",
    "TarSampleReader",
    "TextLineReader",
    "arrow_columns",
    "base_plus_ext",
    "convert_mode",
    "crc32c",
    "csv_dataset",
    "decode_example",
    "decode_image",
    "decode_png",
    "decode_pnm",
    "default_decoders",
    "encode_example",
    "hdf5_metadata",
    "idx_dataset",
    "is_gzip",
    "iter_chunks",
    "iter_tar_samples",
    "json_dataset",
    "jsonl_dataset",
    "lookup_format",
    "masked_crc32c",
    "npy_dataset",
    "read_arrow",
    "read_bytes",
    "read_csv",
    "read_idx",
    "read_json",
    "read_jsonl",
    "read_npy",
    "read_npz",
    "read_parquet",
    "read_records",
    "read_sql",
    "read_text_lines",
    "read_tfrecord",
    "register_format",
    "sniff_format",
    "source_name",
    "text_lines_dataset",
    "write_idx",
    "write_npy",
    "write_tfrecord",
]

_publish(globals())
