"""MemoryMappedDataset (raw records, .npy) and SharedMemoryDataset (zero-copy across workers)."""

from __future__ import annotations

import array
import pickle
import struct
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import IN_PYODIDE, needs_numpy

import torsh_data as td
from torsh_data.datasets import MemoryMappedDataset, SharedMemoryDataset
from torsh_data.formats import write_npy
from torsh_data.testing import batch_digest


def write_records(path: Path, rows: list[list[float]], header: bytes = b"") -> None:
    # Reference layout written with struct, independently of Tensor.
    with open(path, "wb") as f:
        f.write(header)
        for row in rows:
            f.write(struct.pack(f"={len(row)}f", *row))


def test_records_are_views_of_the_file(tmp_path: Path) -> None:
    rows = [[float(i), i + 0.5, -i] for i in range(10)]
    write_records(tmp_path / "r.bin", rows, header=b"HEAD")
    ds = MemoryMappedDataset(tmp_path / "r.bin", "float32", (3,), offset=4)
    assert len(ds) == 10
    assert ds[7][0].tolist() == rows[7] and ds[-1][0].tolist() == rows[9]
    assert ds.mapped is True  # mmap exists natively and in Pyodide 0.29+ (MEMFS)
    (batch,) = next(iter(td.DataLoader(ds, batch_size=4)))
    assert batch.tolist() == rows[:4]
    clone = pickle.loads(pickle.dumps(ds))  # travels as a path, reopens
    assert clone[3][0].tolist() == rows[3]
    assert len(pickle.dumps(ds)) < 1000


@given(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=50), st.integers(1, 4))
def test_int_records_round_trip(
    tmp_path_factory: pytest.TempPathFactory, values: list[int], width: int
) -> None:
    values = values[: len(values) // width * width]
    path = tmp_path_factory.mktemp("mm") / "ints.bin"
    path.write_bytes(array.array("i", values).tobytes())
    ds = MemoryMappedDataset(path, "int32", (width,))
    assert [ds[i][0].tolist() for i in range(len(ds))] == [
        values[i : i + width] for i in range(0, len(values), width)
    ]


def test_from_npy(tmp_path: Path) -> None:
    t = td.tensor([[1, 2, 3], [4, 5, 6]], dtype="int16")
    write_npy(tmp_path / "a.npy", t)
    ds = MemoryMappedDataset.from_npy(tmp_path / "a.npy")
    assert len(ds) == 2 and ds[1][0].tolist() == [4, 5, 6] and ds[1][0].dtype == td.int16


@needs_numpy
def test_from_npy_written_by_numpy(tmp_path: Path) -> None:
    import numpy as np

    ref = np.arange(24, dtype=np.float64).reshape(4, 3, 2)
    np.save(tmp_path / "n.npy", ref)
    ds = MemoryMappedDataset.from_npy(tmp_path / "n.npy")
    assert np.array_equal(np.asarray(ds[2][0]), ref[2])


def test_mmap_bad_input(tmp_path: Path) -> None:
    (tmp_path / "odd.bin").write_bytes(b"\0" * 10)
    with pytest.raises(td.FormatError, match="whole number"):
        MemoryMappedDataset(tmp_path / "odd.bin", "float32", (2,))
    with pytest.raises(td.FormatError, match="need"):
        MemoryMappedDataset(tmp_path / "odd.bin", "uint8", (), count=11)
    with pytest.raises(td.FormatError, match="past the end"):
        MemoryMappedDataset(tmp_path / "odd.bin", "uint8", (), offset=11)
    with pytest.raises(td.SourceError, match="cannot open"):
        MemoryMappedDataset(tmp_path / "missing.bin", "uint8")
    with pytest.raises(td.DataValueError):
        MemoryMappedDataset(tmp_path / "odd.bin", "uint8", (-1,))
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00")
    with pytest.raises(td.FormatError, match="truncated"):
        MemoryMappedDataset.from_npy(tmp_path / "bad.npy")
    (tmp_path / "no.npy").write_bytes(b"not numpy at all")
    with pytest.raises(td.FormatError, match="not an NPY"):
        MemoryMappedDataset.from_npy(tmp_path / "no.npy")
    big = td.tensor([1.0, 2.0]).astype("float32")
    write_npy(tmp_path / "be.npy", big)
    raw = bytearray((tmp_path / "be.npy").read_bytes())
    swapped = raw.replace(b"'<f4'", b"'>f4'") if sys.byteorder == "little" else raw
    (tmp_path / "be.npy").write_bytes(bytes(swapped))
    if sys.byteorder == "little":
        with pytest.raises(td.FormatError, match="other byte order"):
            MemoryMappedDataset.from_npy(tmp_path / "be.npy")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.bin").write_bytes(b"")
    ds = MemoryMappedDataset(tmp_path / "e.bin", "float64", (4,))
    assert len(ds) == 0 and list(td.DataLoader(ds, batch_size=2)) == []


def test_shared_memory_dataset_rows() -> None:
    with SharedMemoryDataset([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [7, 8, 9]) as ds:
        assert ds.shared is (not IN_PYODIDE)
        x, y = ds[2]
        assert x.tolist() == [5.0, 6.0] and y.item() == 9
        batches = [[t.tolist() for t in b] for b in td.DataLoader(ds, batch_size=2)]
        assert batches == [[[[1.0, 2.0], [3.0, 4.0]], [7, 8]], [[[5.0, 6.0]], [9]]]
        clone = pickle.loads(pickle.dumps(ds))
        assert clone[1][0].tolist() == [3.0, 4.0]
        if ds.shared:  # by name, and a view of the same memory
            assert len(pickle.dumps(ds)) < 500
            ds.tensors[1]._data[0:8] = struct.pack("=q", 42)
            assert clone[0][1].item() == 42
            clone.close()


def test_shared_memory_bad_input() -> None:
    with pytest.raises(td.DataValueError, match="first dimension"):
        SharedMemoryDataset([1, 2], [1, 2, 3])
    with pytest.raises(td.DataValueError, match="at least one"):
        SharedMemoryDataset()


class Probe(td.Dataset):
    """Reads a shared dataset and reports whether its rows are shared-memory views."""

    def __init__(self, shared: SharedMemoryDataset) -> None:
        self.shared = shared

    def __getitem__(self, i: int) -> object:
        (x,) = self.shared[i]
        return x, int(self.shared.shared)

    def __len__(self) -> int:
        return len(self.shared)


@pytest.mark.native_only(reason="worker processes")
@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_workers_read_the_shared_block(context: str) -> None:
    ds = SharedMemoryDataset([[float(i)] * 4 for i in range(10)])
    loader = td.DataLoader(
        Probe(ds),
        batch_size=3,
        num_workers=2,
        persistent_workers=True,
        multiprocessing_context=context,
    )
    first = [batch_digest(b) for b in loader]
    assert first == [batch_digest(b) for b in td.DataLoader(Probe(ds), batch_size=3)]
    assert all(b[1].tolist() == [1] * len(b[1]) for b in loader)
    # Writes in the main process are seen by the running workers: one block, no copies.
    ds.tensors[0]._data[:] = struct.pack("=40f", *([-1.0] * 40))
    assert all({v for row in b[0].tolist() for v in row} == {-1.0} for b in loader)
    loader.executor.shutdown()  # type: ignore[attr-defined]
    ds.close()


def test_zero_copy_views_of_buffers(tmp_path: Path) -> None:
    buf = bytearray(16)
    t = td.Tensor(buf, dtype="float32")  # raw bytes are wrapped, not copied
    buf[4:8] = struct.pack("=f", 2.5)
    assert t.tolist() == [0.0, 2.5, 0.0, 0.0]
    part = t[1:3]  # slices along the first axis are views too
    buf[8:12] = struct.pack("=f", -1.0)
    assert part.tolist() == [2.5, -1.0]
    if sys.version_info >= (3, 12):  # PEP 688: memoryview(tensor) shares the buffer
        view = memoryview(t)  # type: ignore[arg-type]
        assert view.format == "f" and view.shape == (4,) and view[1] == 2.5
    # A mapped file's rows are views of the mapping: the file's bytes, unchanged.
    write_records(tmp_path / "z.bin", [[1.0, 2.0]])
    ds = MemoryMappedDataset(tmp_path / "z.bin", "float32", (2,))
    assert ds[0][0]._data.readonly and bytes(ds[0][0]._data) == (tmp_path / "z.bin").read_bytes()
