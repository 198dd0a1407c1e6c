"""Runs a MetricSpec: the engine aggregates sufficient statistics per group, Python turns them into estimates.

Groups are the `by` fields, the segment (when several are asked for), the period and, when raking, the raked traits
(the weighting cells). Every group's change against its previous period and difference from the rest of its period
are tested; the latter's p-values are Benjamini-Hochberg adjusted over all groups scanned at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from suara.errors import UnknownField, UnknownMetric, ValidationFailed
from suara.metrics import weighting
from suara.metrics.measures import MEASURES, Mean, Measure
from suara.metrics.segments import SegmentDefinition, members
from suara.metrics.sources import PERIOD_UNIT, Context
from suara.metrics.spec import LOW_N, Change, Comparison, GroupResult, LevelShare, MetricResult, MetricSpec
from suara.metrics.stats import Estimate, benjamini_hochberg, wilson
from suara.store.warehouse import Warehouse

PERIOD_KEY = "period"
SEGMENT_KEY = "saved_segment"  # not "segment": that is a common trait name
_FRAME_COLUMNS = ("at", "x", "response_id", "visitor")


def run_metric(
    wh: Warehouse,
    workspace_id: str,
    spec: MetricSpec,
    segments: Mapping[str, SegmentDefinition] | None = None,
) -> MetricResult:
    """Answer a MetricSpec on the warehouse for one workspace; `segments` holds the definitions `spec` names."""
    measure = _measure(spec.metric)
    est = measure.estimator
    if spec.rake and not est.additive:
        raise ValidationFailed(
            f"{measure.name} is a percentile: raking weights apply to shares and means only",
            errors=[{"loc": ["rake"], "pointer": "/rake", "message": "not supported for percentiles"}],
        )
    targets = weighting.validate_targets(spec.rake)
    df, by = aggregate(wh, workspace_id, spec, segments or {})
    stat_cols = [c for c in df.columns if c not in by and c != PERIOD_KEY and c not in targets]
    fill = [c for c in stat_cols if c != "values"]
    df[fill] = df[fill].fillna(0)
    df = df[df["n"] > 0].reset_index(drop=True)
    if spec.period:
        df[PERIOD_KEY] = pd.to_datetime(df[PERIOD_KEY]).dt.date
    if targets:
        cells = df.groupby(list(targets), dropna=False)["n"].sum().reset_index()
        cells["_w"] = weighting.rake(cells, targets)
        df = df.merge(cells.drop(columns="n"), on=list(targets), how="left")

    def stats_of(rows: pd.DataFrame) -> dict[str, Any]:
        if not len(rows):
            return {c: 0.0 for c in fill} | ({"values": np.empty(0)} if "values" in stat_cols else {})
        if targets:
            return weighting.weighted_stats(rows, rows["_w"].to_numpy(), fill)
        return est.combine(rows, stat_cols)

    overall = stats_of(df)
    groups: list[GroupResult] = []
    series: list[GroupResult] = []
    change = None
    if by or spec.period:
        groups = _groups(measure, df, by, spec, stats_of, fill)
    if spec.period:
        series = _groups(measure, df, [], spec, stats_of, fill)
        change = series[-1].change if series else None
    return MetricResult(
        metric=measure.name,
        label=measure.label,
        unit=measure.unit,
        definition=measure.definition,
        weighted=bool(targets),
        level=spec.level,
        change=change,
        distribution=_distribution(measure, overall, spec.level),
        groups=groups,
        series=series,
        **_fields(est.estimate(overall, spec.level)),
    )


def aggregate(
    wh: Warehouse, workspace_id: str, spec: MetricSpec, segments: Mapping[str, SegmentDefinition]
) -> tuple[pd.DataFrame, list[str]]:
    """One row of sufficient statistics per group, and the names of the breakdown keys (period aside)."""
    measure = _measure(spec.metric)
    ctx = Context(wh, workspace_id, spec, measure.resolve_options(spec.options))
    t = measure.frame(ctx)
    t = with_fields(wh, workspace_id, t, [*spec.by, *spec.filters, *spec.rake], measure)
    for field, values in spec.filters.items():
        t = t.filter(t[field].isin(values))
    by = list(spec.by)
    if spec.segments:
        t = _in_segments(wh, workspace_id, t, spec, segments)
        if len(spec.segments) > 1:
            by = [SEGMENT_KEY, *by]
    keys: list[Any] = [t[f].cast("string").name(f) for f in by]
    if spec.period:
        keys.append(t.at.truncate(PERIOD_UNIT[spec.period]).cast("date").name(PERIOD_KEY))
    keys += [t[f].cast("string").name(f) for f in spec.rake if f not in by]
    aggs = measure.estimator.aggregates(t.x)
    expr = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    return expr.execute(), by


def with_fields(wh: Warehouse, workspace_id: str, t: ir.Table, fields: list[str], measure: Measure) -> ir.Table:
    """The frame with a string column per field: its own column, else a response field, else a customer trait."""
    for field in dict.fromkeys(fields):
        if field in t.columns and field not in _FRAME_COLUMNS:
            continue
        source = _field_source(wh, workspace_id, field, "response_id" in t.columns)
        if source == "response":
            rf = wh.table("response_fields", workspace_id)
            rf = rf.filter(rf.name == field).select(_rid=rf.response_id, **{field: rf.value})
            t = t.left_join(rf, t.response_id == rf._rid).drop("_rid")
        elif source == "trait":
            tr = wh.traits(workspace_id)
            tr = tr.filter(tr.trait == field).select(_cid=tr.customer_id, **{field: tr.value})
            t = t.left_join(tr, t.customer_id == tr._cid).drop("_cid")
        else:
            own = [c for c in t.columns if c not in _FRAME_COLUMNS and c != "customer_id"]
            hint = f"{measure.name} breaks down by customer traits" + (f" and {', '.join(own)}" if own else "")
            raise _unknown(field, hint)
    return t


def _field_source(wh: Warehouse, workspace_id: str, field: str, has_responses: bool) -> str | None:
    if has_responses:
        rf = wh.table("response_fields", workspace_id)
        if rf.filter(rf.name == field).limit(1).count().execute() > 0:
            return "response"
    ident = wh.table("identities", workspace_id)
    if ident.filter(ident.trait == field).limit(1).count().execute() > 0:
        return "trait"
    if ident.limit(1).count().execute() == 0:
        return "trait"  # no traits known yet: an empty breakdown, not an error
    return None


def _unknown(field: str, hint: str) -> UnknownField:
    return UnknownField(
        f"no field is called {field!r}; {hint}",
        errors=[{"loc": ["by"], "pointer": "/by", "message": f"unknown field {field!r}"}],
    )


def _in_segments(
    wh: Warehouse, workspace_id: str, t: ir.Table, spec: MetricSpec, definitions: Mapping[str, SegmentDefinition]
) -> ir.Table:
    """Units of the named segments' customers; with several, one copy per segment labelled `segment`."""
    missing = [s for s in spec.segments if s not in definitions]
    if missing:
        raise ValidationFailed(
            f"no segment is called {missing[0]!r}",
            errors=[
                {"loc": ["segments"], "pointer": "/segments", "message": f"unknown segment {m!r}"} for m in missing
            ],
        )
    as_of = spec.end or datetime.now(UTC)
    parts = []
    for name in dict.fromkeys(spec.segments):
        who = members(wh, workspace_id, definitions[name], as_of).select(_cid=ibis._.customer_id)
        part = t.semi_join(who, t.customer_id == who._cid)
        parts.append(part.mutate(**{SEGMENT_KEY: ibis.literal(name)}) if len(spec.segments) > 1 else part)
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


def _groups(
    measure: Measure, df: pd.DataFrame, by: list[str], spec: MetricSpec, stats_of: Any, columns: list[str]
) -> list[GroupResult]:
    keys = [*by, PERIOD_KEY] if spec.period else list(by)
    if not len(df):
        return []
    frame = df.assign(**{k: df[k].astype(object).where(df[k].notna(), None) for k in by})
    grouped = {_tuple(k): rows for k, rows in frame.groupby(keys, dropna=False, sort=False)} if keys else {(): frame}
    order = sorted(grouped, key=lambda k: tuple((v is None, "" if v is None else v) for v in k))
    if measure.estimator.additive and not spec.rake and keys:
        # One vectorised sum per group instead of a pandas call per group: results are identical.
        sums = frame.groupby(keys, dropna=False, sort=False)[columns].sum()
        summed = {_tuple(k): row for k, row in sums.to_dict("index").items()}
        stats = {k: summed[k] for k in order}
    else:
        stats = {k: stats_of(grouped[k]) for k in order}
    est, level = measure.estimator, spec.level
    vs_rest: dict[tuple[Any, ...], Any] = {}
    if by:
        # Additive statistics of the rest are the period's total minus the group's; otherwise combine the other rows.
        subtract = est.additive and not spec.rake
        totals: dict[Any, Mapping[str, Any]] = {}
        for k in order:
            period = k[-1] if spec.period else None
            if subtract:
                if period not in totals:
                    totals[period] = stats_of(frame[frame[PERIOD_KEY] == period] if spec.period else frame)
                rest = {c: totals[period][c] - v for c, v in stats[k].items()}
            else:
                same_period = frame[frame[PERIOD_KEY] == period] if spec.period else frame
                rest = stats_of(same_period.drop(index=grouped[k].index))
            vs_rest[k] = (est.difference(rest, stats[k]), est.estimate(rest, level).value)
    q_values = dict(zip(vs_rest, benjamini_hochberg([d.p_value for d, _ in vs_rest.values()]), strict=True))
    out = []
    for k in order:
        label = {f: (None if v is None else str(v)) for f, v in zip(by, k, strict=False)}
        change = None
        if spec.period:
            label[PERIOD_KEY] = k[-1].isoformat()
            prev = (*k[:-1], _previous(k[-1], spec.period))
            change = _change(measure, stats.get(prev), stats[k], level)
        comparison = None
        if k in vs_rest:
            diff, rest_value = vs_rest[k]
            q = q_values[k]
            comparison = Comparison(
                rest=rest_value,
                delta=diff.delta,
                p_value=diff.p_value,
                q_value=q,
                significant=None if q is None else bool(q < 1 - level),
            )
        out.append(
            GroupResult(
                key=label,
                change=change,
                vs_rest=comparison,
                distribution=_distribution(measure, stats[k], level),
                **_fields(est.estimate(stats[k], level)),
            )
        )
    return out


def _tuple(key: Any) -> tuple[Any, ...]:
    key = key if isinstance(key, tuple) else (key,)
    return tuple(None if _isna(v) else v for v in key)


def _change(measure: Measure, prev: Mapping[str, Any] | None, cur: Mapping[str, Any], level: float) -> Change | None:
    if prev is None or not prev.get("n"):
        return None
    p = measure.estimator.difference(prev, cur).p_value
    before, after = measure.estimator.estimate(prev, level).value, measure.estimator.estimate(cur, level).value
    # delta is the plain difference of the shown values; the test behind p may use adjusted estimates (NPS).
    delta = None if before is None or after is None else after - before
    return Change(previous=before, delta=delta, p_value=p, significant=None if p is None else bool(p < 1 - level))


def _distribution(measure: Measure, c: Mapping[str, Any], level: float) -> list[LevelShare] | None:
    est = measure.estimator
    if not isinstance(est, Mean) or not est.levels:
        return None
    n = float(c.get("n") or 0)
    out = []
    for v in est.levels:
        count = float(c.get(f"level_{v}") or 0)
        e = wilson(count, n, level)
        out.append(LevelShare(level=v, share=e.value, ci_low=e.ci_low, ci_high=e.ci_high, count=count))
    return out


def _previous(day: date, period: str) -> date:
    if period == "day":
        return day - timedelta(days=1)
    if period == "week":
        return day - timedelta(weeks=1)
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _isna(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT


def _fields(e: Estimate) -> dict[str, Any]:
    return {"value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high, "n": int(round(e.n)), "low_n": e.n < LOW_N}


def _measure(name: str) -> Measure:
    try:
        return MEASURES[name]
    except KeyError:
        raise UnknownMetric(f"unknown metric {name!r}; choose one of {', '.join(MEASURES)}") from None


def metric_names() -> list[str]:
    return list(MEASURES)
