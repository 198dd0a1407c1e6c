"""Runs a MetricSpec: the engine aggregates sufficient statistics per group, Python turns them into estimates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from suara.errors import UnknownField, UnknownMetric
from suara.metrics.measures import MEASURES, Measure
from suara.metrics.spec import LOW_N, Change, GroupResult, MetricResult, MetricSpec
from suara.metrics.stats import Estimate
from suara.store.warehouse import RESPONSE_COLUMNS, Warehouse

PERIOD_UNIT = {"day": "D", "week": "W", "month": "M"}
PERIOD_KEY = "period"
SIGNIFICANCE = 0.05


def answers_with_fields(wh: Warehouse, workspace_id: str, kind: str, fields: list[str]) -> ir.Table:
    """Numeric answers of one kind joined to their response, with a string column per requested field.

    A field is a response column, else a response field, else a customer trait (latest value).
    """
    ans = wh.table("answers", workspace_id)
    ans = ans.filter((ans.kind == kind) & ans.number.notnull()).select("response_id", "number")
    resp = wh.table("responses", workspace_id)
    t = ans.join(resp, "response_id").select("response_id", "number", "submitted_at", *RESPONSE_COLUMNS)
    for field in dict.fromkeys(fields):
        if field in RESPONSE_COLUMNS:
            continue
        source = _field_source(wh, workspace_id, field)
        if source == "response":
            rf = wh.table("response_fields", workspace_id)
            rf = rf.filter(rf.name == field).select("response_id", **{field: rf.value})
            t = t.left_join(rf, "response_id").drop("response_id_right")
        else:
            tr = wh.traits(workspace_id)
            tr = tr.filter(tr.trait == field).select("customer_id", **{field: tr.value})
            t = t.left_join(tr, "customer_id").drop("customer_id_right")
    return t


def _field_source(wh: Warehouse, workspace_id: str, field: str) -> str:
    rf = wh.table("response_fields", workspace_id)
    if rf.filter(rf.name == field).limit(1).count().execute() > 0:
        return "response"
    tr = wh.table("identities", workspace_id)
    if tr.filter(tr.trait == field).limit(1).count().execute() > 0:
        return "trait"
    if wh.table("responses", workspace_id).limit(1).count().execute() == 0:
        return "trait"  # nothing to break down yet: an empty result, not an error
    raise UnknownField(
        f"no response column, response field or customer trait is called {field!r}",
        errors=[{"loc": ["by"], "pointer": "/by", "message": f"unknown field {field!r}"}],
    )


def aggregate(wh: Warehouse, workspace_id: str, spec: MetricSpec) -> pd.DataFrame:
    """One row of sufficient statistics per (by fields, period) group."""
    measure = _measure(spec.metric)
    t = answers_with_fields(wh, workspace_id, measure.question_kind, [*spec.by, *spec.filters])
    if spec.start is not None:
        t = t.filter(t.submitted_at >= spec.start.replace(tzinfo=None))
    if spec.end is not None:
        t = t.filter(t.submitted_at < spec.end.replace(tzinfo=None))
    for field, values in spec.filters.items():
        t = t.filter(t[field].isin(values))
    keys: list[Any] = [t[f].cast("string").name(f) for f in spec.by]
    if spec.period:
        keys.append(t.submitted_at.truncate(PERIOD_UNIT[spec.period]).cast("date").name(PERIOD_KEY))
    aggs = measure.aggregates(t.number)
    expr = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    return expr.execute()


def run_metric(wh: Warehouse, workspace_id: str, spec: MetricSpec) -> MetricResult:
    """Answer a MetricSpec on the warehouse for one workspace."""
    measure = _measure(spec.metric)
    df = aggregate(wh, workspace_id, spec)
    stat_cols = [c for c in df.columns if c not in spec.by and c != PERIOD_KEY]
    df[stat_cols] = df[stat_cols].fillna(0)
    df = df[df["n"] > 0]
    if spec.period:
        df[PERIOD_KEY] = pd.to_datetime(df[PERIOD_KEY]).dt.date
    total = df[stat_cols].sum().to_dict() if len(df) else {c: 0 for c in stat_cols}
    overall = measure.estimate(total, spec.level)

    groups: list[GroupResult] = []
    series: list[GroupResult] = []
    change = None
    if spec.by or spec.period:
        groups = _groups(measure, df, spec.by, spec)
    if spec.period:
        by_period = df.groupby(PERIOD_KEY, sort=True)[stat_cols].sum().reset_index()
        series = _groups(measure, by_period, [], spec)
        change = series[-1].change if series else None
    return MetricResult(
        metric=measure.name,
        label=measure.label,
        unit=measure.unit,
        level=spec.level,
        change=change,
        groups=groups,
        series=series,
        **_fields(overall),
    )


def _groups(measure: Measure, df: pd.DataFrame, by: list[str], spec: MetricSpec) -> list[GroupResult]:
    rows = df.sort_values([*by, PERIOD_KEY] if spec.period else by, na_position="last").to_dict("records")
    index = {_key(r, by, spec.period is not None): r for r in rows}
    out = []
    for r in rows:
        key = _key(r, by, spec.period is not None)
        change = None
        if spec.period:
            prev_key = (*key[:-1], _previous(r[PERIOD_KEY], spec.period))
            change = _change(measure, index.get(prev_key), r, spec.level)
        label = {f: (None if _isna(r[f]) else str(r[f])) for f in by}
        if spec.period:
            label[PERIOD_KEY] = r[PERIOD_KEY].isoformat()
        out.append(GroupResult(key=label, change=change, **_fields(measure.estimate(r, spec.level))))
    return out


def _change(measure: Measure, prev: Mapping[str, Any] | None, cur: Mapping[str, Any], level: float) -> Change | None:
    if prev is None:
        return None
    p = measure.difference(prev, cur).p_value
    before, after = measure.estimate(prev, level).value, measure.estimate(cur, level).value
    # delta is the plain difference of the shown values; the test behind p may use adjusted estimates (NPS).
    delta = None if before is None or after is None else after - before
    return Change(previous=before, delta=delta, p_value=p, significant=None if p is None else bool(p < 1 - level))


def _previous(day: date, period: str) -> date:
    if period == "day":
        return day - timedelta(days=1)
    if period == "week":
        return day - timedelta(weeks=1)
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _key(row: Mapping[str, Any], by: list[str], with_period: bool) -> tuple[Any, ...]:
    key = tuple(None if _isna(row[f]) else str(row[f]) for f in by)
    return (*key, row[PERIOD_KEY]) if with_period else key


def _isna(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _fields(e: Estimate) -> dict[str, Any]:
    return {"value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high, "n": e.n, "low_n": e.n < LOW_N}


def _measure(name: str) -> Measure:
    try:
        return MEASURES[name]
    except KeyError:
        raise UnknownMetric(f"unknown metric {name!r}; choose one of {', '.join(MEASURES)}") from None


def metric_names() -> list[str]:
    return list(MEASURES)
