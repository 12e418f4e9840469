"""Response models of the data-quality report."""
from datetime import datetime

from pydantic import BaseModel


class FailedExpectation(BaseModel):
    expectation: str
    column: str
    severity: str                      # critical (blocking) | warning
    unexpected_count: int | None = None
    observed_value: str | None = None


class ChecksSummary(BaseModel):
    suite: str
    checked_at: datetime | None = None
    expectations: int | None = None
    passed: int | None = None
    failed_blocking: int | None = None
    failed_warning: int | None = None
    outcome: str | None = None         # passed | warning | blocking
    failed: list[FailedExpectation] = []


class AssetQuality(BaseModel):
    asset: str
    asset_kind: str                    # feed | mart
    feed: str | None = None
    partition: str                     # the release; empty for a current file or a mart
    held: str | None = None            # "no releases": a series the platform holds nothing of (else null)
    last_attempt_at: datetime | None = None
    last_outcome: str | None = None    # stored | unchanged | rejected
    last_reason: str | None = None
    rows_in: int | None = None
    rows_valid: int | None = None
    rows_quarantined: int | None = None
    attempts: int = 0
    rejections: int = 0
    last_stored_at: datetime | None = None
    checks: ChecksSummary | None = None


class QualityEvent(BaseModel):
    recorded_at: datetime
    kind: str                          # ingestion | check
    asset: str
    partition: str
    outcome: str                       # stored | unchanged | rejected | passed | warning | blocking
    reason: str | None = None
    rows_in: int | None = None
    rows_valid: int | None = None
    rows_quarantined: int | None = None
    failed: list[FailedExpectation] = []


class Publication(BaseModel):
    run_id: str
    published_at: datetime


class DataQualityReport(BaseModel):
    published: Publication | None      # the snapshot being served (None: nothing published yet)
    assets: list[AssetQuality]         # rpt_data_quality of that snapshot
    since_publication: list[QualityEvent]  # what happened after it, newest first: why the figures did not move
