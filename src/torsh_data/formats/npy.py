"""NPY and NPZ, numpy's array files, without numpy.

Reads format versions 1.0, 2.0 and 3.0 holding any dtype a :class:`~torsh_data.Tensor` has
(bool, unsigned and signed integers of 1-8 bytes, float16/32/64) in either byte order, C or
Fortran order, 0-d and empty arrays included. The header is parsed with ``ast.literal_eval``
(never ``eval``) and validated strictly; object arrays and pickles are refused, as are
complex, structured, string and datetime dtypes. Sizes the header claims are checked against
the data present and against ``max_bytes`` before anything is allocated.

>>> import io
>>> f = io.BytesIO()
>>> write_npy(f, Tensor([[1, 2], [3, 4]], dtype="int16"))
>>> read_npy(f.getvalue()).tolist()
[[1, 2], [3, 4]]
>>> r = NpyReader()
>>> [row.tolist() for row in r.feed(f.getvalue()[:132])], [row.tolist() for row in r.feed(f.getvalue()[132:])]
([[1, 2]], [[3, 4]])
"""

from __future__ import annotations

import io
import os
import re
import struct
import sys
import zipfile
import zlib
from typing import IO, Any

from .._array_header import MAGIC, MAX_NDIM, Layout, parse_npy_header
from .._dtype import DType
from .._errors import DataTypeError, DataValueError, FormatError, SourceError
from ..datasets import TensorDataset
from ..tensor import Tensor
from ._binary import RowReader, array_from_buffer, array_from_file
from ._source import DEFAULT_MAX_BYTES, Source, _open, inflated_bound, source_name

__all__ = ["NpyReader", "npy_dataset", "read_npy", "read_npz", "write_npy"]

_LITTLE = sys.byteorder == "little"


def _npy_parser(label: str, max_bytes: int) -> Any:
    def parse(head: bytes | bytearray | memoryview) -> Layout | int:
        return parse_npy_header(head, label, max_bytes)

    return parse


def read_npy(
    source: Source, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Tensor:
    """Read one array from an ``.npy`` path, binary file or bytes.

    Bytes are wrapped without a copy when already in native byte order and C order. A path
    or bytes must hold exactly one array; a file object is left just after the array, so
    several arrays saved one after another into one file are read by calling this again.

    Args:
        source: a path, a binary file object, or the file's bytes.
        name: how errors name the source (default: the path or ``<bytes>``).
        max_bytes: the largest array accepted; bigger claims raise ``FormatError``.

    Raises:
        FormatError: malformed, truncated or hostile data, or an unsupported dtype.
        SourceError: the file cannot be read.

    >>> import io
    >>> f = io.BytesIO()
    >>> write_npy(f, Tensor([1.5, 2.5]))
    >>> read_npy(f.getvalue())
    tensor([1.5, 2.5], dtype=float32, shape=(2,))
    """
    label = source_name(source, name)
    parse = _npy_parser(label, max_bytes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return array_from_buffer(source, parse, label)
    if isinstance(source, (str, os.PathLike)):
        with _open(source, label) as f:
            return array_from_file(f, parse, label)
    if not hasattr(source, "read"):
        raise DataTypeError(
            f"cannot read from a {type(source).__name__}; give a path, a binary file or bytes"
        )
    return array_from_file(source, parse, label, exact=False)


class NpyReader(RowReader):
    """Incremental ``.npy`` reader: ``feed(chunk)`` returns the rows (first axis) completed.

    Memory stays within a row plus a chunk. A Fortran-order array's rows are not contiguous
    in the file, so it is kept whole and all its rows come from ``close()``. A 0-d array
    yields itself as its only row.

    >>> import io
    >>> f = io.BytesIO()
    >>> write_npy(f, Tensor([[1, 2], [3, 4], [5, 6]], dtype="uint8"))
    >>> from torsh_data.formats._source import read_records
    >>> [row.tolist() for row in read_records(NpyReader(), f.getvalue(), chunk_size=7)]
    [[1, 2], [3, 4], [5, 6]]
    """

    def __init__(self, name: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(name, _npy_parser(name, max_bytes))


def _descr(dtype: DType) -> str:
    if dtype.kind == "b":
        return "|b1"
    return ("|" if dtype.itemsize == 1 else "<") + dtype.kind + str(dtype.itemsize)


def npy_header(dtype: DType, shape: tuple[int, ...]) -> bytes:
    """The header numpy writes for a C-order little-endian array (version 1.0, or 2.0 if long)."""
    text = f"{{'descr': '{_descr(dtype)}', 'fortran_order': False, 'shape': {shape!r}, }}"
    for major, prefix in ((1, 10), (2, 12)):
        pad = -(prefix + len(text) + 1) % 64
        body = (text + " " * pad + "\n").encode("latin-1")
        if major == 2 or len(body) < 1 << 16:
            fmt = "<H" if major == 1 else "<I"
            return MAGIC + bytes([major, 0]) + struct.pack(fmt, len(body)) + body
    raise AssertionError("unreachable")


def write_npy(target: str | os.PathLike[str] | IO[bytes], tensor: Any) -> None:
    """Write ``tensor`` (or anything :class:`Tensor` accepts) as a version 1.0 ``.npy`` file.

    The data is written C-order and little-endian, so numpy and every other reader load it.

    Args:
        target: a path or a binary file object open for writing.
        tensor: a Tensor, a numpy array, nested lists, or another buffer.
    """
    t = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    if t.ndim > MAX_NDIM:
        raise DataValueError(f"write_npy: {t.ndim} dimensions (at most {MAX_NDIM})")
    data: Any = t._data
    if not _LITTLE and t.dtype.itemsize > 1:
        from ._binary import to_native

        data = to_native(data, t.dtype.itemsize)
    header = npy_header(t.dtype, t.shape)
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as f:
            f.write(header)
            f.write(data)
        return
    if not hasattr(target, "write"):
        raise DataTypeError(
            f"cannot write to a {type(target).__name__}; give a path or a binary file"
        )
    target.write(header)
    target.write(data)


def _member_key(info: zipfile.ZipInfo, label: str) -> str:
    member = info.filename
    parts = member.replace("\\", "/").split("/")
    if (
        member.startswith(("/", "\\"))
        or re.match(r"[A-Za-z]:", member)
        or ".." in parts
        or "\0" in member
    ):
        raise FormatError(f"unsafe member name {member!r} (absolute or '..')", source=label)
    if not member.endswith(".npy") or member.endswith("/"):
        raise FormatError(
            f"member {member!r} is not an .npy array (an NPZ holds only .npy members)",
            source=label,
        )
    if info.flag_bits & 1:
        raise FormatError(f"member {member!r} is encrypted", source=label)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FormatError(
            f"member {member!r} uses compression method {info.compress_type} "
            "(only stored and deflated are read)",
            source=label,
        )
    return member[:-4]


def read_npz(
    source: Source, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> dict[str, Tensor]:
    """Read every array of an ``.npz`` archive (stored or deflated) into ``{name: Tensor}``.

    ``max_bytes`` bounds the total decompressed size: a member whose declared size passes it
    is refused before reading, and a member that expands past its declared size fails.

    >>> import io, zipfile
    >>> f, z = io.BytesIO(), io.BytesIO()
    >>> write_npy(f, Tensor([1, 2, 3]))
    >>> with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
    ...     zf.writestr("x.npy", f.getvalue())
    >>> read_npz(z.getvalue())["x"].tolist()
    [1, 2, 3]
    """
    label = source_name(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_npz(io.BytesIO(source), label, max_bytes)
    if isinstance(source, (str, os.PathLike)):
        with _open(source, label) as f:
            return _read_npz(f, label, max_bytes)
    if not hasattr(source, "read"):
        raise DataTypeError(
            f"cannot read from a {type(source).__name__}; give a path, a binary file or bytes"
        )
    return _read_npz(source, label, max_bytes)


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    struct.error,
    KeyError,
    IndexError,
    UnicodeDecodeError,
    zlib.error,
    OSError,  # e.g. a seek to a negative offset the directory claims, on a real file
)


def _read_npz(f: IO[bytes], label: str, max_bytes: int) -> dict[str, Tensor]:
    out: dict[str, Tensor] = {}
    try:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            budget = max_bytes
            for info in infos:
                key = _member_key(info, label)
                if key in out:
                    raise FormatError(f"member {info.filename!r} appears twice", source=label)
                if info.file_size > budget:
                    raise FormatError(
                        f"member {info.filename!r} declares {info.file_size} bytes, over the "
                        f"{max_bytes}-byte limit (a zip bomb?); raise max_bytes if genuine",
                        source=label,
                    )
                budget -= info.file_size
                out[key] = _read_member(zf, info, label, max_bytes)
    except (FormatError, SourceError):
        raise
    except _ZIP_ERRORS as exc:
        raise FormatError(f"not a readable NPZ (zip) archive: {exc}", source=label) from None
    return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, max_bytes: int) -> Tensor:
    """The member's array: its NPY header is inflated and checked first, then exactly the data
    it declares, which must fill the member's declared size (a bomb fails its CRC instead).

    The buffer grows with the data actually decompressed, so a member that declares a huge
    size it does not have costs nothing before it fails.
    """
    size, packed = info.file_size, info.compress_size
    if (info.compress_type == zipfile.ZIP_STORED and size != packed) or size > inflated_bound(
        packed
    ):
        raise FormatError(
            f"member {info.filename!r} declares {size} bytes from {packed} compressed bytes, "
            "more than the compression method can give (a lying header)",
            source=label,
        )
    name = f"{label}[{info.filename}]"
    with zf.open(info) as member:
        return array_from_file(member, _npy_parser(name, max_bytes), name, size=size)


def npy_dataset(*sources: Source, max_bytes: int = DEFAULT_MAX_BYTES) -> TensorDataset:
    """A :class:`TensorDataset` of ``.npy`` arrays sharing their first dimension.

    >>> import io
    >>> x, y = io.BytesIO(), io.BytesIO()
    >>> write_npy(x, Tensor([[0.0, 1.0], [2.0, 3.0]])); write_npy(y, Tensor([0, 1]))
    >>> ds = npy_dataset(x.getvalue(), y.getvalue())
    >>> len(ds), ds[1][1].item()
    (2, 1)
    """
    if not sources:
        raise DataValueError("npy_dataset needs at least one source")
    tensors = [read_npy(s, max_bytes=max_bytes) for s in sources]
    return _dataset(tensors, [source_name(s) for s in sources])


def _dataset(tensors: list[Tensor], names: list[str]) -> TensorDataset:
    for t, n in zip(tensors, names, strict=True):
        if not t.shape:
            raise DataValueError(f"{n} holds a 0-d array; a dataset needs a first dimension")
    if len({t.shape[0] for t in tensors}) > 1:
        sizes = ", ".join(
            f"{n} has {t.shape[0]} (shape {t.shape})" for t, n in zip(tensors, names, strict=True)
        )
        raise DataValueError(f"the arrays' first dimensions must agree: {sizes}")
    return TensorDataset(*tensors)
