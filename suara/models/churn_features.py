"""Churn features per customer at a cut-off instant, read from the warehouse with Ibis (DuckDB, Spark, ...).

Activity is what the `churned` measure counts: any event, order or survey response with a customer id. The customers
described at a cut-off are those active in the `active_days` before it; every number uses facts before the cut-off
only, so a model trained at a past cut-off never sees its own label window.

Columns (one row per customer, index `customer_id`): recency_days, days_since_order (null without orders),
tenure_days, orders_total, orders_recent and visit_days_recent (in the `recent_days` before the cut-off),
spend_total (paid orders in one currency), nps_last / nps_mean / nps_asked and csat_last / csat_mean / csat_asked
(null and 0 when never asked), negative_share (share of enriched feedback with negative sentiment; null without
feedback), tickets, tickets_unresolved (open at the cut-off), tickets_reopened, resolution_hours_mean (tickets
resolved before the cut-off), and the latest value of each trait the caller names, as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from suara.errors import ValidationFailed
from suara.store.warehouse import Warehouse

UNPAID = ["cancelled", "refunded", "failed"]
NUMERIC = [
    "recency_days",
    "days_since_order",
    "tenure_days",
    "orders_total",
    "orders_recent",
    "visit_days_recent",
    "spend_total",
    "nps_last",
    "nps_mean",
    "nps_asked",
    "csat_last",
    "csat_mean",
    "csat_asked",
    "negative_share",
    "tickets",
    "tickets_unresolved",
    "tickets_reopened",
    "resolution_hours_mean",
]
_DAY_S = 86_400.0


def naive_utc(ts: datetime) -> datetime:
    """The warehouse keeps naive UTC instants."""
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)


def _lit(ts: datetime) -> ir.TimestampScalar:
    return ibis.literal(naive_utc(ts)).cast("timestamp")


def activity(wh: Warehouse, workspace_id: str) -> ir.Table:
    """(customer_id, at) of every event, order and survey response with a customer: the `churned` activity."""
    parts = []
    for name, column in (("events", "timestamp"), ("orders", "ordered_at"), ("responses", "submitted_at")):
        t = wh.table(name, workspace_id)
        t = t.filter(t.customer_id.notnull())
        parts.append(t.select("customer_id", at=t[column]))
    return ibis.union(*parts)


def _instant(value: Any) -> datetime | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(f"not an instant: {value!r}")


def data_end(wh: Warehouse, workspace_id: str) -> datetime:
    """Midnight after the newest day of activity: the default scoring instant (as the `churned` measure's end)."""
    newest = _instant(activity(wh, workspace_id).at.max().execute())
    if newest is None:
        raise ValidationFailed(
            "this workspace has no customer activity (events, orders or survey responses with a customer id); "
            "import some before modelling churn"
        )
    return datetime(newest.year, newest.month, newest.day) + timedelta(days=1)


def active_customers(wh: Warehouse, workspace_id: str, since: datetime, until: datetime) -> set[str]:
    """Customers with any activity in [since, until)."""
    a = activity(wh, workspace_id)
    a = a.filter((a.at >= _lit(since)) & (a.at < _lit(until)))
    return {str(c) for c in a.select("customer_id").distinct().execute()["customer_id"]}


def main_currency(wh: Warehouse, workspace_id: str, before: datetime) -> str | None:
    """The most common currency of paid orders before `before` (None without orders)."""
    o = wh.table("orders", workspace_id)
    o = o.filter(~o.status.isin(UNPAID) & (o.ordered_at < _lit(before)) & o.currency.notnull())
    top = o.group_by("currency").aggregate(n=o.count()).order_by([ibis.desc("n"), "currency"]).limit(1).execute()
    return None if top.empty else str(top["currency"].iloc[0])


def _seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    # whole seconds, as every engine agrees on them (Spark drops fractions)
    return ts.epoch_seconds().floor().cast("float64")


def _frame(expr: ir.Table) -> pd.DataFrame:
    df = expr.execute()
    df["customer_id"] = df["customer_id"].astype(str)
    return df.set_index("customer_id")


def _days_before(cutoff: datetime, column: pd.Series) -> pd.Series:
    """Days from each instant to the cut-off, in whole seconds (null stays null)."""
    ts = pd.to_datetime(column).dt.floor("s")
    return (pd.Timestamp(cutoff) - ts).dt.total_seconds() / _DAY_S


def churn_features(
    wh: Warehouse,
    workspace_id: str,
    cutoff: datetime,
    *,
    active_days: int = 90,
    recent_days: int = 90,
    traits: Sequence[str] = (),
    currency: str | None = None,
) -> pd.DataFrame:
    """One row per customer active in the `active_days` before `cutoff`, with the features above (module doc).

    `currency` picks the orders summed in spend_total (default: the most common); orders in other currencies
    still count as orders. An empty frame (with every column) when nobody was active."""
    cut = naive_utc(cutoff)
    c, recent = _lit(cut), _lit(cut - timedelta(days=recent_days))
    act = activity(wh, workspace_id)
    act = act.filter(act.at < c)
    span = act.group_by("customer_id").aggregate(
        first_at=act.at.min(),
        last_at=act.at.max(),
        active=(act.at >= _lit(cut - timedelta(days=active_days))).any(),
    )
    base = _frame(span.filter(span.active).drop("active"))
    out = pd.DataFrame(index=base.index.sort_values())
    out.index.name = "customer_id"
    out["recency_days"] = _days_before(cut, base["last_at"])
    out["tenure_days"] = _days_before(cut, base["first_at"])

    o = wh.table("orders", workspace_id)
    o = o.filter(o.customer_id.notnull() & ~o.status.isin(UNPAID) & (o.ordered_at < c))
    money = currency.upper() if currency else main_currency(wh, workspace_id, cut)
    orders = _frame(
        o.group_by("customer_id").aggregate(
            orders_total=o.count(),
            orders_recent=(o.ordered_at >= recent).cast("int64").sum(),
            last_order_at=o.ordered_at.max(),
            spend_total=ibis.ifelse(o.currency == (money or ""), o.amount, 0.0).sum(),
        )
    ).reindex(out.index)
    out["days_since_order"] = _days_before(cut, orders["last_order_at"])
    for col in ("orders_total", "orders_recent", "spend_total"):
        out[col] = orders[col].fillna(0).astype(float)

    ev = wh.table("events", workspace_id)
    ev = ev.filter(ev.customer_id.notnull() & (ev.type != "identify") & (ev.timestamp >= recent) & (ev.timestamp < c))
    visits = _frame(ev.group_by("customer_id").aggregate(visit_days=ev.timestamp.truncate("D").nunique()))
    out["visit_days_recent"] = visits["visit_days"].reindex(out.index).fillna(0).astype(float)

    resp = wh.table("responses", workspace_id)
    resp = resp.filter(resp.customer_id.notnull() & (resp.submitted_at < c))
    ans = wh.table("answers", workspace_id)
    ans = ans.filter(ans.number.notnull()).select("response_id", "kind", "number")
    rated = ans.join(resp.select("response_id", "customer_id", "submitted_at"), "response_id")
    for kind in ("nps", "csat"):
        k = rated.filter(rated.kind == kind)
        agg = _frame(
            k.group_by("customer_id").aggregate(
                last=k.number.argmax(k.submitted_at), mean=k.number.mean(), asked=k.count()
            )
        ).reindex(out.index)
        out[f"{kind}_last"] = agg["last"].astype(float)
        out[f"{kind}_mean"] = agg["mean"].astype(float)
        out[f"{kind}_asked"] = (agg["asked"].fillna(0) > 0).astype(float)

    en = wh.table("enrichments", workspace_id)
    en = en.filter(en.customer_id.notnull() & en.sentiment.notnull() & (en.at < c))
    sentiment = _frame(en.group_by("customer_id").aggregate(negative_share=(en.sentiment == -1).cast("float64").mean()))
    out["negative_share"] = sentiment["negative_share"].reindex(out.index).astype(float)

    t = wh.table("tickets", workspace_id)
    t = t.filter(t.customer_id.notnull() & (t.created_at < c))
    solved = t.resolved_at.notnull() & (t.resolved_at < c)
    hours = (_seconds(t.resolved_at) - _seconds(t.created_at)) / 3600
    tickets = _frame(
        t.group_by("customer_id").aggregate(
            tickets=t.count(),
            tickets_unresolved=(~solved).cast("int64").sum(),
            tickets_reopened=t.reopened.fill_null(False).cast("int64").sum(),
            resolution_hours_mean=ibis.ifelse(solved, hours, ibis.null("float64")).mean(),
        )
    ).reindex(out.index)
    for col in ("tickets", "tickets_unresolved", "tickets_reopened"):
        out[col] = tickets[col].fillna(0).astype(float)
    out["resolution_hours_mean"] = tickets["resolution_hours_mean"].astype(float)

    out = out[NUMERIC]
    for name, values in _traits(wh, workspace_id, cut, traits).items():
        out[name] = values.reindex(out.index)
    return out


def _traits(wh: Warehouse, workspace_id: str, cut: datetime, names: Sequence[str]) -> dict[str, pd.Series]:
    """The latest value of each named trait observed before the cut-off, as text (null when never set)."""
    names = list(dict.fromkeys(names))
    clash = [n for n in names if n in NUMERIC]
    if clash:
        raise ValidationFailed(f"trait name(s) {', '.join(clash)} clash with a churn feature; rename the trait")
    if not names:
        return {}
    ident = wh.table("identities", workspace_id)
    ident = ident.filter(ident.trait.isin(names) & (ident.observed_at < _lit(cut)) & ident.customer_id.notnull())
    latest = ident.group_by(["customer_id", "trait"]).aggregate(value=ident.value.argmax(ident.observed_at)).execute()
    latest["customer_id"] = latest["customer_id"].astype(str)
    wide = latest.pivot(index="customer_id", columns="trait", values="value")
    return {n: (wide[n] if n in wide.columns else pd.Series(dtype=object)).astype(object) for n in names}


def churn_labels(
    wh: Warehouse, workspace_id: str, customers: pd.Index, cutoff: datetime, horizon_days: int
) -> pd.Series:
    """1 for each customer with no activity in the `horizon_days` from `cutoff`, else 0 (index: customers)."""
    cut = naive_utc(cutoff)
    back = active_customers(wh, workspace_id, cut, cut + timedelta(days=horizon_days))
    return pd.Series([0 if c in back else 1 for c in customers], index=customers, name="churned", dtype="int64")


__all__ = ["NUMERIC", "activity", "active_customers", "churn_features", "churn_labels", "data_end", "main_currency"]
