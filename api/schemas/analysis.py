"""Response models of the analysis endpoints and the health-economy view."""
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.responses import Row, Served


class LinkRow(Row):
    """One reporting month's 2×2 table and its statistics (95% CIs; 0.5 continuity correction on a zero cell). A
    table with an empty row or column is not estimable: its ratios and intervals are null."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period": "2026-10-31", "n_failing_in_failing": 3, "n_failing_in_other": 2, "n_ok_in_failing": 4,
        "n_ok_in_other": 5, "estimable": True, "relative_risk": 1.71, "rr_ci_low": 0.41, "rr_ci_high": 7.2, "odds_ratio": 1.88,
        "or_ci_low": 0.23, "or_ci_high": 15.2, "fisher_p": 1.0, "share_failing_in_failing_economies": 0.6,
        "n_unclassified": 0, "methodology_version": "v1"}]})
    period: date
    n_failing_in_failing: int
    n_failing_in_other: int
    n_ok_in_failing: int
    n_ok_in_other: int
    estimable: bool = Field(
        description="false when the table has an empty row or column (no trust classified; none failing, or all; "
                    "no economy — or trust, for finance — failing, or all): nothing can be said of a link that month, "
                    "and the ratios and their intervals are null rather than a 1 that would read as no link")
    relative_risk: float | None
    rr_ci_low: float | None
    rr_ci_high: float | None
    odds_ratio: float | None
    or_ci_low: float | None
    or_ci_high: float | None
    fisher_p: float | None
    share_failing_in_failing_economies: float | None = Field(
        description="economy link: failing trusts in failing economies; finance↔quality: quality-failing trusts "
                    "also failing on finance")
    n_unclassified: int
    methodology_version: str


class PocketRow(Row):
    """A core service (or a location with no such core service) rated Inadequate or Requires improvement inside a
    trust rated Good or Outstanding."""
    period: date
    trust_code: str
    location_id: str
    service_name: str
    pocket_level: str
    rating: str
    publication_date: date | None
    rating_age_days: int | None
    trust_rating: str
    trust_rating_basis: str
    icb_code: str | None


class TrendRow(Row):
    """Location overall ratings published in a year (inherited excluded and counted)."""
    publication_year: int
    ratings: int
    inherited_ratings_excluded: int
    outstanding: int
    good: int
    requires_improvement: int
    inadequate: int
    mean_score: float | None = Field(description="0 Inadequate … 3 Outstanding")
    score_scale: str
    share_good_or_outstanding: float | None
    in_five_year_window: bool
    five_year_slope_per_year: float | None = Field(description="least-squares slope of the yearly mean over the "
                                                               "latest five years (the same on every row)")
    is_part_year: bool = Field(description="the year of the run's as-at date: its ratings so far, not a whole year's")
    months_covered: int = Field(description="months of the year the ratings cover (12 for a whole year)")
    mean_rating_age_days: float | None = Field(description="how old the year's ratings are at the as-at date "
                                                           "(mean days since publication)")


class MemberStress(BaseModel):
    """A member trust's level and its economy's stress measured without it."""
    code: str
    name: str
    peer_group: str | None
    level: int
    level_name: str
    consequence: str
    criteria: str
    economy_failing: bool | None = Field(description="the economy failing for this trust (leave-one-out)")
    stress_measures_passed: int | None
    others_failing_share: float | None
    others_sickness_rate: float | None
    others_sickness_excess: float | None
    others_margin_pct: float | None = Field(description="combined in-year I&E margin of the others: restricted "
                                                        "when they are fewer than the aggregate minimum")
    others_margin_restricted: bool
    sickness_absence_rate_percent: float | None


class SystemFigures(BaseModel):
    """The economy's trusts together against England's, that month."""
    trusts: int
    trusts_failing: int
    share_failing: float | None
    england_share_failing: float | None
    median_sickness_absence_rate_percent: float | None
    england_median_sickness_absence_rate_percent: float | None
    england_sickness_rate: float | None = Field(description="England's rate (days lost / available)")
    total_fte: float | None
    in_year_margin_pct: float | None = Field(description="combined year-to-date I&E margin of its trusts (in-year "
                                                         "returns): restricted below the aggregate minimum")
    in_year_margin_restricted: bool
    england_in_year_margin_pct: float | None
    annual_accounts_margin_pct: float | None = Field(description="combined I&E margin, latest published accounts")
    england_annual_accounts_margin_pct: float | None


class EconomyView(Served):
    """The commissioner's view of one health economy in a month."""
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "snapshot": {"id": "8091abe9-1ce8-4ba1-934d-0ea93699c76e", "published_at": "2026-12-01T21:07:00"},
        "period": "2026-10-31", "methodology_version": "v1", "code": "QQ3",
        "name": "NHS Aylesworth Integrated Care Board", "members": [], "pockets": []}]})
    code: str
    name: str
    system: SystemFigures
    members: list[MemberStress]
    pockets: list[PocketRow]
