"""Retention cohorts against an independent pandas computation on the ecom clickstream, by hand, and on Spark."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from suara.journeys import RetentionSpec, run_retention
from suara.store.warehouse import Warehouse
from tests.journeys.conftest import WS, ecom_frame, journeys_for
from tests.parity import duckdb_warehouse, same_on_every_engine


def period_start(ts: pd.Series, period: str) -> pd.Series:
    if period == "week":
        day = ts.dt.normalize()
        return day - pd.to_timedelta(day.dt.dayofweek, unit="D")
    return ts.dt.to_period("M").dt.start_time


def pandas_retention(
    df: pd.DataFrame, period: str, periods: int, start_event: str | None, return_event: str | None
) -> tuple[dict[date, int], dict[tuple[date, int], int]]:
    """Cohort sizes and customers back per (cohort, offset), computed with pandas alone."""
    starts = df if start_event is None else df[df.event == start_event]
    first = starts.groupby("customer_id").timestamp.min()
    cohort = period_start(first, period).rename("cohort")
    back = df if return_event is None else df[df.event == return_event]
    back = back.assign(p=period_start(back.timestamp, period))[["customer_id", "p"]].drop_duplicates()
    back = back.join(cohort, on="customer_id", how="inner")
    if period == "week":
        offset = (back.p - back.cohort).dt.days // 7
    else:
        offset = (back.p.dt.year * 12 + back.p.dt.month) - (back.cohort.dt.year * 12 + back.cohort.dt.month)
    back = back.assign(offset=offset)
    back = back[(back.offset >= 1) & (back.offset <= periods)]
    returned = back.groupby(["cohort", "offset"]).size()
    sizes = cohort.value_counts()
    return (
        {c.date(): int(n) for c, n in sizes.items()},
        {(c.date(), int(o)): int(n) for (c, o), n in returned.items()},
    )


@pytest.mark.parametrize(
    ("period", "periods", "start_event", "return_event"),
    [("week", 6, None, None), ("month", 4, None, "purchase"), ("week", 4, "add_to_cart", "purchase")],
)
def test_ecom_matches_pandas(
    ecom: Warehouse, period: str, periods: int, start_event: str | None, return_event: str | None
) -> None:
    spec = RetentionSpec(period=period, periods=periods, start_event=start_event, return_event=return_event)  # type: ignore[arg-type]
    result = run_retention(ecom, WS, spec)
    df = ecom_frame()
    sizes, returned = pandas_retention(df, period, periods, start_event, return_event)
    assert {c.cohort: c.size for c in result.cohorts} == sizes
    horizon = df.timestamp.max()
    for c in result.cohorts:
        assert c.returned[0] == c.size and c.shares[0] == 100.0
        for p in range(1, periods + 1):
            start = pd.Timestamp(c.cohort) + (pd.DateOffset(months=p) if period == "month" else pd.Timedelta(weeks=p))
            if start >= horizon:
                assert c.returned[p] is None and c.shares[p] is None
            else:
                assert c.returned[p] == returned.get((c.cohort, p), 0), (c.cohort, p)
                assert c.shares[p] == pytest.approx(100 * returned.get((c.cohort, p), 0) / c.size)
    weekly_back = [s for c in result.cohorts for s in c.shares[1:] if s is not None]
    assert any(s > 0 for s in weekly_back)


PEOPLE = {
    "ana": [("signup", "2026-03-02 09:00:00"), ("visit", "2026-03-10 09:00:00"), ("visit", "2026-03-23 09:00:00")],
    "bob": [("signup", "2026-03-04 09:00:00"), ("visit", "2026-03-05 09:00:00")],
    "cem": [("visit", "2026-03-01 12:00:00"), ("signup", "2026-03-09 09:00:00"), ("visit", "2026-03-16 10:00:00")],
}


def test_small_cohorts_by_hand() -> None:
    wh = duckdb_warehouse(journeys_for(PEOPLE))
    result = run_retention(wh, WS, RetentionSpec(start_event="signup", return_event="visit", periods=3))
    by_cohort = {c.cohort: c for c in result.cohorts}
    march2, march9 = by_cohort[date(2026, 3, 2)], by_cohort[date(2026, 3, 9)]
    # ana and bob sign up in the week of Mar 2: ana is back in weeks +1 and +3, bob only in week 0.
    assert march2.size == 2 and march2.returned == [2, 1, 0, 1] and march2.shares == [100.0, 50.0, 0.0, 50.0]
    # cem signs up in the week of Mar 9 and is back the next week; week +3 starts after the last event.
    assert march9.returned == [1, 1, 0, None]
    assert result.average == [100.0, pytest.approx(200 / 3), 0.0, 50.0]
    anyone = run_retention(wh, WS, RetentionSpec(period="day", periods=1))
    assert [c.cohort for c in anyone.cohorts] == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4)]


def test_empty_workspace() -> None:
    result = run_retention(Warehouse.open_duckdb(), WS, RetentionSpec())
    assert result.cohorts == [] and result.average == [None] * 9


def test_duckdb_and_spark_agree(spark: None) -> None:
    def analysis(wh: Warehouse) -> dict[str, Any]:
        spec = RetentionSpec(start_event="signup", return_event="visit", period="week", periods=3)
        return run_retention(wh, WS, spec).model_dump(mode="json")

    result = same_on_every_engine(journeys_for(PEOPLE), analysis)
    assert [c["size"] for c in result["cohorts"]] == [2, 1]
