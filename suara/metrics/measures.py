"""The registered measures: where their units come from, what the engine aggregates and how Python estimates.

Engines aggregate sufficient statistics (counts, sums, or the values themselves for percentiles) per group; an
estimator turns them into a value with its interval and tests the difference of two groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from suara.errors import ValidationFailed
from suara.metrics import sources as src
from suara.metrics import stats
from suara.metrics.stats import Difference, Estimate

Stats = Mapping[str, Any]


# -- estimators ----------------------------------------------------------------------------------------------------
class Estimator:
    """Aggregates of `x` per group, and the estimate and the difference test they allow."""

    additive = True  # sums of groups are the statistics of their union (weights can then be applied)

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        raise NotImplementedError

    def estimate(self, c: Stats, level: float) -> Estimate:
        raise NotImplementedError

    def difference(self, a: Stats, b: Stats) -> Difference:
        raise NotImplementedError

    def combine(self, rows: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
        """Statistics of the union of several groups' rows."""
        return {c: float(rows[c].sum()) for c in columns}


@dataclass(frozen=True)
class Net(Estimator):
    """Share at or above `high` minus share at or below `low`, in points (NPS, sentiment index): adjusted Wald."""

    high: float
    low: float

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        return {"n": x.count(), "positive": x.count(where=x >= self.high), "negative": x.count(where=x <= self.low)}

    def estimate(self, c: Stats, level: float) -> Estimate:
        return stats.nps(float(c["positive"]), float(c["negative"]), float(c["n"]), level)

    def difference(self, a: Stats, b: Stats) -> Difference:
        key = ("positive", "negative", "n")
        return stats.nps_difference(tuple(float(a[k]) for k in key), tuple(float(b[k]) for k in key))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Share(Estimator):
    """Share of units with `x` at or above `threshold` (or at or below it when `below`), in percent: Wilson."""

    threshold: float = 1
    below: bool = False

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        hit = x <= self.threshold if self.below else x >= self.threshold
        return {"n": x.count(), "hits": x.count(where=hit)}

    def estimate(self, c: Stats, level: float) -> Estimate:
        return stats.wilson(float(c["hits"]), float(c["n"]), level)

    def difference(self, a: Stats, b: Stats) -> Difference:
        return stats.share_difference((float(a["hits"]), float(a["n"])), (float(b["hits"]), float(b["n"])))


@dataclass(frozen=True)
class Mean(Estimator):
    """Mean of `x` with a t interval; `levels` also counts each whole value (a rating's distribution)."""

    levels: tuple[int, ...] = ()

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        aggs = {"n": x.count(), "total": x.sum(), "total_sq": (x * x).sum()}
        aggs.update({f"level_{v}": x.count(where=x == v) for v in self.levels})
        return aggs

    def estimate(self, c: Stats, level: float) -> Estimate:
        return stats.mean_t(*_moments(c), level)

    def difference(self, a: Stats, b: Stats) -> Difference:
        return stats.mean_difference(_moments(a), _moments(b))


@dataclass(frozen=True)
class Quantile(Estimator):
    """The q-quantile of `x` (0.5 = median) with a percentile-bootstrap interval (fixed seed)."""

    q: float = 0.5
    additive = False

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        return {"n": x.count(), "values": x.collect()}

    def estimate(self, c: Stats, level: float) -> Estimate:
        return stats.quantile_bootstrap(_values(c), self.q, level)

    def difference(self, a: Stats, b: Stats) -> Difference:
        return stats.quantile_difference(_values(a), _values(b), self.q)

    def combine(self, rows: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
        parts = [np.asarray(v, dtype=float) for v in rows["values"] if v is not None]
        return {"n": float(rows["n"].sum()), "values": np.concatenate(parts) if parts else np.empty(0)}


@dataclass(frozen=True)
class Count(Estimator):
    """A census count (a backlog): the value is n itself, with no sampling interval and no test."""

    def aggregates(self, x: ir.FloatingColumn) -> dict[str, ir.Scalar]:
        return {"n": x.count()}

    def estimate(self, c: Stats, level: float) -> Estimate:
        n = float(c["n"])
        return Estimate(n, None, None, int(n)) if n else stats.EMPTY

    def difference(self, a: Stats, b: Stats) -> Difference:
        return Difference(float(b["n"]) - float(a["n"]), None, None, None)


def _moments(c: Stats) -> tuple[float, float, float]:
    return float(c["n"]), float(c["total"] or 0), float(c["total_sq"] or 0)


def _values(c: Stats) -> np.ndarray:
    v = c.get("values")
    return np.empty(0) if v is None else np.asarray(v, dtype=float)


# -- measures ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    default: Any
    help: str
    kind: type = str


@dataclass(frozen=True)
class Measure:
    """A registered measure: its units (`frame`), how they are estimated, and its options."""

    name: str
    label: str
    group: str
    unit: str
    definition: str
    frame: src.Frame
    estimator: Estimator
    options: dict[str, Option] = field(default_factory=dict)

    def resolve_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Given options cast to their kinds over the defaults; an unknown option is an error."""
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            allowed = ", ".join(self.options) or "none"
            raise ValidationFailed(
                f"{self.name} has no option {unknown[0]!r} (options: {allowed})",
                errors=[
                    {"loc": ["options", k], "pointer": f"/options/{k}", "message": "unknown option"} for k in unknown
                ],
            )
        out = {k: o.default for k, o in self.options.items()}
        for k, v in given.items():
            try:
                out[k] = self.options[k].kind(v)
            except (TypeError, ValueError):
                raise ValidationFailed(
                    f"option {k!r} of {self.name} must be {self.options[k].kind.__name__}, got {v!r}",
                    errors=[{"loc": ["options", k], "pointer": f"/options/{k}", "message": "wrong type"}],
                ) from None
        return out


GOAL = Option("order_completed", "Event that counts as a conversion.")
CART = Option("add_to_cart", "Event that puts something in the cart.")
ERRORS = Option("", "Comma-separated error event names (default: names containing error, fail or bug).")
SOURCES = Option("", "Comma-separated feedback sources to keep (default: all).")
WINDOW = Option(90, "Days without activity after which a customer counts as lost.", int)
STATUS = Option("", "Trait holding a subscription status; when set, churn follows it instead of inactivity.")
ACTIVE = Option("active", "Comma-separated statuses that count as active.")
LOAD = Option("load_ms", "Event property holding the load time in milliseconds.")
TASK_EVENT = Option("task", "Event recording a task attempt, with properties success and duration_s.")
TASK = Option("", "Keep only attempts whose `task` property is this.")


def _m(
    name: str, label: str, group: str, unit: str, definition: str, frame: src.Frame, est: Estimator, **kw: Any
) -> Measure:
    return Measure(name, label, group, unit, definition, frame, est, **kw)


_MEASURES = [
    # satisfaction and loyalty
    _m("nps", "NPS", "satisfaction", "points (-100..100)",
       "Net Promoter Score: % of 9-10 answers minus % of 0-6 answers to 'how likely are you to recommend us'.",
       src.answers("nps"), Net(9, 6)),
    _m("csat", "CSAT", "satisfaction", "% satisfied",
       "Customer satisfaction: % of 4-5 (top-2-box) answers on the 1-5 satisfaction scale.",
       src.answers("csat"), Share(4)),
    _m("csat_mean", "CSAT mean", "satisfaction", "mean (1..5)",
       "Customer satisfaction: mean answer on the 1-5 scale.", src.answers("csat"), Mean((1, 2, 3, 4, 5))),
    _m("ces", "CES", "satisfaction", "mean (1..7)",
       "Customer Effort Score: mean agreement that it was easy, 1-7, higher is easier.", src.answers("ces"), Mean()),
    _m("ces_easy", "CES easy", "satisfaction", "% easy",
       "Customer Effort Score as % of 5-7 answers (agree it was easy) on the 1-7 scale.", src.answers("ces"), Share(5)),
    _m("ces_effort", "CES (effort)", "satisfaction", "mean (1..5), lower is better",
       "Customer Effort Score on the 1-5 effort scale: mean effort it took, lower is easier.",
       src.answers("ces_effort"), Mean()),
    _m("attitudinal", "Met expectations", "satisfaction", "% agree",
       "Attitudinal satisfaction: % of 4-5 answers to 'the product met my expectations' (1-5 agreement).",
       src.answers("attitudinal"), Share(4)),
    _m("repurchase_intent", "Repurchase intent", "satisfaction", "% likely",
       "Repurchase intent: % of 4-5 answers to 'will you buy again in the next 30 days' (1-5 likelihood).",
       src.answers("repurchase"), Share(4)),
    _m("review_rating", "Review rating", "satisfaction", "mean stars (1..5)",
       "Average star rating of reviews and rated feedback, with the share of each star.",
       src.review_ratings, Mean((1, 2, 3, 4, 5)), options={"sources": SOURCES}),
    _m("sentiment_index", "Sentiment index", "satisfaction", "points (-100..100)",
       "% of enriched feedback and comments read as positive minus % read as negative.",
       src.sentiments, Net(1, -1), options={"sources": SOURCES}),
    # retention
    _m("churn_rate", "Churn rate", "retention", "% lost",
       "Customers lost in the period / customers active at its start (active: activity in the last `window_days`, "
       "or a subscription status trait).", src.churned, Share(1),
       options={"window_days": WINDOW, "status_trait": STATUS, "active_values": ACTIVE}),
    _m("retention", "Cohort retention", "retention", "% back",
       "Share of each cohort (customers by the period of their first activity) active again `offset` periods later.",
       src.cohort_returns, Share(1), options={"offset": Option(1, "Periods after the cohort's own.", int)}),
    _m("repeat_purchase_rate", "Repeat purchase rate", "retention", "% of buyers",
       "Share of the customers who bought in the period who bought two or more times in it.",
       src.customer_orders("repeat"), Share(1)),
    _m("clv", "Revenue per customer", "retention", "currency per customer",
       "Historical customer value: mean revenue per purchasing customer in the period (paid orders).",
       src.customer_orders("revenue"), Mean(),
       options={"currency": Option("", "Keep orders in this currency only (amounts are not converted).")}),
    # engagement and UX
    _m("conversion_rate", "Conversion rate", "engagement", "% of visits",
       "Share of visits (30-minute sessions) with the goal event.", src.session_units("converted"), Share(1),
       options={"goal": GOAL}),
    _m("bounce_rate", "Bounce rate", "engagement", "% of visits",
       "Share of visits with a single event.", src.session_units("bounced"), Share(1)),
    _m("cart_abandonment_rate", "Cart abandonment", "engagement", "% of carts",
       "Share of visits that added to the cart without the goal event.", src.session_units("abandoned"), Share(1),
       options={"goal": GOAL, "cart_event": CART}),
    _m("visit_frequency", "Visits per visitor", "engagement", "visits",
       "Mean number of visits per visitor in the period.", src.visitor_sessions("visits"), Mean()),
    _m("repeat_visit_rate", "Repeat visitors", "engagement", "% of visitors",
       "Share of the period's visitors with two or more visits in it.", src.visitor_sessions("repeat"), Share(1)),
    _m("time_on_site", "Time on site", "engagement", "seconds per visit (median)",
       "Median visit length, first to last event, in seconds.", src.session_units("duration"), Quantile(0.5)),
    _m("page_load_p50", "Page load (median)", "engagement", "ms",
       "Median page load time in milliseconds.", src.page_loads, Quantile(0.5),
       options={"property": LOAD}),
    _m("page_load_p90", "Page load (p90)", "engagement", "ms",
       "90th percentile of page load time in milliseconds.", src.page_loads, Quantile(0.9),
       options={"property": LOAD}),
    _m("task_success_rate", "Task success", "engagement", "% of attempts",
       "Share of task attempts that succeeded.", src.tasks("success"), Share(1),
       options={"event": TASK_EVENT, "task": TASK}),
    _m("time_on_task", "Time on task", "engagement", "seconds (median)",
       "Median time to complete a task, over successful attempts.", src.tasks("duration"), Quantile(0.5),
       options={"event": TASK_EVENT, "task": TASK}),
    _m("error_rate", "Error rate", "engagement", "% of visits",
       "Share of visits with at least one error event.", src.session_units("failed"), Share(1),
       options={"error_events": ERRORS}),
    _m("adoption_rate", "Adoption rate", "engagement", "% of active users",
       "New users / all active users in the period (with `feature`: share of active users who used it).",
       src.adopters, Share(1), options={"feature": Option("", "Event marking use of a feature.")}),
    # support
    _m("first_response_time", "First response time", "support", "hours (median)",
       "Median hours from a ticket's opening to the first answer.", src.ticket_units("first_response"), Quantile(0.5)),
    _m("resolution_time", "Resolution time", "support", "hours (median)",
       "Median hours from a ticket's opening to its resolution.", src.ticket_units("resolution"), Quantile(0.5)),
    _m("fcr_rate", "First-contact resolution", "support", "% of resolved tickets",
       "Share of resolved tickets resolved in one contact and never reopened.", src.ticket_units("fcr"), Share(1)),
    _m("ticket_csat", "CSAT after resolution", "support", "% satisfied",
       "Share of rated resolved tickets whose CSAT (1-5) is 4 or 5.", src.ticket_units("csat"), Share(4)),
    _m("backlog", "Backlog", "support", "open tickets",
       "Tickets open at the end of the period; break down by `age` for the backlog by age, by `agent` per agent.",
       src.backlog, Count()),
]  # fmt: skip

MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURES}
