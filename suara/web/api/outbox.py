"""The notification outbox (messages, dead letters, replay) and the webhook endpoints events are delivered to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AnyHttpUrl, BaseModel, Field

from suara.notify.outbox import messages, replay
from suara.notify.tables import EndpointKind, OutboxMessage, WebhookEndpoint
from suara.notify.webhooks import EndpointRepo
from suara.store.app import Role
from suara.web.deps import CurrentPrincipal, RuntimeDep
from suara.web.problems import RESPONSES

router = APIRouter(tags=["notifications"])

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Id of the row.")]
EventPattern = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.*-]+$")]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


class OutboxMessagePublic(BaseModel):
    id: int
    delivery_id: str = Field(
        description="Sent with every attempt (Message-ID, Suara-Delivery); receivers dedupe on it."
    )
    channel: str
    target: str = Field(description="Email address, or the id of the webhook endpoint.")
    status: Literal["pending", "sending", "sent", "dead"]
    attempts: int
    max_attempts: int
    due_at: datetime = Field(description="Next attempt (pending) or end of the worker's lease (sending).")
    last_error: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: OutboxMessage) -> OutboxMessagePublic:
        return cls(
            id=m.id,
            delivery_id=m.delivery_id,
            channel=m.channel,
            target=m.target,
            status=m.status,  # type: ignore[arg-type]
            attempts=m.attempts,
            max_attempts=m.max_attempts,
            due_at=m.due_at.replace(tzinfo=UTC),
            last_error=m.last_error,
            created_at=m.created_at.replace(tzinfo=UTC),
            sent_at=_utc(m.sent_at),
        )


class WebhookCreate(BaseModel):
    url: AnyHttpUrl = Field(description="Where events are posted (http or https).")
    kind: EndpointKind = Field(
        EndpointKind.signed,
        description="`signed`: JSON signed with Suara-Signature; `slack`: a Slack incoming webhook.",
    )
    events: list[EventPattern] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=50, description="Event names; `*` and `prefix.*` match."
    )
    description: str = Field("", max_length=200)


class WebhookUpdate(BaseModel):
    url: AnyHttpUrl | None = None
    events: list[EventPattern] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class WebhookPublic(BaseModel):
    id: int
    url: str
    kind: EndpointKind
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookPublic:
        return cls(
            id=e.id,
            url=e.url,
            kind=EndpointKind(e.kind),
            events=list(e.events),
            description=e.description,
            active=e.active,
            created_at=e.created_at.replace(tzinfo=UTC),
            updated_at=e.updated_at.replace(tzinfo=UTC),
        )


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Signing secret for verify_signature; shown in this answer only.")


# -- outbox -------------------------------------------------------------------------------------------------------
@router.get("/outbox", response_model=list[OutboxMessagePublic])
def list_outbox(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    status: Annotated[Literal["pending", "sending", "sent", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OutboxMessagePublic]:
    """The workspace's messages, newest first; `status=dead` lists the dead letters."""
    principal.require(Role.analyst)
    with runtime.app.session() as s:
        return [OutboxMessagePublic.of(m) for m in messages(s, principal.workspace_id, status=status, limit=limit)]


@router.post(
    "/outbox/{message_id}/replay",
    response_model=OutboxMessagePublic,
    responses={409: {**RESPONSES[404], "description": "Not a dead letter"}},
)
def replay_message(message_id: RowId, principal: CurrentPrincipal, runtime: RuntimeDep) -> OutboxMessagePublic:
    """Queue a dead letter again with fresh attempts; it keeps its delivery id."""
    principal.require(Role.admin)
    with runtime.app.session() as s:
        return OutboxMessagePublic.of(replay(s, principal.workspace_id, message_id))


# -- webhook endpoints --------------------------------------------------------------------------------------------
@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[WebhookPublic]:
    principal.require(Role.admin)
    with runtime.app.session() as s:
        return [WebhookPublic.of(e) for e in EndpointRepo(s, principal.workspace_id).all()]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(body: WebhookCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> WebhookCreated:
    """A new endpoint; the answer holds its signing secret, which is never shown again."""
    principal.require(Role.admin)
    with runtime.app.session() as s:
        row = EndpointRepo(s, principal.workspace_id).create(
            str(body.url), kind=body.kind, events=body.events, description=body.description
        )
        return WebhookCreated(**WebhookPublic.of(row).model_dump(), secret=row.secret)


@router.get("/webhooks/{endpoint_id}", response_model=WebhookPublic)
def get_webhook(endpoint_id: RowId, principal: CurrentPrincipal, runtime: RuntimeDep) -> WebhookPublic:
    principal.require(Role.admin)
    with runtime.app.session() as s:
        return WebhookPublic.of(EndpointRepo(s, principal.workspace_id).get(endpoint_id))


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookPublic)
def update_webhook(
    endpoint_id: RowId, body: WebhookUpdate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> WebhookPublic:
    """Change the URL, events, description, or pause it (`active: false`); fields left out stay as they are."""
    principal.require(Role.admin)
    changes = body.model_dump(exclude_none=True)
    if "url" in changes:
        changes["url"] = str(body.url)
    with runtime.app.session() as s:
        return WebhookPublic.of(EndpointRepo(s, principal.workspace_id).update(endpoint_id, **changes))


@router.delete("/webhooks/{endpoint_id}", status_code=204)
def delete_webhook(endpoint_id: RowId, principal: CurrentPrincipal, runtime: RuntimeDep) -> None:
    """Remove the endpoint; messages still queued for it become dead letters when their turn comes."""
    principal.require(Role.admin)
    with runtime.app.session() as s:
        EndpointRepo(s, principal.workspace_id).delete(endpoint_id)
