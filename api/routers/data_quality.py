"""The data-quality report: per feed and release, and per mart — rows in, valid, quarantined, checks passed and
failed — as published with the figures (rpt_data_quality), and what the pipeline recorded after that publication.

A rejected release or a failed blocking check leaves the served figures exactly as they were; the reason is in the
data-quality log, which the pipeline writes whether a run succeeds or not (files it never changes once written), so
this endpoint reads it too.
"""
import json
from datetime import timezone

import duckdb
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api.access import CallerDep
from api.problems import PROBLEM_RESPONSES, Problem
from api.schemas.quality import DataQualityReport

router = APIRouter(tags=["data quality"], responses=PROBLEM_RESPONSES)

# Feeds of restricted data (their declarations say `restricted=True`, orchestration/feeds/finance/__init__.py; a test
# pins the two together): a parser's reason or an observed value may quote a row of them, so the API withholds both
# (the Data Docs and the quarantine hold them for data engineers).
RESTRICTED_ASSETS = frozenset({"finance/monthly_returns"})
WITHHELD = "withheld: this feed is restricted (its reasons may quote its rows); see the quarantine and Data Docs"


def rows(cursor, sql: str, params: list) -> list[dict]:
    result = cursor.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r)) for r in result.fetchall()]


def _failed(failures_json: str | None, restricted: bool = False) -> list[dict]:
    """Which expectations failed, without their sample values (those may be restricted data: Data Docs hold them
    for the data engineers who may see them), nor observed values of a restricted feed."""
    keep = ("expectation", "column", "severity", "unexpected_count", "observed_value")
    return [{k: (None if restricted and k == "observed_value" else f.get(k)) for k in keep}
            for f in json.loads(failures_json or "[]")]


def _published(request: Request) -> tuple[dict | None, list[dict]]:
    try:
        cursor = request.app.state.warehouse.current().cursor()
    except Problem:  # nothing published yet: the log alone says why
        return None, []
    try:
        [publication] = rows(cursor, "SELECT run_id, published_at FROM publication", [])
        try:
            assets = rows(cursor, "SELECT * FROM rpt_data_quality ORDER BY asset_kind DESC, asset, partition_key", [])
        except duckdb.CatalogException:  # a snapshot published before the report existed: the log still speaks
            assets = []
    finally:
        cursor.close()
    return publication, assets


def _events_after(quality_dir, after, asset: str | None) -> list[dict]:
    """Ingestion attempts and check evaluations recorded after `after` (everything if None), of one asset or all,
    newest first."""
    files = {kind: quality_dir / kind for kind in ("ingestions", "checks")}
    if not all(folder.is_dir() and any(folder.glob("*.parquet")) for folder in files.values()):
        return []
    conditions = [(condition, value) for condition, value in (("recorded_at > ?", after), ("asset = ?", asset))
                  if value is not None]
    since = ("WHERE " + " AND ".join(c for c, _ in conditions)) if conditions else ""
    params = [v for _, v in conditions] * 2
    with duckdb.connect() as db:
        glob = {k: str(v / "*.parquet").replace("'", "''") for k, v in files.items()}
        return rows(db, f"""
            SELECT recorded_at, 'ingestion' AS kind, asset, partition_key AS partition, outcome, reason,
                   rows AS rows_in, rows_valid, rows_quarantined, NULL AS failures
            FROM read_parquet('{glob["ingestions"]}', union_by_name = true) {since}
            UNION ALL BY NAME
            SELECT recorded_at, 'check' AS kind, asset, partition_key AS partition, severity AS outcome,
                   suite || ': ' || failed_critical || ' blocking, ' || failed_warning || ' warning of '
                       || expectations || ' expectations failed' AS reason,
                   NULL AS rows_in, NULL AS rows_valid, NULL AS rows_quarantined, failures
            FROM read_parquet('{glob["checks"]}', union_by_name = true) {since}
            ORDER BY recorded_at DESC LIMIT 500""", params)


@router.get("/data-quality", response_model=DataQualityReport,
            summary="Rows in, valid and quarantined, and checks passed and failed, per feed release and mart")
async def data_quality(request: Request, caller: CallerDep,
                       asset: str | None = Query(None, description="only this asset, e.g. "
                                                                   "workforce/sickness_absence")) -> dict:
    """The published report, and what the data-quality log recorded after the snapshot being served (why the
    figures did not move). Not cached: the log grows between publications. Public; the reasons and observed
    values of the restricted finance-return feed are withheld."""
    return await run_in_threadpool(_report, request, asset)


def _report(request: Request, asset: str | None) -> dict:
    publication, assets = _published(request)
    # the snapshot records its publication time in UTC, without a zone; the log's times carry theirs
    published_at = publication["published_at"].replace(tzinfo=timezone.utc) if publication else None
    events = _events_after(request.app.state.quality_dir, published_at, asset)
    report_assets = []
    for a in assets:
        checks = None
        restricted = a["asset"] in RESTRICTED_ASSETS
        if a["suite"]:
            checks = {"suite": a["suite"], "checked_at": a["last_checked_at"], "expectations": a["expectations"],
                      "passed": a["expectations_passed"], "failed_blocking": a["expectations_failed_critical"],
                      "failed_warning": a["expectations_failed_warning"], "outcome": a["check_outcome"],
                      "failed": _failed(a["check_failures"], restricted)}
        reason = (WITHHELD if restricted and a["last_reason"] else a["last_reason"]) or None
        report_assets.append({**a, "partition": a["partition_key"], "last_reason": reason, "checks": checks})
    for event in events:
        restricted = event["asset"] in RESTRICTED_ASSETS
        event["failed"] = _failed(event.pop("failures"), restricted)
        if event["kind"] == "ingestion":
            event["reason"] = event["reason"] or None
        if restricted and event["reason"] and event["kind"] == "ingestion":
            event["reason"] = WITHHELD
    if asset:
        report_assets = [a for a in report_assets if a["asset"] == asset]
        if not report_assets and not events:
            known = sorted({a["asset"] for a in assets})
            raise Problem(404, f"no data-quality record for asset {asset!r}; assets reported: {', '.join(known)}")
    return {"published": publication, "assets": report_assets, "since_publication": events}
