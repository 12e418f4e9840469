import json

from fastapi import APIRouter

from api.deps import Cursor, rows
from api.schemas.organisations import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Is a snapshot published, and which")
def health(cursor: Cursor) -> dict:
    [publication] = rows(cursor, "SELECT run_id, published_at, sources FROM publication", [])
    publication["sources"] = json.loads(publication["sources"] or "{}")
    return {"status": "ok", "publication": publication}
