"""Two serving snapshots compared table by table: the same tables, the same columns in the same types, the same rows.

Used to show that the Spark engine publishes what the DuckDB engine publishes (`make test-spark`), and by anyone who
moves the build to a cluster (`oversight compare-snapshots A B`). Rows are compared as multisets (order is not part
of a table); floating-point figures to `digits` significant digits, since two engines may sum in another order and
differ in the last bit. Left out: what says when and by what a snapshot was built rather than what it holds — in
`publication` the run, its time, build and engine (its `as_at` and `sources` are compared), and in the data-quality
report the times the pipeline did its work.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

FLOATS = {"DOUBLE", "FLOAT", "REAL"}
# per table, the columns that say when and by what a snapshot was built rather than what it holds
BUILD_COLUMNS = {"publication": {"run_id", "published_at", "build", "engine"},
                 "rpt_data_quality": {"last_attempt_at", "last_stored_at", "last_checked_at"}}


@dataclass(frozen=True)
class Difference:
    table: str
    what: str

    def __str__(self) -> str:
        return f"{self.table}: {self.what}"


def compare_snapshots(left: Path, right: Path, digits: int = 10, ignore: dict[str, set[str]] | None = None
                      ) -> list[Difference]:
    """Every difference between the snapshots at `left` and `right`; empty when they hold the same."""
    ignored = {**BUILD_COLUMNS, **(ignore or {})}
    differences: list[Difference] = []
    with duckdb.connect() as db:
        for alias, path in (("l", left), ("r", right)):
            if not Path(path).is_file():
                raise FileNotFoundError(f"no snapshot at {path}")
            db.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
        tables = {alias: set(_tables(db, alias)) for alias in ("l", "r")}
        for name in sorted(tables["l"] - tables["r"]):
            differences.append(Difference(name, f"only in {left}"))
        for name in sorted(tables["r"] - tables["l"]):
            differences.append(Difference(name, f"only in {right}"))
        for name in sorted(tables["l"] & tables["r"]):
            differences.extend(_compare_table(db, name, digits, ignored.get(name, set())))
    return differences


def _tables(db: duckdb.DuckDBPyConnection, alias: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                                     [alias]).fetchall()]


def _columns(db: duckdb.DuckDBPyConnection, alias: str, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in db.execute(f'DESCRIBE {alias}."{table}"').fetchall()]


def _compare_table(db: duckdb.DuckDBPyConnection, table: str, digits: int, ignored: set[str]) -> list[Difference]:
    left, right = _columns(db, "l", table), _columns(db, "r", table)
    if left != right:
        changed = [f"{a[0]} {a[1]} ≠ {b[0]} {b[1]}" for a, b in zip(left, right) if a != b]
        if len(left) != len(right):
            changed.append(f"{len(left)} columns ≠ {len(right)}")
        return [Difference(table, "columns differ: " + "; ".join(changed))]
    projection = ", ".join(_comparable(name, kind, digits) for name, kind in left if name not in ignored)
    counts = [db.execute(f'SELECT count(*) FROM {alias}."{table}"').fetchone()[0] for alias in ("l", "r")]
    differences = []
    if counts[0] != counts[1]:
        differences.append(Difference(table, f"{counts[0]} rows ≠ {counts[1]}"))
    for one, other, side in (("l", "r", "left"), ("r", "l", "right")):
        extra = db.execute(f'SELECT count(*) FROM (SELECT {projection} FROM {one}."{table}" EXCEPT ALL '
                           f'SELECT {projection} FROM {other}."{table}")').fetchone()[0]
        if extra:
            example = db.execute(f'SELECT {projection} FROM {one}."{table}" EXCEPT ALL '
                                 f'SELECT {projection} FROM {other}."{table}" LIMIT 1').fetchone()
            differences.append(Difference(table, f"{extra} rows only on the {side}, e.g. {example}"))
    return differences


def _comparable(name: str, kind: str, digits: int) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if kind in FLOATS:
        return f"printf('%.{digits}g', {quoted}) AS {quoted}"
    return quoted
