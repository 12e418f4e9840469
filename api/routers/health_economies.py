"""Health economies (ICBs): the list, one economy with its trusts, and the commissioner's view of its condition."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Methodology, WhenQuery
from api.problems import PROBLEM_RESPONSES, Problem
from api.responses import EXPORT_RESPONSES, Context, Document, FormatParam, Listing, Page, PagingQuery, Serve
from api.restricted import aggregate
from api.routers.organisations import ORGANISATIONS, organisation_rows
from api.schemas.analysis import EconomyView, MemberStress, PocketRow, SystemFigures
from api.schemas.organisations import HealthEconomyDetail, HealthEconomyRow

router = APIRouter(tags=["health economies"], responses=PROBLEM_RESPONSES)

IcbCode = Annotated[str, Path(description="ODS code of the ICB", examples=["QQ3"], min_length=3, max_length=3)]
ECONOMIES = """SELECT icb_code AS code, icb_ons_code AS ons_code, icb_name AS name,
                      CAST(open_trust_count AS BIGINT) AS open_trust_count
               FROM dim_health_economy"""
MARGIN = "combined in-year I&E margin ({}) (in-year finance return)"


@router.get("/health-economies", response_model=Page[HealthEconomyRow], responses=EXPORT_RESPONSES,
            summary="The health economies (ICBs)")
async def list_health_economies(serve: Serve, paging: PagingQuery, format: FormatParam = None):
    """Every ICB with its ONS code and the number of open trusts ODS places in it today. Public."""
    return await serve.respond(
        lambda ctx: Listing(ctx.rows(f"{ECONOMIES} ORDER BY code"), HealthEconomyRow, ctx.served()), paging_=paging)


def _economy(ctx: Context, code: str) -> dict:
    found = ctx.records(f"{ECONOMIES} WHERE icb_code = ?", [code.upper()])
    if not found:
        raise Problem(404, f"no health economy (ICB) with code {code!r}")
    return found[0]


@router.get("/health-economies/{code}", response_model=HealthEconomyDetail,
            summary="One health economy and its trusts (open and closed)")
async def get_health_economy(code: IcbCode, serve: Serve):
    """The ICB and every trust ODS places in it today, open and closed. Public."""
    def build(ctx: Context) -> Document:
        economy = _economy(ctx, code)
        trusts = organisation_rows(ctx, f"SELECT * FROM ({ORGANISATIONS}) WHERE type = 'trust' AND icb_code = ? "
                                        "ORDER BY code", [economy["code"]])
        return Document(HealthEconomyDetail(**ctx.served(), **economy, trusts=trusts))
    return await serve.respond(build)


def _view(ctx: Context, code: str, when, methodology: str | None) -> Document:
    economy = _economy(ctx, code)
    code = economy["code"]
    period = ctx.snapshot.period_for(when)
    version = ctx.snapshot.methodology(methodology)
    members = ctx.records("""
        SELECT scale.trust_code AS code, trust.trust_name AS name, peer.peer_group, scale.level, scale.level_name,
               scale.consequence,
               coalesce(array_to_string(json_extract_string(scale.criteria, '$[*].criterion'), '; '), '') AS criteria,
               stress.economy_failing, stress.stress_measures_passed, stress.others_failing_share,
               stress.others_sickness_rate, stress.others_sickness_excess, stress.others_margin_pct,
               workforce.sickness_absence_rate_percent, workforce.total_fte,
               finance.trust_code IS NOT NULL AS has_return
        FROM fct_trust_failure_scale AS scale
        INNER JOIN dim_trust AS trust ON trust.trust_code = scale.trust_code
        LEFT JOIN dim_trust_peer_group AS peer ON peer.trust_code = scale.trust_code
        LEFT JOIN fct_economy_condition AS stress ON stress.trust_code = scale.trust_code
            AND stress.period = scale.period AND stress.methodology_version = scale.methodology_version
        LEFT JOIN fct_trust_workforce AS workforce
            ON workforce.trust_code = scale.trust_code AND workforce.period = scale.period
        LEFT JOIN fct_trust_finance AS finance ON finance.trust_code = scale.trust_code AND finance.period = scale.period
        WHERE scale.icb_code = ? AND scale.period = ? AND scale.methodology_version = ?
        ORDER BY scale.level DESC, scale.trust_code""", [code, period, version])
    with_returns = [m["code"] for m in members if m["has_return"]]
    disclosures = set()
    listed = []
    for member in members:
        others = [t for t in with_returns if t != member["code"]]
        shown, read = (aggregate(ctx, others, period, MARGIN.format("the other trusts of the economy"))
                       if others else (True, set()))
        disclosures |= read
        listed.append(MemberStress(**{**member, "others_margin_pct": member["others_margin_pct"] if shown else None},
                                   others_margin_restricted=not shown))

    [figures] = ctx.records("""
        WITH failing AS (SELECT value FROM failure_scale_thresholds
                         WHERE methodology_version = ? AND threshold = 'failing_level'),
        months AS (
            SELECT scale.trust_code, scale.icb_code = ? AS member, scale.level >= (SELECT value FROM failing) AS failing,
                   workforce.sickness_absence_rate_percent AS sickness, workforce.total_fte,
                   finance.ytd_actual_surplus, finance.ytd_operating_income
            FROM fct_trust_failure_scale AS scale
            LEFT JOIN fct_trust_workforce AS workforce
                ON workforce.trust_code = scale.trust_code AND workforce.period = scale.period
            LEFT JOIN fct_trust_finance AS finance
                ON finance.trust_code = scale.trust_code AND finance.period = scale.period
            WHERE scale.period = ? AND scale.methodology_version = ?),
        accounts AS (
            SELECT trust_code, surplus_for_year, operating_income,
                   row_number() OVER (PARTITION BY trust_code ORDER BY financial_year DESC) AS recency
            FROM fct_trust_annual_accounts WHERE published_on <= ?)
        SELECT count(*) FILTER (WHERE member) AS trusts,
               count(*) FILTER (WHERE member AND failing) AS trusts_failing,
               avg(CASE WHEN failing THEN 1.0 ELSE 0.0 END) FILTER (WHERE member) AS share_failing,
               avg(CASE WHEN failing THEN 1.0 ELSE 0.0 END) AS england_share_failing,
               median(sickness) FILTER (WHERE member) AS median_sickness_absence_rate_percent,
               median(sickness) AS england_median_sickness_absence_rate_percent,
               sum(total_fte) FILTER (WHERE member) AS total_fte,
               100.0 * sum(ytd_actual_surplus) FILTER (WHERE member)
                   / nullif(sum(ytd_operating_income) FILTER (WHERE member), 0) AS in_year_margin_pct,
               count(ytd_operating_income) AS england_returns,
               100.0 * sum(ytd_actual_surplus) / nullif(sum(ytd_operating_income), 0) AS england_in_year_margin_pct,
               100.0 * sum(accounts.surplus_for_year) FILTER (WHERE member)
                   / nullif(sum(accounts.operating_income) FILTER (WHERE member), 0) AS annual_accounts_margin_pct,
               100.0 * sum(accounts.surplus_for_year) / nullif(sum(accounts.operating_income), 0)
                   AS england_annual_accounts_margin_pct
        FROM months LEFT JOIN accounts ON accounts.trust_code = months.trust_code AND accounts.recency = 1""",
                            [version, code, period, version, period])
    shown, read = (aggregate(ctx, with_returns, period, MARGIN.format("the trusts of the economy"))
                   if with_returns else (True, set()))
    disclosures |= read
    figures["in_year_margin_restricted"] = not shown
    if not shown:
        figures["in_year_margin_pct"] = None
    # England's figure is of every trust with a return: withheld as any other aggregate of too few
    if figures.pop("england_returns") < ctx.settings.api_restricted_aggregate_min_trusts and not ctx.entitlement.everything:
        figures["england_in_year_margin_pct"] = None
    england_rate = ctx.records("SELECT max(england_sickness_rate) AS rate FROM fct_economy_condition "
                               "WHERE period = ? AND methodology_version = ?", [period, version])
    pockets = [PocketRow(**p) for p in ctx.records(f"""
        SELECT {', '.join(PocketRow.model_fields)} FROM rpt_pockets_of_poor_care
        WHERE icb_code = ? AND period = ? ORDER BY trust_code, location_id, service_name""", [code, period])]
    return Document(EconomyView(
        **ctx.served(period=period, as_of=when.as_of, methodology_version=version), code=code, name=economy["name"],
        system=SystemFigures(**figures, england_sickness_rate=england_rate[0]["rate"] if england_rate else None),
        members=listed, pockets=pockets), frozenset(disclosures))


@router.get("/health-economies/{code}/view", response_model=EconomyView,
            summary="The commissioner's view: the economy's trusts, their levels and reasons, and its condition")
async def economy_view(code: IcbCode, serve: Serve, when: WhenQuery, methodology: Methodology = None):
    """The economy's member trusts that month with their levels, consequences and criteria; for each, the
    economy's stress measured without it (the other trusts' failing share, sickness absence against England's and
    combined in-year I&E margin) and whether the economy counts as failing for it; the system's workforce and
    finance against England's; and the pockets of poor care inside it. A figure combining fewer trusts' in-year
    returns than the aggregate minimum is shown only to callers entitled to each of them (the ICB's own
    commissioner key, national keys), and audited."""
    return await serve.respond(lambda ctx: _view(ctx, code, when, methodology))
