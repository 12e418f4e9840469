"""Offset pagination shared by the list endpoints."""
from typing import Annotated

from fastapi import Query, Request

from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="page size")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE


def next_link(request: Request, total: int, limit: int, offset: int) -> str | None:
    """Relative URL of the next page, keeping the caller's filters; None on the last page."""
    if offset + limit >= total:
        return None
    url = request.url.include_query_params(limit=limit, offset=offset + limit)
    return f"{url.path}?{url.query}"
