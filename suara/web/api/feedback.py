"""POST /api/v1/feedback: reviews, social posts and tickets."""

from __future__ import annotations

from fastapi import APIRouter, Request

from suara.domain.records import FeedbackIn
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, read_json, write
from suara.web.deps import CurrentPrincipal

router = APIRouter(prefix="/feedback", tags=["collect"])


@router.post("", response_model=BatchAccepted, status_code=201, openapi_extra=body_schema(FeedbackIn, batch=False))
async def create_feedback(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store one feedback item (a review, social post or ticket)."""
    return accepted(await write(request, principal, "feedback", [await read_json(request)], "body"))


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(FeedbackIn, batch=True))
async def create_feedback_batch(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store up to 1,000 feedback items, all or none."""
    return accepted(await write(request, principal, "feedback", batch_items(await read_json(request)), "batch"))
