"""The NHS Oversight Platform API: read-only, over the published snapshot, under /api/v1."""
from collections.abc import Callable
from datetime import datetime, timezone

from fastapi import Depends, FastAPI

from api import problems, redact, web
from api.access import RateLimiter, authenticate
from api.audit import AuditLog
from api.deps import Warehouse
from api.keys import KeyStore
from api.responses import FastPath, ResponseCache
from api.routers import (analysis, audit, data_quality, failure_scale, freshness, health, health_economies,
                         organisations, trusts)
from api.settings import Settings
from api.store import AccessDatabase

API_PREFIX = "/api/v1"

DESCRIPTION = """
Where every NHS trust sits on a calibrated **failure scale** and why, the condition of each **health economy**
(ICB), and the analyses behind them, from the snapshot the pipeline last published.

**Access.** Send an API key as `Authorization: Bearer <key>` (`oversight keys create`). Roles: `national` (everything),
`commissioner` for an ICB (public data everywhere; restricted data of the trusts in its economy), `provider` for a
trust (public data; its own restricted data). Without a key, public data only — if the deployment admits anonymous
callers (`OVERSIGHT_API_ANONYMOUS`). **Restricted** data is the in-year monthly finance return and what is computed
from it: a finance criterion's value and threshold ("value restricted" for others), figures combining too few
trusts' returns. Every read of restricted data is written to the audit log (`GET /audit`, national keys).
Malformed, unknown and revoked keys are refused (401). Each key has a rate limit (429 with `Retry-After`).

**Time.** Figures that vary in time are per reporting month: `period=YYYY-MM`, or `as_of=YYYY-MM-DD` for what had
been published by a date — the latest month ending on or before it. Every answer says which snapshot, month and
methodology version it came from; `methodology=` asks for another version than the latest.

**Bulk.** Lists are paged (`limit`, `offset`, `next`) in a stable order; `format=csv|parquet|arrow` (or `Accept:
text/csv`, `application/vnd.apache.parquet`, `application/vnd.apache.arrow.stream`) gives every row matching the
filters, streamed. Each answer has an `ETag` (one per snapshot) and `Cache-Control`; `If-None-Match` gives 304.
Errors are `application/problem+json` whatever was asked for.
"""


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The app over `settings.home`. `clock` (UTC now) dates keys and audit records; tests pass their own."""
    settings = settings or Settings()
    clock = clock or (lambda: datetime.now(timezone.utc))
    # FastAPI's own /docs and /redoc load their scripts from a CDN: the pages serve /docs offline instead (api/web)
    app = FastAPI(title="NHS Oversight Platform", version="1", description=DESCRIPTION,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.warehouse = Warehouse(settings.serving_path.resolve())
    app.state.quality_dir = settings.quality_dir.resolve()
    database = AccessDatabase(settings.access_db.resolve())
    app.state.keys = KeyStore(database, clock)
    app.state.audit = AuditLog(database, clock)
    app.state.rate_limiter = RateLimiter(settings.api_rate_limit, settings.api_rate_burst, settings.api_workers)
    app.state.responses = ResponseCache(settings.api_cache_mb << 20)
    problems.install(app)
    redact.install()     # no API key in any log line, wherever a caller put it
    app.add_middleware(FastPath)
    app.include_router(health.router, prefix=API_PREFIX)
    for router in (trusts.router, failure_scale.router, health_economies.router, analysis.router,
                   organisations.router, data_quality.router, freshness.router, audit.router):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(authenticate)])
    web.install(app, app.openapi_url)   # the pages for people, the offline API docs
    return app


app = create_app()
