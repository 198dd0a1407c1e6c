"""Funnels: how far each customer gets through ordered steps within a time window, as Ibis expressions.

Counts follow ClickHouse's `windowFunnel(window)` (order "loose") and `windowFunnel(window, 'strict_order')`
(order "strict"): a customer reaches step k when events of steps 1..k happen in that order (ties in time count
as in order) with step k at most `window` seconds after step 1. In strict order no other event may come between
the first step-1 event and the steps that follow it.

Instants are compared to the second, as windowFunnel does on DateTime: events in one second sort by step.

How it runs on any engine: the events of each customer are aggregated into a list of int64 keys (second, step,
seconds since the chain's step 1), then array functions walk the steps: a *chain* is one attempt, started by a
step-1 event, and pass k merges the chains at step k-1 with the step-k events; a chain advances when the key right
after it is a step-k event inside the window. Sorting many small lists is far cheaper than sorting the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, field_validator

from suara.errors import UnknownField
from suara.metrics.stats import wilson
from suara.store.warehouse import Warehouse, event_property

CUSTOMER = "customer"
# Each event becomes an int64 key: epoch second * 2^31 + step * 2^26 + delta, where delta is the seconds since the
# chain's step-1 event (0 for a bare event). Keys sort by second, then step: windowFunnel's order on DateTime.
_T, _I, _MASK = 31, 26, (1 << 26) - 1
MAX_WINDOW = _MASK  # seconds (776 days): delta must fit in 26 bits
_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
StepName = Annotated[str, Field(min_length=1, max_length=200)]


def parse_duration(value: int | str) -> int:
    """Seconds from an int or a string such as '90', '90s', '30m', '2h', '1d' or '1w'."""
    if isinstance(value, int):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"cannot read {value!r} as a duration; use seconds or a number with s, m, h, d or w")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


class FunnelSpec(BaseModel):
    """Ordered steps (event names), a window from the first step, an order mode, optional breakdown and time range."""

    model_config = ConfigDict(extra="forbid")

    steps: list[StepName] = Field(min_length=1, max_length=20, description="Event names, in funnel order.")
    window: int = Field(
        86_400, gt=0, le=MAX_WINDOW, description="Seconds from step 1 to the last step (at most 776 days); '1d' reads."
    )
    order: Literal["loose", "strict"] = Field(
        "loose", description="loose: other events may come between steps; strict: none may (windowFunnel strict_order)."
    )
    by: list[str] = Field(
        default_factory=list,
        max_length=2,
        description="Break down by customer traits (latest value) or event properties (the funnel is then run within "
        "the events that share a value, so a customer can count under several values).",
    )
    start: datetime | None = Field(None, description="Use events at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Use events before this instant (UTC).")
    level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of the conversion intervals.")

    _window = field_validator("window", mode="before")(lambda cls, v: parse_duration(v))

    @field_validator("steps")
    @classmethod
    def _distinct(cls, steps: list[str]) -> list[str]:
        repeated = sorted({s for s in steps if steps.count(s) > 1})
        if repeated:
            raise ValueError(f"each step must be a different event; repeated: {', '.join(repeated)}")
        return steps


class Share(BaseModel):
    """A conversion share in percent (0..100) with its Wilson interval; None when nobody reached the base step."""

    value: float | None
    ci_low: float | None
    ci_high: float | None


class FunnelStep(BaseModel):
    name: str
    count: int = Field(description="Customers who reached this step.")
    dropped: int = Field(description="Customers who reached the previous step but not this one (0 for step 1).")
    from_previous: Share = Field(description="Share of the previous step's customers who reached this one.")
    from_first: Share = Field(description="Share of step 1's customers who reached this one.")
    median_seconds: float | None = Field(
        description="Median seconds to this step from the previous one, over customers who reached it: on each "
        "one's first arrival, from the last previous-step event before it."
    )


class FunnelGroup(BaseModel):
    key: dict[str, str | None]
    steps: list[FunnelStep]


class FunnelResult(BaseModel):
    """Steps overall and, when broken down, per group."""

    window: int
    order: str
    steps: list[FunnelStep]
    groups: list[FunnelGroup] = Field(default_factory=list)


# -- events ---------------------------------------------------------------------------------------------------------
def journey_events(
    wh: Warehouse,
    workspace_id: str,
    fields: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> ir.Table:
    """Events as (customer, event, ts, event_id, *fields): the customer is the user id, else the anonymous id.

    A field is a customer trait (latest value) when some identify call set it, else an event property (string
    values). Missing values are null.
    """
    t = wh.table("events", workspace_id)
    if start is not None:
        t = t.filter(t.timestamp >= start.replace(tzinfo=None))
    if end is not None:
        t = t.filter(t.timestamp < end.replace(tzinfo=None))
    customer = ibis.coalesce(t.customer_id, t.anonymous_id)
    t = t.filter(customer.notnull())
    columns: dict[str, Any] = {CUSTOMER: customer, "event": t.event, "ts": t.timestamp, "event_id": t.event_id}
    traits = []
    for field in dict.fromkeys(fields):
        if _is_trait(wh, workspace_id, field):
            traits.append(field)
        else:
            columns[field] = event_property(wh, t.properties, field)
    out = t.select(**columns)
    for field in traits:
        tr = wh.traits(workspace_id)
        tr = tr.filter(tr.trait == field).select(**{CUSTOMER: tr.customer_id, field: tr.value})
        out = out.left_join(tr, CUSTOMER).drop(f"{CUSTOMER}_right")
    return out


def breakdown_fields(wh: Warehouse, workspace_id: str, sample: int = 5_000) -> dict[str, list[str]]:
    """What a funnel can be broken down by: every customer trait, and the property names seen in the latest
    `sample` events (a sample: property names are free-form JSON keys)."""
    ident = wh.table("identities", workspace_id)
    traits = sorted(str(t) for t in ident.select("trait").distinct().execute()["trait"] if t)
    ev = wh.table("events", workspace_id)
    docs = ev.filter(ev.properties.notnull()).order_by(ibis.desc("timestamp")).limit(sample)
    keys: set[str] = set()
    for doc in docs.select("properties").execute()["properties"]:
        try:
            parsed = json.loads(doc)
        except (TypeError, ValueError):
            continue
        if isinstance(parsed, dict):
            # labels group customers; numbers, ids and nested objects would give one group per customer
            keys |= {k for k, v in parsed.items() if isinstance(v, str | bool) and not k.lower().endswith("id")}
    return {"traits": traits, "properties": sorted(keys - set(traits))}


def _is_trait(wh: Warehouse, workspace_id: str, field: str) -> bool:
    ident = wh.table("identities", workspace_id)
    if ident.filter(ident.trait == field).limit(1).count().execute() > 0:
        return True
    ev = wh.table("events", workspace_id)
    if ev.filter(ev.properties.contains(f'"{field}":')).limit(1).count().execute() > 0:
        return False
    if ev.limit(1).count().execute() == 0:
        return False  # nothing to break down yet: an empty result, not an error
    raise UnknownField(
        f"no customer trait or event property is called {field!r}",
        errors=[{"loc": ["by"], "pointer": "/by", "message": f"unknown field {field!r}"}],
    )


# -- chains ---------------------------------------------------------------------------------------------------------


def _key(t: ir.IntegerValue, step: int | ir.IntegerValue, delta: int | ir.IntegerValue) -> ir.IntegerValue:
    """A key from epoch seconds, step (0 for other events) and delta; multiplied, not shifted, so t may be < 0."""
    return t * (1 << _T) + step * (1 << _I) + delta


def _t(key: ir.IntegerValue) -> ir.IntegerValue:
    return key >> _T


def _i(key: ir.IntegerValue) -> ir.IntegerValue:
    return (key >> _I) & 31


def _layer(g: ir.Table, drop: Sequence[str] = (), **columns: ir.Value) -> ir.Table:
    """Columns of `g` less `drop`, plus `columns`, in a query layer of their own.

    Ibis merges consecutive projections, inlining each column's expression wherever it is used, which would sort a
    list again for every later reference to it; a self-reference (`view`) keeps the layer apart.
    """
    keep = [c for c in g.columns if c not in drop and c not in columns]
    return g.select(*keep, **columns).view()


def _chains(g: ir.Table, n: int, window: int) -> ir.Table:
    """From `_all` (the step keys, any order) and `_has1` (whether step 1 happened), to `level` (0..n, the furthest
    step reached) and f2..fn (first arrival at step k: second * 2^26 + seconds from step k-1; null if never)."""
    later = {f"l{k}": g._all.filter(lambda x, k=k: _i(x) == k) for k in range(3, n + 1)}
    g = _layer(g, ["_all", "_has1"], _m=g._all.filter(lambda x: _i(x) <= 2).sort(), **later, level=g._has1.cast("int8"))
    for k in range(2, n + 1):
        if k > 2:
            g = _layer(g, ["c", f"l{k}"], _m=g.c.concat(g[f"l{k}"]).sort())
        g = _advance(g, k, window)
    return g.drop("c") if n >= 2 else g  # a one-step funnel never builds a chain


def _advance(g: ir.Table, k: int, window: int) -> ir.Table:
    """Pass k over `_m`, the chains at step k-1 merged with the step-k keys: a chain advances when the key right
    after it is a step-k event inside the window. A chain followed by another chain is dropped: the later one
    started later, so it reaches at least as far (the greedy rule of windowFunnel)."""

    def delta(m: ir.ArrayValue, i: ir.IntegerValue) -> ir.IntegerValue:
        return _t(m[i]) - _t(m[i - 1]) + (m[i - 1] & _MASK)  # seconds since the chain's step 1

    m = g._m
    moves = ibis.range(1, m.length()).filter(
        lambda i: (_i(m[i - 1]) == k - 1) & (_i(m[i]) == k) & (delta(m, i) <= window)
    )
    g = _layer(g, _x=moves)
    m, x = g._m, g._x
    chains = x.map(lambda i: _key(_t(m[i]), k, delta(m, i)))
    # First arrival: the earliest time, packed with its seconds from step k-1.
    first = x.map(lambda i: _t(m[i]) * (1 << _I) + _t(m[i]) - _t(m[i - 1])).mins()
    return _layer(g, ["_m", "_x"], c=chains, **{f"f{k}": first}, level=g.level + (x.length() > 0).cast("int8"))


def _strict(g: ir.Table, n: int, window: int) -> ir.Table:
    """Replace `_all`, every event's key, with the step keys windowFunnel's strict_order reads (and `_has1`): from
    the first step-1 event to the first other event after it, cut before the first step-k event met while step
    k-1 was not yet reached."""
    columns = [c for c in g.columns if c not in ("_all", "_f")]
    g = _layer(g, _e=g._all.filter(lambda x: (_i(x) == 0) & (x > g._f)).mins())
    g = _layer(g, ["_all", "_e"], _r=g._all.filter(lambda x: (_i(x) >= 1) & (x >= g._f) & (g._e.isnull() | (x < g._e))))
    probe = _chains(g.mutate(_all=g._r, _has1=g._r.length() > 0), n, window)
    # First arrival at steps 1..n-1, in epoch seconds.
    arrived = [_t(probe._f)] + [probe[f"f{k}"] >> _I for k in range(2, n)]

    def blocked(x: ir.IntegerValue) -> ir.BooleanValue:
        if n < 2:  # a one-step funnel has no later step to meet too early
            return ibis.literal(False)
        reached = ibis.cases(*[(_i(x) == k + 1, arrived[k - 1]) for k in range(1, n)])
        return (_i(x) >= 2) & (reached.isnull() | (reached > _t(x)))

    probe = _layer(probe, _stop=probe._r.filter(blocked).mins())
    cut = probe._r.filter(lambda x: probe._stop.isnull() | (x < probe._stop))
    # A region that is not empty starts with a step-1 event, which the cut never removes.
    others = [c for c in probe.columns if c not in columns]
    return _layer(probe, others, _all=cut, _has1=probe._r.length() > 0)


def funnel_levels(wh: Warehouse, workspace_id: str, spec: FunnelSpec, by: Sequence[str] | None = None) -> ir.Table:
    """One row per (customer, breakdown values) with events: `level` (0..n, the furthest step reached) and `d2`..`dn`
    (whole seconds from step k-1 to step k on the first arrival at step k; null when not reached)."""
    by = list(spec.by if by is None else by)
    keys, n, strict = [CUSTOMER, *by], len(spec.steps), spec.order == "strict"
    ev = journey_events(wh, workspace_id, by, spec.start, spec.end)
    ev = ev.filter(ev.ts.notnull())
    # Step numbers come from a join with a small table: one hash lookup instead of comparing names in turn.
    numbers = ibis.memtable(
        {"event": spec.steps, "_n": list(range(1, n + 1))}, schema={"event": "string", "_n": "int64"}
    )
    ev = ev.join(numbers, "event", how="inner" if not strict else "left")
    step = ev._n.fill_null(0)
    key = _key(ev.ts.epoch_seconds().floor().cast("int64"), step.cast("int64"), 0)
    ev = ev.select(*keys, _key=key, _step=step)
    empty = ibis.literal([], type="array<int64>")
    # Keys are never null; saying so spares DuckDB a null filter inside the aggregate (Spark has no such option).
    event_keys = ev._key.collect(include_null=wh.reader.name == "duckdb")
    if strict:
        g = ev.group_by(keys).aggregate(_all=event_keys, _f=ev._key.min(where=ev._step == 1))
        g = _strict(g.mutate(_all=ibis.coalesce(g._all, empty)), n, spec.window)
    else:
        g = ev.group_by(keys).aggregate(_all=event_keys, _has1=(ev._step == 1).any())
        g = g.mutate(_all=ibis.coalesce(g._all, empty))
    g = _chains(g, n, spec.window)
    return g.select(*keys, "level", **{f"d{k}": g[f"f{k}"] & _MASK for k in range(2, n + 1)})


# -- runner ---------------------------------------------------------------------------------------------------------
def run_funnel(wh: Warehouse, workspace_id: str, spec: FunnelSpec) -> FunnelResult:
    """Answer a FunnelSpec for one workspace: customers per step, conversions with intervals, median times."""
    overall = _aggregate(wh, workspace_id, spec, [])
    groups = []
    if spec.by:
        rows = _aggregate(wh, workspace_id, spec, spec.by)
        rows.sort(key=lambda r: [(r[f] is None, r[f] or "") for f in spec.by])
        groups = [FunnelGroup(key={f: r[f] for f in spec.by}, steps=_steps(spec, r)) for r in rows]
    return FunnelResult(window=spec.window, order=spec.order, steps=_steps(spec, overall[0]), groups=groups)


def _aggregate(wh: Warehouse, workspace_id: str, spec: FunnelSpec, by: list[str]) -> list[dict[str, Any]]:
    """Rows of (by..., c1..cn customers reaching each step, m2..mn median seconds from the previous step)."""
    per = funnel_levels(wh, workspace_id, spec, by)
    aggs: dict[str, Any] = {f"c{k}": (per.level >= k).cast("int64").sum() for k in range(1, len(spec.steps) + 1)}
    aggs |= {f"m{k}": per[f"d{k}"].cast("float64").median() for k in range(2, len(spec.steps) + 1)}
    expr = per.group_by(by).aggregate(**aggs) if by else per.aggregate(**aggs)
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _steps(spec: FunnelSpec, row: dict[str, Any]) -> list[FunnelStep]:
    counts = [int(row.get(f"c{k}") or 0) for k in range(1, len(spec.steps) + 1)]
    out = []
    for k, (name, count) in enumerate(zip(spec.steps, counts, strict=True), start=1):
        prev = counts[k - 2] if k > 1 else count
        median = row.get(f"m{k}")
        out.append(
            FunnelStep(
                name=name,
                count=count,
                dropped=prev - count,
                from_previous=_share(count, prev, spec.level),
                from_first=_share(count, counts[0], spec.level),
                median_seconds=None if median is None or median != median else float(median),
            )
        )
    return out


def _share(hits: int, n: int, level: float) -> Share:
    e = wilson(hits, n, level)
    return Share(value=e.value, ci_low=e.ci_low, ci_high=e.ci_high)


def funnel_customers(
    wh: Warehouse, workspace_id: str, spec: FunnelSpec, step: int, *, dropped: bool = True, limit: int | None = 1000
) -> list[str]:
    """Customers who dropped before step `step` (1-based: reached step-1 but not it) or, with `dropped=False`,
    who reached it; sorted by id, at most `limit`."""
    if not 1 <= step <= len(spec.steps) or (dropped and step == 1):
        raise ValueError(f"step must be from {2 if dropped else 1} to {len(spec.steps)}")
    per = funnel_levels(wh, workspace_id, spec, [])
    expr = per.filter(per.level == step - 1) if dropped else per.filter(per.level >= step)
    expr = expr.select(CUSTOMER).order_by(CUSTOMER)
    if limit is not None:
        expr = expr.limit(limit)
    return [str(c) for c in expr.to_pyarrow().column(CUSTOMER).to_pylist()]
