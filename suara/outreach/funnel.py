"""The delivery funnel of a survey's invitations: queued, sent (outbox), delivered (provider receipts), opened
(hosted page shown), started (answers sent, perhaps partial), completed (response stored).

The hosted page records `opened` and `started` through `record_step`; partial answers are kept with the step, so
the funnel counts them and nothing a customer typed is lost when they stop half-way. Each step counts invitations
that reached it or a later one (a stored response was opened and started), so the funnel never widens.
"""

from __future__ import annotations

import logging
from typing import Any

import ibis
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from suara.channels.tables import DeliveryReceipt
from suara.notify.tables import MessageStatus, OutboxMessage
from suara.outreach.tables import Decision, LinkStep
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse
from suara.surveys.links import SurveyLink

log = logging.getLogger(__name__)
STEPS = ("opened", "started")


class FunnelStep(BaseModel):
    step: str
    count: int
    share: float | None = Field(description="Share of the invitations queued (0..1); null when none were.")


class SurveyFunnel(BaseModel):
    survey: str
    steps: list[FunnelStep]
    partial: int = Field(description="Started but not completed: partial answers kept.")


def record_step(app: AppStore, link: SurveyLink, step: str, answers: list[dict[str, Any]] | None = None) -> None:
    """Note that an invitation link reached `step` (`opened`, or `started` with the answers so far). Never raises:
    a funnel counter must not stop a customer from answering."""
    if step not in STEPS or (step == "started" and not answers):
        return
    values = {
        "workspace_id": link.workspace_id,
        "survey_key": link.survey_key,
        "response_id": link.response_id,
        "customer_id": link.customer_id,
        "step": step,
        "answers": answers or [],
        "at": utcnow(),
    }
    try:
        with app.session() as s:
            insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
            stmt = insert(LinkStep).values(**values)
            if step == "started":  # the latest partial answers replace the earlier ones
                stmt = stmt.on_conflict_do_update(
                    index_elements=["response_id", "step"], set_={"answers": values["answers"], "at": values["at"]}
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=["response_id", "step"])
            s.execute(stmt)
    except Exception:
        log.exception("could not record the %s step of a survey link", step)


def _completed(warehouse: Warehouse, workspace_id: str, response_ids: list[str]) -> set[str]:
    r = warehouse.table("responses", workspace_id)
    found: set[str] = set()
    for i in range(0, len(response_ids), 5000):
        rows = (
            r.filter(r.response_id.isin(ibis.memtable({"id": response_ids[i : i + 5000]}).id))
            .select("response_id")
            .to_pandas()
        )
        found.update(rows["response_id"])
    return found


def survey_funnel(app: AppStore, warehouse: Warehouse, workspace_id: str, survey: str) -> SurveyFunnel:
    d = Decision
    with app.session() as s:
        queued = s.execute(
            select(d.message_id, d.response_id).where(
                d.workspace_id == workspace_id, d.survey_key == survey, d.outcome == "queued"
            )
        ).all()
        messages = [m for m, _ in queued if m is not None]
        sent = delivered = 0
        for i in range(0, len(messages), 500):
            chunk = messages[i : i + 500]
            sent += len(
                s.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.id.in_(chunk), OutboxMessage.status == MessageStatus.sent
                    )
                ).all()
            )
            delivered += len(
                set(
                    s.scalars(
                        select(DeliveryReceipt.message_id).where(
                            DeliveryReceipt.message_id.in_(chunk), DeliveryReceipt.status.in_(["delivered", "read"])
                        )
                    )
                )
            )
        steps: dict[str, set[str]] = {"opened": set(), "started": set()}
        for response_id, step in s.execute(
            select(LinkStep.response_id, LinkStep.step).where(
                LinkStep.workspace_id == workspace_id, LinkStep.survey_key == survey
            )
        ):
            steps[step].add(response_id)
    invited = {r for _, r in queued if r}
    completed = _completed(warehouse, workspace_id, sorted(invited))
    started = (steps["started"] & invited) | completed
    opened = (steps["opened"] & invited) | started
    n = len(queued)
    counts = [
        ("queued", n),
        ("sent", sent),
        ("delivered", delivered),
        ("opened", len(opened)),
        ("started", len(started)),
        ("completed", len(completed)),
    ]
    return SurveyFunnel(
        survey=survey,
        steps=[FunnelStep(step=k, count=c, share=(c / n if n else None)) for k, c in counts],
        partial=len(started - completed),
    )
