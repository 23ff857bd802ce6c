"""Datasets whose samples are views of one big buffer: a memory-mapped file, or shared memory.

Both hand out :class:`~torsh_data.Tensor` rows that are views (no copy), and fetch a whole
batch with one gather (NOTE [ Batched fetch ]). They cross to loader worker processes as a
name (a path, a shared-memory block), not as data.

NOTE [ Mapping in the browser ]: Pyodide's files live in an in-memory file system where
``mmap`` may be missing or unable to map; :class:`MemoryMappedDataset` then reads the file
once into memory (``mapped`` is ``False``), which works the same but costs the file's size in
memory. Pyodide has no ``multiprocessing.shared_memory`` (and no worker processes to share
with), so :class:`SharedMemoryDataset` keeps its data in ordinary memory there (``shared`` is
``False``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from .. import _dtype
from .._array_header import parse_npy_header
from .._errors import DataValueError, FormatError, SourceError
from ..tensor import Tensor
from ._base import TensorDataset

__all__ = ["MemoryMappedDataset", "SharedMemoryDataset"]


class MemoryMappedDataset(TensorDataset):
    """Fixed-size records of a binary file, each a read-only Tensor view of a memory map.

    Args:
        path: the file.
        dtype: the element type of every record.
        shape: the shape of one record (``()`` for scalars).
        offset: bytes to skip at the start (a header).
        count: the number of records (default: as many as the rest of the file holds, which
            must be a whole number).

    ``ds[i]`` is ``(record,)``, as for a one-tensor :class:`~torsh_data.TensorDataset`.
    Use :meth:`from_npy` for ``.npy`` files, whose header gives dtype and shape.

    >>> import os, tempfile
    >>> from torsh_data import Tensor
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.bin")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(Tensor([[1, 2], [3, 4], [5, 6]], dtype="int16").tobytes())
    >>> ds = MemoryMappedDataset(path, "int16", (2,))
    >>> len(ds), ds[2][0].tolist()
    (3, [5, 6])
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        dtype: Any,
        shape: Sequence[int] = (),
        offset: int = 0,
        count: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.dtype = _dtype.dtype(dtype)
        self.record_shape = tuple(int(s) for s in shape)
        if any(s < 0 for s in self.record_shape) or offset < 0 or (count is not None and count < 0):
            raise DataValueError(
                f"shape, offset and count must be >= 0, got {self.record_shape}, {offset}, {count}"
            )
        self.offset = offset
        self._record_bytes = math.prod(self.record_shape) * self.dtype.itemsize
        try:
            size = os.path.getsize(self.path)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        available = size - offset
        if available < 0:
            raise FormatError(f"offset {offset} is past the end ({size} bytes)", source=self.path)
        if count is None:
            if self._record_bytes == 0:
                raise DataValueError("records of 0 bytes need an explicit count")
            count, rest = divmod(available, self._record_bytes)
            if rest:
                raise FormatError(
                    f"{available} bytes after offset {offset} are not a whole number of "
                    f"{self._record_bytes}-byte records ({rest} bytes left over)",
                    source=self.path,
                )
        elif count * self._record_bytes > available:
            raise FormatError(
                f"{count} records of {self._record_bytes} bytes need "
                f"{count * self._record_bytes} bytes after offset {offset}; the file has "
                f"{available}",
                source=self.path,
            )
        self.count = count
        self.mapped = False
        self._map: Any = None
        self._open()

    @classmethod
    def from_npy(cls, path: str | os.PathLike[str]) -> MemoryMappedDataset:
        """Map the rows of a ``.npy`` file (C order, native byte order) as records."""
        label = os.fspath(path)
        head = b""
        try:
            with open(label, "rb") as f:
                while True:
                    layout = parse_npy_header(head, label, 1 << 62)
                    if not isinstance(layout, int):
                        break
                    more = f.read(layout - len(head))
                    if not more:
                        raise FormatError("the .npy header is truncated", source=label)
                    head += more
        except OSError as exc:
            raise SourceError(f"{label}: cannot open: {exc.strerror or exc}") from None
        if layout.swap or layout.fortran:
            raise FormatError(
                "cannot map a .npy file stored in "
                + ("the other byte order" if layout.swap else "Fortran order")
                + "; read it with read_npy or rewrite it in C order, native byte order",
                source=label,
            )
        if not layout.shape:
            raise FormatError("a 0-d .npy array has no rows to map", source=label)
        return cls(label, layout.dtype, layout.shape[1:], layout.offset, layout.shape[0])

    def _open(self) -> None:
        nbytes = self.count * self._record_bytes
        data: Any
        if nbytes == 0:
            data = memoryview(b"")
        else:
            try:
                import mmap

                with open(self.path, "rb") as f:
                    # mmap offsets must be page-aligned: map from 0, slice at the offset.
                    self._map = mmap.mmap(f.fileno(), self.offset + nbytes, access=mmap.ACCESS_READ)
                data = memoryview(self._map)[self.offset : self.offset + nbytes]
                self.mapped = True
            except (ImportError, OSError, ValueError):  # NOTE [ Mapping in the browser ]
                try:
                    with open(self.path, "rb") as f:
                        f.seek(self.offset)
                        raw = f.read(nbytes)
                except OSError as exc:
                    raise SourceError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
                if len(raw) < nbytes:
                    raise FormatError(
                        "the file shrank while being read", source=self.path
                    ) from None
                data = memoryview(raw)
        self.tensors = (Tensor._make(data, self.dtype, (self.count, *self.record_shape)),)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_map"] = None
        state["tensors"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def __repr__(self) -> str:
        how = "mapped" if self.mapped else "read into memory"
        return (
            f"MemoryMappedDataset({self.path!r}, {self.count} records of "
            f"{self.record_shape} {self.dtype.name}, {how})"
        )


class SharedMemoryDataset(TensorDataset):
    """A :class:`~torsh_data.TensorDataset` whose tensors live in one shared-memory block.

    Loader worker processes attach to the block by name instead of receiving a copy of the
    data, and every row they read is a view of it. The creating process owns the block:
    :meth:`close` (or ``with``, or garbage collection) unlinks it. In Pyodide the data stays
    in ordinary memory (NOTE [ Mapping in the browser ]).

    >>> ds = SharedMemoryDataset([[1.0, 2.0], [3.0, 4.0]], [0, 1])
    >>> x, y = ds[1]
    >>> x.tolist(), y.item()
    ([3.0, 4.0], 1)
    >>> ds.close()
    """

    def __init__(self, *tensors: Any) -> None:
        super().__init__(*tensors)
        sizes = [t.nbytes for t in self.tensors]
        total = sum(sizes)
        self.shared = False
        self._shm: Any = None
        self._owner_pid = os.getpid()
        buf: Any
        try:
            from multiprocessing import shared_memory

            self._shm = shared_memory.SharedMemory(create=True, size=max(total, 1))
            buf = self._shm.buf
            self.shared = True
        except (ImportError, OSError):  # Pyodide, or no /dev/shm
            buf = memoryview(bytearray(max(total, 1)))
        layout, start = [], 0
        for t, n in zip(self.tensors, sizes, strict=True):
            buf[start : start + n] = t._data
            layout.append((t.dtype.name, t.shape, start, n))
            start += n
        self._layout = layout
        self._attach(buf)
        self._finalizer: Any = None
        if self._shm is not None:
            import weakref

            self._finalizer = weakref.finalize(self, _release, self._shm, self._owner_pid)

    @property
    def name(self) -> str | None:
        """The shared-memory block's name (``None`` when not shared)."""
        return None if self._shm is None else self._shm.name

    def _attach(self, buf: Any) -> None:
        self.tensors = tuple(
            Tensor._make(buf[start : start + n], _dtype.dtype(dt), tuple(shape))
            for dt, shape, start, n in self._layout
        )

    def close(self) -> None:
        """Release the block (the owner also unlinks it); rows already handed out stay
        readable until they are dropped."""
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> SharedMemoryDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        if self._shm is None:  # not shared: the data itself travels
            return {"layout": self._layout, "data": [t.tobytes() for t in self.tensors]}
        return {"layout": self._layout, "name": self._shm.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._layout, self._finalizer, self._owner_pid = state["layout"], None, -1
        if "data" in state:
            self._shm, self.shared = None, False
            self._attach(memoryview(bytearray(b"".join(state["data"]) or b"\0")))
            return
        from multiprocessing import shared_memory

        self._shm = shared_memory.SharedMemory(name=state["name"])
        self.shared = True
        self._attach(self._shm.buf)
        import weakref

        self._finalizer = weakref.finalize(self, _release, self._shm, -1)


def _release(shm: Any, owner_pid: int) -> None:
    try:
        shm.close()
    except BufferError:
        # Rows still point into the mapping: it is unmapped when the last of them goes.
        # Detach it from the wrapper so that the wrapper's own __del__ does not retry.
        shm._buf = shm._mmap = None
    if os.getpid() == owner_pid:
        try:
            shm.unlink()
        except FileNotFoundError:
            pass
