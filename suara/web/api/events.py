"""Behavioural events and customer traits in the shape of Segment's HTTP API: track, page, identify, batch."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from suara.domain.records import EventIn
from suara.errors import ValidationFailed
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, read_json, write
from suara.web.deps import CurrentPrincipal

router = APIRouter(prefix="/events", tags=["collect"])


async def _single(request: Request, principal: CurrentPrincipal, call: Literal["track", "page", "identify"]) -> Any:
    doc = await read_json(request)
    if not isinstance(doc, dict):
        raise ValidationFailed("send a JSON object", errors=[{"loc": ["body"], "pointer": "/", "message": "object"}])
    return accepted(await write(request, principal, "events", [{**doc, "type": call}], "body"))


@router.post("/track", response_model=BatchAccepted, openapi_extra=body_schema(EventIn, batch=False))
async def track(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Record what a customer did (`event`, `properties`)."""
    return await _single(request, principal, "track")  # type: ignore[no-any-return]


@router.post("/page", response_model=BatchAccepted, openapi_extra=body_schema(EventIn, batch=False))
async def page(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Record a page view (`name`, `properties.url`)."""
    return await _single(request, principal, "page")  # type: ignore[no-any-return]


@router.post("/identify", response_model=BatchAccepted, openapi_extra=body_schema(EventIn, batch=False))
async def identify(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Record a customer's traits (`traits`); the latest value of each trait wins in analyses."""
    return await _single(request, principal, "identify")  # type: ignore[no-any-return]


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(EventIn, batch=True))
async def batch(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Up to 1,000 track, page and identify calls, each with its `type`, all or none."""
    return accepted(await write(request, principal, "events", batch_items(await read_json(request)), "batch"))
