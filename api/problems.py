"""Errors as RFC 9457 problem details (application/problem+json)."""
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 422: "Invalid request",
          503: "No published data"}


class Problem(Exception):
    def __init__(self, status: int, detail: str, title: str | None = None, **extra):
        self.status, self.detail, self.title, self.extra = status, detail, title or TITLES.get(status, "Error"), extra


def problem_response(request: Request, status: int, detail: str, title: str | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"), "status": status,
            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.detail, exc.title, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"location": list(e["loc"]), "message": e["msg"], "input": e.get("input")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['location']))}: {e['message']}" for e in errors)
        return problem_response(request, 422, detail, errors=errors)
