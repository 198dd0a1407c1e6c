"""POST /api/v1/responses: survey responses, one or a batch of up to 1,000."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from suara.domain.records import ResponseIn
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, read_json, write
from suara.web.deps import CurrentPrincipal

router = APIRouter(prefix="/responses", tags=["collect"])


@router.post("", response_model=BatchAccepted, status_code=201, openapi_extra=body_schema(ResponseIn, batch=False))
async def create_response(request: Request, response: Response, principal: CurrentPrincipal) -> BatchAccepted:
    """Store one survey response. 201 when written, 200 when it repeats an earlier one (same id or key)."""
    result = await write(request, principal, "responses", [await read_json(request)], "body")
    if result.accepted == 0:
        response.status_code = 200
    return accepted(result)


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(ResponseIn, batch=True))
async def create_responses(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store up to 1,000 responses, all or none: any invalid item fails the batch, naming its index."""
    return accepted(await write(request, principal, "responses", batch_items(await read_json(request)), "batch"))
