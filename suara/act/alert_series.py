"""The series an alert was raised on, around its incident: what the alerts page charts.

Threshold rules and metric anomalies read their measure with `run_metric`; the other anomaly series are counted per
day on the warehouse (the rule's event filter and split are applied where the series names them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from suara.act.alerts import ERROR_NAMES, AnomalyRule, ThresholdRule, parse_definition
from suara.metrics import MetricSpec, run_metric
from suara.store.warehouse import Warehouse

BEFORE_DAYS = 28
AFTER_DAYS = 7


class AlertSeries(BaseModel):
    """Parallel columns: period starts (ISO dates) and values (None where nothing was measured)."""

    label: str
    x: list[str]
    value: list[float | None]
    started_on: date
    ended_on: date | None


def _midnight(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def _series_filters(series: str) -> dict[str, str]:
    """`event=checkout, platform=ios` as {"event": "checkout", "platform": "ios"}."""
    out = {}
    for part in series.split(", "):
        key, sep, value = part.partition("=")
        if sep:
            out[key] = value
    return out


def alert_series(
    wh: Warehouse, workspace_id: str, definition: dict[str, Any], series: str, started_on: date, ended_on: date | None
) -> AlertSeries:
    """The rule's series from `BEFORE_DAYS` before the incident to `AFTER_DAYS` after its end (or today)."""
    rule = parse_definition(definition)
    start = started_on - timedelta(days=BEFORE_DAYS)
    end = (ended_on or date.today()) + timedelta(days=AFTER_DAYS)
    if isinstance(rule, ThresholdRule) or (isinstance(rule, AnomalyRule) and rule.series == "metric"):
        metric = rule.metric
        assert metric is not None
        period = rule.period if isinstance(rule, ThresholdRule) else "day"
        spec = MetricSpec(
            metric=metric, period=period, start=_midnight(start), end=_midnight(end), filters=rule.filters
        )
        result = run_metric(wh, workspace_id, spec)
        rows = [(str(g.key["period"]), g.value) for g in result.series]
        label = result.label
    else:
        label, rows = _daily(wh, workspace_id, rule, series, start, end)
    return AlertSeries(
        label=label,
        x=[x for x, _ in rows],
        value=[None if v is None else float(v) for _, v in rows],
        started_on=started_on,
        ended_on=ended_on,
    )


def _daily(
    wh: Warehouse, workspace_id: str, rule: AnomalyRule, series: str, start: date, end: date
) -> tuple[str, list[tuple[str, float | None]]]:
    named = _series_filters(series)
    if rule.series == "negative_feedback":
        t = wh.table("feedback", workspace_id)
        t = t.filter(t.created_at >= _midnight(start), t.created_at < _midnight(end), t.rating <= rule.negative_at_most)
        if rule.by and rule.by in named:
            t = t.filter(t[rule.by].cast("string") == named[rule.by])
        df = t.group_by(day=t.created_at.truncate("D")).aggregate(v=t.count()).to_pandas()
        label = "negative feedback per day"
    else:
        from suara.act.alerts import event_property

        t = wh.table("events", workspace_id)
        t = t.filter(t.timestamp >= _midnight(start), t.timestamp < _midnight(end))
        if rule.by and rule.by in named:
            t = t.filter(event_property(wh, t.properties, rule.by) == named[rule.by])
        if rule.series == "event_count":
            if "event" in named:
                t = t.filter(t.event == named["event"])
            df = t.group_by(day=t.timestamp.truncate("D")).aggregate(v=t.count()).to_pandas()
            label = f"{named.get('event', 'all')} events per day"
        else:
            names = rule.error_events or sorted(
                n
                for n in t.select("event").distinct().to_pandas()["event"]
                if isinstance(n, str) and ERROR_NAMES.search(n)
            )
            df = (
                t.group_by(day=t.timestamp.truncate("D"))
                .aggregate(v=100.0 * t.count(where=t.event.isin(names or ["\x00"])) / t.count())
                .to_pandas()
            )
            label = "error events, % of events"
    by_day = {d.date().isoformat(): float(v) for d, v in zip(df["day"], df["v"], strict=True)} if len(df) else {}
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days)]
    fill = None if rule.series == "error_share" else 0.0
    return label, [(d, by_day.get(d, fill)) for d in days]
