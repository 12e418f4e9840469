"""The reporting months a build was made on, and the models a new release reaches only through them.

Every model by month is built over `int_reporting_months` (the reporting grid: every month end from the earliest
month any input describes to the last month a monthly release was published), and the grid reads every monthly
feed's releases. By lineage alone, a new sickness month reaches every model by month — the CQC ratings' point in
time, the finance scores, the staff groups — through the grid, though it changes none of them when it does not move
the grid's ends: most releases land in a month another feed has already opened. `prunable` says which of the models
downstream of what was stored can be left as built, and only when that is certain:

- the build that made the warehouse's tables is the one being served (`Attempt`, written by every dbt build: a build
  that failed or was not published leaves the warehouse in a state no snapshot describes, and the next build
  rebuilds everything downstream of what changed, as before);
- that build's grid is the grid the warehouse gives now, with the new releases in it, for the same reporting length
  (`settings.report_months_max`), and on DuckDB, where the grid is a view over the stored releases (`live`); Spark's
  intermediate models are tables, read as last built, so on Spark nothing is left out;
- a model left out is reached from what was stored only through the grid: whatever else it reads is as the served
  build read it (anything stored since is in `stored`, `launch.build_selection`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings

GRID = dg.AssetKey(["int_reporting_months"])


@dataclass(frozen=True)
class Grid:
    """The reporting months, as their count and ends (a run of consecutive month ends: these fix it)."""
    months: int
    first: str | None
    last: str | None


@dataclass(frozen=True)
class Attempt:
    """The last dbt build in this home: its run, and the grid it built on (None until it has finished)."""
    run_id: str
    grid: Grid | None
    report_months_max: int | None

    @staticmethod
    def path(settings: Settings) -> Path:
        return settings.warehouse_path.with_name("last-build.json")

    @classmethod
    def read(cls, settings: Settings) -> "Attempt | None":
        try:
            data = json.loads(cls.path(settings).read_text())
            return cls(data["run_id"], Grid(**data["grid"]) if data.get("grid") else None,
                       data.get("report_months_max"))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def write(self, settings: Settings) -> None:
        from orchestration.files import write_bytes_atomic
        write_bytes_atomic(self.path(settings), json.dumps(asdict(self)).encode())


def begun(settings: Settings, run_id: str) -> None:
    """A dbt build starts: from now until `finished`, no snapshot describes the warehouse."""
    Attempt(run_id, None, settings.report_months_max).write(settings)


def finished(settings: Settings, run_id: str) -> None:
    """The build finished: the grid its models were built on (that of the stored releases, as it now reads)."""
    Attempt(run_id, live(settings), settings.report_months_max).write(settings)


def live(settings: Settings) -> Grid | None:
    """The grid as the stored releases give it now, read through DuckDB's view of them; None where the grid is not a
    view over the releases (Spark's tables, a warehouse not built yet), so nothing is taken as unchanged."""
    import duckdb

    if settings.engine.name != "duckdb" or not settings.warehouse_path.exists():
        return None
    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as db:
            kind = db.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'intermediate' "
                              "AND table_name = 'int_reporting_months'").fetchone()
            if kind is None or kind[0] != "VIEW":
                return None
            months, first, last = db.execute("SELECT count(*), min(month_end), max(month_end) "
                                              "FROM intermediate.int_reporting_months").fetchone()
    except duckdb.Error:
        return None   # a source the view reads is missing, say: not known to be unchanged
    return Grid(months, first and first.isoformat(), last and last.isoformat())


def prunable(settings: Settings, served_run_id: str, stored: set[dg.AssetKey], graph) -> set[dg.AssetKey]:
    """The models downstream of `stored` that may be left as built: those reached only through an unchanged grid."""
    attempt = Attempt.read(settings)
    if attempt is None or attempt.run_id != served_run_id or attempt.grid is None \
            or attempt.report_months_max != settings.report_months_max or live(settings) != attempt.grid:
        return set()
    return through_grid_only(stored, graph)


def through_grid_only(stored: set[dg.AssetKey], graph) -> set[dg.AssetKey]:
    """The assets downstream of `stored` that every path from `stored` reaches through the grid."""
    def reached(expand_grid: bool) -> set[dg.AssetKey]:
        seen, frontier = set(), [key for key in stored if graph.has(key)]
        while frontier:
            key = frontier.pop()
            if key in seen:
                continue
            seen.add(key)
            if key != GRID or expand_grid:
                frontier += graph.get(key).child_keys
        return seen
    return reached(True) - reached(False)
