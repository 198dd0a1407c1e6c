"""App-store tables of outreach: contact policy, trigger rules, due jobs, the decision log, suppressions and the
hosted-page steps (opened, started) of invitation links.

The schema is owned by the migration `0008_outreach`; these models mirror it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suara.store.app import Base, utcnow


class OutreachPolicy(Base):
    """A workspace's contact policy (caps, quiet hours, time zone, base URL) as validated by `ContactPolicy`."""

    __tablename__ = "outreach_policies"
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class TriggerRuleRow(Base):
    """A named trigger rule; `definition` is a `TriggerDefinition`."""

    __tablename__ = "trigger_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OutreachJob(Base):
    """One contact a rule wants to make because of one event: pending until `due_at`, then decided once."""

    __tablename__ = "outreach_jobs"
    # Re-reading the same event never makes a second job.
    __table_args__ = (
        UniqueConstraint("rule_id", "source_id"),
        Index("ix_outreach_jobs_status_due_at", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("trigger_rules.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(200))
    event_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, done, cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Decision(Base):
    """Who was (or was not) asked, when, through what, and why: one row per decision, never edited."""

    __tablename__ = "outreach_decisions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index("ix_outreach_decisions_contacts", "workspace_id", "customer_id", "outcome", "at"),
        Index("ix_outreach_decisions_quota", "rule_id", "stratum", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    survey_key: Mapped[str] = mapped_column(String(100), index=True)
    rule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # survey or message
    outcome: Mapped[str] = mapped_column(String(20))  # queued, skipped, cancelled
    reason: Mapped[str] = mapped_column(Text, default="")
    stratum: Mapped[str] = mapped_column(String(300), default="")
    # When the contact happens (queued) or was considered (otherwise); naive UTC.
    at: Mapped[datetime] = mapped_column(DateTime)
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    response_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# The Core tables behind the models, for bulk inserts without the ORM's per-row bookkeeping.
JOBS = cast(Table, OutreachJob.__table__)
DECISIONS = cast(Table, Decision.__table__)


class Suppression(Base):
    """A customer id, e-mail address or phone number never to contact."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("workspace_id", "value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LinkStep(Base):
    """A hosted-page step of one invitation link: `opened` (page shown) or `started` (answers sent, not finished);
    `answers` keeps the partial answers of the latest start."""

    __tablename__ = "link_steps"
    __table_args__ = (UniqueConstraint("response_id", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    survey_key: Mapped[str] = mapped_column(String(100))
    response_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(200))
    step: Mapped[str] = mapped_column(String(20))
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
