"""Shared plumbing of the write endpoints: read the JSON body, write all-or-nothing, answer after the commit."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from pydantic import BaseModel, Field

from suara.collect.writer import WriteResult
from suara.errors import BadRequest, ValidationFailed
from suara.store.app import Role
from suara.web.deps import Principal

# Idempotency-Key values longer than this are refused (they are stored with every derived id).
MAX_KEY_LEN = 200


class BatchAccepted(BaseModel):
    """Answer to a write: committed before it was sent. Retried items (same id or Idempotency-Key) count once."""

    accepted: int = Field(description="Items written by this request.")
    duplicates: int = Field(description="Items already written by an earlier request with the same id.")
    ids: list[str] = Field(description="Ids of the items this request wrote.")


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise BadRequest("the request body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LEN):
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LEN} characters")
    return key


def batch_items(doc: Any) -> list[Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("batch"), list):
        raise ValidationFailed(
            "send an object with a `batch` array of items",
            errors=[{"loc": ["batch"], "pointer": "/batch", "message": "a `batch` array is required"}],
        )
    return doc["batch"]


async def write(request: Request, principal: Principal, kind: str, items: list[Any], location: str) -> WriteResult:
    principal.require(Role.agent)
    ingestor = request.app.state.runtime.ingestor
    return await ingestor.ingest_async(kind, principal.workspace_id, items, idempotency_key(request), location=location)


def accepted(result: WriteResult) -> BatchAccepted:
    return BatchAccepted(accepted=result.accepted, duplicates=result.duplicates, ids=list(result.accepted_keys))


def body_schema(model: type[BaseModel], *, batch: bool) -> dict[str, Any]:
    """OpenAPI requestBody for an endpoint that reads its JSON itself (to report item indexes in errors)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    schema = (
        {
            "type": "object",
            "required": ["batch"],
            "properties": {"batch": {"type": "array", "items": ref, "minItems": 1, "maxItems": 1000}},
        }
        if batch
        else ref
    )
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
