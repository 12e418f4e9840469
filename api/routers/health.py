import json

from fastapi import APIRouter, Request

from api.access import Caller
from api.responses import Context, Document, Responder
from api.schemas.organisations import Health

router = APIRouter(tags=["health"])


def _health(ctx: Context) -> Document:
    [publication] = ctx.records("SELECT run_id, published_at, sources FROM publication")
    publication["sources"] = json.loads(publication["sources"] or "{}")
    return Document(Health(status="ok", publication=publication))


@router.get("/health", response_model=Health, summary="Is a snapshot published, and which")
async def health(request: Request):
    """Open to every caller, keyed or not (a liveness probe needs no key): 200 with the publication being served,
    503 (problem details) when nothing is published yet."""
    return await Responder(request, Caller(None, "")).respond(_health)
