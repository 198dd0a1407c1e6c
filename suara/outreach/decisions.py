"""The decision log: who was (or was not) contacted, when, through what, and why; read by the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from suara.outreach.tables import Decision

Outcome = Literal["queued", "skipped", "cancelled"]


class DecisionPublic(BaseModel):
    id: int
    customer_id: str
    survey: str
    channel: str
    kind: str
    outcome: Outcome
    reason: str = Field(description="e.g. `skipped: surveyed 12 days ago`, `deferred: quiet hours until 08:00 ...`.")
    at: datetime = Field(description="When the contact goes out (queued) or was considered.")
    rule_id: int | None
    message_id: int | None = Field(description="The outbox message of a queued contact.")
    decided_at: datetime

    @classmethod
    def of(cls, d: Decision) -> DecisionPublic:
        return cls(
            id=d.id,
            customer_id=d.customer_id,
            survey=d.survey_key,
            channel=d.channel,
            kind=d.kind,
            outcome=d.outcome,  # type: ignore[arg-type]
            reason=d.reason,
            at=d.at.replace(tzinfo=UTC),
            rule_id=d.rule_id,
            message_id=d.message_id,
            decided_at=d.decided_at.replace(tzinfo=UTC),
        )


def _filtered(
    q: Select[Any],
    workspace_id: str,
    customer_id: str | None,
    survey: str | None,
    outcome: str | None,
    rule_id: int | None,
) -> Select[Any]:
    q = q.where(Decision.workspace_id == workspace_id)
    if customer_id:
        q = q.where(Decision.customer_id == customer_id)
    if survey:
        q = q.where(Decision.survey_key == survey)
    if outcome:
        q = q.where(Decision.outcome == outcome)
    if rule_id is not None:
        q = q.where(Decision.rule_id == rule_id)
    return q


def decisions(
    session: Session,
    workspace_id: str,
    *,
    customer_id: str | None = None,
    survey: str | None = None,
    outcome: str | None = None,
    rule_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DecisionPublic]:
    """Latest decisions first, filtered by customer, survey, outcome and rule; `offset` skips that many."""
    q = _filtered(select(Decision), workspace_id, customer_id, survey, outcome, rule_id)
    q = q.order_by(Decision.id.desc()).limit(limit).offset(offset)
    return [DecisionPublic.of(d) for d in session.scalars(q)]


def count_decisions(
    session: Session,
    workspace_id: str,
    *,
    customer_id: str | None = None,
    survey: str | None = None,
    outcome: str | None = None,
    rule_id: int | None = None,
) -> int:
    """How many decisions `decisions` would page through with the same filters."""
    q = _filtered(select(func.count(Decision.id)), workspace_id, customer_id, survey, outcome, rule_id)
    return int(session.scalar(q) or 0)
