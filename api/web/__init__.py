"""Pages for people, served by the API's own app: England at a glance (`/`), the health economies (`/economies`,
`/economies/{icb}`), each trust's record (`/trusts/{code}`), the methodology (`/methodology`), data quality
(`/quality`), signing in (`/sign-in`), and the API's interactive docs (`/docs`) — all server-rendered, working with
no network beyond this machine: every script, style and picture is served from here (this package's `static/`, and
Swagger UI's files from the installed `fastapi-offline` package), charts are SVG drawn on the server.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web.pages import SECURITY_HEADERS, TEMPLATES, router

STATIC = Path(__file__).parent / "static"
SWAGGER = Path(str(files("fastapi_offline") / "static"))

# Swagger UI builds its page with inline styles: allowed there, and only there; nothing from another site.
DOCS_HEADERS = {**SECURITY_HEADERS,
                "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' "
                                           "'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'; "
                                           "frame-ancestors 'none'"}


def install(app: FastAPI, openapi_url: str) -> None:
    """Mount the pages, their static files and the offline API docs on `app` (created with docs_url=None)."""
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER), name="swagger-static")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        html = TEMPLATES.get_template("docs.html").render(title=f"{app.title}: API docs", openapi_url=openapi_url)
        return HTMLResponse(html, headers=DOCS_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)

    app.include_router(router)
