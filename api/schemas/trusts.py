"""Response models of a trust: the scorecard and its ratings, workforce and (restricted) finance."""
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.responses import Row, Served
from api.schemas.scale import Criterion


class TrustIdentity(BaseModel):
    code: str
    name: str
    icb_code: str | None = Field(description="its health economy in the reporting month")
    icb_name: str | None
    region_code: str | None
    peer_group: str | None
    peer_group_basis: str | None
    is_open: bool
    open_date: date | None
    close_date: date | None
    current_successor_code: str | None


class ScaleSummary(BaseModel):
    level: int
    level_name: str
    consequence: str
    methodology_version: str
    assessment_complete: bool = Field(description="false where a criterion not assessable could have put it higher")
    missing_inputs: str | None = Field(None, description="each criterion not assessable that could have put it "
                                                         "higher, and what it lacked (`; `-separated)")
    criteria: list[Criterion] = Field(description="every criterion of the methodology: met, not met, not assessable")


class Rating(BaseModel):
    rating_level: str = Field(description="trust, location or core service")
    location_id: str
    service_name: str
    key_question: str
    rating: str = Field(description="CQC scale: Outstanding (best) … Inadequate")
    rating_scale: str
    publication_date: date | None
    rating_age_days: int | None
    is_inherited: bool | None = Field(description="inherited from a predecessor: shown, never aggregated")
    rating_basis: str


class Quality(BaseModel):
    trust: list[Rating] = Field(description="the trust's own rating by key question")
    sites: list[Rating] = Field(description="overall ratings of its locations and core services")


class Workforce(BaseModel):
    workforce_month: date | None
    total_fte: float | None
    total_headcount: float | None
    sickness_month: date | None
    sickness_absence_rate_percent: float | None
    sickness_national_percentile_rank: float | None = Field(description="0 lowest rate in England … 1 highest")
    sickness_worst_decile_months: int | None


class AnnualAccounts(BaseModel):
    """Public finance: the latest financial year of the Trust Accounts Consolidation published by the month."""
    financial_year: str
    operating_income: float | None = Field(description="£000")
    operating_expenses: float | None
    surplus_for_year: float | None
    income_expenditure_margin_pct: float | None
    agency_share_of_staff_costs_pct: float | None
    published_on: date


class InYearFinance(BaseModel):
    """RESTRICTED: the latest in-year finance return received by the month (national, the trust, its ICB)."""
    access: str = "restricted"
    value_restricted: bool = Field(description="true: withheld — the caller is not entitled to this trust's "
                                               "restricted data; every figure below is null")
    return_period_end: date | None = None
    return_received_on: date | None = None
    overall_finance_score: int | None = Field(None, description="SOF finance scale: 1 best … 4 worst")
    capital_service_capacity_score: int | None = None
    liquidity_score: int | None = None
    income_expenditure_margin_score: int | None = None
    distance_from_plan_score: int | None = None
    agency_spend_score: int | None = None


class EconomyStanding(BaseModel):
    code: str | None
    name: str | None
    economy_failing: bool | None = Field(description="failing, measured without this trust (null: unknown)")
    stress_measures_passed: int | None
    measures_needed: float | None
    other_trusts: int | None
    others_failing_share: float | None
    others_sickness_rate: float | None
    england_sickness_rate: float | None
    others_margin_pct: float | None = Field(description="combined in-year I&E margin of the other trusts: "
                                                        "restricted when they are fewer than the aggregate minimum")
    others_margin_restricted: bool


class Comparator(BaseModel):
    """The same figures over a group of trusts in the month (medians; shares of trusts)."""
    group: str = Field(description="peer group name, or England")
    trusts: int
    share_failing: float | None = Field(description="share at the failing level or above")
    median_sickness_absence_rate_percent: float | None
    median_income_expenditure_margin_pct: float | None = Field(description="annual accounts (public)")


class Scorecard(Served):
    """Where a trust sits on the failure scale and why, with the evidence beside it."""
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "snapshot": {"id": "8091abe9-1ce8-4ba1-934d-0ea93699c76e", "published_at": "2026-12-01T21:07:00"},
        "period": "2026-10-31", "as_of": None, "methodology_version": "v1",
        "trust": {"code": "R0M", "name": "PENBROOK HOSPITALS NHS TRUST", "icb_code": "QQ3",
                  "icb_name": "NHS Aylesworth Integrated Care Board", "region_code": "Y58", "peer_group": "acute",
                  "peer_group_basis": "primary inspection category of most of its locations", "is_open": True,
                  "open_date": "2001-04-01", "close_date": None, "current_successor_code": None},
        "scale": {"level": 3, "level_name": "Significant concerns", "consequence": "targeted support (offered)",
                  "methodology_version": "v2", "assessment_complete": True, "criteria": []}}]})
    trust: TrustIdentity
    scale: ScaleSummary
    quality: Quality
    workforce: Workforce | None
    annual_accounts: AnnualAccounts | None
    in_year_finance: InYearFinance | None = Field(description="null: no return received by the month")
    health_economy: EconomyStanding | None
    peer_group: Comparator | None
    england: Comparator


class RatingRow(Row):
    period: date
    rating_level: str
    location_id: str
    service_name: str
    key_question: str
    rating: str
    rating_scale: str
    publication_date: date | None
    rating_age_days: int | None
    is_inherited: bool | None
    rating_basis: str
    source: str | None


class WorkforceRow(Row):
    period: date
    workforce_month: date | None
    total_fte: float | None
    total_headcount: float | None
    sickness_month: date | None
    sickness_absence_rate_percent: float | None
    sickness_national_percentile_rank: float | None
    sickness_worst_decile_months: int | None
    icb_code: str | None


class FinanceRow(Row):
    """RESTRICTED: one reporting month's in-year finance (the latest return received by the month's end)."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period": "2026-09-30", "return_period_end": "2026-08-31", "return_received_on": "2026-09-20",
        "financial_year": "2026-27", "capital_service_capacity": 1.508, "liquidity_days": -1.844,
        "income_expenditure_margin_pct": -2.05, "distance_from_plan_pct": -2.25,
        "agency_spend_above_ceiling_pct": 14.98, "ytd_actual_surplus": -4961.053, "ytd_operating_income": 241570.03,
        "capital_service_capacity_score": 3, "liquidity_score": 2, "income_expenditure_margin_score": 4,
        "distance_from_plan_score": 4, "agency_spend_score": 2, "overall_finance_score": 3,
        "score_scale": "sof_finance_1_best_4_worst", "methodology_version": "v1", "source_release": "2026-08"}]})
    period: date
    return_period_end: date
    return_received_on: date
    financial_year: str
    capital_service_capacity: float | None
    liquidity_days: float | None
    income_expenditure_margin_pct: float | None
    distance_from_plan_pct: float | None
    agency_spend_above_ceiling_pct: float | None
    ytd_actual_surplus: float | None
    ytd_operating_income: float | None
    capital_service_capacity_score: int | None
    liquidity_score: int | None
    income_expenditure_margin_score: int | None
    distance_from_plan_score: int | None
    agency_spend_score: int | None
    overall_finance_score: int | None
    score_scale: str
    methodology_version: str
    source_release: str
