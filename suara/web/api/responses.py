"""POST /api/v1/responses: survey responses, one or a batch of up to 1,000."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from suara.collect.survey_versions import SurveyVersions
from suara.collect.writer import WriteResult
from suara.domain.records import ResponseIn
from suara.store.app import Role
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, idempotency_key, read_json
from suara.web.deps import CurrentPrincipal, Principal

router = APIRouter(prefix="/responses", tags=["collect"])


def _versions(request: Request) -> SurveyVersions:
    """The app's cache of survey definitions, made on first use."""
    state = request.app.state
    cache = getattr(state, "survey_versions", None)
    if cache is None:
        cache = state.survey_versions = SurveyVersions(state.runtime.app)
    return cache


async def _write(request: Request, principal: Principal, items: list[Any], location: str) -> WriteResult:
    """Write all-or-nothing; a response naming a survey version must fit that stored version (422 otherwise)."""
    principal.require(Role.agent)
    versions, ws = _versions(request), principal.workspace_id
    return await request.app.state.runtime.ingestor.ingest_async(
        "responses",
        ws,
        items,
        idempotency_key(request),
        location=location,
        check=lambda parsed: versions.check(ws, parsed, location),
    )


@router.post("", response_model=BatchAccepted, status_code=201, openapi_extra=body_schema(ResponseIn, batch=False))
async def create_response(request: Request, response: Response, principal: CurrentPrincipal) -> BatchAccepted:
    """Store one survey response. 201 when written, 200 when it repeats an earlier one (same id or key). A response
    naming `survey_id` and `survey_version` must match a stored version and fit its questions and scales."""
    result = await _write(request, principal, [await read_json(request)], "body")
    if result.accepted == 0:
        response.status_code = 200
    return accepted(result)


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(ResponseIn, batch=True))
async def create_responses(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store up to 1,000 responses, all or none: any invalid item fails the batch, naming its index."""
    return accepted(await _write(request, principal, batch_items(await read_json(request)), "batch"))
