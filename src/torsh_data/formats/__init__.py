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
from .image import DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, convert_mode, decode_image, decode_pnm
from .npy import NpyReader, npy_dataset, read_npy, read_npz, write_npy
from .png import decode_png
from .tar import TarDataset, TarSampleReader, base_plus_ext, default_decoders, iter_tar_samples

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "GzipDecoder",
    "IdxReader",
    "IncrementalReader",
    "NpyReader",
    "TarDataset",
    "TarSampleReader",
    "base_plus_ext",
    "convert_mode",
    "decode_image",
    "decode_png",
    "decode_pnm",
    "default_decoders",
    "idx_dataset",
    "iter_chunks",
    "iter_tar_samples",
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
