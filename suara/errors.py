"""One error family with stable codes, rendered once as problem+json (web) and once as a message (CLI)."""

from __future__ import annotations

from typing import Any


class SuaraError(Exception):
    """Base of every error a user can see. `code` is stable; `status` is the HTTP status it maps to."""

    code = "suara_error"
    status = 400
    title = "Request failed"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details; `errors` lists each bad field with its location."""
        body: dict[str, Any] = {
            "type": f"https://suara.dev/errors/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        return body


class ValidationFailed(SuaraError):
    code = "validation_failed"
    status = 422
    title = "Invalid input"


class BadRequest(SuaraError):
    code = "bad_request"
    status = 400
    title = "Bad request"


class NotAuthenticated(SuaraError):
    code = "not_authenticated"
    status = 401
    title = "Not authenticated"


class PermissionDenied(SuaraError):
    code = "permission_denied"
    status = 403
    title = "Permission denied"


class NotFound(SuaraError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(SuaraError):
    code = "conflict"
    status = 409
    title = "Conflict"


class PayloadTooLarge(SuaraError):
    code = "payload_too_large"
    status = 413
    title = "Payload too large"


class UnknownMetric(SuaraError):
    code = "unknown_metric"
    status = 404
    title = "Unknown metric"


class UnknownField(SuaraError):
    code = "unknown_field"
    status = 422
    title = "Unknown field"


class StoreUnavailable(SuaraError):
    code = "store_unavailable"
    status = 503
    title = "Store unavailable"


class ModelNotConverged(SuaraError):
    code = "model_not_converged"
    status = 422
    title = "Model did not converge"


ALL_ERRORS: tuple[type[SuaraError], ...] = (
    SuaraError,
    ValidationFailed,
    BadRequest,
    NotAuthenticated,
    PermissionDenied,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnknownMetric,
    UnknownField,
    StoreUnavailable,
    ModelNotConverged,
)


def pydantic_errors(exc: Any, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Turn a pydantic ValidationError into `[{"loc": [...], "pointer": "/a/0/b", "message": ...}]`."""
    out = []
    for err in exc.errors():
        loc = [*prefix, *[p for p in err["loc"] if p not in ("body",)]]
        out.append(
            {
                "loc": loc,
                "pointer": "/" + "/".join(str(p) for p in loc),
                "message": err["msg"],
                "type": err["type"],
            }
        )
    return out


class NotReplayable(SuaraError):
    code = "not_replayable"
    status = 409
    title = "Not a dead letter"


ALL_ERRORS += (NotReplayable,)
