"""The web widget's funnel per survey: displays shown, started (some answers), completed, dismissed, and the response
rate (completed / shown) with its Wilson interval.

Everything is counted by display id, read from the warehouse: `survey shown` and `survey dismissed` events (their
`display_id` property) and widget responses (their id is the display's; partial ones carry the field
`partial` = "true"). Each step counts displays that reached it or a later one (an answered display was shown even
if its `shown` event was lost), so the funnel never widens and the rate stays within 0..100 %.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import orjson
from pydantic import BaseModel, Field

from suara.channels.widget import DISPLAY_EVENTS, PARTIAL_FIELD
from suara.metrics.stats import wilson
from suara.store.warehouse import Warehouse


class ResponseRate(BaseModel):
    value: float | None = Field(description="Completed per display shown, in percent (0..100); null when none shown.")
    ci_low: float | None = Field(description="Wilson 95 % interval, lower end, in percent.")
    ci_high: float | None = Field(description="Wilson 95 % interval, upper end, in percent.")


class WidgetFunnel(BaseModel):
    """One survey's widget displays, each counted once per step."""

    survey: str
    shown: int = Field(description="Displays shown (or answered, which implies shown).")
    started: int = Field(description="Displays with some answers stored: partial or completed.")
    completed: int = Field(description="Displays whose survey was answered to the end.")
    partial: int = Field(description="Displays left after some answers: their partial answers are stored.")
    dismissed: int = Field(description="Displays closed by the visitor before the end (with or without answers).")
    response_rate: ResponseRate


def _window(column: ir.TimestampColumn, start: datetime | None, end: datetime | None) -> list[ir.BooleanValue]:
    preds = []
    if start is not None:
        preds.append(column >= start)
    if end is not None:
        preds.append(column < end)
    return preds


def widget_funnel(
    warehouse: Warehouse,
    workspace_id: str,
    survey: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[WidgetFunnel]:
    """The funnel of `survey` (or of every survey the widget showed or was answered for), counting events and
    responses in [start, end) (naive UTC), sorted by survey key."""
    ev = warehouse.table("events", workspace_id)
    ev = ev.filter(ev.type == "track", ev.event.isin(list(DISPLAY_EVENTS.values())), *_window(ev.timestamp, start, end))
    shown: dict[str, set[str]] = {}
    dismissed: dict[str, set[str]] = {}
    got = ev.select("event", "properties").to_pyarrow()
    for name, props in zip(got["event"].to_pylist(), got["properties"].to_pylist(), strict=True):
        p = orjson.loads(props or "{}")
        key, display = p.get("survey"), p.get("display_id")
        if not isinstance(key, str) or not isinstance(display, str) or (survey is not None and key != survey):
            continue
        (shown if name == DISPLAY_EVENTS["shown"] else dismissed).setdefault(key, set()).add(display)
    r = warehouse.table("responses", workspace_id)
    r = r.filter(r.channel == "widget", *_window(r.submitted_at, start, end))
    if survey is not None:
        r = r.filter(r.survey_id == survey)
    rf = warehouse.table("response_fields", workspace_id)
    flagged = rf.filter(rf.name == PARTIAL_FIELD, rf.value == "true").select("response_id").distinct()
    r = r.left_join(flagged.mutate(is_partial=ibis.literal(True)), "response_id")
    completed: dict[str, set[str]] = {}
    partial: dict[str, set[str]] = {}
    rows = r.select(r.response_id, r.survey_id, r.is_partial).to_pyarrow()
    columns = (rows[c].to_pylist() for c in ("response_id", "survey_id", "is_partial"))
    for rid, key, is_partial in zip(*columns, strict=True):
        (partial if is_partial else completed).setdefault(key, set()).add(rid)
    keys = sorted(set(shown) | set(dismissed) | set(completed) | set(partial) | ({survey} if survey else set()))
    return [_funnel(k, shown, dismissed, completed, partial) for k in keys]


def _funnel(
    key: str,
    shown: dict[str, set[str]],
    dismissed: dict[str, set[str]],
    completed: dict[str, set[str]],
    partial: dict[str, set[str]],
) -> WidgetFunnel:
    done = completed.get(key, set())
    started = done | partial.get(key, set())
    seen = shown.get(key, set()) | started | dismissed.get(key, set())
    rate = wilson(len(done), len(seen))
    return WidgetFunnel(
        survey=key,
        shown=len(seen),
        started=len(started),
        completed=len(done),
        partial=len(started - done),
        dismissed=len(dismissed.get(key, set()) - done),
        response_rate=ResponseRate(value=rate.value, ci_low=rate.ci_low, ci_high=rate.ci_high),
    )
