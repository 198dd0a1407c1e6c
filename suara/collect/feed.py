"""Durable read cursors over warehouse facts, for the consumers that act on what was just ingested.

The writer stamps every row of one commit with the same `ingested_at`, strictly increasing in commit order, and a
commit becomes visible whole. So "rows with `ingested_at` after my cursor" never skips a commit, and a consumer that
moves its cursor only after its own work is stored handles every row at least once across restarts. Consumers make
their work idempotent (keyed on the row's id), which turns at-least-once into exactly-once in effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from suara.store.app import AppStore, Base, utcnow
from suara.store.warehouse import FACTS, Warehouse

# Start of time for a consumer that has read nothing yet.
ORIGIN = datetime(1970, 1, 1)


class FeedCursor(Base):
    """How far one consumer has read one fact table (across every workspace)."""

    __tablename__ = "feed_cursors"
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    fact: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class FeedBatch:
    """Rows of whole commits after the cursor, and the cursor to store once they are handled."""

    rows: pd.DataFrame
    position: datetime


def position(app: AppStore, consumer: str, fact: str) -> datetime:
    with app.session() as s:
        row = s.get(FeedCursor, (consumer, fact))
        return row.position if row else ORIGIN


def advance(app: AppStore, consumer: str, fact: str, to: datetime) -> None:
    """Move the cursor forward (never back: a slow duplicate run cannot rewind a faster one)."""
    with app.session() as s:
        row = s.get(FeedCursor, (consumer, fact), with_for_update=True)
        if row is None:
            s.add(FeedCursor(consumer=consumer, fact=fact, position=to))
        elif to > row.position:
            row.position = to


def read(
    app: AppStore,
    warehouse: Warehouse,
    consumer: str,
    fact: str,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 50_000,
) -> FeedBatch | None:
    """The next commits after the consumer's cursor, about `max_rows` rows (a commit is never split); None if none."""
    if "ingested_at" not in FACTS[fact]:
        raise ValueError(f"fact table {fact!r} has no ingested_at column to follow")
    after = position(app, consumer, fact)
    t = warehouse.table(fact)
    new = t.filter(t.ingested_at > after)
    commits = new.group_by("ingested_at").aggregate(n=new.count()).order_by("ingested_at").limit(10_000).to_pandas()
    if commits.empty:
        return None
    within = commits["n"].cumsum() <= max_rows
    upto = commits["ingested_at"][within].max() if within.any() else commits["ingested_at"].iloc[0]
    upto = pd.Timestamp(upto).to_pydatetime()
    picked = new.filter(new.ingested_at <= upto)
    if columns is not None:
        picked = picked.select(*dict.fromkeys([*columns, "ingested_at"]))
    return FeedBatch(picked.order_by("ingested_at").to_pandas(), upto)


def skip_to_end(app: AppStore, warehouse: Warehouse, consumer: str, fact: str) -> None:
    """Move the cursor past every row stored so far without reading them: for a consumer with nothing to do on
    them (an outreach scheduler with no rule enabled), one aggregate instead of loading each new batch."""
    t = warehouse.table(fact)
    after = position(app, consumer, fact)
    last = t.filter(t.ingested_at > after).ingested_at.max().execute()
    if last is not None and not pd.isna(last):
        advance(app, consumer, fact, pd.Timestamp(last).to_pydatetime())


def consume(
    app: AppStore,
    warehouse: Warehouse,
    consumer: str,
    fact: str,
    handle: Callable[[pd.DataFrame], None],
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 50_000,
    max_batches: int | None = None,
) -> int:
    """Hand each new batch to `handle`, moving the cursor after each one it finishes; returns the rows handled.

    If `handle` raises, the cursor stays where it was and the same rows come back on the next call.
    """
    done = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = read(app, warehouse, consumer, fact, columns=columns, max_rows=max_rows)
        if batch is None:
            break
        handle(batch.rows)
        advance(app, consumer, fact, batch.position)
        done += len(batch.rows)
        batches += 1
    return done
