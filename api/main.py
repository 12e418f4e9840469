"""The NHS Oversight Platform API: read-only, over the published snapshot, under /api/v1."""
from fastapi import FastAPI

from api import problems
from api.deps import Warehouse
from api.routers import data_quality, health, health_economies, organisations
from api.settings import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="NHS Oversight Platform", version="1", openapi_url=f"{API_PREFIX}/openapi.json",
                  description="Trusts, health economies and (soon) their condition, from the published snapshot, "
                              "and the data-quality report of the feeds behind it.")
    app.state.warehouse = Warehouse(settings.serving_path.resolve())
    app.state.quality_dir = settings.quality_dir.resolve()
    problems.install(app)
    for router in (health.router, organisations.router, health_economies.router, data_quality.router):
        app.include_router(router, prefix=API_PREFIX)
    return app


app = create_app()
