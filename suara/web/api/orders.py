"""POST /api/v1/orders: purchases, the basis of revenue, repeat-purchase and lifetime-value analyses."""

from __future__ import annotations

from fastapi import APIRouter, Request

from suara.domain.records import OrderIn
from suara.web.api._ingest import BatchAccepted, accepted, batch_items, body_schema, read_json, write
from suara.web.deps import CurrentPrincipal

router = APIRouter(prefix="/orders", tags=["collect"])


@router.post("", response_model=BatchAccepted, status_code=201, openapi_extra=body_schema(OrderIn, batch=False))
async def create_order(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store one order; `order_id` makes a retry count once."""
    return accepted(await write(request, principal, "orders", [await read_json(request)], "body"))


@router.post("/batch", response_model=BatchAccepted, openapi_extra=body_schema(OrderIn, batch=True))
async def create_orders(request: Request, principal: CurrentPrincipal) -> BatchAccepted:
    """Store up to 1,000 orders, all or none."""
    return accepted(await write(request, principal, "orders", batch_items(await read_json(request)), "batch"))
