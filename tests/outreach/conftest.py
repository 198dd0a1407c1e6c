"""A workspace with the template surveys saved, customers with traits, and events built from small literal
descriptions: `world.track("ana", "order_delivered", "2026-03-02T01:00", order="o1")`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from suara.outreach.triggers import TriggerCreate, save_rule
from suara.runtime import Runtime
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES

SURVEYS = ("post-purchase-csat", "exit-survey", "repurchase-intent")


@dataclass
class World:
    rt: Runtime
    workspace_id: str

    def identify(self, customer: str, **traits: Any) -> None:
        doc = {"type": "identify", "userId": customer, "timestamp": "2026-01-01T00:00:00Z", "traits": traits}
        self.rt.ingestor.ingest("events", self.workspace_id, [doc])

    def track(self, customer: str, event: str, at: str, **properties: Any) -> str:
        event_id = f"ev_{uuid.uuid4().hex[:12]}"
        doc = {
            "type": "track",
            "event": event,
            "userId": customer,
            "messageId": event_id,
            "timestamp": at + "Z",
            "properties": properties,
        }
        self.rt.ingestor.ingest("events", self.workspace_id, [doc])
        return event_id

    def rule(self, name: str, **definition: Any) -> int:
        return save_rule(self.rt.app, self.workspace_id, TriggerCreate(name=name, definition=definition)).id  # type: ignore[arg-type]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def world(runtime: Runtime) -> Iterator[World]:
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
        repo = WorkspaceRepo(s, ws)
        for key in SURVEYS:
            t = TEMPLATES[key]
            repo.save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
    yield World(runtime, ws)
