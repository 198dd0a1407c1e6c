"""POST /api/v1/tickets: support tickets from a help desk, the basis of the support measures."""

from __future__ import annotations

from fastapi import APIRouter, Request

from suara.domain.records import TicketIn
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, read_json, write
from suara.web.deps import CurrentPrincipal

router = APIRouter(prefix="/tickets", tags=["collect"])


@router.post("", response_model=BatchAccepted, status_code=201, openapi_extra=body_schema(TicketIn, batch=False))
async def create_ticket(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store one ticket; `ticket_id` makes a retry count once."""
    return accepted(await write(request, principal, "tickets", [await read_json(request)], "body"))


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(TicketIn, batch=True))
async def create_tickets(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store up to 1,000 tickets, all or none."""
    return accepted(await write(request, principal, "tickets", batch_items(await read_json(request)), "batch"))
