"""The audit log of restricted reads: national keys only. Read-only here: GET is the only method it answers, and
the database refuses to change or delete a record whoever asks (api/store.py)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.access import NationalCaller
from api.problems import PROBLEM_RESPONSES
from api.responses import EXPORT_RESPONSES, Format, FormatParam, Listing, Page, PagingQuery, negotiate, render
from api.schemas.audit import AuditRecord

router = APIRouter(tags=["audit"], responses={**PROBLEM_RESPONSES, 403: {"description": "Forbidden: national "
                                                                                        "keys only"}})


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


@router.get("/audit", response_model=Page[AuditRecord], responses=EXPORT_RESPONSES,
            summary="Every read of restricted data: who, what, which organisation, when (national keys only)")
async def audit(request: Request, caller: NationalCaller, paging: PagingQuery,
                organisation: Annotated[str | None, Query(description="whose data was read", examples=["R0M"])] = None,
                key_id: Annotated[str | None, Query(description="who read it (a key id)")] = None,
                since: Annotated[datetime | None, Query(description="recorded at or after (ISO 8601; UTC if no "
                                                                    "zone given)")] = None,
                until: Annotated[datetime | None, Query(description="recorded before")] = None,
                format: FormatParam = None):
    """One record per organisation whose restricted data a response carried, oldest first: the key (id, name,
    role, organisation), the organisation read, what was read, the request and the snapshot. Never cached."""
    fmt = negotiate(request)
    table = await run_in_threadpool(request.app.state.audit.read, organisation.upper() if organisation else None,
                                    key_id, _utc(since), _utc(until))
    query = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
    rendered = await run_in_threadpool(render, Listing(table, AuditRecord, {"snapshot": None}), fmt, paging, "",
                                       request.url.path, query)
    headers = {"Cache-Control": "no-store", "Vary": "Authorization, Accept"}
    if fmt is Format.json:
        return Response(b"".join(rendered.chunks), media_type=rendered.media_type, headers=headers)
    return StreamingResponse(iter(rendered.chunks), media_type=rendered.media_type, headers=headers)
