"""Retention cohorts: customers grouped by the period of their first event, and the share back in each later period.

A customer joins the cohort of the day, ISO week (Monday) or month of their first `start_event` (any event when
not given); they are back in period p when they do a `return_event` (any event when not given) in the p-th
period after their cohort's. Periods are calendar periods in UTC, as in most product-analytics tools.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

from suara.journeys.funnel import CUSTOMER, journey_events
from suara.store.warehouse import Warehouse

Period = Literal["day", "week", "month"]
_UNIT = {"day": "D", "week": "W", "month": "M"}
_SECONDS = {"day": 86_400, "week": 604_800}


class RetentionSpec(BaseModel):
    """Who enters a cohort, what counts as coming back, the period and how many periods to follow."""

    model_config = ConfigDict(extra="forbid")

    start_event: str | None = Field(None, description="The event that enters a customer in a cohort (default: any).")
    return_event: str | None = Field(None, description="The event that counts as coming back (default: any).")
    period: Period = Field("week", description="Cohorts and returns by day, ISO week or calendar month (UTC).")
    periods: int = Field(8, ge=1, le=104, description="Periods to follow after the cohort's own.")
    start: datetime | None = Field(None, description="Use events at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Use events before this instant (UTC); also the horizon.")


class Cohort(BaseModel):
    cohort: date = Field(description="First day of the cohort's period.")
    size: int = Field(description="Customers whose first start event falls in the period.")
    returned: list[int | None] = Field(
        description="Customers back in periods 0..N (period 0 is the cohort itself); None once past the data."
    )
    shares: list[float | None] = Field(description="returned / size in percent; None once past the data.")


class RetentionResult(BaseModel):
    period: str
    periods: int
    cohorts: list[Cohort]
    average: list[float | None] = Field(
        description="Share back in each period over every cohort that has reached it, weighted by cohort size."
    )


def _period_index(ts: ir.TimestampValue, period: Period) -> ir.IntegerValue:
    """Whole periods since 1970 of a truncated instant: days, weeks or months."""
    if period == "month":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    # Truncated instants are whole periods apart, so flooring keeps their differences exact.
    return (ts.epoch_seconds() / _SECONDS[period]).floor().cast("int64")


def cohort_table(wh: Warehouse, workspace_id: str, spec: RetentionSpec) -> tuple[ir.Table, ir.Table]:
    """(sizes: cohort, size) and (returns: cohort, offset 1..N, returned), as Ibis expressions."""
    ev = journey_events(wh, workspace_id, (), spec.start, spec.end)
    unit = _UNIT[spec.period]
    starts = ev if spec.start_event is None else ev.filter(ev.event == spec.start_event)
    firsts = starts.group_by(CUSTOMER).aggregate(_first=lambda t: t.ts.min())
    firsts = firsts.mutate(cohort=firsts._first.truncate(unit))
    firsts = firsts.mutate(_c=_period_index(firsts.cohort, spec.period))
    back = ev if spec.return_event is None else ev.filter(ev.event == spec.return_event)
    back = back.select(CUSTOMER, _p=back.ts.truncate(unit)).distinct()
    back = back.mutate(_p=_period_index(back._p, spec.period))
    joined = back.join(firsts, CUSTOMER)
    joined = joined.mutate(offset=joined._p - joined._c)
    joined = joined.filter((joined.offset >= 1) & (joined.offset <= spec.periods))
    sizes = firsts.group_by("cohort").aggregate(size=lambda t: t.count())
    returns = joined.group_by(["cohort", "offset"]).aggregate(returned=lambda t: t.count())
    return sizes, returns


def run_retention(wh: Warehouse, workspace_id: str, spec: RetentionSpec) -> RetentionResult:
    """The cohort matrix: size and share back in periods 1..N for each cohort, plus the weighted average."""
    sizes_expr, returns_expr = cohort_table(wh, workspace_id, spec)
    sizes = {_day(r["cohort"]): int(r["size"]) for r in sizes_expr.to_pyarrow().to_pylist()}
    returns: dict[tuple[date, int], int] = {
        (_day(r["cohort"]), int(r["offset"])): int(r["returned"]) for r in returns_expr.to_pyarrow().to_pylist()
    }
    horizon = _horizon(wh, workspace_id, spec)
    cohorts = []
    for start in sorted(sizes):
        size = sizes[start]
        counts: list[int | None] = [size]
        shares: list[float | None] = [100.0]
        for p in range(1, spec.periods + 1):
            observed = horizon is not None and _shift(start, p, spec.period) < horizon
            got = returns.get((start, p), 0) if observed else None
            counts.append(got)
            shares.append(None if got is None else 100 * got / size)
        cohorts.append(Cohort(cohort=start, size=size, returned=counts, shares=shares))
    average: list[float | None] = []
    for p in range(spec.periods + 1):
        seen = [c for c in cohorts if c.returned[p] is not None]
        total = sum(c.size for c in seen)
        average.append(100 * sum(c.returned[p] or 0 for c in seen) / total if total else None)
    return RetentionResult(period=spec.period, periods=spec.periods, cohorts=cohorts, average=average)


def _horizon(wh: Warehouse, workspace_id: str, spec: RetentionSpec) -> datetime | None:
    """The end of the data: periods starting at or after it have not been observed yet."""
    if spec.end is not None:
        return spec.end.replace(tzinfo=None)
    ev = journey_events(wh, workspace_id, (), spec.start, None)
    last: Any = ev.ts.max().execute()
    if last is None or last != last:  # no events: None or NaT
        return None
    return last.to_pydatetime() if hasattr(last, "to_pydatetime") else last


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _shift(start: date, periods: int, period: Period) -> datetime:
    """The first instant of the period `periods` after the one starting on `start`."""
    if period == "month":
        months = start.year * 12 + start.month - 1 + periods
        return datetime(months // 12, months % 12 + 1, 1)
    days = periods if period == "day" else 7 * periods
    return datetime.combine(start + timedelta(days=days), datetime.min.time())
