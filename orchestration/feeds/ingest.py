"""The ingestion asset every feed file gets: pull → land raw bytes → parse → Parquet (+ quarantine)."""

import os
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.feeds.registry import FeedFile
from orchestration.feeds.report import FeedRejected
from orchestration.fetch import fetch, unpack
from orchestration.landing import land
from orchestration.settings import Settings


def parquet_path(settings: Settings, spec: FeedFile) -> Path:
    return settings.parquet_dir / spec.feed / f"{spec.table}.parquet"


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def ingest(spec: FeedFile, settings: Settings, log=None) -> dict:
    """Run one feed file through the ingestion path; raise FeedRejected and keep the last good Parquet."""
    url = settings.feed_url(spec.kind)
    fetched = fetch(url)
    landed = land(settings.raw_dir, spec.feed, spec.table, fetched)
    file_name = Path(urlparse(url).path).name or spec.table
    result = spec.parse(unpack(fetched.content, url), file_name)

    quarantine_path = None
    if result.rows_quarantined:
        quarantine_path = settings.quarantine_dir / spec.feed / spec.table / f"{landed.sha256}.parquet"
        write_parquet_atomic(result.quarantine_table(), quarantine_path)
    if not result.accepted:
        raise FeedRejected(result)
    if log and result.warnings:
        for warning in result.warnings[:20]:
            log.warning(warning.describe(result.file))

    loaded_at = datetime.now(timezone.utc)
    table = result.valid
    table = table.append_column("_source_sha256", pa.array([landed.sha256] * table.num_rows, pa.string()))
    table = table.append_column("_loaded_at", pa.array([loaded_at] * table.num_rows, pa.timestamp("us", tz="UTC")))
    path = parquet_path(settings, spec)
    write_parquet_atomic(table, path)
    return {
        "source_url": url,
        "sha256": landed.sha256,
        "raw_path": str(landed.path),
        "layout": result.layout,
        "rows": result.rows,
        "rows_valid": result.rows_valid,
        "rows_quarantined": result.rows_quarantined,
        "warnings": len(result.warnings),
        "parquet_path": str(path),
        "quarantine_path": str(quarantine_path) if quarantine_path else None,
        "notes": result.notes,
    }


def build_ingest_asset(spec: FeedFile) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(spec.asset_key_path),
        group_name=spec.feed,
        description=spec.description,
        kinds={"python", "parquet"},
        tags={"feed": spec.feed},
    )
    def _ingest(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = Settings.from_env()
        try:
            outcome = ingest(spec, settings, context.log)
        except FeedRejected as rejected:
            # The raw file and quarantine are kept; the previous Parquet and everything downstream stay as they were.
            raise dg.Failure(description=str(rejected), metadata={
                "rows": rejected.result.rows, "rows_quarantined": rejected.result.rows_quarantined,
                "layout": str(rejected.result.layout)}) from None
        notes = outcome.pop("notes")
        metadata = {k: v for k, v in outcome.items() if v is not None}
        metadata["notes"] = dg.MetadataValue.json(notes)
        metadata["dagster/row_count"] = outcome["rows_valid"]
        return dg.MaterializeResult(metadata=metadata)

    _ingest.__name__ = f"ingest_{spec.feed}_{spec.table}"
    return _ingest
