"""The data-quality log: what happened to every file and every check, kept whether the run succeeded or not.

Each event is one small Parquet file, written beside its siblings and renamed into place, never changed after:
- `quality/ingestions/`: one per ingestion attempt of a file or release — rows in, valid, quarantined, and the
  outcome (`stored`, `unchanged`, `rejected`) with the reason;
- `quality/checks/`: one per Great Expectations suite evaluated — expectations passed and failed, split into
  blocking (critical) and warning, with the failures.

dbt reads the log (sources `quality.*` → `rpt_data_quality`), and the API reads it directly for what happened
after the last publication — a rejected release or a failed blocking check leaves the served figures as they were,
and this log is where the reason is found.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from orchestration.files import write_parquet_atomic

INGESTIONS = "ingestions"
CHECKS = "checks"

INGESTION_SCHEMA = pa.schema([
    ("recorded_at", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
    ("feed", pa.string()),          # the check-feed kind, e.g. sickness-absence
    ("asset", pa.string()),         # the Dagster asset key, e.g. workforce/sickness_absence
    ("partition_key", pa.string()), # the release key; empty for a single current file
    ("file", pa.string()),
    ("sha256", pa.string()),
    ("layout", pa.string()),
    ("rows", pa.int64()),
    ("rows_valid", pa.int64()),
    ("rows_quarantined", pa.int64()),
    ("outcome", pa.string()),       # stored | unchanged | rejected
    ("reason", pa.string()),        # why rejected (the first line of the message); empty otherwise
    ("message", pa.string()),       # the whole message
])

CHECK_SCHEMA = pa.schema([
    ("recorded_at", pa.timestamp("us", tz="UTC")),
    ("run_id", pa.string()),
    ("asset", pa.string()),
    ("partition_key", pa.string()),
    ("suite", pa.string()),
    ("expectations", pa.int64()),
    ("passed", pa.int64()),
    ("failed_critical", pa.int64()),
    ("failed_warning", pa.int64()),
    ("severity", pa.string()),      # passed | warning | blocking
    ("failures", pa.string()),      # JSON list: expectation, column, severity, unexpected count and sample
])

SCHEMAS = {INGESTIONS: INGESTION_SCHEMA, CHECKS: CHECK_SCHEMA}

# The quarantine files (`quarantine/<feed>/<table>/[release=<key>/]<sha256>.parquet`, one per file received) hold
# the rows a parser refused, one per row, with the first broken rule's column and value and every reason.
QUARANTINE_SCHEMA = pa.schema([
    ("file", pa.string()), ("source_row", pa.int64()), ("column", pa.string()), ("rule", pa.string()),
    ("value", pa.string()), ("reason", pa.string()), ("record", pa.string()),
])


def ensure_log(settings) -> None:
    """An empty file of each schema, so readers (dbt's sources, the API) find a table before the first event."""
    folders = {settings.quality_dir / kind: schema for kind, schema in SCHEMAS.items()}
    folders[settings.quarantine_dir] = QUARANTINE_SCHEMA
    for folder, schema in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        empty = folder / "schema.parquet"  # no leading "_": Spark ignores such files, even named explicitly
        if not empty.exists():
            _write(schema.empty_table(), empty)


def record_ingestion(settings, *, run_id: str, feed: str, asset: str, partition: str | None, file: str,
                     sha256: str | None, layout: str | None, rows: int | None, rows_valid: int | None,
                     rows_quarantined: int | None, outcome: str, message: str = "") -> Path:
    return _record(settings, INGESTIONS, {
        "run_id": run_id, "feed": feed, "asset": asset, "partition_key": partition or "", "file": file,
        "sha256": sha256, "layout": layout, "rows": rows, "rows_valid": rows_valid,
        "rows_quarantined": rows_quarantined, "outcome": outcome,
        "reason": message.strip().splitlines()[0] if message.strip() else "", "message": message})


def record_check(settings, *, run_id: str, asset: str, partition: str | None, suite: str,
                 expectations: int, failures: list[dict]) -> Path:
    critical = sum(1 for f in failures if f["severity"] == "critical")
    warning = len(failures) - critical
    return _record(settings, CHECKS, {
        "run_id": run_id, "asset": asset, "partition_key": partition or "", "suite": suite,
        "expectations": expectations, "passed": expectations - len(failures), "failed_critical": critical,
        "failed_warning": warning, "severity": "blocking" if critical else ("warning" if warning else "passed"),
        "failures": json.dumps(failures, default=str)})


def _record(settings, kind: str, values: dict) -> Path:
    ensure_log(settings)
    now = datetime.now(timezone.utc)
    values = {"recorded_at": now, **values}
    schema = SCHEMAS[kind]
    table = pa.table({f.name: pa.array([values.get(f.name)], f.type) for f in schema}, schema=schema)
    path = settings.quality_dir / kind / f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
    _write(table, path)
    return path


def _write(table: pa.Table, path: Path) -> None:
    write_parquet_atomic(table, path)
