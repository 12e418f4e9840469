"""The analyses (DOMAIN.md's questions): failing trusts and failing economies, finance and quality, pockets of poor
care, and the ratings trend. Every figure is public: the 2×2 tables count trusts by statuses the failure scale
publishes (a finance criterion met is public; only its value is restricted)."""
from __future__ import annotations

from fastapi import APIRouter

from api.deps import Methodology, MonthRange, WhenQuery
from api.problems import PROBLEM_RESPONSES
from api.responses import EXPORT_RESPONSES, Context, FormatParam, Listing, Page, PagingQuery, Serve
from api.routers.trusts import IcbFilter
from api.schemas.analysis import LinkRow, PocketRow, TrendRow

router = APIRouter(prefix="/analysis", tags=["analysis"], responses=PROBLEM_RESPONSES)


def _link(ctx: Context, report: str, span, when, methodology: str | None) -> Listing:
    version = ctx.snapshot.methodology(methodology)
    periods = ctx.snapshot.periods_between(*span, when)
    table = ctx.rows(f"""
        SELECT {', '.join(LinkRow.model_fields)} FROM {report}
        WHERE list_contains(?::DATE[], period) AND methodology_version = ? ORDER BY period""", [periods, version])
    return Listing(table, LinkRow, ctx.served(as_of=when.as_of, methodology_version=version,
                                              period=periods[-1] if periods else None))


@router.get("/economy-link", response_model=Page[LinkRow], responses=EXPORT_RESPONSES,
            summary="Do failing trusts sit in failing health economies? The 2×2 table per month")
async def economy_link(serve: Serve, span: MonthRange, when: WhenQuery, paging: PagingQuery,
                       methodology: Methodology = None, format: FormatParam = None):
    """Per reporting month: trusts failing (level ≥ 3) × their economy failing (measured without them), the
    relative risk and odds ratio with 95% confidence intervals, Fisher's exact p and the share of failing trusts
    in failing economies; trusts alone in their economy counted as unclassified."""
    return await serve.respond(lambda ctx: _link(ctx, "rpt_economy_trust_link", span, when, methodology),
                               paging_=paging)


@router.get("/finance-quality", response_model=Page[LinkRow], responses=EXPORT_RESPONSES,
            summary="Do finance failure and quality failure go together? The 2×2 table per month")
async def finance_quality(serve: Serve, span: MonthRange, when: WhenQuery, paging: PagingQuery,
                          methodology: Methodology = None, format: FormatParam = None):
    """Per reporting month: quality failing (trust rated Requires improvement or Inadequate) × finance failing
    (overall finance score ≥ 3), with the same statistics; trusts without a rating or a return unclassified."""
    return await serve.respond(lambda ctx: _link(ctx, "rpt_finance_quality_link", span, when, methodology),
                               paging_=paging)


def _pockets(ctx: Context, when, icb: str | None) -> Listing:
    period = ctx.snapshot.period_for(when)
    icb = icb.upper() if icb else None
    table = ctx.rows(f"""
        SELECT {', '.join(PocketRow.model_fields)} FROM rpt_pockets_of_poor_care
        WHERE period = ? AND (?::VARCHAR IS NULL OR icb_code = ?)
        ORDER BY trust_code, location_id, service_name""", [period, icb, icb])
    return Listing(table, PocketRow, ctx.served(period=period, as_of=when.as_of))


@router.get("/pockets", response_model=Page[PocketRow], responses=EXPORT_RESPONSES,
            summary="Pockets of poor care inside trusts rated Good or Outstanding")
async def pockets(serve: Serve, when: WhenQuery, paging: PagingQuery, icb: IcbFilter = None,
                  format: FormatParam = None):
    """Core services — and locations with no core service so rated — rated Inadequate or Requires improvement
    inside trusts rated Good or Outstanding overall, in the month; inherited ratings left out."""
    return await serve.respond(lambda ctx: _pockets(ctx, when, icb), paging_=paging)


def _trend(ctx: Context) -> Listing:
    table = ctx.rows(f"SELECT {', '.join(TrendRow.model_fields)} FROM rpt_ratings_trend ORDER BY publication_year")
    return Listing(table, TrendRow, ctx.served())


@router.get("/ratings-trend", response_model=Page[TrendRow], responses=EXPORT_RESPONSES,
            summary="Have ratings improved over five years? Location ratings by year of publication")
async def ratings_trend(serve: Serve, paging: PagingQuery, format: FormatParam = None):
    """Location overall ratings by the year CQC published them — counts by rating, mean score (0 Inadequate … 3
    Outstanding), share Good or Outstanding — inherited ratings excluded (and counted), and the five-year slope.
    Built from every rating the snapshot knows (not per reporting month: a year's ratings are what CQC
    published in it)."""
    return await serve.respond(_trend, paging_=paging)
