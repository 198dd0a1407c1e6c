"""App-store tables of close-the-loop cases beside `cases` itself: rules, triggers, the thread, teams, SLA targets.

The schema is owned by the migration `0006_cases`; these models mirror it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suara.store.app import Base, utcnow


class CaseRule(Base):
    """A rule that opens cases from new facts; `kind` picks the condition, `params` tunes it (see case_rules)."""

    __tablename__ = "case_rules"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class CaseTrigger(Base):
    """One firing of a rule on one fact row; the unique source key makes a rule fire once per row, ever."""

    __tablename__ = "case_triggers"
    __table_args__ = (UniqueConstraint("workspace_id", "source_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source_key: Mapped[str] = mapped_column(String(300))
    rule: Mapped[str] = mapped_column(String(100))
    fact: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseEvent(Base):
    """One line of a case's thread: a change (field from -> to), a comment, a reply to the customer, a trigger."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # change, comment, reply, trigger, escalation
    field: Mapped[str | None] = mapped_column(String(40), nullable=True)
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    actor: Mapped[str] = mapped_column(String(200), default="")
    direction: Mapped[str | None] = mapped_column(String(10), nullable=True)  # replies: out (to the customer)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Team(Base):
    """People who handle cases of some touchpoints; cases are dealt to its members in turn."""

    __tablename__ = "case_teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    touchpoints: Mapped[list[str]] = mapped_column(JSON, default=list)
    members: Mapped[list[int]] = mapped_column(JSON, default=list)
    manager_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # How many cases the team has dealt: the next goes to members[dealt % len(members)].
    dealt: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SlaTarget(Base):
    """Hours to first contact and to resolution for cases of one priority (defaults apply where none is stored)."""

    __tablename__ = "case_sla_targets"
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    priority: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_contact_hours: Mapped[float] = mapped_column(Float)
    resolution_hours: Mapped[float] = mapped_column(Float)
