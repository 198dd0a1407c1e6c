"""Delivery receipts: `sent` when a channel handed a message over, then what the provider reported back.

The delivery funnel reads them by outbox message (`message_id`) or delivery id. Recording is idempotent: the same
(delivery, status, provider id) is stored once, however often a provider repeats its callback.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from suara.channels.tables import DeliveryReceipt
from suara.notify.channels import Delivery
from suara.store.app import AppStore, utcnow

log = logging.getLogger(__name__)


class ReceiptStatus(StrEnum):
    sent = "sent"  # the SMTP server or provider accepted the message
    delivered = "delivered"  # the provider reports it reached the handset or mailbox
    read = "read"  # the provider reports it was read (WhatsApp)
    failed = "failed"  # the provider reports it could not be delivered


# Words providers use in callbacks, mapped onto ours; anything else is refused so a typo never reads as delivered.
PROVIDER_STATUS: dict[str, ReceiptStatus] = {
    "sent": ReceiptStatus.sent,
    "accepted": ReceiptStatus.sent,
    "queued": ReceiptStatus.sent,
    "delivered": ReceiptStatus.delivered,
    "read": ReceiptStatus.read,
    "failed": ReceiptStatus.failed,
    "undelivered": ReceiptStatus.failed,
    "rejected": ReceiptStatus.failed,
    "expired": ReceiptStatus.failed,
}


def record_receipt(
    session: Session,
    *,
    workspace_id: str,
    message_id: int,
    delivery_id: str,
    channel: str,
    status: ReceiptStatus | str,
    provider_id: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> None:
    """Store one receipt in the caller's transaction; a repeat of (delivery, status, provider id) is a no-op."""
    values = {
        "workspace_id": workspace_id,
        "message_id": message_id,
        "delivery_id": delivery_id,
        "channel": channel,
        "status": str(ReceiptStatus(status)),
        "provider_id": provider_id[:200],
        "detail": detail[:2000],
        "at": at or utcnow(),
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(DeliveryReceipt).values(**values).on_conflict_do_nothing())


def record_sent(session: Session, delivery: Delivery, provider_id: str = "", detail: str = "") -> None:
    """The channel handed `delivery` to its server or provider, which gave it `provider_id` (if any)."""
    record_receipt(
        session,
        workspace_id=delivery.workspace_id,
        message_id=delivery.message_id,
        delivery_id=delivery.delivery_id,
        channel=delivery.channel,
        status=ReceiptStatus.sent,
        provider_id=provider_id,
        detail=detail,
    )


def note_sent(store: AppStore, delivery: Delivery, provider_id: str = "", detail: str = "") -> None:
    """`record_sent` in its own transaction, after the hand-over. A store error is logged, not raised: raising would
    make the worker send the message again, and a second copy is worse than a missing receipt."""
    try:
        with store.session() as s:
            record_sent(s, delivery, provider_id, detail)
    except SQLAlchemyError:
        log.exception("could not record the sent receipt of message %s", delivery.message_id)


def sent_receipt(session: Session, channel: str, provider_id: str) -> DeliveryReceipt | None:
    """The `sent` receipt a provider's message id belongs to: how a callback finds its message."""
    return session.scalar(
        select(DeliveryReceipt).where(
            DeliveryReceipt.channel == channel,
            DeliveryReceipt.provider_id == provider_id,
            DeliveryReceipt.status == ReceiptStatus.sent,
        )
    )


def receipts(
    session: Session, *, message_id: int | None = None, delivery_id: str | None = None
) -> list[DeliveryReceipt]:
    """Receipts of one message (by outbox id or delivery id), oldest first."""
    q = select(DeliveryReceipt)
    if message_id is not None:
        q = q.where(DeliveryReceipt.message_id == message_id)
    if delivery_id is not None:
        q = q.where(DeliveryReceipt.delivery_id == delivery_id)
    return list(session.scalars(q.order_by(DeliveryReceipt.at, DeliveryReceipt.id)))
