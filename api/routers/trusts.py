"""Trusts: the list with their levels, the scorecard, and a trust's history, ratings, workforce and finance."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.audit import Disclosure
from api.keys import Role
from api.deps import Methodology, MonthRange, WhenQuery
from api.problems import PROBLEM_RESPONSES, Problem
from api.responses import EXPORT_RESPONSES, Context, Document, FormatParam, Listing, Page, PagingQuery, Serve
from api.restricted import aggregate, may_read, mask_rows
from api.scale import SCALE_ROWS, criteria
from api.schemas.scale import HistoryRow, ScaleRow
from api.schemas.trusts import (AnnualAccounts, Comparator, EconomyStanding, FinanceRow, InYearFinance, Quality,
                                Rating, RatingRow, ScaleSummary, Scorecard, TrustIdentity, Workforce, WorkforceRow)

router = APIRouter(tags=["trusts"], responses=PROBLEM_RESPONSES)

TrustCode = Annotated[str, Path(description="ODS code of the trust", examples=["R0M"], min_length=3, max_length=5)]
IN_YEAR_FINANCE = "in-year finance return"
ECONOMY_MARGIN = "combined in-year I&E margin of the other trusts of the economy (in-year finance return)"

SORTS = {"code": "code", "name": "name, code", "level": "level, code", "-level": "level DESC, code",
         "icb": "icb_code NULLS LAST, code"}
Sort = Annotated[Literal["code", "name", "level", "-level", "icb"], Query(
    description="order of the rows (ties by code, so pages are stable): code, name, level, -level (worst first), icb")]


def scale_listing(ctx: Context, when, methodology: str | None, *, icb: str | None, region: str | None,
                  peer_group: str | None, level_min: int | None, order: str) -> Listing:
    """The trusts on the scale in the month asked about, filtered (shared by /trusts and /failure-scale)."""
    period = ctx.snapshot.period_for(when)
    version = ctx.snapshot.methodology(methodology)
    icb = icb.upper() if icb else None
    if icb and not ctx.records("SELECT 1 FROM dim_health_economy WHERE icb_code = ?", [icb]):
        raise Problem(422, f"unknown ICB code {icb!r} in filter 'icb'")
    table = ctx.rows(f"""
        SELECT * FROM ({SCALE_ROWS}) AS rows
        WHERE (?::VARCHAR IS NULL OR icb_code = ?) AND (?::VARCHAR IS NULL OR region_code = ?)
          AND (?::VARCHAR IS NULL OR peer_group = ?) AND (?::INTEGER IS NULL OR level >= ?)
        ORDER BY {order}""", [period, version, icb, icb, region, region, peer_group, peer_group, level_min, level_min])
    return Listing(table, ScaleRow, ctx.served(period=period, as_of=when.as_of, methodology_version=version))


IcbFilter = Annotated[str | None, Query(description="only trusts in this health economy (ICB code) that month",
                                        examples=["QQ3"])]
RegionFilter = Annotated[str | None, Query(description="only trusts in this NHS England region", examples=["Y58"])]
PeerFilter = Annotated[Literal["acute", "specialist", "mental health", "community", "ambulance", "other"] | None,
                       Query(description="only trusts of this peer group (CQC primary inspection category)")]
LevelMin = Annotated[int | None, Query(ge=0, le=5, description="only trusts at this level or above")]


@router.get("/trusts", response_model=Page[ScaleRow], responses=EXPORT_RESPONSES,
            summary="Every trust on the failure scale in a month, with its level (filter, sort, export)")
async def list_trusts(serve: Serve, when: WhenQuery, paging: PagingQuery, methodology: Methodology = None,
                      icb: IcbFilter = None, region: RegionFilter = None, peer_group: PeerFilter = None,
                      level_min: LevelMin = None, sort: Sort = "code", format: FormatParam = None):
    """English trusts open in the reporting month, each with its level, consequence and the criteria met. Public."""
    return await serve.respond(
        lambda ctx: scale_listing(ctx, when, methodology, icb=icb, region=region, peer_group=peer_group,
                                  level_min=level_min, order=SORTS[sort]),
        paging_=paging)


def _trust(ctx: Context, code: str) -> dict:
    found = ctx.records("""
        SELECT trust.trust_code AS code, trust.trust_name AS name, trust.region_code, trust.is_open, trust.open_date,
               trust.close_date, trust.current_successor_code, peer.peer_group, peer.peer_group_basis
        FROM dim_trust AS trust LEFT JOIN dim_trust_peer_group AS peer ON peer.trust_code = trust.trust_code
        WHERE trust.trust_code = ?""", [code.upper()])
    if not found:
        raise Problem(404, f"no trust with code {code!r}")
    return found[0]


def _scorecard(ctx: Context, code: str, when, methodology: str | None) -> Document:
    trust = _trust(ctx, code)
    code = trust["code"]
    period = ctx.snapshot.period_for(when)
    version = ctx.snapshot.methodology(methodology)
    rows = ctx.records("SELECT level, level_name, consequence, assessment_complete, missing_inputs "
                       "FROM fct_trust_failure_scale "
                       "WHERE trust_code = ? AND period = ? AND methodology_version = ?", [code, period, version])
    if not rows:
        raise Problem(404, f"trust {code} is not on the failure scale in {period:%Y-%m} (closed, not yet open, or "
                           "outside England's health economies then)")
    [scale] = rows
    listed, disclosures = criteria(ctx, version, [period], [code])
    icb = ctx.snapshot.icb_of(code, period)
    icb_name = ctx.records("SELECT icb_name FROM dim_health_economy WHERE icb_code = ?", [icb])
    identity = TrustIdentity(**trust, icb_code=icb, icb_name=icb_name[0]["icb_name"] if icb_name else None)

    ratings = [Rating(**r) for r in ctx.records("""
        SELECT rating_level, location_id, service_name, key_question, rating, rating_scale, publication_date,
               rating_age_days, is_inherited, rating_basis
        FROM fct_trust_quality WHERE trust_code = ? AND period = ?
          AND (rating_level = 'trust' OR key_question = 'Overall')
        ORDER BY CASE rating_level WHEN 'trust' THEN 0 WHEN 'location' THEN 1 ELSE 2 END, location_id, service_name,
                 key_question""", [code, period])]
    quality = Quality(trust=[r for r in ratings if r.rating_level == "trust"],
                      sites=[r for r in ratings if r.rating_level != "trust"])

    workforce = ctx.records("""
        SELECT workforce_month, total_fte, total_headcount, sickness_month, sickness_absence_rate_percent,
               sickness_national_percentile_rank, sickness_worst_decile_months
        FROM fct_trust_workforce WHERE trust_code = ? AND period = ?""", [code, period])
    accounts = ctx.records("""
        SELECT financial_year, operating_income, operating_expenses, surplus_for_year, income_expenditure_margin_pct,
               agency_share_of_staff_costs_pct, published_on
        FROM fct_trust_annual_accounts WHERE trust_code = ? AND published_on <= ?
        ORDER BY financial_year DESC LIMIT 1""", [code, period])

    finance = ctx.records("""
        SELECT return_period_end, return_received_on, overall_finance_score, capital_service_capacity_score,
               liquidity_score, income_expenditure_margin_score, distance_from_plan_score, agency_spend_score
        FROM fct_trust_finance WHERE trust_code = ? AND period = ?""", [code, period])
    in_year = None
    if finance:
        if may_read(ctx, code, period):
            in_year = InYearFinance(value_restricted=False, **finance[0])
            disclosures.add(Disclosure(code, IN_YEAR_FINANCE))
        else:
            in_year = InYearFinance(value_restricted=True)

    economy = None
    stress = ctx.records("""
        SELECT economy_failing, stress_measures_passed, measures_needed, other_trusts, others_failing_share,
               others_sickness_rate, england_sickness_rate, others_margin_pct
        FROM fct_economy_condition WHERE trust_code = ? AND period = ? AND methodology_version = ?""",
                         [code, period, version])
    if stress:
        others = [t for (t, p), i in ctx.snapshot.membership.items() if p == period and i == icb and t != code]
        with_returns = [r["trust_code"] for r in ctx.records(
            "SELECT trust_code FROM fct_trust_finance WHERE period = ? AND list_contains(?::VARCHAR[], trust_code)",
            [period, others])]
        row = stress[0]
        shown, read = aggregate(ctx, with_returns, period, ECONOMY_MARGIN) if with_returns else (True, set())
        if shown:
            disclosures |= read
        else:
            row["others_margin_pct"] = None
        economy = EconomyStanding(code=icb, name=identity.icb_name, others_margin_restricted=not shown, **row)

    return Document(Scorecard(
        **ctx.served(period=period, as_of=when.as_of, methodology_version=version),
        trust=identity,
        scale=ScaleSummary(**scale, methodology_version=version, criteria=listed.get((code, period), [])),
        quality=quality,
        workforce=Workforce(**workforce[0]) if workforce else None,
        annual_accounts=AnnualAccounts(**accounts[0]) if accounts else None,
        in_year_finance=in_year,
        health_economy=economy,
        peer_group=_comparator(ctx, period, version, trust["peer_group"]) if trust["peer_group"] else None,
        england=_comparator(ctx, period, version, None)), frozenset(disclosures))


def _comparator(ctx: Context, period: date, version: str, peer_group: str | None) -> Comparator:
    """Public figures of a group of trusts that month: no restricted value enters them."""
    [row] = ctx.records("""
        WITH failing AS (SELECT value FROM failure_scale_thresholds
                         WHERE methodology_version = ? AND threshold = 'failing_level'),
        members AS (
            SELECT scale.trust_code, scale.level FROM fct_trust_failure_scale AS scale
            LEFT JOIN dim_trust_peer_group AS peer ON peer.trust_code = scale.trust_code
            WHERE scale.period = ? AND scale.methodology_version = ? AND (?::VARCHAR IS NULL OR peer.peer_group = ?)),
        accounts AS (
            SELECT trust_code, income_expenditure_margin_pct,
                   row_number() OVER (PARTITION BY trust_code ORDER BY financial_year DESC) AS recency
            FROM fct_trust_annual_accounts WHERE published_on <= ?)
        SELECT count(*) AS trusts,
               avg(CASE WHEN members.level >= (SELECT value FROM failing) THEN 1.0 ELSE 0.0 END) AS share_failing,
               median(workforce.sickness_absence_rate_percent) AS median_sickness_absence_rate_percent,
               median(accounts.income_expenditure_margin_pct) AS median_income_expenditure_margin_pct
        FROM members
        LEFT JOIN fct_trust_workforce AS workforce
            ON workforce.trust_code = members.trust_code AND workforce.period = ?
        LEFT JOIN accounts ON accounts.trust_code = members.trust_code AND accounts.recency = 1""",
                        [version, period, version, peer_group, peer_group, period, period])
    return Comparator(group=peer_group or "England", **row)


@router.get("/trusts/{code}", response_model=Scorecard,
            responses={304: EXPORT_RESPONSES[304]},
            summary="A trust's scorecard: its level and why, its quality, workforce, finance and economy")
async def scorecard(code: TrustCode, serve: Serve, when: WhenQuery, methodology: Methodology = None):
    """The level, its name and consequence, and **every criterion** of the methodology — met, not met or not
    assessable — with its value, threshold, source and date; ratings by key question (trust, locations, core
    services; age; inherited marked); workforce; public finance (annual accounts); the in-year finance return
    (**restricted**: national keys, the trust itself, its ICB); its health economy and whether it is failing; its
    peer group's and England's figures beside its own. A criterion read from the in-year return shows its value
    and threshold only to those entitled: others see that it is met, its source and date, and "value restricted"."""
    return await serve.respond(lambda ctx: _scorecard(ctx, code, when, methodology))


def _history(ctx: Context, code: str, span, when, methodology: str | None) -> Listing:
    trust = _trust(ctx, code)
    version = ctx.snapshot.methodology(methodology)
    periods = ctx.snapshot.periods_between(*span, when)
    table = ctx.rows("""
        WITH months AS (
            SELECT period, level, level_name, consequence, methodology_version, icb_code,
                   coalesce(json_extract_string(criteria, '$[*].criterion'), []) AS met,
                   lag(level) OVER (ORDER BY period) AS level_before,
                   lag(coalesce(json_extract_string(criteria, '$[*].criterion'), [])) OVER (ORDER BY period) AS met_before
            FROM fct_trust_failure_scale WHERE trust_code = ? AND methodology_version = ?)
        SELECT period, level, level_name, consequence, methodology_version, array_to_string(met, '; ') AS criteria,
               CASE WHEN level_before IS NULL THEN 'first' WHEN level > level_before THEN 'up'
                    WHEN level < level_before THEN 'down' ELSE 'same' END AS change,
               array_to_string(list_filter(met, lambda c: NOT list_contains(coalesce(met_before, []), c)), '; ')
                   AS criteria_added,
               array_to_string(list_filter(coalesce(met_before, []), lambda c: NOT list_contains(met, c)), '; ')
                   AS criteria_removed,
               icb_code
        FROM months WHERE list_contains(?::DATE[], period) ORDER BY period""", [trust["code"], version, periods])
    return Listing(table, HistoryRow, ctx.served(as_of=when.as_of, methodology_version=version,
                                                 period=periods[-1] if periods else None))


@router.get("/trusts/{code}/history", response_model=Page[HistoryRow], responses=EXPORT_RESPONSES,
            summary="A trust's level month by month, and what changed")
async def history(code: TrustCode, serve: Serve, span: MonthRange, when: WhenQuery, paging: PagingQuery,
                  methodology: Methodology = None, format: FormatParam = None):
    """One row per reporting month from `from` to `to` (default: every month of the snapshot; with `as_of` or
    `period`, none after it): the level and the criteria met, and against the month before, whether the level
    went up or down and which criteria were added or dropped. Public."""
    return await serve.respond(lambda ctx: _history(ctx, code, span, when, methodology),
                               paging_=paging)


def _ratings(ctx: Context, code: str, when) -> Listing:
    trust = _trust(ctx, code)
    period = ctx.snapshot.period_for(when)
    table = ctx.rows("""
        SELECT period, rating_level, location_id, service_name, key_question, rating, rating_scale, publication_date,
               rating_age_days, is_inherited, rating_basis, source
        FROM fct_trust_quality WHERE trust_code = ? AND period = ?
        ORDER BY CASE rating_level WHEN 'trust' THEN 0 WHEN 'location' THEN 1 ELSE 2 END, location_id, service_name,
                 key_question""", [trust["code"], period])
    return Listing(table, RatingRow, ctx.served(period=period, as_of=when.as_of))


@router.get("/trusts/{code}/ratings", response_model=Page[RatingRow], responses=EXPORT_RESPONSES,
            summary="Every CQC rating of a trust, its locations and core services, as known in a month")
async def ratings(code: TrustCode, serve: Serve, when: WhenQuery, paging: PagingQuery, format: FormatParam = None):
    """Ratings in force at the month's end as then known: trust, location and core-service level, each key
    question, with publication date, age, whether inherited (shown, never aggregated) and whether CQC published
    the trust's rating or it was computed by the CQC ratings principles. Public."""
    return await serve.respond(lambda ctx: _ratings(ctx, code, when), paging_=paging)


def _workforce(ctx: Context, code: str, span, when) -> Listing:
    trust = _trust(ctx, code)
    periods = ctx.snapshot.periods_between(*span, when)
    table = ctx.rows("""
        SELECT period, workforce_month, total_fte, total_headcount, sickness_month, sickness_absence_rate_percent,
               sickness_national_percentile_rank, CAST(sickness_worst_decile_months AS BIGINT)
                   AS sickness_worst_decile_months, icb_code
        FROM fct_trust_workforce WHERE trust_code = ? AND list_contains(?::DATE[], period) ORDER BY period""",
                     [trust["code"], periods])
    return Listing(table, WorkforceRow, ctx.served(as_of=when.as_of, period=periods[-1] if periods else None))


@router.get("/trusts/{code}/workforce", response_model=Page[WorkforceRow], responses=EXPORT_RESPONSES,
            summary="A trust's staff and sickness absence, month by month")
async def workforce(code: TrustCode, serve: Serve, span: MonthRange, when: WhenQuery, paging: PagingQuery,
                    format: FormatParam = None):
    """Per reporting month: total FTE and headcount (latest published workforce month), sickness absence rate, its
    national percentile rank and consecutive months in the worst decile, as known at the month's end. Public."""
    return await serve.respond(lambda ctx: _workforce(ctx, code, span, when), paging_=paging)


FINANCE_COLUMNS = ", ".join(FinanceRow.model_fields)


def _finance(ctx: Context, code: str, span, when) -> Listing:
    trust = _trust(ctx, code)
    periods = ctx.snapshot.periods_between(*span, when)
    readable = [p for p in periods if may_read(ctx, trust["code"], p)]
    if not readable:
        rule = (f"the in-year finance return is restricted: national keys, the trust itself and its ICB may read "
                f"{trust['code']}'s")
        if ctx.entitlement.role is Role.public:
            raise Problem(401, f"{rule}; send `Authorization: Bearer <API key>`", headers={"WWW-Authenticate": "Bearer"})
        raise Problem(403, f"{rule}; a {ctx.entitlement.role.value} key for {ctx.entitlement.org} may not")
    table = ctx.rows(f"""
        SELECT {FINANCE_COLUMNS}, trust_code FROM fct_trust_finance
        WHERE trust_code = ? AND list_contains(?::DATE[], period) ORDER BY period""", [trust["code"], readable])
    table = mask_rows(ctx, table, [])   # every row here is readable: marks each as a restricted read
    return Listing(table, FinanceRow, ctx.served(as_of=when.as_of, period=readable[-1]), IN_YEAR_FINANCE)


@router.get("/trusts/{code}/finance", response_model=Page[FinanceRow],
            responses={**EXPORT_RESPONSES, 403: {"description": "Forbidden: not entitled (problem details)"}},
            summary="RESTRICTED: a trust's in-year finance return, month by month")
async def finance(code: TrustCode, serve: Serve, span: MonthRange, when: WhenQuery, paging: PagingQuery,
                  format: FormatParam = None):
    """The five Single Oversight Framework finance metrics, their scores (1 best … 4 worst) and the overall finance
    score, per reporting month, from the latest return received by the month's end (a later resubmission never
    rewrites an earlier month). **Restricted**: national keys; the trust's own provider key; the commissioner key
    of the ICB the trust belonged to that month (months in another ICB are left out). Every read is audited."""
    return await serve.respond(lambda ctx: _finance(ctx, code, span, when), paging_=paging)
