"""Arrow IPC / Feather and Parquet tables as datasets, through ``pyarrow`` when installed.

``pyarrow`` is imported only when one of these is used (``pip install 'torsh-data[arrow]'``;
it has no Pyodide wheel in the npm distribution, so in the browser these raise
:class:`~torsh_data.MissingExtraError`). Columns convert to torsh-data values once:

- integer, float and boolean columns without nulls become Tensors that share Arrow's memory
  where the layout allows (numpy ``to_numpy(zero_copy_only=...)``), else one copy;
- numeric columns with nulls become float64 Tensors with NaN for null;
- everything else (strings, binaries, lists, structs) becomes a Python list, null ``None``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from .._checks import check_int
from .._errors import DataIndexError, DataValueError, FormatError, SourceError
from .._interop import optional_import
from ..datasets import Dataset, IterableDataset
from ..tensor import Tensor

__all__ = ["ArrowDataset", "ParquetDataset", "arrow_columns", "read_arrow", "read_parquet"]


def _pa() -> Any:
    return optional_import("pyarrow", "arrow", "Arrow and Parquet support")


def arrow_columns(
    table: Any, columns: Sequence[str] | None = None
) -> dict[str, Tensor | list[Any]]:
    """Convert a ``pyarrow.Table`` or ``RecordBatch`` into ``{name: Tensor or list}``."""
    pa = _pa()
    names = list(table.schema.names)
    if columns is not None:
        missing = [c for c in columns if c not in names]
        if missing:
            raise DataValueError(f"no column(s) {missing} in the table; it has {names}")
        names = list(columns)
    out: dict[str, Tensor | list[Any]] = {}
    for name in names:
        col = table.column(name)
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        out[name] = _convert(pa, col)
    return out


def _convert(pa: Any, arr: Any) -> Tensor | list[Any]:
    t = arr.type
    numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
    if not numeric:
        return arr.to_pylist()
    if arr.null_count:
        pc = optional_import("pyarrow.compute", "arrow", "Arrow and Parquet support")
        return Tensor(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    values = arr.to_numpy(zero_copy_only=False)
    return Tensor(values)


def read_arrow(
    source: str | os.PathLike[str] | bytes, columns: Sequence[str] | None = None
) -> dict[str, Tensor | list[Any]]:
    """The columns of an Arrow IPC file or stream, or a Feather file (v1 or v2)."""
    return arrow_columns(_read_ipc(source, columns), columns)


def _read_ipc(source: Any, columns: Sequence[str] | None) -> Any:
    pa = _pa()
    feather = optional_import("pyarrow.feather", "arrow", "Arrow and Parquet support")

    label = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<bytes>"
    if isinstance(source, (str, os.PathLike)) and not os.path.exists(label):
        raise SourceError(f"{label}: no such file")
    src = pa.BufferReader(source) if isinstance(source, (bytes, bytearray, memoryview)) else label
    try:
        return feather.read_table(
            src,
            columns=list(columns) if columns else None,
            memory_map=not isinstance(src, pa.BufferReader),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as first:
        try:  # an IPC stream rather than a file
            stream = (
                pa.BufferReader(source)
                if isinstance(source, (bytes, bytearray, memoryview))
                else pa.memory_map(label)
            )
            return pa.ipc.open_stream(stream).read_all()
        except (pa.ArrowInvalid, OSError):
            raise FormatError(f"not an Arrow IPC/Feather file ({first})", source=label) from None


class ArrowDataset(Dataset[dict[str, Any]]):
    """Rows of an Arrow IPC / Feather file (memory-mapped when given a path) as samples.

    ``ds[i]`` is ``{column: value}`` (a 0-d Tensor for numeric columns, a Python value
    otherwise), so :func:`~torsh_data.default_collate` makes a batch of column Tensors.
    ``ds.columns`` holds the converted columns.

    Args:
        source: a path, or the file's bytes.
        columns: the columns to keep (default: all).
    """

    def __init__(
        self, source: str | os.PathLike[str] | bytes, columns: Sequence[str] | None = None
    ) -> None:
        self.columns = read_arrow(source, columns)
        lengths = {len(c) for c in self.columns.values()}
        self._length = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = self._length
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise DataIndexError(f"index {index!r} is out of range for a dataset of length {n}")
        return {k: c[index] for k, c in self.columns.items()}


def read_parquet(
    path: str | os.PathLike[str], columns: Sequence[str] | None = None
) -> dict[str, Tensor | list[Any]]:
    """The columns of a Parquet file."""
    pq = _parquet()
    label = os.fspath(path)
    try:
        table = pq.read_table(label, columns=list(columns) if columns else None)
    except FileNotFoundError:
        raise SourceError(f"{label}: no such file") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError on bad files
        raise FormatError(f"cannot read as Parquet ({exc})", source=label) from None
    return arrow_columns(table, columns)


def _parquet() -> Any:
    return optional_import("pyarrow.parquet", "arrow", "Arrow and Parquet support")


class ParquetDataset(IterableDataset[dict[str, Any]]):
    """Rows of a Parquet file, streamed row group by row group.

    Args:
        path: the Parquet file.
        columns: the columns to read (default: all); others are never decoded.
        row_groups: which row groups to read (default: all, in order).
        batch_rows: rows decoded at a time within a row group.

    Each sample is ``{column: value}`` as for :class:`ArrowDataset`; ``len(ds)`` is the row
    count of the selected row groups, from the file's metadata.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Sequence[str] | None = None,
        row_groups: Sequence[int] | None = None,
        batch_rows: int = 65536,
    ) -> None:
        pq = _parquet()
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise SourceError(f"{self.path}: no such file")
        try:
            meta = pq.ParquetFile(self.path).metadata
        except Exception as exc:
            raise FormatError(f"not a Parquet file ({exc})", source=self.path) from None
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        if columns is not None:
            missing = [c for c in columns if c not in names]
            if missing:
                raise DataValueError(f"no column(s) {missing} in {self.path}; it has {names}")
        self.columns = None if columns is None else list(columns)
        groups = range(meta.num_row_groups) if row_groups is None else list(row_groups)
        for g in groups:
            if isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < meta.num_row_groups:
                raise DataValueError(f"row group {g!r} is not in [0, {meta.num_row_groups})")
        self.row_groups = list(groups)
        self.batch_rows = check_int("batch_rows", batch_rows, 1)
        self._length = sum(meta.row_group(g).num_rows for g in self.row_groups)

    def __len__(self) -> int:
        return self._length

    def iter_columns(self) -> Iterator[dict[str, Tensor | list[Any]]]:
        """The file as a stream of column chunks (``{name: Tensor or list}``)."""
        pq = _parquet()
        f = pq.ParquetFile(self.path)
        try:
            for batch in f.iter_batches(
                self.batch_rows, row_groups=self.row_groups, columns=self.columns
            ):
                yield arrow_columns(batch)
        except OSError as exc:
            raise FormatError(f"cannot decode ({exc})", source=self.path) from None
        finally:
            f.close()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for cols in self.iter_columns():
            names = list(cols)
            if not names:
                return
            for i in range(len(cols[names[0]])):
                yield {k: cols[k][i] for k in names}
