"""Errors as RFC 9457 problem details (application/problem+json), whatever format the request asked for."""
import logging

import duckdb
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          406: "Not acceptable", 422: "Invalid request", 429: "Too many requests", 500: "Internal error",
          503: "No published data"}
log = logging.getLogger("api")


class Problem(Exception):
    def __init__(self, status: int, detail: str, title: str | None = None, headers: dict | None = None, **extra):
        self.status, self.detail, self.title, self.extra = status, detail, title or TITLES.get(status, "Error"), extra
        self.headers = headers or {}


def problem_response(request: Request, status: int, detail: str, title: str | None = None,
                     headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"), "status": status,
            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


# What every endpoint's OpenAPI says it may answer besides its success.
PROBLEM_RESPONSES = {
    status: {"description": f"{TITLES[status]} (problem details)", "content": {PROBLEM_JSON: {}}}
    for status in (401, 404, 422, 429, 503)}


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.detail, exc.title, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"location": list(e["loc"]), "message": e["msg"], "input": e.get("input")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors)
        return problem_response(request, 422, detail, errors=errors)

    @app.exception_handler(duckdb.CatalogException)
    async def _older_snapshot(request: Request, exc: duckdb.CatalogException):
        # a snapshot published by an older pipeline lacks a table this endpoint reads
        return problem_response(request, 503, f"the published snapshot lacks what this endpoint reads ({exc}); "
                                              "run `oversight run` to publish a current one")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request, 500, "the API failed on this request; the error is in its log")
