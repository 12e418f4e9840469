"""GET /data-quality over real HTTP: the published report, and what the data-quality log recorded after the
publication — written by the pipeline's own log writer — including when nothing has been published yet."""
import time
from datetime import datetime, timedelta, timezone

import duckdb

from api.settings import Settings
from orchestration import quality_log
from orchestration.settings import Settings as PipelineSettings
from tests.api.support import ServerThread, build_snapshot

PROBLEM = "application/problem+json"


def log_rejection(home, release: str):
    quality_log.record_ingestion(
        PipelineSettings(home, None), run_id="r", feed="sickness-absence", asset="workforce/sickness_absence",
        partition=release, file=f"nhs_sickness_absence_{release}.csv", sha256="ab" * 32, layout="x", rows=10,
        rows_valid=10, rows_quarantined=0, outcome="rejected",
        message=f"nhs_sickness_absence_{release}.csv rejected by its data-quality checks — suite …\n  - details")
    quality_log.record_check(
        PipelineSettings(home, None), run_id="r", asset="workforce/sickness_absence", partition=release,
        suite="workforce_sickness", expectations=14,
        failures=[{"expectation": "expect_column_values_to_be_between", "column": "days_before_publication",
                   "severity": "critical", "unexpected_count": 10, "unexpected_sample": ["RX1 secret"],
                   "observed_value": None}])


def test_before_anything_is_published_the_log_says_why(tmp_path):
    log_rejection(tmp_path, "2026-07")
    with ServerThread(tmp_path) as api:
        report = api.get("/data-quality").json()
    assert report["published"] is None and report["assets"] == []
    ingestion, check = sorted(report["since_publication"], key=lambda e: e["kind"], reverse=True)
    assert (ingestion["kind"], ingestion["outcome"], ingestion["partition"]) == ("ingestion", "rejected", "2026-07")
    assert ingestion["reason"] == "nhs_sickness_absence_2026-07.csv rejected by its data-quality checks — suite …"
    assert (check["kind"], check["outcome"]) == ("check", "blocking")
    assert check["failed"] == [{"expectation": "expect_column_values_to_be_between", "column": "days_before_publication",
                                "severity": "critical", "unexpected_count": 10, "observed_value": None}]


def test_only_what_came_after_the_publication_is_listed_and_samples_stay_out(tmp_path):
    log_rejection(tmp_path, "2026-06")   # before the publication: the published report covers it
    snapshot = Settings(home=tmp_path).serving_path
    build_snapshot(snapshot)              # an older snapshot, without rpt_data_quality
    published = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(milliseconds=5)
    with duckdb.connect(str(snapshot)) as db:
        db.execute("UPDATE publication SET published_at = ?", [published])
    time.sleep(0.02)
    log_rejection(tmp_path, "2026-07")   # after it: why the figures did not move
    with ServerThread(tmp_path) as api:
        report = api.get("/data-quality").json()
        one = api.get("/data-quality", params={"asset": "workforce/sickness_absence"}).json()
        unknown = api.get("/data-quality", params={"asset": "nope/nothing"})
    assert report["published"]["run_id"] == "run-1" and report["assets"] == []
    assert {e["partition"] for e in report["since_publication"]} == {"2026-07"}
    assert "RX1 secret" not in str(report)
    assert one["since_publication"] == report["since_publication"]
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(PROBLEM)
    assert "nope/nothing" in unknown.json()["detail"]


def test_a_restricted_feed_s_reasons_and_observed_values_stay_out(tmp_path):
    """A finance-return release refused for a row quotes that row: the API withholds the reason and observed values
    (the quarantine and Data Docs keep them for data engineers); other feeds' reasons are served as written."""
    quality_log.record_ingestion(
        PipelineSettings(tmp_path, None), run_id="r", feed="finance-monthly", asset="finance/monthly_returns",
        partition="2026-07", file="finance_return_2026-07.csv", sha256="cd" * 32, layout="x", rows=3, rows_valid=2,
        rows_quarantined=1, outcome="rejected", message="finance_return_2026-07.csv row 2: RX1 liquidity -987.654")
    quality_log.record_check(
        PipelineSettings(tmp_path, None), run_id="r", asset="finance/monthly_returns", partition="2026-07",
        suite="finance_monthly", expectations=9,
        failures=[{"expectation": "expect_column_mean_to_be_between", "column": "liquidity_days",
                   "severity": "critical", "unexpected_count": None, "observed_value": "-987.654"}])
    log_rejection(tmp_path, "2026-07")
    with ServerThread(tmp_path) as api:
        report = api.get("/data-quality").json()
    assert "-987.654" not in str(report) and "RX1" not in str(report)
    finance = [e for e in report["since_publication"] if e["asset"] == "finance/monthly_returns"]
    assert {e["kind"] for e in finance} == {"ingestion", "check"}
    assert next(e for e in finance if e["kind"] == "ingestion")["reason"].startswith("withheld")
    sickness = next(e for e in report["since_publication"] if e["kind"] == "ingestion"
                    and e["asset"] == "workforce/sickness_absence")
    assert sickness["reason"].startswith("nhs_sickness_absence_2026-07.csv rejected")


def test_the_withheld_assets_are_the_declared_restricted_feeds():
    from api.routers.data_quality import RESTRICTED_ASSETS
    from orchestration.feeds.catalog import FEEDS

    assert RESTRICTED_ASSETS == {f.asset for f in FEEDS.values() if f.restricted} == {"finance/monthly_returns"}
