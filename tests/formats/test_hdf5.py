"""HDF5Dataset through h5py (when installed), and the missing-extra error."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from support import has_module

import torsh_data as td
from torsh_data.formats import HDF5Dataset, hdf5_metadata
from torsh_data.testing import batch_digest

HAS_H5PY = has_module("h5py")
needs_h5py = pytest.mark.skipif(
    not HAS_H5PY,
    reason="h5py is not installed here (no Pyodide wheel in the npm package; natively "
    "pip install 'h5py==3.16.0')",
)


def make_file(path: Path) -> None:
    import h5py
    import numpy as np

    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.arange(60, dtype=np.uint8).reshape(5, 3, 4))
        f.create_dataset("group/labels", data=np.array([3, 1, 4, 1, 5], dtype=">i4"))
        f.create_dataset("text", data=np.array([b"a", b"b", b"c", b"d", b"e"]))
        f.create_dataset("short", data=np.zeros(4, dtype=np.float32))
        f.attrs["source"] = "unit test"


@needs_h5py
def test_rows_metadata_and_loader(tmp_path: Path) -> None:
    import numpy as np

    make_file(tmp_path / "d.h5")
    ds = HDF5Dataset(tmp_path / "d.h5", ["images", "group/labels"])
    assert len(ds) == 5
    x, y = ds[2]
    assert x.tolist() == np.arange(24, 36).reshape(3, 4).tolist() and x.dtype == td.uint8
    assert y.item() == 4 and y.dtype == td.int32  # stored big-endian, read native
    assert ds[-1][1].item() == 5
    meta = hdf5_metadata(tmp_path / "d.h5")
    assert meta.arrays["images"] == ((5, 3, 4), "uint8")
    assert meta.arrays["group/labels"] == ((5,), ">i4")
    assert meta.attrs == {"source": "unit test"}
    assert ds.metadata == meta
    got = ds.__getitems__([4, 0, 4, -2])
    assert [y.item() for _, y in got] == [5, 3, 5, 1]
    assert [x.tolist() for x, _ in got] == [ds[i][0].tolist() for i in (4, 0, 4, 3)]
    serial = [batch_digest(b) for b in td.DataLoader(ds, batch_size=2, shuffle=True, seed=1)]
    clone = pickle.loads(pickle.dumps(ds))
    assert [
        batch_digest(b) for b in td.DataLoader(clone, batch_size=2, shuffle=True, seed=1)
    ] == serial
    ds.close()


@needs_h5py
@pytest.mark.native_only(reason="worker processes")
def test_workers_open_the_file_themselves(tmp_path: Path) -> None:
    make_file(tmp_path / "w.h5")
    ds = HDF5Dataset(tmp_path / "w.h5", "images")
    ds[0]  # the main process has a handle open: workers must not reuse it
    serial = [batch_digest(b) for b in td.DataLoader(ds, batch_size=2)]
    assert [batch_digest(b) for b in td.DataLoader(ds, batch_size=2, num_workers=2)] == serial


@needs_h5py
def test_bad_input(tmp_path: Path) -> None:
    make_file(tmp_path / "d.h5")
    with pytest.raises(td.DataValueError, match=r"no array 'nope'.*images"):
        HDF5Dataset(tmp_path / "d.h5", "nope")
    with pytest.raises(td.DataValueError, match="different lengths"):
        HDF5Dataset(tmp_path / "d.h5", ["images", "short"])
    with pytest.raises(td.DataTypeError, match="numeric"):
        HDF5Dataset(tmp_path / "d.h5", "text")
    with pytest.raises(td.DataValueError, match="at least one"):
        HDF5Dataset(tmp_path / "d.h5", [])
    with pytest.raises(td.SourceError, match="no such file"):
        HDF5Dataset(tmp_path / "missing.h5", "x")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5" * 100)
    with pytest.raises(td.FormatError, match="not a readable HDF5"):
        HDF5Dataset(tmp_path / "junk.h5", "x")
    with pytest.raises(td.DataIndexError):
        HDF5Dataset(tmp_path / "d.h5", "images")[5]
    with pytest.raises(td.DataIndexError):
        HDF5Dataset(tmp_path / "d.h5", "images").__getitems__([0, 9])


@pytest.mark.skipif(HAS_H5PY, reason="checks the error shown when h5py is absent")
def test_missing_h5py_names_the_extra(tmp_path: Path) -> None:
    with pytest.raises(td.MissingExtraError, match=r"pip install 'torsh-data\[hdf5\]'"):
        HDF5Dataset(tmp_path / "x.h5", "x")
