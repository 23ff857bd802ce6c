"""Rows of a SQL query as samples: SQLite through the standard library on every runtime
(Pyodide included), or any DB-API 2.0 connection (PostgreSQL, MySQL, DuckDB...) natively.

Queries are always parameterised: values travel in ``params`` with the driver's placeholder
(``?`` for SQLite, ``%s`` for psycopg and MySQL drivers), never formatted into the SQL text.
Rows are fetched ``fetch_size`` at a time, so a large result streams in bounded memory.

>>> import sqlite3
>>> con = sqlite3.connect(":memory:")
>>> _ = con.execute("CREATE TABLE t (x REAL, y INTEGER, name TEXT)")
>>> _ = con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(0.5, 1, "a"), (None, 2, None)])
>>> list(SqlDataset(con, "SELECT x, y FROM t WHERE y >= ?", (1,)))
[(0.5, 1), (None, 2)]
>>> cols = read_sql(con, "SELECT * FROM t")
>>> cols["x"].tolist(), cols["y"].tolist(), cols["name"]
([0.5, nan], [1, 2], ['a', None])
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .._checks import check_int
from .._errors import DataTypeError, DataValueError, SourceError
from ..datasets import IterableDataset
from ..tensor import Tensor

__all__ = ["SqlDataset", "read_sql"]

Params = Sequence[Any] | Mapping[str, Any] | None


def _check_params(params: Any) -> None:
    if isinstance(params, (str, bytes)):
        raise DataTypeError(
            "params must be a sequence or a mapping of values, not a string: a string here "
            "usually means SQL built by formatting; put placeholders in the query instead"
        )
    if params is not None and not isinstance(params, (Sequence, Mapping)):
        raise DataTypeError(f"params must be a sequence or a mapping, got {type(params).__name__}")


def _connect(connection: Any) -> tuple[Any, bool]:
    """``(connection, we_opened_it)`` from a connection, a factory or a SQLite path."""
    if isinstance(connection, (str, os.PathLike)):
        import sqlite3

        path = os.fspath(connection)
        if path != ":memory:" and not os.path.exists(path):
            raise SourceError(f"{path}: no such SQLite database")
        try:
            uri = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro"
            return (
                sqlite3.connect(uri, uri=True) if path != ":memory:" else sqlite3.connect(path)
            ), True
        except sqlite3.Error as exc:
            raise SourceError(f"{path}: cannot open: {exc}") from None
    if hasattr(connection, "cursor"):
        return connection, False
    if callable(connection):
        conn = connection()
        if not hasattr(conn, "cursor"):
            raise DataTypeError(
                f"the connection factory returned a {type(conn).__name__}, not a DB-API connection"
            )
        return conn, True
    raise DataTypeError(
        "connection must be a DB-API connection, a function returning one, or a SQLite path; "
        f"got {type(connection).__name__}"
    )


def _db_errors(conn: Any) -> tuple[type[BaseException], ...]:
    """The connection's DB-API ``Error`` and ``Warning`` classes (PEP 249's optional
    extension), else its module's."""
    import sys

    module = sys.modules.get(type(conn).__module__.split(".")[0])
    found: list[type[BaseException]] = []
    for name in ("Error", "Warning"):
        for owner in (conn, module):
            cls = getattr(owner, name, None)
            if isinstance(cls, type) and issubclass(cls, Exception):
                found.append(cls)
                break
    return tuple(found)


def _iter_rows(
    connection: Any, query: str, params: Params, fetch_size: int
) -> Iterator[tuple[list[str], list[Any]]]:
    """``(column names, rows)`` for each fetched chunk."""
    if not isinstance(query, str):
        raise DataTypeError(f"query must be a str, got {type(query).__name__}")
    _check_params(params)
    conn, owned = _connect(connection)
    errors = _db_errors(conn) or (Exception,)
    cur = None
    try:
        try:
            cur = conn.cursor()
            if params is None:
                cur.execute(query)
            else:
                cur.execute(query, params)
            names = [d[0] for d in (cur.description or ())]
            if not names:
                raise DataValueError("the query returns no rows (is it a SELECT?)")
            first = True
            while True:
                rows = cur.fetchmany(fetch_size)
                if rows or first:  # the first (maybe empty) chunk carries the column names
                    yield names, rows
                if not rows:
                    return
                first = False
        except errors as exc:
            if isinstance(exc, DataValueError):
                raise
            raise SourceError(f"SQL query failed: {type(exc).__name__}: {exc}") from None
    finally:
        if cur is not None:
            try:
                cur.close()
            except Exception:  # closing a cursor on an error path
                pass
        if owned:
            conn.close()


class SqlDataset(IterableDataset[Any]):
    """The rows of a query, streamed ``fetch_size`` at a time.

    Args:
        connection: a DB-API 2.0 connection, a zero-argument function that opens one (use
            this with loader workers: each worker opens its own), or the path of a SQLite
            database (opened read-only, per iteration).
        query: one SQL statement with placeholders.
        params: the values for the placeholders (a sequence, or a mapping for named ones).
        fetch_size: rows fetched per round trip.
        as_dict: yield ``{column: value}`` instead of tuples.

    NULL is ``None``. Each iteration runs the query again.
    """

    def __init__(
        self,
        connection: Any,
        query: str,
        params: Params = None,
        *,
        fetch_size: int = 1024,
        as_dict: bool = False,
    ) -> None:
        if not isinstance(query, str):
            raise DataTypeError(f"query must be a str, got {type(query).__name__}")
        _check_params(params)
        self.connection = connection
        self.query = query
        self.params = params
        self.fetch_size = check_int("fetch_size", fetch_size, 1)
        self.as_dict = as_dict

    def __iter__(self) -> Iterator[Any]:
        for names, rows in _iter_rows(self.connection, self.query, self.params, self.fetch_size):
            if self.as_dict:
                for row in rows:
                    yield dict(zip(names, row, strict=True))
            else:
                for row in rows:
                    yield tuple(row)

    def __getstate__(self) -> dict[str, Any]:
        if hasattr(self.connection, "cursor"):
            raise DataTypeError(
                "a SqlDataset over an open connection cannot go to worker processes; pass a "
                "function that opens a connection (or a SQLite path) instead"
            )
        return dict(self.__dict__)


def read_sql(
    connection: Any,
    query: str,
    params: Params = None,
    *,
    fetch_size: int = 4096,
) -> dict[str, Tensor | list[Any]]:
    """The result of a query as typed columns ``{name: column}``.

    A column whose values are all integers becomes an int64 Tensor; all numbers (integers
    and floats) a float64 Tensor, with NULL as NaN; a numeric column with NULLs and only
    integers also becomes float64 with NaN (as pandas does); anything else (text, blobs,
    mixed, all NULL) stays a list, NULL as ``None``. An empty result gives empty lists.
    """
    columns: dict[str, list[Any]] = {}
    names: list[str] = []
    for names, rows in _iter_rows(
        connection, query, params, check_int("fetch_size", fetch_size, 1)
    ):
        if not columns and names:
            if len(set(names)) != len(names):
                raise DataValueError(
                    f"the query returns duplicate column names {names}; alias them"
                )
            columns = {n: [] for n in names}
        for name, values in zip(names, zip(*rows, strict=True), strict=bool(rows)):
            columns[name].extend(values)
    return {name: _typed(values) for name, values in columns.items()}


def _typed(values: list[Any]) -> Tensor | list[Any]:
    kinds = {type(v) for v in values}
    has_null = type(None) in kinds
    kinds.discard(type(None))
    if not kinds or not kinds <= {int, float}:
        return values
    if kinds == {int} and not has_null:
        if all(-(1 << 63) <= v < 1 << 63 for v in values):
            return Tensor(values, dtype="int64")
        return values
    return Tensor([math.nan if v is None else float(v) for v in values], dtype="float64")
