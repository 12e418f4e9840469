"""The serving snapshot: the marts copied into their own DuckDB file and swapped in atomically.

The API opens only this file, read-only. It is replaced with os.replace after every check has passed,
so a reader sees the old snapshot or the new one, never a half-built one, and a failed run changes nothing.
"""

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import crashpoints
from orchestration.files import disk_full, is_disk_full
from orchestration.settings import Settings
from orchestration.whatif import WHATIF_SQL_TABLE, what_if_query

# The methodology configuration (dbt seeds, schema `methodology`) the API serves beside the figures built with it:
# levels and consequences, entry criteria, thresholds, finance score bands, the rules where versions differ and
# the oversight domains' rating scores. Published under the same names.
METHODOLOGY_SEEDS = ("failure_scale_levels", "failure_scale_criteria", "failure_scale_thresholds",
                     "finance_metric_thresholds", "failure_scale_rules", "oversight_domain_ratings")


SERVING_KEY = ["serving", "snapshot"]


def publish(settings: Settings, tables: list[str], run_id: str, as_at: date, build: str) -> dict:
    """Copy the marts into a new snapshot beside the served one, then swap it in (os.replace): a reader sees the old
    snapshot or the new one. A failure — a full disk among them (`DiskFull`, one message) — removes what it wrote and
    leaves the served snapshot as it was; what a killed publish left behind is removed by the next one."""
    target = settings.serving_path
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_staged(target)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.duckdb")
    counts: dict[str, int] = {}
    engine = settings.engine
    try:
        with duckdb.connect(str(tmp), config=settings.duckdb_config()) as snapshot:
            with engine.reader(snapshot) as built:
                # the marts and the methodology seeds as the engine built them (DuckDB's file, or Spark's Parquet),
                # in the same column types whichever engine it was
                for schema, names in (("marts", tables), ("methodology", METHODOLOGY_SEEDS)):
                    for name in names:
                        snapshot.execute(f'CREATE TABLE "{name}" AS {built.canonical(schema, name)}')
                        counts[name] = snapshot.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                if "fct_failure_scale_inputs" in tables:
                    # the failure scale's own SQL over this snapshot's tables, for POST /methodology/what-if: read
                    # back from DuckDB's views. Spark's models are Spark SQL, which the API cannot run, so a snapshot
                    # built on Spark has none, and the what-if says so (503) rather than answer otherwise
                    snapshot.execute(f"CREATE TABLE {WHATIF_SQL_TABLE} (query VARCHAR)")
                    if engine.name == "duckdb":
                        snapshot.execute(f"INSERT INTO {WHATIF_SQL_TABLE} VALUES (?)", [what_if_query(snapshot)])
            sources = source_hashes(settings)
            published_at = datetime.now(timezone.utc).replace(tzinfo=None)
            snapshot.execute("CREATE TABLE publication (run_id VARCHAR, published_at TIMESTAMP, sources VARCHAR, "
                             "as_at DATE, build VARCHAR, engine VARCHAR)")
            snapshot.execute("INSERT INTO publication VALUES (?, ?, ?, ?, ?, ?)",
                             [run_id, published_at, json.dumps(sources, sort_keys=True), as_at, build, engine.name])
            snapshot.execute("CHECKPOINT")
        crashpoints.reached("publish")
        os.replace(tmp, target)
    except BaseException as error:
        _remove(tmp)
        if is_disk_full(error):
            raise disk_full(error, target, "the serving snapshot") from error
        raise
    return {"path": str(target), "run_id": run_id, "published_at": published_at.isoformat(), "rows": counts}


def _remove(tmp: Path) -> None:
    for path in (tmp, tmp.with_name(tmp.name + ".wal")):
        path.unlink(missing_ok=True)


def _remove_staged(target: Path) -> None:
    """Snapshots a killed publish left half-written (hidden, never served): removed before a new one is made. Only
    one publish runs at a time (the build job's single run)."""
    for staged in target.parent.glob(f".{target.stem}.*.tmp.duckdb*"):
        staged.unlink(missing_ok=True)


def source_hashes(settings: Settings) -> dict:
    """What a snapshot is built on: for each current file the SHA-256 of the raw file its Parquet came from; for each
    series, every stored release with its raw file's SHA-256."""
    from orchestration.feeds import pipeline
    from orchestration.feeds.catalog import CURRENT_FILES, SERIES

    hashes: dict = {}
    for kind, feed in CURRENT_FILES.items():
        held = pipeline.current_held(settings, feed)
        hashes[kind] = held["sha256"] if held else None
    for kind, feed in SERIES.items():
        hashes[kind] = {key: entry.sha256 for key, entry in pipeline.release_store(settings, feed).state().items()}
    return hashes


def published(settings: Settings) -> dict | None:
    """What the snapshot being served was built from (run, as-at date, sources, build), or None if there is none."""
    if not settings.serving_path.exists():
        return None
    with duckdb.connect(str(settings.serving_path), read_only=True) as snapshot:
        columns = {r[0] for r in snapshot.execute("DESCRIBE publication").fetchall()}
        if not {"as_at", "build"} <= columns:
            return None  # published by an older version of the pipeline: treat as not comparable
        run_id, sources, as_at, build = snapshot.execute(
            "SELECT run_id, sources, as_at, build FROM publication").fetchone()
    return {"run_id": run_id, "sources": json.loads(sources), "as_at": as_at, "build": build}


def build_serving_asset(mart_names: list[str]) -> dg.AssetsDefinition:
    from orchestration.dbt import REBUILD_WHEN_UPDATED, project_fingerprint
    from orchestration.feeds.assets import as_at_of
    from orchestration.progress import PUBLISH_PREFIX

    @dg.asset(
        key=dg.AssetKey(SERVING_KEY),
        automation_condition=REBUILD_WHEN_UPDATED,
        deps=[dg.AssetKey([name]) for name in [*mart_names, *METHODOLOGY_SEEDS]],
        group_name="serving",
        kinds={"duckdb"},
        description="The marts and the methodology seeds published to serving/oversight.duckdb for the API "
                    "(atomic swap).",
    )
    def serving_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = Settings.from_env()
        outcome = publish(settings, mart_names, context.run_id, as_at_of(context), project_fingerprint())
        context.log.info(f"{PUBLISH_PREFIX}published {len(mart_names)} marts to {outcome['path']}")
        from expectations.registry import build_data_docs
        docs = build_data_docs(settings.gx_root)  # this run's validations, beside the figures they guarded
        return dg.MaterializeResult(metadata={
            "path": outcome["path"], "published_at": outcome["published_at"],
            "rows": dg.MetadataValue.json(outcome["rows"]), **({"data_docs": str(docs)} if docs else {})})

    return serving_snapshot
