"""Per-request dependencies: a read-only cursor on the published snapshot."""
import threading
from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from api.problems import Problem


class Warehouse:
    """The published snapshot, opened read-only and reopened when a new one is swapped in.

    Each generation is a fresh in-memory DuckDB with the snapshot ATTACHed read-only: DuckDB caches database
    instances by path, so reconnecting to the same path could hand back the old (replaced) file.
    """

    ALIAS = "serving"

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._identity = None
        self._connection = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise Problem(503, f"no published snapshot at {self.path}: run `oversight run` to build and publish one") from None
        identity = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if identity != self._identity:
                connection = duckdb.connect()
                escaped = str(self.path).replace("'", "''")
                connection.execute(f"ATTACH '{escaped}' AS {self.ALIAS} (READ_ONLY)")
                self._connection, self._identity = connection, identity  # the old one closes when unused
            cursor = self._connection.cursor()
        cursor.execute(f"USE {self.ALIAS}")
        return cursor


def _cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    cursor = request.app.state.warehouse.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


Cursor = Annotated[duckdb.DuckDBPyConnection, Depends(_cursor)]


def rows(cursor: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    result = cursor.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r)) for r in result.fetchall()]
