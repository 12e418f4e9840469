"""NHS trusts and ICBs as ODS gives them today."""
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.problems import PROBLEM_RESPONSES, Problem
from api.responses import EXPORT_RESPONSES, Context, Document, FormatParam, Listing, Page, PagingQuery, Serve
from api.schemas.organisations import Organisation, OrganisationDetail

router = APIRouter(tags=["organisations"], responses=PROBLEM_RESPONSES)

# Trusts and ICBs in one shape; trusts first, each kind ordered by code (a stable order for paging).
ORGANISATIONS = """
    SELECT 'trust' AS type, 0 AS kind_order, trust_code AS code, trust_name AS name, region_code, icb_code,
           NULL::VARCHAR AS ons_code, postcode, open_date, close_date, is_open,
           successor_code, successor_effective_date, current_successor_code
    FROM dim_trust
    UNION ALL
    SELECT 'icb', 1, icb_code, icb_name, NULL, NULL, icb_ons_code, NULL, NULL, NULL, TRUE, NULL, NULL, NULL
    FROM dim_health_economy
"""


def organisation_rows(ctx: Context, sql: str, params: list) -> list[Organisation]:
    return [Organisation(**{k: v for k, v in r.items() if k != "kind_order"}) for r in ctx.records(sql, params)]


def _list(ctx: Context, type_, icb, open_) -> Listing:
    icb = icb.upper() if icb else None
    if icb and not ctx.records("SELECT 1 FROM dim_health_economy WHERE icb_code = ?", [icb]):
        raise Problem(422, f"unknown ICB code {icb!r} in filter 'icb'")
    table = ctx.rows(f"""
        SELECT * FROM ({ORGANISATIONS})
        WHERE (?::VARCHAR IS NULL OR type = ?) AND (?::VARCHAR IS NULL OR icb_code = ?)
          AND (?::BOOLEAN IS NULL OR is_open = ?)
        ORDER BY kind_order, code""", [type_, type_, icb, icb, open_, open_])
    return Listing(table, Organisation, ctx.served())


@router.get("/organisations", response_model=Page[Organisation], responses=EXPORT_RESPONSES,
            summary="NHS trusts and ICBs")
async def list_organisations(serve: Serve, paging: PagingQuery,
                             type: Annotated[Literal["trust", "icb"] | None, Query(description="trusts or ICBs")] = None,
                             icb: Annotated[str | None, Query(description="trusts of this ICB (today)")] = None,
                             open: Annotated[bool | None, Query(description="open (true) or closed (false)")] = None,
                             format: FormatParam = None):
    """Trusts (open and closed, with successors) and ICBs as ODS gives them today. Public."""
    return await serve.respond(lambda ctx: _list(ctx, type, icb, open), paging_=paging)


def _detail(ctx: Context, code: str) -> Document:
    found = organisation_rows(ctx, f"SELECT * FROM ({ORGANISATIONS}) WHERE code = ? ORDER BY kind_order LIMIT 1",
                              [code.upper()])
    if not found:
        raise Problem(404, f"no organisation with code {code!r}")
    organisation = found[0]
    economy = None
    if organisation.icb_code:
        rows = ctx.records("SELECT icb_code AS code, icb_name AS name FROM dim_health_economy WHERE icb_code = ?",
                           [organisation.icb_code])
        economy = rows[0] if rows else None
    return Document(OrganisationDetail(**ctx.served(), **organisation.model_dump(), health_economy=economy))


@router.get("/organisations/{code}", response_model=OrganisationDetail, summary="One trust or ICB")
async def get_organisation(code: Annotated[str, Path(description="ODS code", examples=["R0M"])], serve: Serve):
    """A trust (with its successor and today's health economy) or an ICB, as ODS gives it today. Public."""
    return await serve.respond(lambda ctx: _detail(ctx, code))
