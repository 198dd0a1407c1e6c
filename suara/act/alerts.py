"""Alert rules, the daily series they watch, and the check that turns what they find into alerts (one per incident).

Two kinds of rule:

- threshold: a measure over complete periods (`run_metric`), breached when its value is under or over a limit, or
  when it changed significantly against the previous period;
- anomaly: a daily series built on the warehouse with Ibis (event counts by event name, the share of error events,
  negative feedback, a measure's daily value), judged by `suara.act.anomaly`.

`check_alerts` evaluates every enabled rule of a workspace and records each incident once: running it again, every
few minutes, updates the same alerts (last day seen, recovery) and raises only incidents it has not seen before.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from suara.act.anomaly import Detection, DetectorConfig, Direction, detect_counts, detect_rates, detect_values
from suara.act.tables import Alert, AlertRule
from suara.errors import Conflict, NotFound
from suara.metrics import MEASURES, MetricSpec, run_metric
from suara.metrics.spec import LOW_N, GroupResult, Period
from suara.notify.webhooks import publish_event
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse

if TYPE_CHECKING:
    from suara.runtime import Runtime

Status = Literal["open", "acknowledged", "resolved"]
# Event names read as errors when a rule does not list its own.
ERROR_NAMES = re.compile(r"error|fail|bug|crash|exception", re.IGNORECASE)
# An incident already over when first seen is recorded only if it ended this recently (a new rule does not dig up
# the whole history).
FRESH_DAYS = 7
FIELD_NAME = re.compile(r"\w[\w .\-]{0,99}")


# -- rule definitions ----------------------------------------------------------------------------------------------
def _known_metric(name: str) -> str:
    if name not in MEASURES:
        raise ValueError(f"unknown metric {name!r}; choose one of {', '.join(MEASURES)}")
    return name


def _field_name(name: str) -> str:
    # Property names become JSON paths inside the query, so they are kept to letters, digits, _ - . and spaces.
    if not FIELD_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a field name: use letters, digits, _, -, . and spaces (at most 100)")
    return name


class ThresholdRule(BaseModel):
    """A measure over the last complete periods, breached by a limit or by a significant change."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["threshold"]
    metric: str = Field(description="Registered measure: nps, csat, csat_mean, ces.")
    period: Period = Field("week", description="Judge complete days, weeks (ISO) or months.")
    filters: dict[str, list[str]] = Field(default_factory=dict, description="As in a metric spec.")
    below: float | None = Field(None, description="Breached when the value is under this (measure's own scale).")
    above: float | None = Field(None, description="Breached when the value is over this.")
    change: Literal["drop", "rise"] | None = Field(
        None, description="Breached on a significant drop (or rise) against the previous period."
    )
    min_n: int = Field(LOW_N, ge=1, description="Periods with fewer answers are not judged.")
    lookback: int = Field(8, ge=2, le=60, description="Periods read on each check.")

    _metric = field_validator("metric")(lambda cls, v: _known_metric(v))

    @model_validator(mode="after")
    def _one_condition(self) -> ThresholdRule:
        if self.below is None and self.above is None and self.change is None:
            raise ValueError("give a condition: below, above or change")
        return self


class AnomalyRule(BaseModel):
    """A daily series on the warehouse, judged against its own seasonal baseline."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["anomaly"]
    series: Literal["event_count", "error_share", "negative_feedback", "metric"] = Field(
        description="event_count: events per day by event name; error_share: error events out of all events; "
        "negative_feedback: feedback rated at most `negative_at_most`; metric: a measure's daily value."
    )
    events: list[str] = Field(default_factory=list, description="event_count: only these names (default: all).")
    error_events: list[str] = Field(
        default_factory=list, description="error_share: names that are errors (default: names with error, fail, bug)."
    )
    filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Keep rows whose field takes one of the values: event properties (events), feedback columns "
        "(source, touchpoint, locale), metric fields (metric).",
    )
    by: str | None = Field(None, description="One series per value of this event property or feedback column.")
    metric: str | None = Field(None, description="metric: the registered measure.")
    negative_at_most: float = Field(2, ge=1, le=5, description="negative_feedback: ratings (1-5) at most this.")
    direction: Direction = Field("up", description="Alert on rises, drops or both.")
    alpha: float = Field(1e-5, gt=0, lt=0.5, description="Tail probability under which a day is unusual.")
    min_delta: float = Field(5, ge=0, description="Smallest change that alerts (events, hits or measure points).")
    min_ratio: float = Field(1.5, ge=1, description="Smallest relative change that alerts (counts and shares).")
    lookback_days: int = Field(120, ge=35, le=730, description="Days read on each check.")

    @field_validator("by")
    @classmethod
    def _plain_by(cls, v: str | None) -> str | None:
        return None if v is None else _field_name(v)

    @field_validator("filters")
    @classmethod
    def _plain_filters(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in v:
            _field_name(name)
        return v

    @model_validator(mode="after")
    def _metric_rules(self) -> AnomalyRule:
        if self.series == "metric":
            if self.metric is None:
                raise ValueError("a metric series needs `metric`")
            _known_metric(self.metric)
        elif self.metric is not None:
            raise ValueError("`metric` only applies to the metric series")
        if self.by is not None and self.series == "metric":
            raise ValueError("`by` does not apply to the metric series")
        return self

    def detector(self) -> DetectorConfig:
        return DetectorConfig(
            alpha=self.alpha, min_delta=self.min_delta, min_ratio=self.min_ratio, direction=self.direction
        )


RuleDefinition = Annotated[ThresholdRule | AnomalyRule, Field(discriminator="kind")]
_DEFINITION: TypeAdapter[ThresholdRule | AnomalyRule] = TypeAdapter(RuleDefinition)


def parse_definition(data: dict[str, Any]) -> ThresholdRule | AnomalyRule:
    """A stored or submitted definition as its rule model (raises pydantic's ValidationError)."""
    return _DEFINITION.validate_python(data)


class AlertRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    definition: RuleDefinition


class AlertRulePublic(BaseModel):
    id: int
    name: str
    enabled: bool
    definition: dict[str, Any]
    created_at: datetime


class AlertPublic(BaseModel):
    """An alert: the incident's first and last unusual day, its recovery (None: ongoing) and the reason in words."""

    id: int
    rule_id: int
    series: str
    status: Status
    started_on: date
    last_flagged_on: date
    recovered_on: date | None
    observed: float | None
    expected: float | None
    score: float | None
    reason: str
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


# -- what a rule finds ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """An incident on one series of a rule (the series is '' when the rule watches one)."""

    series: str
    started_on: date
    last_flagged_on: date
    recovered_on: date | None
    observed: float | None
    expected: float | None
    score: float | None
    reason: str


def evaluate_rule(
    wh: Warehouse, workspace_id: str, rule: ThresholdRule | AnomalyRule, as_of: datetime
) -> list[Finding]:
    """The incidents a rule finds in the complete days (or periods) before `as_of` (UTC)."""
    if isinstance(rule, ThresholdRule):
        return _threshold_findings(wh, workspace_id, rule, as_of)
    return _anomaly_findings(wh, workspace_id, rule, as_of)


def _threshold_findings(wh: Warehouse, workspace_id: str, rule: ThresholdRule, as_of: datetime) -> list[Finding]:
    end = _period_start(as_of.date(), rule.period)
    start = end
    for _ in range(rule.lookback):
        start = _period_start(start - timedelta(days=1), rule.period)
    spec = MetricSpec(
        metric=rule.metric,
        period=rule.period,
        start=datetime.combine(start, datetime.min.time()),
        end=datetime.combine(end, datetime.min.time()),
        filters=rule.filters,
    )
    result = run_metric(wh, workspace_id, spec)
    findings: list[Finding] = []
    current: list[tuple[date, str, float | None]] = []
    for g in result.series:
        if g.n < rule.min_n or g.value is None:
            continue  # too few answers to judge: neither a breach nor a recovery
        day = date.fromisoformat(str(g.key["period"]))
        why = _breach(rule, result.label, g, day)
        if why is not None:
            current.append((day, why, g.value))
        elif current:
            findings.append(_threshold_finding(current, day))
            current = []
    if current:
        findings.append(_threshold_finding(current, None))
    return findings


def _breach(rule: ThresholdRule, label: str, g: GroupResult, day: date) -> str | None:
    when = f"in the {rule.period} of {day.isoformat()}" if rule.period != "day" else f"on {day.isoformat()}"
    value = f"{label} {g.value:.1f} (n={g.n}) {when}"
    assert g.value is not None
    if rule.below is not None and g.value < rule.below:
        return f"{value}, under {rule.below:g}"
    if rule.above is not None and g.value > rule.above:
        return f"{value}, over {rule.above:g}"
    c = g.change
    if rule.change is None or c is None or not c.significant or c.delta is None or c.p_value is None:
        return None
    if (rule.change == "drop") != (c.delta < 0):
        return None
    verb = "fell" if c.delta < 0 else "rose"
    return f"{value}: {verb} {abs(c.delta):.1f} against the previous {rule.period} (p={c.p_value:.2g})"


def _threshold_finding(breaches: list[tuple[date, str, float | None]], recovered: date | None) -> Finding:
    first, last = breaches[0], breaches[-1]
    reason = first[1] + ("" if recovered is None else f"; recovered in the period of {recovered.isoformat()}")
    return Finding("", first[0], last[0], recovered, last[2], None, None, reason)


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _anomaly_findings(wh: Warehouse, workspace_id: str, rule: AnomalyRule, as_of: datetime) -> list[Finding]:
    end = as_of.date()
    start = end - timedelta(days=rule.lookback_days)
    detections = _DETECTORS[rule.series](wh, workspace_id, rule, start, end)
    return [
        Finding(
            series=key,
            started_on=i.started_on,
            last_flagged_on=i.last_flagged_on,
            recovered_on=i.recovered_on,
            observed=i.peak.observed,
            expected=i.peak.expected,
            score=i.peak.score,
            reason=i.reason,
        )
        for key, detection in detections.items()
        for i in detection.incidents
    ]


# -- daily series on the warehouse ---------------------------------------------------------------------------------
@ibis.udf.scalar.builtin(name="json_extract_string")
def _duckdb_json(doc: str, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB's JSON field as text."""


@ibis.udf.scalar.builtin(name="get_json_object")
def _spark_json(doc: str, path: str) -> str:  # type: ignore[empty-body]
    """Spark's JSON field as text."""


def event_property(wh: Warehouse, properties: ir.StringValue, name: str) -> ir.StringValue:
    """An event property (from the JSON `properties` column) as text; null when missing."""
    engine = wh.reader.name
    if engine == "duckdb":
        return _duckdb_json(properties, '$."' + name.replace('"', "") + '"')
    if engine == "pyspark":
        return _spark_json(properties, "$['" + name.replace("'", "") + "']")
    return properties.cast("json")[name].str


def _day(ts: ir.TimestampValue) -> ir.DateValue:
    return ts.truncate("D").cast("date")


def _events(wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date) -> ir.Table:
    """Events in [start, end) with `day`, `event` and, when the rule splits, `segment`; filters applied."""
    t = wh.table("events", workspace_id)
    t = t.filter(t.timestamp >= _midnight(start), t.timestamp < _midnight(end))
    for field, values in rule.filters.items():
        t = t.filter(event_property(wh, t.properties, field).isin(values))
    if rule.series == "event_count" and rule.events:
        t = t.filter(t.event.isin(rule.events))
    columns: dict[str, Any] = {"day": _day(t.timestamp), "event": t.event}
    if rule.by is not None:
        columns["segment"] = event_property(wh, t.properties, rule.by)
    return t.select(**columns)


def _event_counts(wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date) -> dict[str, Detection]:
    t = _events(wh, workspace_id, rule, start, end)
    keys = ["event", "day", *(["segment"] if rule.by else [])]
    counts = t.group_by(keys).aggregate(n=t.count()).execute()
    days = _days(counts, _first_day(wh, workspace_id, "events", "timestamp", start, end), end)
    if days is None:
        return {}
    narrowed = bool(rule.filters or rule.by)
    # A count is new only if the event is new to the whole workspace, not just to one platform or filter.
    reference = _reference_counts(wh, workspace_id, rule, days[0], end) if narrowed else None
    names = rule.events or sorted(counts["event"].unique())
    out: dict[str, Detection] = {}
    for (segment, name), rows in _split(counts, names, rule.by):
        ref = None if reference is None else reference.get(name, pd.Series(dtype="float64"))
        key = _key(rule.by, segment, event=name)
        label = f"{name} events" + (f" ({rule.by}={segment})" if rule.by else "")
        out[key] = detect_counts(_on(days, rows, "n"), config=rule.detector(), label=label, reference=ref)
    return out


def _reference_counts(wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date) -> dict[str, Any]:
    t = wh.table("events", workspace_id)
    t = t.filter(t.timestamp >= _midnight(start), t.timestamp < _midnight(end))
    if rule.events:
        t = t.filter(t.event.isin(rule.events))
    df = t.group_by(["event", _day(t.timestamp).name("day")]).aggregate(n=t.count()).execute()
    df["day"] = pd.to_datetime(df["day"])
    return {name: rows.set_index("day")["n"].astype("float64") for name, rows in df.groupby("event")}


def _error_share(wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date) -> dict[str, Detection]:
    t = _events(wh, workspace_id, rule, start, end)
    names = rule.error_events or _error_names(wh, workspace_id)
    keys = ["day", *(["segment"] if rule.by else [])]
    df = t.group_by(keys).aggregate(trials=t.count(), hits=t.count(where=t.event.isin(names or ["\x00"]))).execute()
    days = _days(df, _first_day(wh, workspace_id, "events", "timestamp", start, end), end)
    if days is None:
        return {}
    out: dict[str, Detection] = {}
    for (segment, _), rows in _split(df, [""], rule.by, name_column=None):
        key = _key(rule.by, segment, share="errors")
        label = "error events share" + (f" ({rule.by}={segment})" if rule.by else "")
        out[key] = detect_rates(_on(days, rows, "hits"), _on(days, rows, "trials"), config=rule.detector(), label=label)
    return out


def _error_names(wh: Warehouse, workspace_id: str) -> list[str]:
    t = wh.table("events", workspace_id)
    names = t.select("event").distinct().execute()["event"]
    return sorted(n for n in names if isinstance(n, str) and ERROR_NAMES.search(n))


def _negative_feedback(
    wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date
) -> dict[str, Detection]:
    t = wh.table("feedback", workspace_id)
    t = t.filter(t.created_at >= _midnight(start), t.created_at < _midnight(end))
    for field, values in rule.filters.items():
        t = t.filter(t[field].isin(values))
    columns: dict[str, Any] = {"day": _day(t.created_at), "negative": t.rating <= rule.negative_at_most}
    if rule.by is not None:
        columns["segment"] = t[rule.by].cast("string")
    t = t.select(**columns)
    keys = ["day", *(["segment"] if rule.by else [])]
    df = t.group_by(keys).aggregate(n=t.count(where=t.negative)).execute()
    days = _days(df, _first_day(wh, workspace_id, "feedback", "created_at", start, end), end)
    if days is None:
        return {}
    out: dict[str, Detection] = {}
    for (segment, _), rows in _split(df, [""], rule.by, name_column=None):
        key = _key(rule.by, segment, feedback="negative")
        label = "negative feedback" + (f" ({rule.by}={segment})" if rule.by else "")
        out[key] = detect_counts(_on(days, rows, "n"), config=rule.detector(), label=label)
    return out


def _metric_values(wh: Warehouse, workspace_id: str, rule: AnomalyRule, start: date, end: date) -> dict[str, Detection]:
    assert rule.metric is not None
    spec = MetricSpec(
        metric=rule.metric, period="day", start=_midnight(start), end=_midnight(end), filters=rule.filters
    )
    result = run_metric(wh, workspace_id, spec)
    rows = [g for g in result.series if g.value is not None and g.ci_low is not None and g.ci_high is not None]
    if not rows:
        return {}
    z = float(stats.norm.ppf(0.5 + result.level / 2))
    index = pd.to_datetime([str(g.key["period"]) for g in rows])
    values = pd.Series([g.value for g in rows], index=index, dtype="float64")
    # The interval's half-width over z is the standard error (intervals here are symmetric or close to it).
    errors = pd.Series([(g.ci_high - g.ci_low) / (2 * z) for g in rows], index=index, dtype="float64")  # type: ignore[operator]
    key = f"metric={rule.metric}"
    return {key: detect_values(values, errors, config=rule.detector(), label=result.label)}


_DETECTORS = {
    "event_count": _event_counts,
    "error_share": _error_share,
    "negative_feedback": _negative_feedback,
    "metric": _metric_values,
}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _days(df: pd.DataFrame, first: date | None, end: date) -> pd.DatetimeIndex | None:
    """Every day from `first` (the workspace's first day of data) to the last complete one; None without data."""
    df["day"] = pd.to_datetime(df["day"])
    if first is None:
        return None
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(end) - pd.Timedelta(days=1), freq="D")


def _first_day(wh: Warehouse, workspace_id: str, table: str, column: str, start: date, end: date) -> date | None:
    """The first day in [start, end) with any row at all: a narrower series is zero, not unknown, from then on."""
    t = wh.table(table, workspace_id)
    t = t.filter(t[column] >= _midnight(start), t[column] < _midnight(end))
    first = t[column].min().execute()
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def _split(
    df: pd.DataFrame, names: Sequence[str], by: str | None, name_column: str | None = "event"
) -> list[tuple[tuple[str | None, str], pd.DataFrame]]:
    """(segment, event name) and its rows, for every asked name (rows may be empty: a name with no events yet)."""
    segments: list[str | None] = sorted({s for s in df["segment"] if s is not None and s == s}) if by else [None]
    out = []
    for segment in segments:
        part = df if segment is None else df[df["segment"] == segment]
        for name in names:
            rows = part if name_column is None else part[part[name_column] == name]
            out.append(((segment, name), rows))
    return out


def _on(days: pd.DatetimeIndex, rows: pd.DataFrame, column: str) -> pd.Series:
    """A column of the rows on every day (0 where a day has no row)."""
    values = rows.groupby("day")[column].sum().astype("float64")
    return values.reindex(days, fill_value=0.0)


def _key(by: str | None, segment: str | None, **names: str) -> str:
    parts = [f"{k}={v}" for k, v in names.items()]
    if by is not None:
        parts.append(f"{by}={segment}")
    return ", ".join(parts)


# -- the store -----------------------------------------------------------------------------------------------------
def add_rule(app: AppStore, workspace_id: str, body: AlertRuleCreate) -> AlertRulePublic:
    with app.session() as s:
        taken = s.scalar(select(AlertRule).where(AlertRule.workspace_id == workspace_id, AlertRule.name == body.name))
        if taken is not None:
            raise Conflict(f"an alert rule called {body.name!r} exists already; pick another name")
        rule = AlertRule(
            workspace_id=workspace_id,
            name=body.name,
            enabled=body.enabled,
            definition=body.definition.model_dump(mode="json", exclude_defaults=False),
        )
        s.add(rule)
        s.flush()
        return _rule_public(rule)


def list_rules(app: AppStore, workspace_id: str) -> list[AlertRulePublic]:
    with app.session() as s:
        rows = s.scalars(select(AlertRule).where(AlertRule.workspace_id == workspace_id).order_by(AlertRule.id))
        return [_rule_public(r) for r in rows]


def list_alerts(app: AppStore, workspace_id: str, status: Status | None = None) -> list[AlertPublic]:
    with app.session() as s:
        q = select(Alert).where(Alert.workspace_id == workspace_id)
        if status is not None:
            q = q.where(Alert.status == status)
        return [_alert_public(a) for a in s.scalars(q.order_by(Alert.started_on.desc(), Alert.id.desc()))]


def acknowledge(app: AppStore, workspace_id: str, alert_id: int) -> AlertPublic:
    """Mark an open alert as seen; acknowledging again, or a resolved alert, changes nothing."""
    with app.session() as s:
        alert = s.scalar(select(Alert).where(Alert.workspace_id == workspace_id, Alert.id == alert_id))
        if alert is None:
            raise NotFound(f"no alert {alert_id} in this workspace")
        if alert.status == "open":
            alert.status, alert.acknowledged_at = "acknowledged", utcnow()
        s.flush()
        return _alert_public(alert)


def check_alerts(app: AppStore, wh: Warehouse, workspace_id: str, as_of: datetime | None = None) -> list[AlertPublic]:
    """Evaluate every enabled rule of the workspace on the days before `as_of` (default: now); return new alerts.

    Safe to run repeatedly: an incident already recorded is updated in place (last day, recovery), never raised again.
    """
    now = as_of.astimezone(UTC).replace(tzinfo=None) if as_of and as_of.tzinfo else (as_of or utcnow())
    with app.session() as s:
        rules = list(
            s.scalars(
                select(AlertRule)
                .where(AlertRule.workspace_id == workspace_id, AlertRule.enabled.is_(True))
                .order_by(AlertRule.id)
            )
        )
    raised: list[AlertPublic] = []
    for rule in rules:
        findings = evaluate_rule(wh, workspace_id, parse_definition(rule.definition), now)
        with app.session() as s:
            raised += _record(s, rule, findings, now)
    return raised


def _record(s: Session, rule: AlertRule, findings: list[Finding], now: datetime) -> list[AlertPublic]:
    fresh_from = now.date() - timedelta(days=FRESH_DAYS)
    known = list(s.scalars(select(Alert).where(Alert.rule_id == rule.id)))
    raised = []
    for f in findings:
        alert = next((a for a in known if a.series == f.series and _overlaps(a, f)), None)
        if alert is None:
            if f.recovered_on is not None and f.last_flagged_on < fresh_from:
                continue
            alert = Alert(workspace_id=rule.workspace_id, rule_id=rule.id, series=f.series, started_on=f.started_on)
            s.add(alert)
            known.append(alert)
            _update(alert, f, now)
            s.flush()
            raised.append(_alert_public(alert))
            _announce(s, rule, alert, "alert.raised")
        else:
            was = alert.status
            _update(alert, f, now)
            if alert.status == "resolved" and was != "resolved":
                _announce(s, rule, alert, "alert.resolved")
    return raised


def _announce(s: Session, rule: AlertRule, alert: Alert, event: str) -> None:
    """Queue the event for the workspace's webhooks in the alert's own transaction: never lost, never sent twice."""
    what = "raised" if event == "alert.raised" else "resolved"
    text = f"Alert {what}: {rule.name} - {alert.series}: {alert.reason}"
    data = {**_alert_public(alert).model_dump(mode="json"), "rule": rule.name}
    publish_event(s, rule.workspace_id, event, data, text=text, dedupe_key=f"{event}:{alert.id}")


# Anomalies are judged on whole days: checking a few times an hour is plenty and keeps the background pass light.
CHECK_EVERY_S = 900.0
_last_check: dict[str, float] = {}


def check_all(runtime: Runtime) -> int:
    """Background job: check every workspace that has enabled rules, at most every `CHECK_EVERY_S`; new alerts."""
    now = time.monotonic()
    with runtime.app.session() as s:
        workspaces = list(s.scalars(select(AlertRule.workspace_id).where(AlertRule.enabled.is_(True)).distinct()))
    raised = 0
    for ws in workspaces:
        if now - _last_check.get(ws, -CHECK_EVERY_S) < CHECK_EVERY_S:
            continue
        raised += len(check_alerts(runtime.app, runtime.warehouse, ws))
        _last_check[ws] = now
    return raised


def _overlaps(alert: Alert, f: Finding) -> bool:
    """The same incident: its days meet the alert's (a baseline window that slid may move the first day a little)."""
    if alert.started_on == f.started_on:
        return True
    alert_end = alert.recovered_on or date.max
    finding_end = f.recovered_on or date.max
    return alert.started_on < finding_end and f.started_on < alert_end


def _update(alert: Alert, f: Finding, now: datetime) -> None:
    changed = (alert.last_flagged_on, alert.recovered_on, alert.reason) != (f.last_flagged_on, f.recovered_on, f.reason)
    if alert.id is not None and not changed:
        return
    alert.last_flagged_on, alert.recovered_on, alert.reason = f.last_flagged_on, f.recovered_on, f.reason
    alert.observed, alert.expected, alert.score = f.observed, f.expected, f.score
    if f.recovered_on is not None and alert.status != "resolved":
        alert.status, alert.resolved_at = "resolved", now
    elif alert.id is None:
        alert.status = "open"


def _rule_public(rule: AlertRule) -> AlertRulePublic:
    return AlertRulePublic(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        definition=rule.definition,
        created_at=rule.created_at.replace(tzinfo=UTC),
    )


def _alert_public(a: Alert) -> AlertPublic:
    def utc(d: datetime | None) -> datetime | None:
        return None if d is None else d.replace(tzinfo=UTC)

    return AlertPublic(
        id=a.id,
        rule_id=a.rule_id,
        series=a.series,
        status=a.status,  # type: ignore[arg-type]
        started_on=a.started_on,
        last_flagged_on=a.last_flagged_on,
        recovered_on=a.recovered_on,
        observed=a.observed,
        expected=a.expected,
        score=a.score,
        reason=a.reason,
        created_at=utc(a.created_at) or utcnow(),
        acknowledged_at=utc(a.acknowledged_at),
        resolved_at=utc(a.resolved_at),
    )
