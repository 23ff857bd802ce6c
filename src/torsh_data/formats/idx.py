"""IDX, the format of MNIST and its relatives, plain or gzip-compressed.

An IDX file is two zero bytes, a type code, the number of dimensions, each dimension as a
big-endian uint32, then the data in big-endian C order. Type codes: ``0x08`` uint8, ``0x09``
int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64.

Reading a uint8 file (MNIST images) is one read into one buffer that the tensor wraps without
a copy; wider types are byte-swapped with ``array.byteswap``.

>>> import io
>>> f = io.BytesIO()
>>> write_idx(f, Tensor([[1, 2], [3, 4]], dtype="uint8"))
>>> f.getvalue()[:4], read_idx(f.getvalue()).tolist()
(b'\\x00\\x00\\x08\\x02', [[1, 2], [3, 4]])
"""

from __future__ import annotations

import gzip
import itertools
import os
import struct
import sys
from collections.abc import Iterator
from typing import IO, Any

from .. import _dtype
from .._dtype import DType
from .._errors import DataTypeError, DataValueError, FormatError
from ..datasets import TensorDataset
from ..tensor import Tensor
from ._binary import (
    Layout,
    RowReader,
    array_from_buffer,
    array_from_file,
    byte_view,
    checked_nbytes,
    remaining,
    to_native,
)
from ._source import (
    DEFAULT_MAX_BYTES,
    GzipDecoder,
    GzipReader,
    Source,
    _open,
    inflated_bound,
    is_gzip,
    iter_chunks,
    source_name,
)

__all__ = ["IdxReader", "idx_dataset", "read_idx", "write_idx"]

_LITTLE = sys.byteorder == "little"
TYPE_CODES: dict[int, DType] = {
    0x08: _dtype.uint8,
    0x09: _dtype.int8,
    0x0B: _dtype.int16,
    0x0C: _dtype.int32,
    0x0D: _dtype.float32,
    0x0E: _dtype.float64,
}
_CODE_OF = {d: c for c, d in TYPE_CODES.items()}
_STEP = 1 << 20  # decompressed bytes handed to the row reader at a time


def _idx_parser(label: str, max_bytes: int) -> Any:
    def parse(head: bytes | bytearray | memoryview) -> Layout | int:
        return _parse_header(head, label, max_bytes)

    return parse


def _parse_header(head: bytes | bytearray | memoryview, label: str, max_bytes: int) -> Layout | int:
    if len(head) >= 2 and (head[0] or head[1]):
        raise FormatError(
            f"not an IDX file: it starts with {bytes(head[:4])!r}, not two zero bytes",
            source=label,
            offset=0,
        )
    if len(head) < 4:
        return 4
    code, ndim = head[2], head[3]
    dtype = TYPE_CODES.get(code)
    if dtype is None:
        raise FormatError(
            f"unknown IDX type code 0x{code:02X} (known: 08, 09, 0B, 0C, 0D, 0E)",
            source=label,
            offset=2,
        )
    if ndim == 0:
        raise FormatError("an IDX header with 0 dimensions", source=label, offset=3)
    end = 4 + 4 * ndim
    if len(head) < end:
        return end
    shape = struct.unpack_from(f">{ndim}I", head, 4)
    nbytes = checked_nbytes(shape, dtype.itemsize, max_bytes, label, 4)
    return Layout(dtype, shape, end, nbytes, swap=_LITTLE and dtype.itemsize > 1)


def read_idx(
    source: Source, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Tensor:
    """Read an IDX file (plain, or gzip-compressed: detected by its ``1f 8b`` magic).

    Args:
        source: a path, a binary file object, or the file's bytes.
        name: how errors name the source.
        max_bytes: the largest array (and decompressed size) accepted.

    Raises:
        FormatError: a wrong magic or type code, a size that disagrees with the header,
            trailing data, corrupt or truncated gzip, a size over ``max_bytes`` or over what
            the compressed input can hold. A gzip file's header is inflated and checked
            first, then only the data it declares.

    >>> import gzip, io
    >>> f = io.BytesIO()
    >>> write_idx(f, Tensor([1.0, -2.0]))
    >>> read_idx(gzip.compress(f.getvalue())).tolist()
    [1.0, -2.0]
    """
    label = source_name(source, name)
    parse = _idx_parser(label, max_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = byte_view(source)
        if is_gzip(view[:2].tobytes()):
            chunks = iter_chunks(view, 1 << 20, name=label)
            return _read_gzip(chunks, len(view), parse, label, max_bytes)
        return array_from_buffer(view, parse, label)
    if isinstance(source, (str, os.PathLike)):
        with _open(source, label) as f:
            return _read_file(f, parse, label, max_bytes)
    if not hasattr(source, "read"):
        raise DataTypeError(
            f"cannot read from a {type(source).__name__}; give a path, a binary file or bytes"
        )
    return _read_file(source, parse, label, max_bytes)


def _read_file(f: IO[bytes], parse: Any, label: str, max_bytes: int) -> Tensor:
    head = f.read(2)
    if isinstance(head, str):
        raise DataTypeError(f"{label} is a text file object; open it in binary mode ('rb')")
    if is_gzip(head):
        left = remaining(f)
        chunks = itertools.chain([head], iter_chunks(f, 1 << 20, name=label))
        packed = None if left is None else len(head) + left
        return _read_gzip(chunks, packed, parse, label, max_bytes)
    return array_from_file(f, parse, label, head=head)


def _read_gzip(
    chunks: Iterator[bytes], packed: int | None, parse: Any, label: str, max_bytes: int
) -> Tensor:
    """The array of a gzip stream: the header is inflated first and checked (magic, sizes
    against ``max_bytes`` and against what ``packed`` compressed bytes can give), then exactly
    the data it declares; more data after it is an error, found without inflating it all."""
    stream = GzipReader(chunks, label, max_bytes)
    bound = None if packed is None else inflated_bound(packed)
    try:
        out = array_from_file(stream, parse, label, bound=bound)  # type: ignore[arg-type]
    except FormatError:
        if stream.exhausted:
            stream.close()  # a truncated gzip stream is the better explanation
        raise
    stream.close()
    return out


class IdxReader(RowReader):
    """Incremental IDX reader (plain or gzip): ``feed(chunk)`` returns the rows completed.

    >>> import gzip, io
    >>> f = io.BytesIO()
    >>> write_idx(f, Tensor([[1, 2], [3, 4]], dtype="int32"))
    >>> r = IdxReader()
    >>> rows = r.feed(gzip.compress(f.getvalue())) + r.close()
    >>> [row.tolist() for row in rows]
    [[1, 2], [3, 4]]
    """

    def __init__(self, name: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(name, _idx_parser(name, max_bytes))
        self.max_bytes = max_bytes
        self._head = b""
        self._gzip: GzipDecoder | bool | None = None  # None: not known yet

    def feed(self, chunk: bytes) -> list[Tensor]:
        if self._closed:
            raise DataValueError(f"{self.name}: feed() after close()")
        data = bytes(chunk)
        if self._gzip is None:
            self._head += data
            if len(self._head) < 2:
                return []
            data, self._head = self._head, b""
            self._gzip = GzipDecoder(self.name, self.max_bytes) if is_gzip(data) else False
        if isinstance(self._gzip, GzipDecoder):
            return self._inflate(self._gzip, data)
        return super().feed(data)

    def _inflate(self, gz: GzipDecoder, data: bytes) -> list[Tensor]:
        # Inflated a step at a time: a header or data that is wrong fails after one step,
        # not after the whole chunk's output (up to ~1000 times its size) is in memory.
        out = super().feed(gz.feed(data, _STEP))
        while gz.pending:
            out += super().feed(gz.feed(b"", _STEP))
        return out

    def close(self) -> list[Tensor]:
        out = []
        if self._gzip is None and self._head:
            out += super().feed(self._head)
        elif isinstance(self._gzip, GzipDecoder):
            out += super().feed(self._gzip.close())
        return out + super().close()


def write_idx(
    target: str | os.PathLike[str] | IO[bytes], tensor: Any, *, compress: bool | None = None
) -> None:
    """Write ``tensor`` as an IDX file (gzip-compressed if ``compress``, or by default when
    ``target`` is a path ending in ``.gz``).

    The dtype must be one IDX has: uint8, int8, int16, int32, float32 or float64.
    """
    t = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    code = _CODE_OF.get(t.dtype)
    if code is None:
        raise DataTypeError(
            f"IDX has no type for {t.dtype}; convert with .astype() to one of "
            "uint8, int8, int16, int32, float32, float64"
        )
    if not t.shape or len(t.shape) > 255 or any(d >= 1 << 32 for d in t.shape):
        raise DataValueError(f"IDX needs 1 to 255 dimensions each below 2**32, not shape {t.shape}")
    data: Any = t._data
    if _LITTLE and t.dtype.itemsize > 1:
        data = to_native(data, t.dtype.itemsize)
    header = bytes([0, 0, code, t.ndim]) + struct.pack(f">{t.ndim}I", *t.shape)
    if compress is None:
        compress = isinstance(target, (str, os.PathLike)) and os.fspath(target).endswith(".gz")
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as f:
            _write(f, header, data, compress)
        return
    if not hasattr(target, "write"):
        raise DataTypeError(
            f"cannot write to a {type(target).__name__}; give a path or a binary file"
        )
    _write(target, header, data, compress)


def _write(f: IO[bytes], header: bytes, data: Any, compress: bool) -> None:
    if compress:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(header)
            g.write(data)
    else:
        f.write(header)
        f.write(data)


def _load(x: Any, max_bytes: int) -> tuple[Tensor, str]:
    if isinstance(x, Tensor):
        return x, "a tensor"
    return read_idx(x, max_bytes=max_bytes), source_name(x)


def idx_dataset(images: Any, labels: Any, *, max_bytes: int = DEFAULT_MAX_BYTES) -> TensorDataset:
    """A :class:`TensorDataset` of ``(image, label)`` from two IDX sources (or Tensors).

    >>> import io
    >>> x, y = io.BytesIO(), io.BytesIO()
    >>> write_idx(x, Tensor(bytes(8), shape=(2, 2, 2))); write_idx(y, Tensor([3, 7], dtype="uint8"))
    >>> ds = idx_dataset(x.getvalue(), y.getvalue())
    >>> len(ds), ds[1][1].item()
    (2, 7)
    """
    (xi, xn), (yi, yn) = _load(images, max_bytes), _load(labels, max_bytes)
    if xi.shape[0] != yi.shape[0]:
        raise DataValueError(
            f"images and labels must have the same first dimension: images ({xn}) have "
            f"shape {xi.shape}, labels ({yn}) have shape {yi.shape}"
        )
    return TensorDataset(xi, yi)
