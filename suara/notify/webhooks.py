"""Webhook endpoints of a workspace, and `publish_event`, which queues one message per endpoint that wants an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suara.errors import NotFound
from suara.notify.outbox import enqueue
from suara.notify.signing import new_secret
from suara.notify.tables import EndpointKind, OutboxMessage, WebhookEndpoint
from suara.notify.webhook import Endpoint, EndpointLookup
from suara.store.app import AppStore, utcnow

# The outbox channel that delivers to each kind of endpoint.
CHANNEL_OF_KIND = {EndpointKind.signed: "webhook", EndpointKind.slack: "slack"}


class EndpointRepo:
    """Endpoints of one workspace; every query is filtered to it."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.s = session
        self.workspace_id = workspace_id

    def all(self) -> list[WebhookEndpoint]:
        q = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == self.workspace_id)
        return list(self.s.scalars(q.order_by(WebhookEndpoint.id)))

    def get(self, endpoint_id: int) -> WebhookEndpoint:
        row = self.s.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.workspace_id == self.workspace_id, WebhookEndpoint.id == endpoint_id
            )
        )
        if row is None:
            raise NotFound(f"no webhook endpoint {endpoint_id} in this workspace")
        return row

    def create(
        self,
        url: str,
        *,
        kind: EndpointKind = EndpointKind.signed,
        events: list[str] | None = None,
        description: str = "",
    ) -> WebhookEndpoint:
        """A new endpoint with a fresh signing secret (read it from the returned row; it is not shown again)."""
        row = WebhookEndpoint(
            workspace_id=self.workspace_id,
            url=url,
            kind=kind,
            events=events or ["*"],
            description=description,
            secret=new_secret(),
            active=True,
        )
        self.s.add(row)
        self.s.flush()
        return row

    def update(self, endpoint_id: int, **changes: Any) -> WebhookEndpoint:
        row = self.get(endpoint_id)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        self.s.flush()
        return row

    def delete(self, endpoint_id: int) -> None:
        self.s.delete(self.get(endpoint_id))
        self.s.flush()


def wants(endpoint: WebhookEndpoint, event: str) -> bool:
    """`*` takes every event; `survey.*` every event under `survey.`; anything else is an exact name."""
    for pattern in endpoint.events:
        if pattern == "*" or pattern == event or (pattern.endswith(".*") and event.startswith(pattern[:-1])):
            return True
    return False


def publish_event(
    session: Session, workspace_id: str, event: str, data: dict[str, Any], *, text: str, dedupe_key: str
) -> list[OutboxMessage]:
    """Queue `event` for every active endpoint that wants it, in the caller's transaction.

    `text` is the one-line summary Slack-compatible endpoints show; signed endpoints get `data`. Each endpoint's
    message is deduplicated on `<dedupe_key>:<endpoint id>`, so publishing the same event twice queues nothing new.
    """
    payload = {"event": event, "data": data, "text": text, "created_at": utcnow().isoformat() + "Z"}
    out = []
    for endpoint in EndpointRepo(session, workspace_id).all():
        if endpoint.active and wants(endpoint, event):
            channel = CHANNEL_OF_KIND[EndpointKind(endpoint.kind)]
            out.append(
                enqueue(
                    session,
                    workspace_id,
                    channel=channel,
                    target=str(endpoint.id),
                    payload=payload,
                    dedupe_key=f"{dedupe_key}:{endpoint.id}",
                )
            )
    return out


def endpoint_lookup(store: AppStore) -> EndpointLookup:
    """Reads an endpoint from the app store at send time (a short transaction of its own)."""

    def lookup(workspace_id: str, endpoint_id: int) -> Endpoint | None:
        with store.session() as s:
            row = s.scalar(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.id == endpoint_id
                )
            )
            return None if row is None else Endpoint(row.url, row.secret, row.active)

    return lookup
