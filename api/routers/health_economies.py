from fastapi import APIRouter, Request

from api.deps import Cursor, rows
from api.problems import Problem
from api.routers.organisations import ORGANISATIONS
from api.routers.paging import DEFAULT_LIMIT, Limit, Offset, next_link
from api.schemas.organisations import HealthEconomyDetail, HealthEconomyPage

router = APIRouter(tags=["health economies"])

ECONOMIES = """SELECT icb_code AS code, icb_ons_code AS ons_code, icb_name AS name, open_trust_count
               FROM dim_health_economy"""


@router.get("/health-economies", response_model=HealthEconomyPage, summary="The health economies (ICBs)")
def list_health_economies(request: Request, cursor: Cursor, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict:
    [[total]] = cursor.execute("SELECT count(*) FROM dim_health_economy").fetchall()
    items = rows(cursor, f"{ECONOMIES} ORDER BY code LIMIT ? OFFSET ?", [limit, offset])
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next": next_link(request, total, limit, offset)}


@router.get("/health-economies/{code}", response_model=HealthEconomyDetail,
            summary="One health economy and its trusts (open and closed)")
def get_health_economy(code: str, cursor: Cursor) -> dict:
    found = rows(cursor, f"{ECONOMIES} WHERE icb_code = ?", [code.upper()])
    if not found:
        raise Problem(404, f"no health economy (ICB) with code {code!r}")
    economy = found[0]
    economy["trusts"] = rows(cursor, f"SELECT * FROM ({ORGANISATIONS}) WHERE type = 'trust' AND icb_code = ? ORDER BY code",
                             [economy["code"]])
    return economy
