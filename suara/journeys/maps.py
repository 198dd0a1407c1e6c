"""Journey maps: ordered stages of touchpoints, each measured on volume, conversion, survey scores and sentiment,
and a friction ranking of the touchpoints where customers and revenue are lost.

A touchpoint is defined over event names (who reached it and when), survey touchpoints (the `touchpoint` of
responses: NPS, CSAT, CES) and feedback touchpoints (feedback items, tickets and enrichments: sentiment, themes).
A customer reaches a touchpoint at their first event of it; they convert when they reach the next stage (any of its
touchpoints' events) at or after that instant, within `window` seconds when one is given. A stage marked `optional`
(support) is skipped by the stage before it: customers convert past it without passing through it.

Survey scores and the sentiment index are the registered measures' own estimators over the same sufficient
statistics `run_metric` aggregates, so a touchpoint's NPS equals `run_metric` filtered to its survey touchpoints.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

import ibis
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from suara.journeys.funnel import CUSTOMER, MAX_WINDOW, Share, journey_events, parse_duration
from suara.metrics.measures import MEASURES
from suara.metrics.runner import aggregate
from suara.metrics.spec import MetricSpec
from suara.metrics.stats import Estimate, wilson
from suara.store.warehouse import Warehouse

Name = Annotated[str, Field(min_length=1, max_length=100)]
SCORES = ("nps", "csat", "ces")
BOOTSTRAP_CHUNK = 100  # resamples drawn at once: bounds memory at chunk x customers weights
PAID = ~ibis._.status.isin(["cancelled", "refunded", "failed"])


class TouchpointDef(BaseModel):
    """A touchpoint: the events that mark reaching it, and the survey and feedback touchpoints that describe it."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    events: list[Name] = Field(default_factory=list, description="Event names; the first one marks arrival.")
    surveys: list[Name] = Field(default_factory=list, description="`touchpoint` values of survey responses.")
    feedback: list[Name] = Field(
        default_factory=list, description="`touchpoint` values of feedback items, tickets and enrichments."
    )

    @model_validator(mode="after")
    def _something(self) -> TouchpointDef:
        if not (self.events or self.surveys or self.feedback):
            raise ValueError(f"touchpoint {self.name!r} needs events, surveys or feedback")
        return self


class StageDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    touchpoints: list[TouchpointDef] = Field(min_length=1, max_length=12)
    optional: bool = Field(False, description="Customers may skip it: the stage before converts to the one after.")


class JourneySpec(BaseModel):
    """Stages left to right, the conversion window, the time range and how friction is valued and bootstrapped."""

    model_config = ConfigDict(extra="forbid")

    stages: list[StageDef] = Field(min_length=1, max_length=12)
    window: int | None = Field(
        None, gt=0, le=MAX_WINDOW, description="Seconds to reach the next stage ('7d' reads); none: any time later."
    )
    start: datetime | None = Field(None, description="Use facts at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Use facts before this instant (UTC).")
    value: Literal["historical", "clv"] = Field(
        "historical",
        description="A dropped customer's value: paid revenue in the range (historical) or 12-month CLV (clv).",
    )
    currency: str | None = Field(None, description="Orders in this currency; default: the most common one.")
    level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of every interval.")
    samples: int = Field(1000, ge=100, le=10_000, description="Bootstrap resamples of customers.")
    seed: int = Field(0, description="Seed of the bootstrap.")

    @model_validator(mode="before")
    @classmethod
    def _window(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("window") is not None:
            data = {**data, "window": parse_duration(data["window"])}
        return data

    @model_validator(mode="after")
    def _distinct(self) -> JourneySpec:
        names = [t.name for s in self.stages for t in s.touchpoints]
        seen: dict[str, str] = {}
        for s in self.stages:
            for t in s.touchpoints:
                for e in t.events:
                    if e in seen and seen[e] != t.name:
                        raise ValueError(f"event {e!r} marks two touchpoints ({seen[e]}, {t.name}); give it to one")
                    seen[e] = t.name
        if len(set(names)) != len(names):
            raise ValueError("touchpoint names must be different from each other")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("the period is empty: `start` must be before `end`")
        return self

    def targets(self) -> list[int | None]:
        """For each stage, the index of the stage its customers convert to (the next one not optional)."""
        out: list[int | None] = []
        for i in range(len(self.stages)):
            nxt = next((j for j in range(i + 1, len(self.stages)) if not self.stages[j].optional), None)
            out.append(nxt)
        return out


class Score(BaseModel):
    """A measure's value with its interval and number of units (answers or enriched items)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


class Amount(BaseModel):
    """A total with a percentile-bootstrap interval over customers."""

    value: float
    ci_low: float | None
    ci_high: float | None


class Theme(BaseModel):
    theme: str
    count: int


class TouchpointResult(BaseModel):
    stage: str
    name: str
    customers: int | None = Field(description="Customers who reached it; None when it has no events.")
    converted: int | None = Field(description="Of them, customers who reached the next stage; None at the end.")
    dropped: int | None
    conversion: Share | None = Field(description="converted / customers in percent, Wilson interval.")
    drop_off: Share | None = Field(description="dropped / customers in percent, Wilson interval.")
    median_seconds: float | None = Field(description="Median seconds from arrival here to the next stage.")
    nps: Score | None
    csat: Score | None
    ces: Score | None
    sentiment: Score | None = Field(description="Sentiment index (-100..100) of enriched feedback and comments.")
    feedback: int = Field(description="Feedback items at its feedback touchpoints.")
    tickets: int = Field(description="Tickets at its feedback touchpoints.")
    themes: list[Theme] = Field(description="Most frequent aspects in its enriched feedback, at most five.")


class StageResult(BaseModel):
    name: str
    optional: bool
    customers: int = Field(description="Customers who reached any of its touchpoints.")
    touchpoints: list[TouchpointResult]


class Friction(BaseModel):
    stage: str
    touchpoint: str
    dropped: Amount = Field(description="Customers lost: reached it but not the next stage.")
    revenue_lost: Amount = Field(description="Sum of the dropped customers' values, in `currency`.")
    rank_customers: int
    rank_revenue: int


class JourneyMapResult(BaseModel):
    customers: int = Field(description="Customers who reached any touchpoint.")
    value: str
    currency: str | None
    level: float
    samples: int
    seed: int
    stages: list[StageResult]
    friction: list[Friction] = Field(description="Touchpoints with a next stage, most customers lost first.")


# -- arrivals -------------------------------------------------------------------------------------------------------
def arrivals(wh: Warehouse, workspace_id: str, spec: JourneySpec) -> pd.DataFrame:
    """One row per (customer, touchpoint reached): `tp` (index in map order), `first_s` (epoch second of the first
    event) and `next_s` (first event of the target stage at or after it, inside the window; NaN when none)."""
    targets = spec.targets()
    rows: dict[str, list[Any]] = {"event": [], "tp": [], "stage": [], "target": []}
    k = 0
    for i, stage in enumerate(spec.stages):
        for t in stage.touchpoints:
            for e in t.events:
                rows["event"].append(e)
                rows["tp"].append(k)
                rows["stage"].append(i)
                rows["target"].append(-1 if targets[i] is None else targets[i])
            k += 1
    columns = ["customer", "tp", "first_s", "next_s"]
    if not rows["event"]:
        return pd.DataFrame(columns=columns)
    marks = ibis.memtable(rows, schema={"event": "string", "tp": "int64", "stage": "int64", "target": "int64"})
    ev = journey_events(wh, workspace_id, (), spec.start, spec.end)
    ev = ev.filter(ev.ts.notnull())
    hits = ev.join(marks, "event").select(CUSTOMER, "tp", "stage", "target", s=ev.ts.epoch_seconds().floor())
    hits = hits.mutate(s=hits.s.cast("int64"))
    first = hits.group_by([CUSTOMER, "tp", "target"]).aggregate(first_s=hits.s.min())
    # Arrivals at a stage, by customer: the candidates for converting into it.
    reach = hits.select(_c=hits[CUSTOMER], _stage=hits.stage, _s=hits.s).distinct()
    cond = (first[CUSTOMER] == reach._c) & (reach._stage == first.target) & (reach._s >= first.first_s)
    if spec.window is not None:
        cond &= reach._s <= first.first_s + spec.window
    joined = first.left_join(reach, cond)
    out = joined.group_by([CUSTOMER, "tp", "first_s"]).aggregate(next_s=joined._s.min())
    df = out.to_pyarrow().to_pandas()
    df["next_s"] = df["next_s"].astype("float64")
    return df.sort_values([CUSTOMER, "tp"]).reset_index(drop=True)[columns]


# -- customer values ------------------------------------------------------------------------------------------------
def main_currency(wh: Warehouse, workspace_id: str, start: datetime | None, end: datetime | None) -> str | None:
    """The currency of most paid orders in the range (None without orders)."""
    o = _orders(wh, workspace_id, start, end)
    top = o.group_by("currency").aggregate(n=o.count()).order_by([ibis.desc("n"), "currency"]).limit(1).execute()
    return None if top.empty else str(top["currency"].iloc[0])


def _orders(wh: Warehouse, workspace_id: str, start: datetime | None, end: datetime | None) -> Any:
    o = wh.table("orders", workspace_id).filter(PAID)
    if start is not None:
        o = o.filter(o.ordered_at >= start.replace(tzinfo=None))
    if end is not None:
        o = o.filter(o.ordered_at < end.replace(tzinfo=None))
    return o


def historical_values(
    wh: Warehouse, workspace_id: str, currency: str | None, start: datetime | None, end: datetime | None
) -> dict[str, float]:
    """Paid revenue per customer in the range, in `currency` (orders in other currencies left out)."""
    o = _orders(wh, workspace_id, start, end)
    if currency is not None:
        o = o.filter(o.currency == currency)
    per = o.group_by("customer_id").aggregate(revenue=o.amount.sum()).execute()
    return {str(c): float(v) for c, v in zip(per["customer_id"], per["revenue"], strict=True) if c is not None}


def _values(wh: Warehouse, workspace_id: str, spec: JourneySpec, currency: str | None) -> dict[str, float]:
    if spec.value == "historical":
        return historical_values(wh, workspace_id, currency, spec.start, spec.end)
    from suara.models.customer_value import CustomerValueSpec, customer_values

    cv = customer_values(wh, workspace_id, CustomerValueSpec(cutoff=spec.end, currency=currency))
    return {c.customer_id: c.clv for c in cv.customers}


# -- bootstrap ------------------------------------------------------------------------------------------------------
def bootstrap_totals(
    matrix: np.ndarray, samples: int, seed: int, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column totals of `matrix` (customers x columns) with percentile-bootstrap intervals over customers.

    Each resample draws customers with replacement as multinomial counts (chunks of BOOTSTRAP_CHUNK draws from
    `np.random.default_rng(seed)`), so the same seed gives the same interval."""
    n, cols = matrix.shape
    total = matrix.sum(axis=0)
    if n == 0:
        return total, np.full(cols, np.nan), np.full(cols, np.nan)
    rng = np.random.default_rng(seed)
    draws = []
    left = samples
    while left > 0:
        size = min(BOOTSTRAP_CHUNK, left)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        draws.append(weights @ matrix)
        left -= size
    stats = np.vstack(draws)
    alpha = 1 - level
    return total, np.quantile(stats, alpha / 2, axis=0), np.quantile(stats, 1 - alpha / 2, axis=0)


# -- scores, sentiment, themes ----------------------------------------------------------------------------------------
def _score_stats(wh: Warehouse, workspace_id: str, spec: JourneySpec, metric: str) -> pd.DataFrame:
    """The measure's sufficient statistics by touchpoint, exactly as run_metric aggregates them."""
    ms = MetricSpec(metric=metric, by=["touchpoint"], start=spec.start, end=spec.end, level=spec.level)
    df, _ = aggregate(wh, workspace_id, ms, {})
    stat_cols = [c for c in df.columns if c != "touchpoint"]
    df[stat_cols] = df[stat_cols].fillna(0)
    return df[df["n"] > 0].reset_index(drop=True)


def _score(df: pd.DataFrame, metric: str, touchpoints: list[str], level: float) -> Score | None:
    if not touchpoints:
        return None
    est = MEASURES[metric].estimator
    rows = df[df["touchpoint"].isin(touchpoints)]
    stat_cols = [c for c in df.columns if c != "touchpoint"]
    stats = est.combine(rows, stat_cols) if len(rows) else {c: 0.0 for c in stat_cols}
    e: Estimate = est.estimate(stats, level)
    return Score(value=e.value, ci_low=e.ci_low, ci_high=e.ci_high, n=int(round(e.n)))


def _counts(wh: Warehouse, workspace_id: str, table: str, at: str, spec: JourneySpec) -> dict[str, int]:
    t = wh.table(table, workspace_id)
    if spec.start is not None:
        t = t.filter(t[at] >= spec.start.replace(tzinfo=None))
    if spec.end is not None:
        t = t.filter(t[at] < spec.end.replace(tzinfo=None))
    t = t.filter(t.touchpoint.notnull())
    df = t.group_by("touchpoint").aggregate(n=t.count()).execute()
    return {str(k): int(v) for k, v in zip(df["touchpoint"], df["n"], strict=True)}


def _themes(wh: Warehouse, workspace_id: str, spec: JourneySpec) -> dict[str, Counter[str]]:
    e = wh.table("enrichments", workspace_id)
    if spec.start is not None:
        e = e.filter(e.at >= spec.start.replace(tzinfo=None))
    if spec.end is not None:
        e = e.filter(e.at < spec.end.replace(tzinfo=None))
    e = e.filter(e.touchpoint.notnull() & e.themes.notnull())
    df = e.group_by(["touchpoint", "themes"]).aggregate(n=e.count()).execute()
    out: dict[str, Counter[str]] = {}
    for tp, themes, n in zip(df["touchpoint"], df["themes"], df["n"], strict=True):
        for theme in str(themes).split(","):
            if theme.strip():
                out.setdefault(str(tp), Counter())[theme.strip()] += int(n)
    return out


# -- runner ---------------------------------------------------------------------------------------------------------
def _share(hits: int, n: int, level: float) -> Share:
    e = wilson(hits, n, level)
    return Share(value=e.value, ci_low=e.ci_low, ci_high=e.ci_high)


def run_journey_map(wh: Warehouse, workspace_id: str, spec: JourneySpec) -> JourneyMapResult:
    """Answer a JourneySpec: every touchpoint measured, and the friction ranking with bootstrap intervals."""
    targets = spec.targets()
    flat = [(i, t) for i, s in enumerate(spec.stages) for t in s.touchpoints]
    arr = arrivals(wh, workspace_id, spec)
    customers = sorted(arr[CUSTOMER].unique().tolist()) if len(arr) else []
    index = {c: k for k, c in enumerate(customers)}
    currency = spec.currency.upper() if spec.currency else main_currency(wh, workspace_id, spec.start, spec.end)
    values = _values(wh, workspace_id, spec, currency) if customers else {}
    # Customers x touchpoints: 1 where the customer reached the touchpoint and did not reach the next stage.
    dropped = np.zeros((len(customers), len(flat)))
    if len(arr):
        rows = arr[CUSTOMER].map(index).to_numpy()
        lost = arr["next_s"].isna().to_numpy()
        dropped[rows[lost], arr["tp"].to_numpy()[lost]] = 1.0
    for k, (i, _) in enumerate(flat):
        if targets[i] is None:
            dropped[:, k] = 0.0
    worth = np.array([values.get(c, 0.0) for c in customers])
    # One bootstrap for both: customers lost and revenue lost come from the same resampled customers.
    both = bootstrap_totals(np.hstack([dropped, dropped * worth[:, None]]), spec.samples, spec.seed, spec.level)
    k_tp = len(flat)
    (n_lost, rev), (lost_lo, rev_lo), (lost_hi, rev_hi) = ((v[:k_tp], v[k_tp:]) for v in both)

    scores = {m: _score_stats(wh, workspace_id, spec, m) for m in SCORES}
    sentiment = _score_stats(wh, workspace_id, spec, "sentiment_index")
    feedback = _counts(wh, workspace_id, "feedback", "created_at", spec)
    tickets = _counts(wh, workspace_id, "tickets", "created_at", spec)
    themes = _themes(wh, workspace_id, spec)

    by_tp = {int(k): g for k, g in arr.groupby("tp")} if len(arr) else {}
    stages: list[StageResult] = []
    friction: list[Friction] = []
    for i, stage in enumerate(spec.stages):
        results = []
        for k, (j, t) in enumerate(flat):
            if j != i:
                continue
            rows_k = by_tp.get(k)
            reached = None if not t.events else (0 if rows_k is None else len(rows_k))
            converted = conv = drop = median = None
            n_drop: int | None = None
            if reached is not None and targets[i] is not None:
                got = rows_k[rows_k["next_s"].notna()] if rows_k is not None else None
                converted = 0 if got is None else len(got)
                n_drop = reached - converted
                conv, drop = _share(converted, reached, spec.level), _share(n_drop, reached, spec.level)
                if got is not None and len(got):
                    median = float(np.median(got["next_s"].to_numpy() - got["first_s"].to_numpy()))
                friction.append(
                    Friction(
                        stage=stage.name,
                        touchpoint=t.name,
                        dropped=_amount(n_lost[k], lost_lo[k], lost_hi[k]),
                        revenue_lost=_amount(rev[k], rev_lo[k], rev_hi[k]),
                        rank_customers=0,
                        rank_revenue=0,
                    )
                )
            text_tps = [*t.surveys, *t.feedback]
            counter: Counter[str] = Counter()
            for tp in dict.fromkeys(t.feedback):
                counter.update(themes.get(tp, Counter()))
            results.append(
                TouchpointResult(
                    stage=stage.name,
                    name=t.name,
                    customers=reached,
                    converted=converted,
                    dropped=n_drop,
                    conversion=conv,
                    drop_off=drop,
                    median_seconds=median,
                    nps=_score(scores["nps"], "nps", t.surveys, spec.level),
                    csat=_score(scores["csat"], "csat", t.surveys, spec.level),
                    ces=_score(scores["ces"], "ces", t.surveys, spec.level),
                    sentiment=_score(sentiment, "sentiment_index", list(dict.fromkeys(text_tps)), spec.level),
                    feedback=sum(feedback.get(tp, 0) for tp in dict.fromkeys(t.feedback)),
                    tickets=sum(tickets.get(tp, 0) for tp in dict.fromkeys(t.feedback)),
                    themes=[
                        Theme(theme=a, count=c) for a, c in sorted(counter.items(), key=lambda x: (-x[1], x[0]))[:5]
                    ],
                )
            )
        in_stage = {k for k, (j, _) in enumerate(flat) if j == i}
        reach = int(arr[arr["tp"].isin(in_stage)][CUSTOMER].nunique()) if len(arr) else 0
        stages.append(StageResult(name=stage.name, optional=stage.optional, customers=reach, touchpoints=results))
    _rank(friction)
    return JourneyMapResult(
        customers=len(customers),
        value=spec.value,
        currency=currency,
        level=spec.level,
        samples=spec.samples,
        seed=spec.seed,
        stages=stages,
        friction=friction,
    )


def _amount(value: float, lo: float, hi: float) -> Amount:
    return Amount(value=float(value), ci_low=None if lo != lo else float(lo), ci_high=None if hi != hi else float(hi))


def _rank(friction: list[Friction]) -> None:
    """Rank 1 = most lost; ties keep map order. The list ends sorted by customers lost."""
    for attr, field in (("rank_customers", "dropped"), ("rank_revenue", "revenue_lost")):
        order = sorted(range(len(friction)), key=lambda k: -getattr(friction[k], field).value)
        for rank, k in enumerate(order, start=1):
            setattr(friction[k], attr, rank)
    friction.sort(key=lambda f: f.rank_customers)


# -- the demo's journey ---------------------------------------------------------------------------------------------
def _tp(name: str, events: list[str], surveys: list[str] | None = None, feedback: list[str] | None = None) -> dict:
    return {"name": name, "events": events, "surveys": surveys or [], "feedback": feedback or []}


DEFAULT_JOURNEY: dict[str, Any] = {
    "stages": [
        {"name": "awareness", "touchpoints": [_tp("site visit", ["visit"])]},
        {
            "name": "consideration",
            "touchpoints": [_tp("product page", ["browse"], feedback=["product"]), _tp("cart", ["add_to_cart"])],
        },
        {
            "name": "purchase",
            "touchpoints": [
                _tp("checkout", ["checkout_started", "payment_failed"], ["checkout"], ["checkout"]),
                _tp("order", ["order_completed"]),
            ],
        },
        {"name": "delivery", "touchpoints": [_tp("delivery", ["order_delivered"], ["delivery"], ["delivery"])]},
        {
            "name": "support",
            "optional": True,
            # Tickets are counted at the touchpoint they are about (delivery, checkout); account ones land here.
            "touchpoints": [
                _tp("support ticket", ["ticket_opened", "ticket_closed"], ["support"], ["support", "account"])
            ],
        },
    ],
    "window": "7d",
}


def default_journey(**overrides: Any) -> JourneySpec:
    """The journey of the demo shop: visit, browse and cart, checkout and order, delivery, and (optional) support."""
    return JourneySpec.model_validate({**DEFAULT_JOURNEY, **overrides})
