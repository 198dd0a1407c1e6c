"""The single customer view: everything the warehouse knows about one customer, newest first, and their traits.

Responses (with their answers), feedback (comments, reviews), orders, tickets and behavioural events are merged into
one list. Event streams can be very long, so only the latest `max_events` are listed and the rest are summarised by
event name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from suara.store.warehouse import Warehouse

Kind = Literal["response", "feedback", "order", "ticket", "event"]
MAX_EVENTS = 50


class TimelineItem(BaseModel):
    kind: Kind
    id: str
    at: datetime
    title: str
    data: dict[str, Any] = Field(description="The row's own fields; responses carry their `answers`.")


class EventSummary(BaseModel):
    total: int
    listed: int
    by_event: dict[str, int] = Field(description="Every event of the customer counted by name (listed or not).")
    first_at: datetime | None
    last_at: datetime | None


class Timeline(BaseModel):
    customer_id: str
    traits: dict[str, str]
    items: list[TimelineItem]
    events: EventSummary


def _clean(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=UTC)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def _at(value: Any) -> datetime:
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=UTC)


def timeline(wh: Warehouse, workspace_id: str, customer_id: str, *, max_events: int = MAX_EVENTS) -> Timeline:
    """Every fact of the customer in one list, newest first; `max_events` caps the behavioural events listed."""
    items: list[TimelineItem] = []

    r = wh.table("responses", workspace_id)
    responses = r.filter(r.customer_id == customer_id).drop("workspace_id", "ingested_at").to_pandas()
    answers: dict[str, list[dict[str, Any]]] = {}
    if not responses.empty:
        a = wh.table("answers", workspace_id)
        found = a.filter(a.response_id.isin(list(responses["response_id"]))).drop("workspace_id").to_pandas()
        for row in _records(found):
            answers.setdefault(row.pop("response_id"), []).append(row)
    for row in _records(responses):
        rid = row["response_id"]
        scored = [f"{x['kind'].upper()} {x['number']:g}" for x in answers.get(rid, []) if x["number"] is not None]
        title = f"Survey {row['survey_id'] or ''}".strip() + (f": {', '.join(scored)}" if scored else "")
        items.append(
            TimelineItem(
                kind="response",
                id=rid,
                at=_at(row["submitted_at"]),
                title=title,
                data={**row, "answers": answers.get(rid, [])},
            )
        )

    f = wh.table("feedback", workspace_id)
    for row in _records(f.filter(f.customer_id == customer_id).drop("workspace_id", "ingested_at").to_pandas()):
        rating = f" rated {row['rating']:g}" if row["rating"] is not None else ""
        if row.get("likes") is not None:  # a nullable integer column comes back from pandas as float
            row["likes"] = int(row["likes"])
        likes = row.get("likes")  # absent on a backend whose table predates the column
        liked = "" if likes is None else f", {likes:,} like" + ("" if likes == 1 else "s")
        items.append(
            TimelineItem(
                kind="feedback",
                id=row["feedback_id"],
                at=_at(row["created_at"]),
                title=f"{row['source']}{rating}{liked}",
                data=row,
            )
        )

    o = wh.table("orders", workspace_id)
    for row in _records(o.filter(o.customer_id == customer_id).drop("workspace_id", "ingested_at").to_pandas()):
        title = f"Order {row['amount']:,.2f} {row['currency'] or ''}".rstrip() + (
            f" ({row['status']})" if row["status"] else ""
        )
        items.append(TimelineItem(kind="order", id=row["order_id"], at=_at(row["ordered_at"]), title=title, data=row))

    t = wh.table("tickets", workspace_id)
    for row in _records(t.filter(t.customer_id == customer_id).drop("workspace_id", "ingested_at").to_pandas()):
        title = f"Ticket: {row['subject'] or row['ticket_id']}" + (f" ({row['status']})" if row["status"] else "")
        if row.get("agent"):
            title += f", agent {row['agent']}"
        items.append(TimelineItem(kind="ticket", id=row["ticket_id"], at=_at(row["created_at"]), title=title, data=row))

    e = wh.table("events", workspace_id)
    mine = e.filter(e.customer_id == customer_id)
    counts = mine.group_by("event").aggregate(n=mine.count(), first=mine.timestamp.min(), last=mine.timestamp.max())
    summary_df = counts.to_pandas()
    latest = mine.order_by([mine.timestamp.desc(), mine.event_id.desc()]).limit(max_events)
    listed = _records(latest.drop("workspace_id", "ingested_at").to_pandas())
    for row in listed:
        items.append(
            TimelineItem(
                kind="event", id=row["event_id"], at=_at(row["timestamp"]), title=row["event"] or row["type"], data=row
            )
        )
    total = int(summary_df["n"].sum()) if not summary_df.empty else 0
    events = EventSummary(
        total=total,
        listed=len(listed),
        by_event={str(k): int(v) for k, v in sorted(zip(summary_df["event"], summary_df["n"], strict=True))},
        first_at=_at(summary_df["first"].min()) if total else None,
        last_at=_at(summary_df["last"].max()) if total else None,
    )

    traits = wh.traits(workspace_id)
    mine_traits = traits.filter(traits.customer_id == customer_id).to_pandas()
    items.sort(key=lambda i: (i.at, i.kind, i.id), reverse=True)
    return Timeline(
        customer_id=customer_id,
        traits={str(k): str(v) for k, v in sorted(zip(mine_traits["trait"], mine_traits["value"], strict=True))},
        items=items,
        events=events,
    )


def customer_email(wh: Warehouse, workspace_id: str, customer_id: str) -> str | None:
    """The customer's `email` trait, if they were identified with one."""
    t = wh.traits(workspace_id)
    found = t.filter(t.customer_id == customer_id, t.trait == "email").value.to_pandas()
    return str(found.iloc[0]) if len(found) else None
