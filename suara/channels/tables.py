"""App-store tables of the survey channels: delivery receipts and the widget's publishable keys.

The schema is owned by the migration `0005_receipts`; these models mirror it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suara.store.app import Base, utcnow


class DeliveryReceipt(Base):
    """One step of one outbox message's delivery: `sent` when the SMTP server or provider took it, then what the
    provider reported back (`delivered`, `failed`, `read`)."""

    __tablename__ = "delivery_receipts"
    __table_args__ = (
        # A provider that repeats a callback, or a send repeated after a lost lease, adds no second row.
        UniqueConstraint("delivery_id", "status", "provider_id"),
        Index("ix_delivery_receipts_provider", "channel", "provider_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(Integer, index=True)
    delivery_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WidgetKey(Base):
    """A publishable key for the web widget: it may read the listed surveys and add responses to them, nothing else."""

    __tablename__ = "widget_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    surveys: Mapped[list[str]] = mapped_column(JSON, default=list)
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def allows(self, survey_key: str) -> bool:
        return not self.surveys or survey_key in self.surveys

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "surveys": self.surveys}
