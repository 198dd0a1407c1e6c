"""App-store tables of themes: the themes of a workspace (with a team's renames, merges and pins), which items
mention which theme, and "you said, we did" announcements with the customers they were sent to.

The schema is owned by the migrations `0009_themes` and `0010_theme_runs`; these models mirror it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suara.store.app import Base, utcnow


class TextTheme(Base):
    """A theme: `status` active, stale (its topic faded in the last run) or merged (into `merged_into`)."""

    __tablename__ = "text_themes"
    __table_args__ = (UniqueConstraint("workspace_id", "theme_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))  # from its top phrases
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a team's name for it
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return self.label or self.name


class ThemeItem(Base):
    """An item (feedback, comment answer, ticket) that mentions a theme, with its score and instant."""

    __tablename__ = "text_theme_items"
    __table_args__ = (Index("ix_text_theme_items_theme", "workspace_id", "theme_id"),)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ThemeRun(Base):
    """A workspace's last theme fit: the enriched items it saw, when, why (first, growth, age, manual) and how many
    fits so far; the re-fit policy compares the workspace against it."""

    __tablename__ = "text_theme_runs"
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    fitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(20))
    runs: Mapped[int] = mapped_column(Integer, default=1)


class Announcement(Base):
    """ "You said, we did": a theme or an aspect marked addressed, with the note sent to the customers who raised it."""

    __tablename__ = "text_announcements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # theme or aspect
    key: Mapped[str] = mapped_column(String(200))  # the theme id or the aspect's name
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AnnouncementRecipient(Base):
    """One customer an announcement concerns: `status` queued, skipped_recent (contacted lately) or no_email."""

    __tablename__ = "text_announcement_recipients"
    __table_args__ = (UniqueConstraint("announcement_id", "customer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("text_announcements.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
