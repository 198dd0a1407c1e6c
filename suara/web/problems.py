"""The one place errors become RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from suara.errors import SuaraError, pydantic_errors

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

_HTTP_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed",
               413: "payload_too_large", 415: "unsupported_media_type"}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(SuaraError)
    async def _suara(request: Request, exc: SuaraError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.to_problem(request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = pydantic_errors(exc)
        first = errors[0] if errors else {"pointer": "/", "message": "invalid"}
        body = {"type": "https://suara.dev/errors/validation_failed", "title": "Invalid input", "status": 422,
                "detail": f"{first['pointer']}: {first['message']}", "code": "validation_failed",
                "instance": request.url.path, "errors": errors}
        return problem_response(body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        body = {"type": f"https://suara.dev/errors/{code}", "title": str(exc.detail), "status": exc.status_code,
                "detail": str(exc.detail), "code": code, "instance": request.url.path}
        return problem_response(body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        body = {"type": "https://suara.dev/errors/internal_error", "title": "Internal error", "status": 500,
                "detail": "the server failed to handle this request; nothing was written", "code": "internal_error",
                "instance": request.url.path}
        return problem_response(body)
