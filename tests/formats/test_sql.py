"""SqlDataset / read_sql: SQLite on every runtime, any DB-API 2.0 connection, typed columns."""

from __future__ import annotations

import contextlib
import math
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import torsh_data as td
from torsh_data.formats import SqlDataset, read_sql
from torsh_data.testing import batch_digest

ROWS = [(i, i / 4, f"name{i}", None if i % 3 else b"\x00\x01") for i in range(10)]


_OPENED: list[sqlite3.Connection] = []


@pytest.fixture(autouse=True)
def _close_test_connections() -> Iterator[None]:
    # Python 3.13+ warns (ResourceWarning) of a connection left to the garbage collector.
    yield
    while _OPENED:
        _OPENED.pop().close()


def make_db(path: Path | str = ":memory:") -> sqlite3.Connection:
    con = sqlite3.connect(path)
    _OPENED.append(con)
    con.execute("CREATE TABLE t (id INTEGER, score REAL, name TEXT, blob BLOB)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    con.commit()
    return con


def test_rows_tuples_and_dicts() -> None:
    con = make_db()
    assert list(SqlDataset(con, "SELECT * FROM t ORDER BY id")) == ROWS
    rows = list(SqlDataset(con, "SELECT id, name FROM t WHERE id < :n", {"n": 2}, as_dict=True))
    assert rows == [{"id": 0, "name": "name0"}, {"id": 1, "name": "name1"}]


def test_parameters_are_data_not_sql() -> None:
    con = make_db()
    hostile = "x'; DROP TABLE t; --"
    assert list(SqlDataset(con, "SELECT id FROM t WHERE name = ?", (hostile,))) == []
    assert con.execute("SELECT COUNT(*) FROM t").fetchone() == (10,)


class CountingConnection:
    """A minimal DB-API 2.0 connection around sqlite3 that records fetchmany sizes."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.fetches: list[int] = []
        self.closed = 0

    def cursor(self) -> Any:
        outer = self

        class Cursor:
            def __init__(self) -> None:
                self.cur = outer.con.cursor()

            @property
            def description(self) -> Any:
                return self.cur.description

            def execute(self, q: str, p: Any = ()) -> None:
                self.cur.execute(q, p)

            def fetchmany(self, n: int) -> list[Any]:
                rows = self.cur.fetchmany(n)
                outer.fetches.append(len(rows))
                return rows

            def close(self) -> None:
                outer.closed += 1

        return Cursor()


def test_any_db_api_connection_is_fetched_in_chunks() -> None:
    conn = CountingConnection(make_db())
    assert len(list(SqlDataset(conn, "SELECT id FROM t", fetch_size=4))) == 10
    assert conn.fetches == [4, 4, 2, 0] and conn.closed == 1
    # an abandoned iteration closes its cursor too
    it = iter(SqlDataset(conn, "SELECT id FROM t", fetch_size=3))
    next(it)
    it.close()  # type: ignore[attr-defined]
    assert conn.closed == 2


def test_typed_columns_and_nulls() -> None:
    con = make_db()
    con.execute("CREATE TABLE n (a INTEGER, b REAL, c INTEGER, d)")
    con.executemany(
        "INSERT INTO n VALUES (?, ?, ?, ?)",
        [(1, 1.5, 7, "x"), (2, None, None, 3), (3, 2.5, 9, None)],
    )
    cols = read_sql(con, "SELECT * FROM n", fetch_size=2)
    assert cols["a"].tolist() == [1, 2, 3] and cols["a"].dtype == td.int64  # type: ignore[union-attr]
    b = cols["b"].tolist()  # type: ignore[union-attr]
    assert b[0] == 1.5 and math.isnan(b[1]) and cols["b"].dtype == td.float64  # type: ignore[union-attr]
    c = cols["c"].tolist()  # type: ignore[union-attr]
    assert c[0] == 7.0 and math.isnan(c[1]) and cols["c"].dtype == td.float64  # type: ignore[union-attr]
    assert cols["d"] == ["x", 3, None]
    whole = read_sql(con, "SELECT id, score, name, blob FROM t")
    assert whole["id"].tolist() == [r[0] for r in ROWS]  # type: ignore[union-attr]
    assert whole["score"].tolist() == [r[1] for r in ROWS]  # type: ignore[union-attr]
    assert whole["name"] == [r[2] for r in ROWS] and whole["blob"] == [r[3] for r in ROWS]
    assert read_sql(con, "SELECT id FROM t WHERE id > 100") == {"id": []}


@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=30))
def test_integer_columns_round_trip(values: list[int | None]) -> None:
    with contextlib.closing(sqlite3.connect(":memory:")) as con:
        con.execute("CREATE TABLE v (x INTEGER)")
        con.executemany("INSERT INTO v VALUES (?)", [(v,) for v in values])
        (col,) = read_sql(con, "SELECT x FROM v ORDER BY rowid", fetch_size=7).values()
    if all(v is None for v in values):
        assert col == values
    elif None in values:
        out = col.tolist()  # type: ignore[union-attr]
        assert [None if math.isnan(o) else o for o in out] == [
            None if v is None else float(v) for v in values
        ]
    else:
        assert col.tolist() == values  # type: ignore[union-attr]


def test_sqlite_path_is_opened_read_only_per_iteration(tmp_path: Path) -> None:
    make_db(tmp_path / "d.db").close()
    ds = SqlDataset(tmp_path / "d.db", "SELECT id, score FROM t ORDER BY id")
    batches = [b[0].tolist() for b in td.DataLoader(ds, batch_size=4)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(td.SourceError, match=r"readonly|read-only"):
        list(SqlDataset(tmp_path / "d.db", "DELETE FROM t RETURNING id"))
    assert len(pickle.loads(pickle.dumps(ds)).query) > 0


def open_db(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path)


@pytest.mark.native_only(reason="worker processes")
def test_workers_open_their_own_connections(tmp_path: Path) -> None:
    import functools

    make_db(tmp_path / "w.db").close()
    ds = SqlDataset(functools.partial(open_db, str(tmp_path / "w.db")), "SELECT id FROM t")
    serial = [batch_digest(b) for b in td.DataLoader(ds, batch_size=3)]
    assert [batch_digest(b) for b in td.DataLoader(ds, batch_size=3, num_workers=2)] == serial
    with pytest.raises(td.DataTypeError, match="function that opens"):
        pickle.dumps(SqlDataset(make_db(), "SELECT 1"))


def test_bad_input(tmp_path: Path) -> None:
    con = make_db()
    with pytest.raises(td.DataTypeError, match="not a string"):
        SqlDataset(con, "SELECT * FROM t WHERE id = ?", "1")  # type: ignore[arg-type]
    with pytest.raises(td.DataTypeError, match="query must be a str"):
        SqlDataset(con, b"SELECT 1")  # type: ignore[arg-type]
    with pytest.raises(td.DataValueError, match="fetch_size"):
        SqlDataset(con, "SELECT 1", fetch_size=0)
    with pytest.raises(td.SourceError, match="SQL query failed: OperationalError"):
        list(SqlDataset(con, "SELECT nope FROM t"))
    with pytest.raises(td.SourceError, match="one statement"):
        list(SqlDataset(con, "SELECT 1; DROP TABLE t"))
    with pytest.raises(td.DataValueError, match="no rows"):
        list(SqlDataset(con, "UPDATE t SET id = id"))
    with pytest.raises(td.SourceError, match="no such SQLite database"):
        list(SqlDataset(tmp_path / "none.db", "SELECT 1"))
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(td.SourceError):
        list(SqlDataset(tmp_path / "junk.db", "SELECT 1 FROM t"))
    with pytest.raises(td.DataTypeError, match="DB-API connection"):
        list(SqlDataset(42, "SELECT 1"))
    with pytest.raises(td.DataTypeError, match="not a DB-API connection"):
        list(SqlDataset(lambda: 42, "SELECT 1"))
    with pytest.raises(td.DataValueError, match="duplicate column"):
        read_sql(con, "SELECT id, id FROM t")
    assert con.execute("SELECT COUNT(*) FROM t").fetchone() == (10,)
