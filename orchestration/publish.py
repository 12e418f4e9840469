"""The serving snapshot: the marts copied into their own DuckDB file and swapped in atomically.

The API opens only this file, read-only. It is replaced with os.replace after every check has passed,
so a reader sees the old snapshot or the new one, never a half-built one, and a failed run changes nothing.
"""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq

from orchestration.settings import Settings

# The methodology configuration (dbt seeds, schema `methodology`) the API serves beside the figures built with it:
# levels and consequences, entry criteria, thresholds, finance score bands. Published under the same names.
METHODOLOGY_SEEDS = ("failure_scale_levels", "failure_scale_criteria", "failure_scale_thresholds",
                     "finance_metric_thresholds")


def publish(settings: Settings, tables: list[str], run_id: str) -> dict:
    target = settings.serving_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp.duckdb")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(tmp)) as snapshot:
        snapshot.execute(f"ATTACH '{_sql_path(settings.warehouse_path)}' AS warehouse (READ_ONLY)")
        for table in tables:
            snapshot.execute(f'CREATE TABLE "{table}" AS SELECT * FROM warehouse.marts."{table}"')
            counts[table] = snapshot.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        for seed in METHODOLOGY_SEEDS:
            snapshot.execute(f'CREATE TABLE "{seed}" AS SELECT * FROM warehouse.methodology."{seed}"')
            counts[seed] = snapshot.execute(f'SELECT count(*) FROM "{seed}"').fetchone()[0]
        sources = _source_hashes(settings)
        published_at = datetime.now(timezone.utc).replace(tzinfo=None)
        snapshot.execute("CREATE TABLE publication (run_id VARCHAR, published_at TIMESTAMP, sources VARCHAR)")
        snapshot.execute("INSERT INTO publication VALUES (?, ?, ?)", [run_id, published_at, json.dumps(sources)])
        snapshot.execute("DETACH warehouse")
    os.replace(tmp, target)
    return {"path": str(target), "run_id": run_id, "published_at": published_at.isoformat(), "rows": counts}


def _source_hashes(settings: Settings) -> dict:
    """What the snapshot was built on: for each reference file the SHA-256 of the raw file its Parquet came from;
    for each series, every stored release with its raw file's SHA-256."""
    from orchestration.feeds.ingest import parquet_path
    from orchestration.feeds.registry import CQC_API_FEED, FEED_FILES, RELEASE_FEEDS
    from orchestration.feeds.releases import ReleaseStore

    hashes: dict = {}
    for kind, spec in FEED_FILES.items():
        path = parquet_path(settings, spec)
        column = pq.read_table(path, columns=["_source_sha256"]).column(0) if path.exists() else None
        hashes[kind] = column[0].as_py() if column is not None and len(column) else None
    for spec in [*RELEASE_FEEDS.values(), CQC_API_FEED]:
        state = ReleaseStore(settings.parquet_dir, spec).state()
        hashes[spec.kind] = {key: entry["sha256"] for key, entry in state.items()}
    return hashes


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def build_serving_asset(mart_names: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["serving", "snapshot"]),
        deps=[dg.AssetKey([name]) for name in [*mart_names, *METHODOLOGY_SEEDS]],
        group_name="serving",
        kinds={"duckdb"},
        description="The marts and the methodology seeds published to serving/oversight.duckdb for the API "
                    "(atomic swap).",
    )
    def serving_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = Settings.from_env()
        outcome = publish(settings, mart_names, context.run_id)
        from expectations.registry import build_data_docs
        docs = build_data_docs(settings.gx_root)  # this run's validations, beside the figures they guarded
        return dg.MaterializeResult(metadata={
            "path": outcome["path"], "published_at": outcome["published_at"],
            "rows": dg.MetadataValue.json(outcome["rows"]), **({"data_docs": str(docs)} if docs else {})})

    return serving_snapshot
