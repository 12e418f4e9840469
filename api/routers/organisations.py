from typing import Literal

from fastapi import APIRouter, Request

from api.deps import Cursor, rows
from api.problems import Problem
from api.routers.paging import DEFAULT_LIMIT, Limit, Offset, next_link
from api.schemas.organisations import OrganisationDetail, OrganisationPage

router = APIRouter(tags=["organisations"])

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


def known_icb(cursor, code: str) -> bool:
    return bool(cursor.execute("SELECT 1 FROM dim_health_economy WHERE icb_code = ?", [code]).fetchone())


@router.get("/organisations", response_model=OrganisationPage, summary="NHS trusts and ICBs")
def list_organisations(request: Request, cursor: Cursor, type: Literal["trust", "icb"] | None = None,
                       icb: str | None = None, open: bool | None = None,
                       limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict:
    icb = icb.upper() if icb else None
    if icb and not known_icb(cursor, icb):
        raise Problem(422, f"unknown ICB code {icb!r} in filter 'icb'")
    where = "(? IS NULL OR type = ?) AND (? IS NULL OR icb_code = ?) AND (? IS NULL OR is_open = ?)"
    params = [type, type, icb, icb, open, open]
    [[total]] = cursor.execute(f"SELECT count(*) FROM ({ORGANISATIONS}) WHERE {where}", params).fetchall()
    items = rows(cursor, f"SELECT * FROM ({ORGANISATIONS}) WHERE {where} ORDER BY kind_order, code LIMIT ? OFFSET ?",
                 [*params, limit, offset])
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next": next_link(request, total, limit, offset)}


@router.get("/organisations/{code}", response_model=OrganisationDetail, summary="One trust or ICB")
def get_organisation(code: str, cursor: Cursor) -> dict:
    found = rows(cursor, f"SELECT * FROM ({ORGANISATIONS}) WHERE code = ? ORDER BY kind_order LIMIT 1", [code.upper()])
    if not found:
        raise Problem(404, f"no organisation with code {code!r}")
    organisation = found[0]
    if organisation["icb_code"]:
        economy = rows(cursor, "SELECT icb_code AS code, icb_name AS name FROM dim_health_economy WHERE icb_code = ?",
                       [organisation["icb_code"]])
        organisation["health_economy"] = economy[0] if economy else None
    return organisation
