"""Paths and loops: what customers do right after (or before) an event, and which events they go round in circles on.

Both read *sequences*: a customer's events ordered by time, split into sessions where more than `session_gap`
seconds pass between events (or grouped by an event property such as `session_id`, or not split at all).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, field_validator

from suara.journeys.funnel import CUSTOMER, Share, journey_events, parse_duration
from suara.metrics.stats import wilson
from suara.store.warehouse import Warehouse

END = "(end)"
SEQUENCE = "_seq"


class SequenceSpec(BaseModel):
    """How events are cut into sequences, and which events are read."""

    model_config = ConfigDict(extra="forbid")

    session_gap: int | None = Field(
        1_800, gt=0, description="Seconds of inactivity that end a session ('30m' also read); None: whole customer."
    )
    session_property: str | None = Field(
        None, description="Event property holding a session id; when set, it cuts sequences instead of the gap."
    )
    start: datetime | None = Field(None, description="Use events at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Use events before this instant (UTC).")

    _gap = field_validator("session_gap", mode="before")(lambda cls, v: None if v is None else parse_duration(v))


class PathSpec(SequenceSpec):
    """The top paths of `length` events after (or before) the first `event` of each sequence."""

    event: str = Field(min_length=1, description="The anchor event.")
    direction: Literal["after", "before"] = Field("after", description="Paths starting at, or ending at, the anchor.")
    length: int = Field(3, ge=1, le=10, description="Events on each path besides the anchor.")
    top: int = Field(10, ge=1, le=100, description="How many paths to return, most frequent first.")
    collapse: bool = Field(False, description="Count a run of the same event (a, a, a) as one step.")


class PathRow(BaseModel):
    path: list[str] = Field(description=f"Event names, anchor included; {END!r} where the sequence ends.")
    count: int
    share: float = Field(description="Percent of sequences with the anchor.")


class PathResult(BaseModel):
    event: str
    direction: str
    sequences: int = Field(description="Sequences that contain the anchor event.")
    paths: list[PathRow]
    other: int = Field(description="Sequences whose path is not among the top ones.")


class LoopSpec(SequenceSpec):
    """Events customers come back to within a sequence after doing something else (a, b, a)."""

    events: list[str] = Field(default_factory=list, description="Only these events (default: every event).")
    by: list[str] = Field(
        default_factory=list, max_length=2, description="Break down by customer traits or event properties."
    )
    level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of the intervals.")


class LoopRow(BaseModel):
    event: str
    sequences: int = Field(description="Sequences with the event.")
    looping: int = Field(description="Sequences where the event comes back after another event.")
    share: Share = Field(description="looping / sequences, in percent, with its Wilson interval.")
    returns: int = Field(description="Times the event came back, over all sequences.")


class LoopGroup(BaseModel):
    key: dict[str, str | None]
    loops: list[LoopRow]


class LoopResult(BaseModel):
    loops: list[LoopRow] = Field(description="Every event, most looping share first.")
    groups: list[LoopGroup] = Field(default_factory=list)


def sequences(wh: Warehouse, workspace_id: str, spec: SequenceSpec, fields: list[str] | None = None) -> ir.Table:
    """Events as (customer, `_seq` sequence number within the customer, `_pos` position in it, event, ts, *fields).

    Ties in time are ordered by event name, then event id, so every engine orders them alike.
    """
    extra = [*(fields or []), *([spec.session_property] if spec.session_property else [])]
    ev = journey_events(wh, workspace_id, extra, spec.start, spec.end)
    order = [ev.ts, ev.event, ev.event_id]
    if spec.session_property:
        ev = ev.mutate(_seq=ev[spec.session_property].fill_null(""))
    elif spec.session_gap is not None:
        gap = ev.ts.epoch_seconds() - ev.ts.lag().over(group_by=CUSTOMER, order_by=order).epoch_seconds()
        ev = ev.mutate(_new=(gap > spec.session_gap).fill_null(False).cast("int64"))
        ev = ev.mutate(_seq=ev._new.cumsum(group_by=CUSTOMER, order_by=[ev.ts, ev.event, ev.event_id]).cast("string"))
    else:
        ev = ev.mutate(_seq=ibis.literal(""))
    pos = ibis.row_number().over(group_by=[ev[CUSTOMER], ev._seq], order_by=[ev.ts, ev.event, ev.event_id])
    return ev.mutate(_pos=pos).drop(*(["_new"] if "_new" in ev.columns else []))


def run_paths(wh: Warehouse, workspace_id: str, spec: PathSpec) -> PathResult:
    """Top paths around the first occurrence of the anchor event in each sequence, with counts and shares."""
    seq = sequences(wh, workspace_id, spec)
    part = [seq[CUSTOMER], seq._seq]
    if spec.collapse:
        # Window values go in a column before filtering on them: some engines cannot filter on a window directly.
        seq = seq.mutate(_prev=seq.event.lag().over(group_by=part, order_by=seq._pos))
        seq = seq.filter(seq._prev.isnull() | (seq._prev != seq.event)).drop("_prev")
        seq = seq.mutate(_pos=ibis.row_number().over(group_by=[seq[CUSTOMER], seq._seq], order_by=seq._pos))
    w = ibis.window(group_by=[seq[CUSTOMER], seq._seq], order_by=seq._pos)
    shift = (lambda e, j: e.lead(j)) if spec.direction == "after" else (lambda e, j: e.lag(j))
    is_anchor = (seq.event == spec.event).cast("int64")
    steps = {f"_e{j}": shift(seq.event, j).over(w) for j in range(1, spec.length + 1)}
    seq = seq.mutate(_first=(is_anchor == 1) & (is_anchor.cumsum().over(w) == 1), **steps)
    anchors = seq.filter(seq._first)
    counts = anchors.group_by(list(steps)).aggregate(count=anchors.count())
    rows: list[dict[str, Any]] = counts.to_pyarrow().to_pylist()
    total = sum(r["count"] for r in rows)
    out = []
    for r in rows:
        events = [r[f"_e{j}"] for j in range(1, spec.length + 1)]
        if None in events:  # a sequence that ends early: mark the end once
            events = [*events[: events.index(None)], END]
        path = [spec.event, *events] if spec.direction == "after" else [*reversed(events), spec.event]
        out.append(PathRow(path=path, count=r["count"], share=100 * r["count"] / total))
    out.sort(key=lambda p: (-p.count, p.path))
    top = out[: spec.top]
    return PathResult(
        event=spec.event,
        direction=spec.direction,
        sequences=total,
        paths=top,
        other=total - sum(p.count for p in top),
    )


def run_loops(wh: Warehouse, workspace_id: str, spec: LoopSpec) -> LoopResult:
    """For each event: how many sequences contain it, and in how many it comes back after another event."""
    overall = _loop_rows(wh, workspace_id, spec, [])
    groups: list[LoopGroup] = []
    if spec.by:
        rows = _loop_rows(wh, workspace_id, spec, spec.by)
        keys = sorted({tuple(r[f] for f in spec.by) for r in rows}, key=lambda k: [(v is None, v or "") for v in k])
        for key in keys:
            mine = [r for r in rows if tuple(r[f] for f in spec.by) == key]
            groups.append(LoopGroup(key=dict(zip(spec.by, key, strict=True)), loops=_loops(mine, spec.level)))
    return LoopResult(loops=_loops(overall, spec.level), groups=groups)


def _loop_rows(wh: Warehouse, workspace_id: str, spec: LoopSpec, by: list[str]) -> list[dict[str, Any]]:
    seq = sequences(wh, workspace_id, spec, by)
    part = [seq[CUSTOMER], seq._seq, *[seq[f] for f in by]]
    seq = seq.mutate(_prev=seq.event.lag().over(group_by=part, order_by=seq._pos))
    # A run is a block of the same event; a second run of it in a sequence is a loop back to it.
    runs = seq.filter(seq._prev.isnull() | (seq._prev != seq.event))
    if spec.events:
        runs = runs.filter(runs.event.isin(spec.events))
    per = runs.group_by([CUSTOMER, SEQUENCE, *by, "event"]).aggregate(_runs=lambda t: t.count())
    agg = per.group_by([*by, "event"]).aggregate(
        sequences=per.count(),
        looping=(per._runs >= 2).cast("int64").sum(),
        returns=(per._runs - 1).sum(),
    )
    rows: list[dict[str, Any]] = agg.to_pyarrow().to_pylist()
    return rows


def _loops(rows: list[dict[str, Any]], level: float) -> list[LoopRow]:
    out = []
    for r in rows:
        e = wilson(int(r["looping"]), int(r["sequences"]), level)
        share = Share(value=e.value, ci_low=e.ci_low, ci_high=e.ci_high)
        out.append(
            LoopRow(
                event=r["event"],
                sequences=int(r["sequences"]),
                looping=int(r["looping"]),
                share=share,
                returns=int(r["returns"]),
            )
        )
    out.sort(key=lambda r: (-(r.share.value or 0), -r.sequences, r.event))
    return out
