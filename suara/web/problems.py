"""The one place errors become RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from suara.errors import SuaraError, pydantic_errors

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

_HTTP_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class FieldError(BaseModel):
    loc: list[str | int | None]
    pointer: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with `code` stable across releases and `errors` naming each bad field."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None


_PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Documented on every API operation, so clients and schema checks know the error shape.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text, "content": _PROBLEM_CONTENT}
    for status, text in [
        (400, "Unreadable request"),
        (401, "No or unknown API key"),
        (403, "Role not allowed"),
        (404, "Not found"),
        (405, "Method not allowed"),
        (413, "Batch too large"),
        (422, "Invalid input"),
        (500, "Internal error"),
    ]
}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(SuaraError)
    async def _suara(request: Request, exc: SuaraError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.to_problem(request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = pydantic_errors(exc)
        first = errors[0] if errors else {"pointer": "/", "message": "invalid"}
        body = {
            "type": "https://suara.dev/errors/validation_failed",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['pointer']}: {first['message']}",
            "code": "validation_failed",
            "instance": request.url.path,
            "errors": errors,
        }
        return problem_response(body)

    @app.exception_handler(ValidationError)
    async def _spec(request: Request, exc: ValidationError) -> JSONResponse:
        # A spec built from query parameters broke a rule (too many breakdowns, a bad range): the caller's input.
        errors = pydantic_errors(exc, prefix=("query",))
        first = errors[0]
        body = {
            "type": "https://suara.dev/errors/validation_failed",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{first['pointer']}: {first['message']}",
            "code": "validation_failed",
            "instance": request.url.path,
            "errors": errors,
        }
        return problem_response(body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = {
            "type": f"https://suara.dev/errors/{code}",
            "title": str(exc.detail),
            "status": exc.status_code,
            "detail": str(exc.detail),
            "code": code,
            "instance": request.url.path,
        }
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names only the first matching route's methods; name them all
            headers = {"Allow": ", ".join(_allowed_methods(request))}
        return problem_response(body, headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        body = {
            "type": "https://suara.dev/errors/internal_error",
            "title": "Internal error",
            "status": 500,
            "detail": "the server failed to handle this request; nothing was written",
            "code": "internal_error",
            "instance": request.url.path,
        }
        return problem_response(body)
