"""Arrow IPC / Feather and Parquet through pyarrow (when installed), and the missing-extra error."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from support import has_module

import torsh_data as td
from torsh_data.formats import ArrowDataset, ParquetDataset, read_arrow, read_parquet

HAS_PYARROW = has_module("pyarrow")
needs_pyarrow = pytest.mark.skipif(
    not HAS_PYARROW,
    reason="pyarrow is not installed here (no Pyodide wheel in the npm package; natively "
    "pip install 'pyarrow==26.0.1')",
)


def table():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.table(
        {
            "i": pa.array([1, 2, 3, 4], pa.int32()),
            "f": pa.array([0.5, None, 2.5, 3.5], pa.float64()),
            "b": pa.array([True, False, True, True]),
            "s": pa.array(["a", None, "c", "d"]),
        }
    )


@needs_pyarrow
@pytest.mark.parametrize("kind", ["feather2", "ipc_file", "ipc_stream"])
def test_ipc_and_feather(tmp_path: Path, kind: str) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    path = tmp_path / "t.arrow"
    t = table()
    if kind.startswith("feather"):
        feather.write_feather(t, path, version=int(kind[-1]))
    else:
        opener = pa.ipc.new_file if kind == "ipc_file" else pa.ipc.new_stream
        with pa.OSFile(str(path), "wb") as sink, opener(sink, t.schema) as w:
            w.write_table(t)
    cols = read_arrow(path)
    assert cols["i"].tolist() == [1, 2, 3, 4] and cols["i"].dtype == td.int32  # type: ignore[union-attr]
    f = cols["f"].tolist()  # type: ignore[union-attr]
    assert f[0] == 0.5 and math.isnan(f[1]) and f[2:] == [2.5, 3.5]
    assert cols["b"].tolist() == [True, False, True, True]  # type: ignore[union-attr]
    assert cols["s"] == ["a", None, "c", "d"]
    ds = ArrowDataset(path.read_bytes(), columns=["i", "s"])
    assert len(ds) == 4 and ds[2]["i"].item() == 3 and ds[2]["s"] == "c"
    batch = next(iter(td.DataLoader(ds, batch_size=3)))
    assert batch["i"].tolist() == [1, 2, 3] and batch["s"] == ["a", None, "c"]


@needs_pyarrow
def test_numeric_columns_share_arrow_memory(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow as pa

    arr = pa.array(np.arange(1000, dtype=np.float32))
    cols = td.formats.arrow_columns(pa.table({"x": arr}))
    x = np.asarray(cols["x"])
    assert np.shares_memory(x, arr.to_numpy(zero_copy_only=True))


@needs_pyarrow
def test_parquet_streams_row_groups_and_selects_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 25
    t = pa.table(
        {
            "x": list(range(n)),
            "y": [float(i) / 2 for i in range(n)],
            "z": [str(i) for i in range(n)],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(t, path, row_group_size=10)
    ds = ParquetDataset(path, columns=["x", "z"], batch_rows=4)
    assert len(ds) == n
    rows = list(ds)
    assert [r["x"].item() for r in rows] == list(range(n)) and set(rows[0]) == {"x", "z"}
    assert [r["z"] for r in rows[:3]] == ["0", "1", "2"]
    second = ParquetDataset(path, row_groups=[1])
    assert len(second) == 10 and [r["x"].item() for r in second] == list(range(10, 20))
    chunks = list(ParquetDataset(path, batch_rows=4).iter_columns())
    assert sum(len(c["x"]) for c in chunks) == n and max(len(c["x"]) for c in chunks) == 4
    assert read_parquet(path, ["y"])["y"].tolist() == [float(i) / 2 for i in range(n)]  # type: ignore[union-attr]
    batches = [b["x"].tolist() for b in td.DataLoader(ds, batch_size=10)]
    assert batches == [list(range(10)), list(range(10, 20)), list(range(20, 25))]


@needs_pyarrow
def test_bad_input(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    (tmp_path / "junk").write_bytes(b"definitely not arrow" * 10)
    with pytest.raises(td.FormatError, match="not an Arrow"):
        read_arrow(tmp_path / "junk")
    with pytest.raises(td.FormatError, match="not an Arrow"):
        ArrowDataset(b"")
    with pytest.raises(td.FormatError, match="not a Parquet"):
        ParquetDataset(tmp_path / "junk")
    with pytest.raises(td.FormatError, match="Parquet"):
        read_parquet(tmp_path / "junk")
    with pytest.raises(td.SourceError, match="no such file"):
        read_arrow(tmp_path / "missing.arrow")
    with pytest.raises(td.SourceError, match="no such file"):
        ParquetDataset(tmp_path / "missing.parquet")
    pq.write_table(table(), tmp_path / "t.parquet")
    with pytest.raises(td.DataValueError, match="no column"):
        ParquetDataset(tmp_path / "t.parquet", columns=["nope"])
    with pytest.raises(td.DataValueError, match="row group"):
        ParquetDataset(tmp_path / "t.parquet", row_groups=[5])
    ds = ArrowDataset(_feather_bytes())
    with pytest.raises(td.DataIndexError):
        ds[4]
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes((tmp_path / "t.parquet").read_bytes()[:-20])
    with pytest.raises(td.FormatError):
        ParquetDataset(truncated)


def _feather_bytes() -> bytes:
    import pyarrow as pa
    import pyarrow.feather as feather

    sink = pa.BufferOutputStream()
    feather.write_feather(table(), sink)
    return sink.getvalue().to_pybytes()


@pytest.mark.skipif(HAS_PYARROW, reason="checks the error shown when pyarrow is absent")
def test_missing_pyarrow_names_the_extra(tmp_path: Path) -> None:
    with pytest.raises(td.MissingExtraError, match=r"pip install 'torsh-data\[arrow\]'"):
        read_arrow(b"")
    with pytest.raises(td.MissingExtraError, match="arrow"):
        ParquetDataset(tmp_path / "x.parquet")
