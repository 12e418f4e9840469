"""Responses computed once per snapshot, in the format asked for, with ETag, Cache-Control and the audit.

An endpoint describes its answer as a `Listing` (rows as an Arrow table, in a stable order, each row already masked
for the caller's entitlement) or a `Document` (one pydantic model). `Responder` turns that into bytes — a JSON page,
or every row as CSV, Parquet or Arrow — keeps them per (snapshot, endpoint, parameters, entitlement, format), and
on every request: answers 304 to a matching `If-None-Match`, writes one audit record per organisation whose
restricted data the response carries (before sending it), and streams the body.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.access import Caller, CallerDep, Entitlement, identify
from api.audit import Disclosure, RequestLine
from api.redact import redact
from api.deps import Generation, Snapshot
from api.problems import Problem
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Settings

DISCLOSED = "_disclosed"   # per row of a Listing: the organisation whose restricted data it carries unmasked, or null
RESTRICTED = "value restricted"


class Format(str, Enum):
    json = "json"
    csv = "csv"
    parquet = "parquet"
    arrow = "arrow"


MEDIA_TYPES = {Format.json: "application/json", Format.csv: "text/csv; charset=utf-8",
               Format.parquet: "application/vnd.apache.parquet", Format.arrow: "application/vnd.apache.arrow.stream"}
_ACCEPTED = {"text/csv": Format.csv, "application/vnd.apache.parquet": Format.parquet,
             "application/x-parquet": Format.parquet, "application/vnd.apache.arrow.stream": Format.arrow}
EXPORT_RESPONSES = {200: {"content": {MEDIA_TYPES[f]: {} for f in (Format.csv, Format.parquet, Format.arrow)},
                          "description": "the page as JSON, or with `format=` (or `Accept`) every row as CSV, "
                                         "Parquet or an Arrow IPC stream"},
                    304: {"description": "Not modified: the same snapshot as the `If-None-Match` ETag"},
                    406: {"description": "Not acceptable (problem details)"}}

FormatParam = Annotated[Format | None, Query(
    alias="format", description="`csv`, `parquet` or `arrow` (IPC stream): every row matching the filters, in "
                                "the same order and columns as the JSON items (`limit`/`offset` apply only if "
                                "given). Also chosen by the `Accept` header. Default JSON.")]


def negotiate(request: Request) -> Format:
    """`format=` if given (validated by the endpoint's FormatParam; a JSON-only endpoint refuses any other with
    406), else the first export type the Accept header names, else JSON."""
    requested = request.query_params.get("format")
    if requested is not None:
        try:
            return Format(requested)
        except ValueError:
            raise Problem(422, f"format: {requested!r} is not one of json, csv, parquet, arrow") from None
    accept = request.headers.get("accept", "")
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in _ACCEPTED:
            return _ACCEPTED[media]
    return Format.json


# --- what endpoints return -----------------------------------------------------------------------------------------

class SnapshotRef(BaseModel):
    id: str = Field(description="the pipeline run that published the snapshot")
    published_at: datetime


class Served(BaseModel):
    """Where an answer came from: the snapshot, and for figures that vary in time, the reporting month and the
    methodology version."""
    snapshot: SnapshotRef | None = Field(description="null only for the audit log, which no snapshot holds")
    period: date | None = Field(None, description="the reporting month (month end) the figures are for")
    as_of: date | None = Field(None, description="the `as_of` date asked for, if any")
    methodology_version: str | None = None


Item = TypeVar("Item", bound=BaseModel)


class Page(Served, Generic[Item]):
    items: list[Item]
    total: int = Field(description="rows matching the filters, over every page")
    limit: int
    offset: int
    next: str | None = Field(description="the next page (relative URL), keeping the filters; null on the last")


class Row(BaseModel):
    """An item of a list: flat, so the same rows export as CSV, Parquet and Arrow."""
    model_config = ConfigDict(extra="forbid")


@dataclass
class Listing:
    table: pa.Table                   # every row, ordered; columns = the item's fields (+ DISCLOSED where restricted)
    item: type[Row]
    served: dict[str, Any]            # Served's fields (Context.served)
    resource: str = ""                # what the restricted values in it are, for the audit


@dataclass
class Document:
    body: BaseModel
    disclosures: frozenset[Disclosure] = frozenset()


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    explicit: bool                    # given by the caller (exports then honour them too)


async def paging(request: Request,
           limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="page size")] = DEFAULT_PAGE_SIZE,
           offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0) -> Paging:
    return Paging(limit, offset, "limit" in request.query_params or "offset" in request.query_params)


PagingQuery = Annotated[Paging, Depends(paging)]


@dataclass
class Context:
    """What a builder gets, in a worker thread: a cursor on the generation, the snapshot, whose restricted data
    the caller may read, and the settings."""
    cursor: Any
    snapshot: Snapshot
    entitlement: Entitlement
    settings: Settings

    def served(self, **fields) -> dict[str, Any]:
        return {"snapshot": SnapshotRef(id=self.snapshot.id, published_at=self.snapshot.published_at), **fields}

    def rows(self, sql: str, params: list | tuple = ()) -> pa.Table:
        """A query's rows as an Arrow table (parameters bound, never interpolated)."""
        return self.cursor.sql(sql, params=list(params)).to_arrow_table()

    def records(self, sql: str, params: list | tuple = ()) -> list[dict]:
        result = self.cursor.execute(sql, list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, r)) for r in result.fetchall()]


# --- rendering -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    chunks: tuple[bytes, ...]
    media_type: str
    etag: str
    disclosures: tuple[Disclosure, ...]   # restricted data it carries: audited on every send, never cached by others
    fmt: Format = Format.json

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.chunks)


CHUNK = 1 << 16


def _chunks(data: bytes) -> tuple[bytes, ...]:
    return tuple(data[i:i + CHUNK] for i in range(0, len(data), CHUNK)) or (b"",)


def _disclosures(table: pa.Table, resource: str) -> tuple[Disclosure, ...]:
    if DISCLOSED not in table.column_names:
        return ()
    organisations = {o for o in table.column(DISCLOSED).to_pylist() if o is not None}
    return tuple(Disclosure(o, resource) for o in sorted(organisations))


def _columns(listing: Listing) -> pa.Table:
    names = list(listing.item.model_fields)
    missing = [n for n in names if n not in listing.table.column_names]
    if missing:
        raise RuntimeError(f"{listing.item.__name__}: the rows lack {missing}")
    return listing.table.select(names)


def next_link(path: str, query: dict, total: int, paging_: Paging) -> str | None:
    if paging_.offset + paging_.limit >= total:
        return None
    from urllib.parse import urlencode
    return f"{path}?{urlencode({**query, 'limit': paging_.limit, 'offset': paging_.offset + paging_.limit})}"


def render(result: Listing | Document, fmt: Format, paging_: Paging | None, etag: str, path: str,
           query: dict) -> Rendered:
    if isinstance(result, Document):
        if fmt is not Format.json:
            raise Problem(406, f"this endpoint answers JSON only, not {fmt.value}: exports are of lists")
        return Rendered(_chunks(result.body.model_dump_json().encode()), MEDIA_TYPES[fmt], etag,
                        tuple(sorted(result.disclosures)), fmt)
    table = result.table
    total = table.num_rows
    if fmt is Format.json:
        rows = table.slice(paging_.offset, paging_.limit)
        page = Page[result.item].model_validate({
            **result.served, "items": _columns(Listing(rows, result.item, {})).to_pylist(),
            "total": total, "limit": paging_.limit, "offset": paging_.offset,
            "next": next_link(path, query, total, paging_)})
        disclosures = _disclosures(rows, result.resource)
        return Rendered(_chunks(page.model_dump_json().encode()), MEDIA_TYPES[fmt], etag, disclosures, fmt)
    rows = table.slice(paging_.offset, paging_.limit) if paging_ and paging_.explicit else table
    disclosures = _disclosures(rows, result.resource)
    data = _columns(Listing(rows, result.item, {}))
    sink = io.BytesIO()
    if fmt is Format.csv:
        pacsv.write_csv(data, sink)
    elif fmt is Format.parquet:
        pq.write_table(data, sink)
    else:
        with pa.ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data, max_chunksize=10_000)
    return Rendered(_chunks(sink.getvalue()), MEDIA_TYPES[fmt], etag, disclosures, fmt)


class ResponseCache:
    """Rendered responses of the current snapshot, least recently used dropped first past `max_bytes`. Touched only
    on the event loop; concurrent misses of one key wait for a single computation.

    Besides its canonical key (what the builder depends on), each answer is also found by the request as it came —
    path, raw query string, Accept header, the caller's entitlement — for `FastPath`, which answers a request seen
    before without routing it or validating its parameters again (they gave this very answer the first time)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Rendered] = OrderedDict()
        self._aliases: dict[tuple, tuple] = {}
        self._bytes = 0
        self._snapshot: str | None = None
        self._inflight: dict[tuple, asyncio.Future] = {}

    def _current(self, snapshot_id: str) -> None:
        if snapshot_id != self._snapshot:         # a new snapshot: nothing of the old one is asked for again
            self._entries.clear()
            self._aliases.clear()
            self._bytes, self._snapshot = 0, snapshot_id

    def alias(self, snapshot_id: str, raw: tuple, key: tuple) -> None:
        self._current(snapshot_id)
        if key in self._entries and len(self._aliases) < 100_000:
            self._aliases[raw] = key

    def peek(self, snapshot_id: str, raw: tuple) -> Rendered | None:
        if snapshot_id != self._snapshot:
            return None
        key = self._aliases.get(raw)
        return self._entries.get(key) if key is not None else None

    async def get(self, snapshot_id: str, key: tuple, compute: Callable[[], Rendered]) -> Rendered:
        self._current(snapshot_id)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            rendered = await run_in_threadpool(compute)
        except BaseException as error:
            future.set_exception(error)
            future.exception()                    # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._inflight[key]
        future.set_result(rendered)
        if snapshot_id == self._snapshot and rendered.size <= self.max_bytes:
            self._entries[key] = rendered
            self._bytes += rendered.size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size
        return rendered


def raw_key(request: Request, caller: Caller) -> tuple:
    return (request.url.path, request.scope.get("query_string", b""), request.headers.get("accept", ""),
            caller.entitlement.key)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


@dataclass
class Responder:
    """The per-request half: which generation, which caller, which format; `respond` does the rest."""
    request: Request
    caller: Caller
    generation: Generation = field(init=False)

    def __post_init__(self):
        self.generation = self.request.app.state.warehouse.current()

    async def respond(self, build: Callable[[Context], Listing | Document], *,
                      paging_: Paging | None = None) -> Response:
        """The answer to this request: from the cache, or built once (in a worker thread) and kept. The cache key
        is the path, every query parameter but paging, the paging, the caller's entitlement and the format —
        everything a builder may depend on besides the snapshot."""
        state = self.request.app.state
        fmt = negotiate(self.request)
        snapshot = self.generation.snapshot
        entitlement = self.caller.entitlement
        page_key = (paging_.limit, paging_.offset, paging_.explicit) if paging_ else None
        query = {k: v for k, v in self.request.query_params.items() if k not in ("limit", "offset")}
        cache_key = (self.request.url.path, tuple(sorted(query.items())), page_key, entitlement.key, fmt)
        etag = '"%s.%s"' % (snapshot.id, hashlib.blake2b(repr(cache_key).encode(), digest_size=8).hexdigest())

        def compute() -> Rendered:
            cursor = self.generation.cursor()
            try:
                result = build(Context(cursor, snapshot, entitlement, state.settings))
            finally:
                cursor.close()
            return render(result, fmt, paging_, etag, self.request.url.path, query)

        rendered = await state.responses.get(snapshot.id, cache_key, compute)
        state.responses.alias(snapshot.id, raw_key(self.request, self.caller), cache_key)
        return await deliver(self.request, self.caller, rendered, snapshot.id)


    async def compute(self, build: Callable[[Context], Any]) -> Any:
        """A builder's answer computed now, in a worker thread, and not kept (a POST: the body is the question)."""
        state = self.request.app.state

        def run() -> Any:
            cursor = self.generation.cursor()
            try:
                return build(Context(cursor, self.generation.snapshot, self.caller.entitlement, state.settings))
            finally:
                cursor.close()

        return await run_in_threadpool(run)


async def deliver(request: Request, caller: Caller, rendered: Rendered, snapshot_id: str) -> Response:
    """Send a rendered answer: 304 to a matching If-None-Match (nothing sent: no audit record); otherwise the audit
    records of the restricted data it carries — written before a byte is sent — and the body."""
    headers = {"ETag": rendered.etag, "Vary": "Authorization, Accept",
               "Cache-Control": ("private, no-store" if rendered.disclosures else
                                 "private, max-age=60" if caller.key else "public, max-age=60")}
    if _etag_matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    if rendered.disclosures:
        if caller.key is None:   # masking gives anonymous callers nothing restricted: never reached
            raise RuntimeError("restricted data in a response to an anonymous caller")
        line = RequestLine(request.method, redact(request.url.path), redact(request.url.query), snapshot_id)
        await request.app.state.audit.record_async(caller.key, rendered.disclosures, line)
    if rendered.fmt is Format.json:
        return Response(b"".join(rendered.chunks), media_type=rendered.media_type, headers=headers)
    name = request.url.path.rstrip("/").rsplit("/", 1)[-1] or "export"
    extension = {Format.csv: "csv", Format.parquet: "parquet", Format.arrow: "arrows"}[rendered.fmt]
    headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return StreamingResponse(iter(rendered.chunks), media_type=rendered.media_type, headers=headers)


class FastPath:
    """Pure ASGI, in front of the routes: a GET already answered for this snapshot and entitlement is answered
    again from the cache — the caller identified (key checked, rate limit counted), If-None-Match, audit — without
    routing, dependency solving and parameter validation, which cost more than the rest of the request. Anything
    else (a miss, a refused key, a limit reached, any other method) goes on to the app, which answers as always."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        state = request.app.state
        try:
            snapshot_id = state.warehouse.current().snapshot.id
            caller = identify(request)
        except Problem:
            return await self.app(scope, receive, send)
        rendered = state.responses.peek(snapshot_id, raw_key(request, caller))
        if rendered is None or state.rate_limiter.retry_after(caller.identity) is not None:
            return await self.app(scope, receive, send)
        response = await deliver(request, caller, rendered, snapshot_id)
        await response(scope, receive, send)


async def _responder(request: Request, caller: CallerDep) -> Responder:
    return Responder(request, caller)


Serve = Annotated[Responder, Depends(_responder)]
