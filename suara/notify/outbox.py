"""The durable outbox: enqueue in the caller's transaction, claim with a lease, mark sent, retry, dead-letter, replay.

Delivery guarantee. A message is written in the same transaction as the change that causes it, so it exists exactly
when that change was committed. A worker claims it (a lease: status `sending` until `due_at`), sends it outside any
transaction, then marks it `sent` if it still holds the claim. A worker killed before the mark leaves the lease to run
out; the message is then claimed again and sent again. So delivery is at least once, and the only duplicate is this one:
the receiver accepted the message and the worker died (or lost the lease) before writing `sent`. Every attempt at a
message carries the same delivery id (the email's `Message-ID`, the webhook's `Suara-Delivery` header), so a receiver
that remembers the ids it has processed turns at-least-once into exactly-once.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suara.errors import NotFound, NotReplayable
from suara.notify.channels import Delivery
from suara.notify.tables import MessageStatus, OutboxMessage
from suara.store.app import utcnow

# With the default backoff, 12 attempts span half a day to a day: a receiver down overnight still gets its messages.
DEFAULT_MAX_ATTEMPTS = 12
# Longer than any channel's own timeout, so a live worker never loses a message it is still sending.
DEFAULT_LEASE = timedelta(seconds=120)


def new_delivery_id() -> str:
    return f"dlv_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt k waits base * 2**(k-1), capped, then scaled by 50-100% at random."""

    base_s: float = 30.0
    cap_s: float = 6 * 3600.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(max(0, attempt - 1), 60))
        # Half fixed, half random: workers that failed together do not all come back at the same instant.
        return timedelta(seconds=ceiling * (0.5 + 0.5 * (rng or random).random()))


def _naive_utc(at: datetime) -> datetime:
    """The store keeps naive UTC (as `utcnow` does); an aware instant is converted first."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def enqueue(
    session: Session,
    workspace_id: str,
    *,
    channel: str,
    target: str,
    payload: dict[str, Any],
    dedupe_key: str,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message in the caller's transaction; a second enqueue with the same (workspace, dedupe_key) returns
    the first message unchanged. Nothing is sent until the transaction commits and a worker claims it."""
    values = {
        "workspace_id": workspace_id,
        "dedupe_key": dedupe_key,
        "delivery_id": new_delivery_id(),
        "channel": channel,
        "target": target,
        "payload": payload,
        "status": MessageStatus.pending,
        "attempts": 0,
        "max_attempts": max_attempts,
        "due_at": _naive_utc(not_before) if not_before else utcnow(),
        "last_error": "",
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING, not a read-then-insert: two concurrent enqueues of one key still make one message.
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["workspace_id", "dedupe_key"])
    session.execute(stmt)
    found = session.scalar(
        select(OutboxMessage).where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key == dedupe_key)
    )
    assert found is not None
    return found


@dataclass(frozen=True)
class Claim:
    """Messages leased to one worker; `token` proves the lease when the worker records the outcome."""

    token: str
    deliveries: list[Delivery]


def claim(
    session: Session,
    *,
    channels: Sequence[str],
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> Claim:
    """Lease up to `limit` due messages of these channels to the caller, counting an attempt for each.

    Due means pending and past `due_at`, or sending with a lease that ran out (its worker died). On PostgreSQL the
    candidates are locked with FOR UPDATE SKIP LOCKED, so concurrent workers take different rows without waiting;
    on SQLite the single UPDATE runs under the database's write lock and re-checks the same condition.
    The caller commits before sending, so other workers see the lease.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    m = OutboxMessage
    due = and_(m.status.in_([MessageStatus.pending, MessageStatus.sending]), m.due_at <= now, m.channel.in_(channels))
    candidates = select(m.id).where(due).order_by(m.due_at, m.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    session.execute(
        update(m)
        .where(m.id.in_(candidates.scalar_subquery()), due)
        .values(status=MessageStatus.sending, due_at=now + lease, claim_token=token, attempts=m.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.scalars(select(m).where(m.claim_token == token).order_by(m.id)).all()
    deliveries = [
        Delivery(r.id, r.delivery_id, r.workspace_id, r.channel, r.target, dict(r.payload), r.attempts) for r in rows
    ]
    return Claim(token, deliveries)


def _claimed(message_id: int, claim_token: str) -> Any:
    m = OutboxMessage
    return and_(m.id == message_id, m.claim_token == claim_token, m.status == MessageStatus.sending)


def mark_sent(session: Session, delivery: Delivery, claim_token: str) -> bool:
    """Record the send; False when the claim was lost (lease ran out and another worker took the message)."""
    result = session.execute(
        update(OutboxMessage)
        .where(_claimed(delivery.message_id, claim_token))
        .values(status=MessageStatus.sent, sent_at=utcnow(), claim_token=None, last_error="")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(
    session: Session,
    delivery: Delivery,
    claim_token: str,
    error: str,
    *,
    permanent: bool,
    policy: RetryPolicy,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Schedule the next attempt, or make a dead letter when the failure is permanent or attempts are used up.

    Returns the new status, or None when the claim was lost."""
    m, now = OutboxMessage, utcnow()
    wait = policy.delay(delivery.attempt, rng)
    if retry_after_s is not None:  # the receiver said when: never sooner than that, never beyond the cap
        wait = max(wait, timedelta(seconds=min(retry_after_s, policy.cap_s)))
    exhausted = m.attempts >= m.max_attempts
    # One conditional UPDATE, no read first: on SQLite a read-then-write transaction can fail at once when another
    # worker wrote in between.
    dead, pending = literal(MessageStatus.dead.value), literal(MessageStatus.pending.value)
    status = dead if permanent else case((exhausted, dead), else_=pending)
    due_at = literal(now) if permanent else case((exhausted, now), else_=now + wait)
    row = session.execute(
        update(m)
        .where(_claimed(delivery.message_id, claim_token))
        .values(status=status, due_at=due_at, claim_token=None, last_error=error[:2000])
        .returning(m.status)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else str(row[0])


def replay(session: Session, workspace_id: str, message_id: int) -> OutboxMessage:
    """Put a dead letter back in the queue with a fresh set of attempts; its delivery id stays the same."""
    m = OutboxMessage
    mine = and_(m.workspace_id == workspace_id, m.id == message_id)
    changed = session.execute(
        update(m)
        .where(mine, m.status == MessageStatus.dead)
        .values(status=MessageStatus.pending, attempts=0, due_at=utcnow(), claim_token=None)
        .execution_options(synchronize_session=False)
    )
    row = session.scalar(select(m).where(mine).execution_options(populate_existing=True))
    if row is None:
        raise NotFound(f"no outbox message {message_id} in this workspace")
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise NotReplayable(f"message {message_id} is {row.status}; only dead letters can be replayed")
    return row


def messages(
    session: Session, workspace_id: str, *, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """The workspace's messages, newest first, optionally of one status."""
    q = select(OutboxMessage).where(OutboxMessage.workspace_id == workspace_id)
    if status:
        q = q.where(OutboxMessage.status == status)
    return list(session.scalars(q.order_by(OutboxMessage.id.desc()).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    """Messages per status across every workspace."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {str(status): int(n) for status, n in rows}
