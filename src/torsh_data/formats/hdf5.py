"""HDF5 datasets through ``h5py`` when installed (``pip install 'torsh-data[hdf5]'``).

``h5py`` is imported only when used; it has no wheel in Pyodide's npm distribution, so in the
browser these raise :class:`~torsh_data.MissingExtraError`. Rows are read from the file on
access (h5py reads only the selected slab), so a file larger than memory works; each loader
worker opens the file itself (an open h5py file cannot be shared across processes).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import DataIndexError, DataTypeError, DataValueError, FormatError, SourceError
from .._interop import optional_import
from ..datasets import Dataset
from ..tensor import Tensor

__all__ = ["HDF5Dataset", "HDF5Metadata", "hdf5_metadata"]


def _h5py() -> Any:
    return optional_import("h5py", "hdf5", "HDF5 support")


@dataclass(frozen=True)
class HDF5Metadata:
    """What an HDF5 file holds: each array's shape and dtype (by path) and the root's
    attributes."""

    arrays: dict[str, tuple[tuple[int, ...], str]]
    attrs: dict[str, Any]


def _open(path: str) -> Any:
    h5py = _h5py()
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"not a readable HDF5 file ({exc})", source=path) from None


def hdf5_metadata(path: str | os.PathLike[str]) -> HDF5Metadata:
    """The arrays (paths, shapes, dtypes) and root attributes of an HDF5 file."""
    h5py = _h5py()
    label = os.fspath(path)
    arrays: dict[str, tuple[tuple[int, ...], str]] = {}
    with _open(label) as f:

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset):
                arrays[name] = (tuple(obj.shape), str(obj.dtype))

        f.visititems(visit)
        attrs = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in f.attrs.items()}
    return HDF5Metadata(arrays, attrs)


class HDF5Dataset(Dataset[tuple[Tensor, ...]]):
    """Rows of arrays in an HDF5 file, like a :class:`~torsh_data.TensorDataset` on disk.

    Args:
        path: the HDF5 file.
        keys: the array path(s) inside the file (e.g. ``"images"``, ``["x", "y"]``); they
            must share their first dimension.

    ``ds[i]`` is the tuple of the ``i``-th rows as Tensors (numeric dtypes only).
    """

    def __init__(self, path: str | os.PathLike[str], keys: str | Sequence[str]) -> None:
        h5py = _h5py()
        self.path = os.fspath(path)
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        if not self.keys:
            raise DataValueError("HDF5Dataset needs at least one array key")
        lengths = []
        with _open(self.path) as f:
            for key in self.keys:
                obj = f.get(key)
                if not isinstance(obj, h5py.Dataset):
                    found = sorted(hdf5_metadata(self.path).arrays)
                    raise DataValueError(f"{self.path} has no array {key!r}; it has {found}")
                if obj.dtype.kind not in "biuf" or not obj.shape:
                    raise DataTypeError(
                        f"{self.path}:{key} is {obj.dtype} with shape {obj.shape}; "
                        "HDF5Dataset reads numeric arrays of at least one dimension"
                    )
                lengths.append(obj.shape[0])
        if len(set(lengths)) != 1:
            raise DataValueError(f"arrays {self.keys} have different lengths {lengths}")
        self._length = lengths[0]
        self._file: Any = None
        self._pid = -1

    def __len__(self) -> int:
        return self._length

    def _handle(self) -> Any:
        if self._file is None or self._pid != os.getpid():
            self._file, self._pid = _open(self.path), os.getpid()
        return self._file

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        n = self._length
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise DataIndexError(f"index {index!r} is out of range for a dataset of length {n}")
        f = self._handle()
        return tuple(_tensor(f[k][index % n]) for k in self.keys)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Tensor, ...]]:
        """A batch in one read per array (h5py selects increasing, unique indices)."""
        n = self._length
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n:
                raise DataIndexError(f"index {i!r} is out of range for a dataset of length {n}")
        wanted = [i % n for i in indices]
        order = sorted(set(wanted))
        f = self._handle()
        blocks = [f[k][order] for k in self.keys]
        where = {i: j for j, i in enumerate(order)}
        return [tuple(_tensor(b[where[i]]) for b in blocks) for i in wanted]

    @property
    def metadata(self) -> HDF5Metadata:
        return hdf5_metadata(self.path)

    def close(self) -> None:
        """Close this process's file handle (it reopens on the next access)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_file"], state["_pid"] = None, -1
        return state


def _tensor(value: Any) -> Tensor:
    np = optional_import("numpy", "numpy", "HDF5 support")
    arr = np.asarray(value)
    if arr.dtype.byteorder not in "=|":  # stored in the other byte order
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return Tensor(np.ascontiguousarray(arr))
