"""Which engine builds the models, and where what it built is read from.

The same dbt project builds on DuckDB (the default: one file, `$OVERSIGHT_HOME/warehouse.duckdb`) or on Spark
(dbt-spark; a local session here, a cluster elsewhere: its tables are Parquet files under the Spark warehouse,
`$OVERSIGHT_HOME/spark/warehouse/<schema>.db/<table>/`). Everything after the build — the marts' Great Expectations
checks and the publication of the serving snapshot — reads the built tables through `Engine.relation`, so the API
cannot tell which engine built its snapshot. Chosen by `OVERSIGHT_ENGINE` (`oversight run --engine`).
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

ENGINES = ("duckdb", "spark")


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here (Spark needs the spark extra and Java)."""


@dataclass(frozen=True)
class Engine:
    name: str          # duckdb | spark: also the dbt target (dbt_project/profiles.yml)
    home: Path

    @classmethod
    def from_env(cls, home: Path) -> "Engine":
        name = os.environ.get("OVERSIGHT_ENGINE", "duckdb").strip().lower() or "duckdb"
        if name not in ENGINES:
            raise ValueError(f"OVERSIGHT_ENGINE={name!r}: choose one of {', '.join(ENGINES)}")
        return cls(name, home)

    @property
    def dbt_target(self) -> str:
        return self.name

    @property
    def spark_warehouse(self) -> Path:
        return self.home / "spark" / "warehouse"

    def check_available(self) -> None:
        """Refuse early, and say how to get it, rather than fail inside dbt."""
        if self.name != "spark":
            return
        import importlib.util
        import shutil
        if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
            raise EngineUnavailable("the Spark engine needs dbt-spark and PySpark: `make setup-spark` installs them")
        if shutil.which("java") is None:
            raise EngineUnavailable("the Spark engine needs Java 17 on the PATH (`java` not found)")

    @contextlib.contextmanager
    def reader(self, connection: duckdb.DuckDBPyConnection | None = None) -> Iterator["Reader"]:
        """`connection` (a new in-memory one if None) able to read every table the build wrote, read-only."""
        with contextlib.ExitStack() as stack:
            if connection is None:
                connection = stack.enter_context(duckdb.connect())
            if self.name == "duckdb":
                path = str(self.home / "warehouse.duckdb").replace("'", "''")
                connection.execute(f"ATTACH '{path}' AS warehouse (READ_ONLY)")
                stack.callback(connection.execute, "DETACH warehouse")
            yield Reader(self, connection)


@dataclass(frozen=True)
class Reader:
    engine: Engine
    connection: duckdb.DuckDBPyConnection

    def relation(self, schema: str, table: str) -> str:
        """SQL naming a built table (`marts`, `methodology`…), whichever engine built it."""
        if self.engine.name == "duckdb":
            return f'warehouse."{schema}"."{table}"'
        folder = self.engine.spark_warehouse / f"{schema}.db" / table
        if not folder.is_dir():
            raise FileNotFoundError(f"{schema}.{table}: Spark built no table at {folder}")
        return "read_parquet('" + str(folder / "*.parquet").replace("'", "''") + "')"

    def canonical(self, schema: str, table: str, only: list[str] | None = None) -> str:
        """A SELECT of a built table in the column types the snapshot keeps whichever engine built it: every whole
        number as BIGINT (DuckDB sums to HUGEINT, Spark counts in INTEGER), every timestamp as an instant in UTC
        (Spark writes its session-zone — UTC — timestamps without a zone). Names and order as built; with `only`,
        those of its columns alone (names it does not have are not asked for)."""
        relation = self.relation(schema, table)
        columns = self.connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        wanted = None if only is None else set(only)
        return "SELECT " + ", ".join(_canonical(name, kind) for name, kind, *_ in columns
                                     if wanted is None or name in wanted) + f" FROM {relation}"

    def table(self, schema: str, table: str, only: list[str] | None = None):
        return self.connection.sql(self.canonical(schema, table, only)).to_arrow_table()


WHOLE_NUMBERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT"}


def _canonical(name: str, kind: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if kind in WHOLE_NUMBERS:
        return f"CAST({quoted} AS BIGINT) AS {quoted}"
    if kind == "TIMESTAMP":
        return f"timezone('UTC', {quoted}) AS {quoted}"
    return quoted
