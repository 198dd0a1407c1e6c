"""Where each measure's units come from: one Ibis table per measure with the same few columns on every backend.

A frame has `at` (the instant that places a unit in a period), `customer_id`, `x` (the unit's number) and any fields
of its own (`touchpoint`, `source`, `age`, ...). Units are answers, reviews, sessions, visitors, customers or tickets;
measures whose unit spans a period (a customer's orders in a month, a visitor's sessions) bucket inside the frame, so
the runner only filters, groups and aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from suara.errors import ValidationFailed
from suara.metrics.spec import MetricSpec
from suara.store.warehouse import RESPONSE_COLUMNS, Warehouse, event_property

PERIOD_UNIT = {"day": "D", "week": "W", "month": "M"}
SESSION_GAP_S = 30 * 60  # a visit ends after 30 minutes without an event, as in web analytics tools
AGE_BUCKETS = ((1, "0-1d"), (3, "1-3d"), (7, "3-7d"), (30, "7-30d"))


@dataclass
class Context:
    """What a frame needs: the warehouse, the workspace, the spec and the measure's resolved options."""

    wh: Warehouse
    workspace_id: str
    spec: MetricSpec
    options: dict[str, Any]

    def table(self, name: str) -> ir.Table:
        return self.wh.table(name, self.workspace_id)

    def in_range(self, t: ir.Table, column: str = "at") -> ir.Table:
        if self.spec.start is not None:
            t = t.filter(t[column] >= self.spec.start.replace(tzinfo=None))
        if self.spec.end is not None:
            t = t.filter(t[column] < self.spec.end.replace(tzinfo=None))
        return t

    def bucket(self, ts: ir.TimestampValue) -> ir.TimestampValue:
        """The start of the unit's period; without a period every unit shares one bucket."""
        if self.spec.period is None:
            return ibis.literal(datetime(1970, 1, 1)).cast("timestamp")
        return ts.truncate(PERIOD_UNIT[self.spec.period])

    def option_list(self, name: str) -> list[str]:
        return [v.strip() for v in str(self.options.get(name) or "").split(",") if v.strip()]


Frame = Callable[[Context], ir.Table]


def seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    """Whole seconds since 1970: engines differ on fractions (Spark drops them), so every frame drops them."""
    return ts.epoch_seconds().floor().cast("float64")


# -- surveys and text ----------------------------------------------------------------------------------------------
def answers(kind: str) -> Frame:
    """Numeric answers of one question kind, with their response's columns."""

    def frame(ctx: Context) -> ir.Table:
        ans = ctx.table("answers")
        ans = ans.filter((ans.kind == kind) & ans.number.notnull()).select("response_id", x=ans.number)
        resp = ctx.table("responses")
        t = ans.join(resp, "response_id")
        return ctx.in_range(t.select("response_id", *RESPONSE_COLUMNS, at=t.submitted_at, x=t.x))

    return frame


def review_ratings(ctx: Context) -> ir.Table:
    """Star ratings of reviews and other feedback (1-5), by source."""
    f = ctx.table("feedback")
    f = f.filter(f.rating.notnull())
    if sources := ctx.option_list("sources"):
        f = f.filter(f.source.isin(sources))
    return ctx.in_range(f.select("customer_id", "source", "touchpoint", "locale", at=f.created_at, x=f.rating))


def sentiments(ctx: Context) -> ir.Table:
    """Sentiment of enriched feedback and comments: +1 positive, 0 neutral, -1 negative."""
    e = ctx.table("enrichments")
    e = e.filter(e.sentiment.notnull())
    if sources := ctx.option_list("sources"):
        e = e.filter(e.source.isin(sources))
    return ctx.in_range(
        e.select("customer_id", "source", "touchpoint", "language", at=e.at, x=e.sentiment.cast("float64"))
    )


# -- orders --------------------------------------------------------------------------------------------------------
def _paid_orders(ctx: Context) -> ir.Table:
    o = ctx.table("orders")
    o = o.filter(~o.status.isin(["cancelled", "refunded", "failed"]))
    if currency := ctx.options.get("currency"):
        o = o.filter(o.currency == str(currency).upper())
    return ctx.in_range(o.mutate(at=o.ordered_at))


def customer_orders(value: str) -> Frame:
    """One unit per purchasing customer and period: `x` is 1 for a repeat buyer (2+ orders), or the revenue."""

    def frame(ctx: Context) -> ir.Table:
        o = _paid_orders(ctx)
        per = o.group_by(["customer_id", ctx.bucket(o.at).name("at")]).aggregate(
            orders=o.count(), revenue=o.amount.sum()
        )
        x = (per.orders >= 2).cast("float64") if value == "repeat" else per.revenue
        return per.select("customer_id", "at", x=x)

    return frame


# -- behaviour -----------------------------------------------------------------------------------------------------
def _events(ctx: Context) -> ir.Table:
    ev = ctx.in_range(ctx.table("events").mutate(at=ibis._.timestamp))
    return ev.mutate(visitor=ev.customer_id.fill_null(ev.anonymous_id))


def sessions(ctx: Context) -> ir.Table:
    """Visits: a visitor's events with less than 30 minutes between them, with what happened in each."""
    ev = _events(ctx).filter(ibis._.type != "identify")
    w = ibis.window(group_by=ev.visitor, order_by=[ev.at, ev.event_id])
    secs = seconds(ev.at)
    gap = secs - secs.lag().over(w)
    ev = ev.mutate(starts=(gap.isnull() | (gap > SESSION_GAP_S)).cast("int64"), secs=secs)
    ev = ev.mutate(
        session=ev.starts.sum().over(ibis.cumulative_window(group_by=ev.visitor, order_by=[ev.at, ev.event_id]))
    )
    goal, cart = str(ctx.options.get("goal") or ""), str(ctx.options.get("cart_event") or "")
    errors = error_events(ctx, ev.event)
    s = ev.group_by(["visitor", "session"]).aggregate(
        at=ev.at.min(),
        customer_id=ev.customer_id.max(),
        events=ev.count(),
        duration=(ev.secs.max() - ev.secs.min()).cast("float64"),
        converted=(ev.event == goal).any(),
        carted=(ev.event == cart).any(),
        failed=errors.any(),
    )
    return s


def error_events(ctx: Context, name: ir.StringValue) -> ir.BooleanValue:
    """Events counted as errors: the `error_events` option, else names containing error, fail or bug."""
    if names := ctx.option_list("error_events"):
        return name.isin(names)
    lower = name.lower()
    return lower.contains("error") | lower.contains("fail") | lower.contains("bug")


def session_units(value: str) -> Frame:
    """Sessions with `x` set to the flag or duration a measure reads."""

    def frame(ctx: Context) -> ir.Table:
        s = sessions(ctx)
        x = {
            "converted": s.converted.cast("float64"),
            "bounced": (s.events == 1).cast("float64"),
            "abandoned": (~s.converted).cast("float64"),
            "failed": s.failed.cast("float64"),
            "duration": s.duration,
        }[value]
        if value == "abandoned":
            s = s.filter(s.carted)  # abandonment is a share of the sessions that put something in the cart
        return s.select("customer_id", "at", x=x)

    return frame


def visitor_sessions(value: str) -> Frame:
    """One unit per visitor and period: `x` is the number of visits, or 1 for a visitor who came back."""

    def frame(ctx: Context) -> ir.Table:
        s = sessions(ctx)
        per = s.group_by(["visitor", ctx.bucket(s.at).name("at")]).aggregate(
            customer_id=s.customer_id.max(), visits=s.count()
        )
        x = per.visits.cast("float64") if value == "visits" else (per.visits >= 2).cast("float64")
        return per.select("customer_id", "at", x=x)

    return frame


def _numeric_property(ctx: Context, t: ir.Table, name: str) -> ir.FloatingValue:
    return event_property(ctx.wh, t.properties, name).cast("float64")


def page_loads(ctx: Context) -> ir.Table:
    """Load times in milliseconds: the `property` of any page view or event that carries it."""
    ev = _events(ctx)
    ev = ev.mutate(x=_numeric_property(ctx, ev, str(ctx.options["property"])))
    return ev.filter(ev.x.notnull()).select("customer_id", "at", "x")


def tasks(value: str) -> Frame:
    """Task attempts: `event` events with a `success` property and a `duration_s` property (seconds)."""

    def frame(ctx: Context) -> ir.Table:
        ev = _events(ctx)
        ev = ev.filter(ev.event == str(ctx.options["event"]))
        if task := ctx.options.get("task"):
            ev = ev.filter(event_property(ctx.wh, ev.properties, "task") == str(task))
        success = event_property(ctx.wh, ev.properties, "success").lower().isin(["true", "1", "yes"])
        if value == "success":
            return ev.select("customer_id", "at", x=success.cast("float64"))
        ev = ev.mutate(x=_numeric_property(ctx, ev, "duration_s"))
        return ev.filter(success & ev.x.notnull()).select("customer_id", "at", "x")

    return frame


def adopters(ctx: Context) -> ir.Table:
    """One unit per active visitor and period: `x` is 1 for one first seen in that period (or who used `feature`)."""
    all_events = ctx.table("events").filter(ibis._.type != "identify")
    all_events = all_events.mutate(visitor=all_events.customer_id.fill_null(all_events.anonymous_id))
    ev = ctx.in_range(all_events.mutate(at=all_events.timestamp))
    active = ev.group_by(["visitor", ctx.bucket(ev.at).name("at")]).aggregate(
        customer_id=ev.customer_id.max(), used=(ev.event == str(ctx.options.get("feature") or "")).any()
    )
    if ctx.options.get("feature"):
        return active.select("customer_id", "at", x=active.used.cast("float64"))
    first = all_events.group_by("visitor").aggregate(first_at=all_events.timestamp.min())
    first = first.mutate(first_bucket=ctx.bucket(first.first_at))
    t = active.join(first, "visitor")
    new = t.first_bucket == t.at if ctx.spec.period else t.first_at >= _start_or_epoch(ctx)
    return t.select("customer_id", "at", x=new.cast("float64"))


def _start_or_epoch(ctx: Context) -> ir.TimestampValue:
    start = ctx.spec.start.replace(tzinfo=None) if ctx.spec.start else datetime(1970, 1, 1)
    return ibis.literal(start).cast("timestamp")


# -- retention and churn -------------------------------------------------------------------------------------------
def _activity_days(ctx: Context, since: datetime | None, until: datetime | None) -> ir.Table:
    """Distinct (customer, day) with any event, order or survey response: what 'active' means by default."""
    parts = []
    for name, column in (("events", "timestamp"), ("orders", "ordered_at"), ("responses", "submitted_at")):
        t = ctx.table(name)
        t = t.filter(t.customer_id.notnull())
        if since is not None:
            t = t.filter(t[column] >= since)
        if until is not None:
            t = t.filter(t[column] < until)
        parts.append(t.select("customer_id", day=t[column].truncate("D")))
    return ibis.union(*parts, distinct=True)


def boundaries(ctx: Context, last_data: datetime | None) -> list[datetime]:
    """Period starts from `start` to `end` (or the data's end), plus the end: churn is measured between them."""
    end = ctx.spec.end.replace(tzinfo=None) if ctx.spec.end else last_data
    if end is None:
        return []
    start = ctx.spec.start.replace(tzinfo=None) if ctx.spec.start else None
    if ctx.spec.period is None:
        return [start or end - timedelta(days=30), end]
    step = {"day": timedelta(days=1), "week": timedelta(weeks=1)}.get(ctx.spec.period)
    first = _truncate(start or end - timedelta(days=365), ctx.spec.period)
    if start is not None and first < start:
        first = _advance(first, ctx.spec.period, step)
    out = [first]
    while (nxt := _advance(out[-1], ctx.spec.period, step)) <= end:
        out.append(nxt)
    return out


def _truncate(ts: datetime, period: str) -> datetime:
    day = datetime(ts.year, ts.month, ts.day)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _advance(ts: datetime, period: str, step: timedelta | None) -> datetime:
    if step is not None:
        return ts + step
    return (ts.replace(day=1) + timedelta(days=32)).replace(day=1)


def _boundary_table(points: list[datetime]) -> ir.Table:
    return ibis.memtable({"t": points, "t_next": [*points[1:], None]}, schema={"t": "timestamp", "t_next": "timestamp"})


def _last_activity(ctx: Context) -> datetime | None:
    """The day after the newest activity: the default end when `end` is not given."""
    newest = _activity_days(ctx, None, None).day.max().execute()
    if newest is None or newest != newest:
        return None
    return _as_datetime(newest) + timedelta(days=1)


def _as_datetime(value: Any) -> datetime:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(f"not an instant: {value!r}")


def churned(ctx: Context) -> ir.Table:
    """Customers active at each period's start, `x` = 1 for those no longer active at its end.

    Active means: with activity in the `window_days` before the instant; or, with `status_trait`, whose latest status
    before the instant is one of `active_values`.
    """
    points = boundaries(ctx, _last_activity(ctx) if ctx.spec.end is None else None)
    if len(points) < 2:
        return ibis.memtable(
            {"customer_id": [], "at": [], "x": []}, schema={"customer_id": "string", "at": "timestamp", "x": "float64"}
        )
    b = _boundary_table(points)
    active = _active_at_status(ctx, b) if ctx.options.get("status_trait") else _active_at_window(ctx, points, b)
    # Still active at the period's end iff the customer's next active instant is that end: one pass, no self-join.
    following = active.t.lead().over(ibis.window(group_by=active.customer_id, order_by=active.t))
    active = active.mutate(kept=following.notnull() & (following == active.t_next))
    starts = active.filter(active.t_next.notnull())
    return starts.select(customer_id=starts.customer_id, at=starts.t, x=(~starts.kept).cast("float64"))


def _active_at_window(ctx: Context, points: list[datetime], b: ir.Table) -> ir.Table:
    window = timedelta(days=int(ctx.options["window_days"]))
    days = _activity_days(ctx, points[0] - window, points[-1])
    # A customer is active at t with a day of activity in [t - window, t).
    j = days.join(b, (days.day < b.t) & (days.day >= b.t - ibis.interval(days=window.days)))
    return j.select("customer_id", "t", "t_next").distinct()


def _active_at_status(ctx: Context, b: ir.Table) -> ir.Table:
    ident = ctx.table("identities")
    ident = ident.filter(ident.trait == str(ctx.options["status_trait"]))
    j = ident.join(b, ident.observed_at < b.t)
    latest = j.group_by(["customer_id", "t", "t_next"]).aggregate(status=j.value.argmax(j.observed_at))
    actives = ctx.option_list("active_values") or ["active"]
    return latest.filter(latest.status.isin(actives)).select("customer_id", "t", "t_next")


def cohort_returns(ctx: Context) -> ir.Table:
    """One unit per customer in the cohort of their first activity: `x` = 1 when active `offset` periods later."""
    period = ctx.spec.period or "month"
    days = _activity_days(ctx, None, None)
    idx = _period_index(days.day, period)
    days = days.mutate(p=idx, at=days.day.truncate(PERIOD_UNIT[period]))
    first = days.group_by("customer_id").aggregate(p0=days.p.min(), at=days.at.min())
    last = days.p.max().as_scalar()
    offset = int(ctx.options["offset"])
    back = days.select("customer_id", p_back=days.p).distinct()
    t = first.filter(first.p0 + offset <= last)  # cohorts that have not reached the offset yet are left out
    j = t.left_join(back, (t.customer_id == back.customer_id) & (back.p_back == t.p0 + offset))
    out = j.select(customer_id=t.customer_id, at=t.at, x=j.p_back.notnull().cast("float64"))
    return ctx.in_range(out)


def _period_index(ts: ir.TimestampValue, period: str) -> ir.IntegerValue:
    """Whole periods since 1970: days, ISO weeks or months (so `first + offset` is simple arithmetic)."""
    if period == "month":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    length = 86_400 if period == "day" else 604_800
    shift = 0 if period == "day" else 3 * 86_400  # 1970-01-01 was a Thursday; weeks start on Monday
    return ((seconds(ts) + shift) / length).floor().cast("int64")


# -- support -------------------------------------------------------------------------------------------------------
def ticket_units(value: str) -> Frame:
    """Tickets by the instant they were opened, `x` in hours, as a first-contact-resolution flag, or the CSAT score;
    they break down by `channel`, `touchpoint` and `agent`."""

    def frame(ctx: Context) -> ir.Table:
        t = ctx.table("tickets")
        t = ctx.in_range(t.mutate(at=t.created_at))
        opened = seconds(t.created_at)
        if value == "first_response":
            t = t.filter(t.first_response_at.notnull())
            x = (seconds(t.first_response_at) - opened) / 3600
        elif value == "resolution":
            t = t.filter(t.resolved_at.notnull())
            x = (seconds(t.resolved_at) - opened) / 3600
        elif value == "csat":
            t = t.filter(t.resolved_at.notnull() & t.csat.notnull())
            x = t.csat
        else:
            t = t.filter(t.resolved_at.notnull())
            x = ((t.contacts.fill_null(1) <= 1) & ~t.reopened.fill_null(False)).cast("float64")
        return t.select("customer_id", "channel", "touchpoint", "at", agent=_agent(t), x=x.cast("float64"))

    return frame


def _agent(t: ir.Table) -> ir.StringValue:
    """The ticket's agent; null on a backend whose tickets table predates the column (read as it is)."""
    return t.agent if "agent" in t.columns else ibis.null("string")


def backlog(ctx: Context) -> ir.Table:
    """Tickets open at the end of each period (or at `end`), with their age then (0-1d, 1-3d, 3-7d, 7-30d, 30d+) and
    their agent."""
    t = ctx.table("tickets")
    end = ctx.spec.end.replace(tzinfo=None) if ctx.spec.end else None
    if end is None:
        newest = t.created_at.max().execute()
        end = None if newest is None or newest != newest else _as_datetime(newest) + timedelta(seconds=1)
    if end is None:
        raise ValidationFailed("backlog needs tickets or an `end`")
    if ctx.spec.period:
        points = boundaries(ctx, end)
        pairs = list(zip(points[:-1], points[1:], strict=True))  # each period reports the backlog at its end
    else:
        pairs = [(datetime(1970, 1, 1), end)]
    b = ibis.memtable(
        {"at": [p for p, _ in pairs], "t": [e for _, e in pairs]}, schema={"at": "timestamp", "t": "timestamp"}
    )
    j = t.join(b, (t.created_at < b.t) & (t.resolved_at.isnull() | (t.resolved_at >= b.t)))
    age_days = (seconds(j.t) - seconds(j.created_at)) / 86_400
    age = ibis.cases(*((age_days < limit, label) for limit, label in AGE_BUCKETS), else_="30d+")
    return j.select("customer_id", "channel", "touchpoint", at=j.at, age=age, agent=_agent(j), x=ibis.literal(1.0))
