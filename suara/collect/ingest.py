"""Turn validated records into writer units: ids assigned, idempotency keys chosen, rows in warehouse shape."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from suara.collect.writer import Unit, WriteBatch, Writer, WriteResult
from suara.domain.records import EventIn, FeedbackIn, OrderIn, ResponseIn, TicketIn
from suara.errors import PayloadTooLarge, ValidationFailed, pydantic_errors

M = TypeVar("M", bound=BaseModel)


def validate_items(model: type[M], items: Sequence[Any], *, location: str, limit: int) -> list[M]:
    """Validate every item; any error fails the whole batch, naming each bad item's index and field."""
    if len(items) > limit:
        raise PayloadTooLarge(f"a batch holds at most {limit} items, got {len(items)}; split it")
    if not items:
        raise ValidationFailed(
            "the batch is empty",
            errors=[{"loc": [location], "pointer": f"/{location}", "message": "at least one item is required"}],
        )
    out: list[M] = []
    errors: list[dict[str, Any]] = []
    for i, raw in enumerate(items):
        try:
            out.append(model.model_validate(raw))
        except ValidationError as exc:
            errors.extend(pydantic_errors(exc, prefix=(location, i)))
    if errors:
        first = errors[0]
        raise ValidationFailed(
            f"{len(errors)} error(s) in the batch; nothing was written. First: {first['pointer']}: {first['message']}",
            errors=errors,
        )
    return out


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _derived_id(prefix: str, idempotency_key: str | None, index: int) -> str:
    """A client-supplied id wins; else one derived from the Idempotency-Key (so a retry repeats it); else random."""
    if idempotency_key is None:
        return f"{prefix}_{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{idempotency_key}\x00{index}".encode()).hexdigest()[:24]
    return f"{prefix}_{digest}"


def response_units(items: Sequence[ResponseIn], workspace_id: str, idempotency_key: str | None = None) -> list[Unit]:
    now = _now()
    units = []
    for i, r in enumerate(items):
        rid = r.response_id or _derived_id("r", idempotency_key, i)
        response = {
            "workspace_id": workspace_id,
            "response_id": rid,
            "survey_id": r.survey_id,
            "survey_version": r.survey_version,
            "customer_id": r.customer_id,
            "channel": r.channel,
            "touchpoint": r.touchpoint,
            "locale": r.locale,
            "submitted_at": r.submitted_at,
            "ingested_at": now,
        }
        answers = [
            {
                "workspace_id": workspace_id,
                "response_id": rid,
                "question_id": a.question_id,
                "kind": a.kind,
                "number": a.number,
                "text": a.text,
                "choice": a.choice,
            }
            for a in r.answers
        ]
        fields = [
            {"workspace_id": workspace_id, "response_id": rid, "name": k, "value": _as_text(v)}
            for k, v in r.fields.items()
            if v is not None
        ]
        rows: dict[str, list[dict[str, Any]]] = {"responses": [response], "answers": answers}
        if fields:
            rows["response_fields"] = fields
        units.append(Unit(key=rid, rows=rows))
    return units


def event_units(items: Sequence[EventIn], workspace_id: str, idempotency_key: str | None = None) -> list[Unit]:
    now = _now()
    units = []
    for i, e in enumerate(items):
        eid = e.message_id or _derived_id("e", idempotency_key, i)
        customer = e.user_id or e.anonymous_id
        if e.type == "identify":
            rows = {
                "identities": [
                    {
                        "workspace_id": workspace_id,
                        "customer_id": customer,
                        "trait": k,
                        "value": _as_text(v),
                        "observed_at": e.timestamp,
                        "ingested_at": now,
                    }
                    for k, v in e.traits.items()
                    if v is not None
                ]
            }
        else:
            rows = {
                "events": [
                    {
                        "workspace_id": workspace_id,
                        "event_id": eid,
                        "type": e.type,
                        "event": e.event if e.type == "track" else (e.name or "page"),
                        "customer_id": e.user_id,
                        "anonymous_id": e.anonymous_id,
                        "timestamp": e.timestamp,
                        "properties": orjson.dumps(e.properties, default=str).decode(),
                        "ingested_at": now,
                    }
                ]
            }
        units.append(Unit(key=eid, rows=rows))
    return units


def feedback_units(items: Sequence[FeedbackIn], workspace_id: str, idempotency_key: str | None = None) -> list[Unit]:
    now = _now()
    units = []
    for i, f in enumerate(items):
        fid = f.feedback_id or _derived_id("f", idempotency_key, i)
        row = {**f.model_dump(), "feedback_id": fid, "workspace_id": workspace_id, "ingested_at": now}
        units.append(Unit(key=fid, rows={"feedback": [row]}))
    return units


def order_units(items: Sequence[OrderIn], workspace_id: str, idempotency_key: str | None = None) -> list[Unit]:
    now = _now()
    return [
        Unit(key=o.order_id, rows={"orders": [{**o.model_dump(), "workspace_id": workspace_id, "ingested_at": now}]})
        for o in items
    ]


def ticket_units(items: Sequence[TicketIn], workspace_id: str, idempotency_key: str | None = None) -> list[Unit]:
    """A ticket's id is its help desk's: importing the same export twice counts each ticket once."""
    now = _now()
    return [
        Unit(key=t.ticket_id, rows={"tickets": [{**t.model_dump(), "workspace_id": workspace_id, "ingested_at": now}]})
        for t in items
    ]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)


KINDS: dict[str, tuple[type[BaseModel], Callable[..., list[Unit]]]] = {
    "responses": (ResponseIn, response_units),
    "events": (EventIn, event_units),
    "feedback": (FeedbackIn, feedback_units),
    "orders": (OrderIn, order_units),
    "tickets": (TicketIn, ticket_units),
}


class Ingestor:
    """Validates a batch of raw items of one kind and writes it through the single writer, all-or-nothing."""

    def __init__(self, writer: Writer, max_batch_items: int = 1000) -> None:
        self.writer = writer
        self.max_batch_items = max_batch_items

    def prepare(
        self,
        kind: str,
        workspace_id: str,
        raw: Sequence[Any],
        idempotency_key: str | None = None,
        *,
        location: str = "batch",
        limit: int | None = None,
        check: Callable[[list[Any]], None] | None = None,
    ) -> WriteBatch:
        """Validate and turn into units; `check(items)` may refuse valid items (e.g. against a survey version)."""
        model, to_units = KINDS[kind]
        items: list[Any] = validate_items(model, raw, location=location, limit=limit or self.max_batch_items)  # type: ignore[type-var]
        if check is not None:
            check(items)
        return WriteBatch(workspace_id, kind, to_units(items, workspace_id, idempotency_key))

    def ingest(
        self, kind: str, workspace_id: str, raw: Sequence[Any], idempotency_key: str | None = None, **kw: Any
    ) -> WriteResult:
        return self.writer.write(self.prepare(kind, workspace_id, raw, idempotency_key, **kw))

    async def ingest_async(
        self, kind: str, workspace_id: str, raw: Sequence[Any], idempotency_key: str | None = None, **kw: Any
    ) -> WriteResult:
        batch = self.prepare(kind, workspace_id, raw, idempotency_key, **kw)
        return await asyncio.wrap_future(self.writer.submit(batch))
