"""Metric runner on DuckDB and Spark: golden NPS, intervals, breakdowns by trait and field, periods, changes."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suara.errors import UnknownField, UnknownMetric
from suara.metrics import MetricSpec, run_metric
from suara.metrics import stats as S
from tests.conftest import identify, response
from tests.parity import duckdb_warehouse, fact_tables, same_on_every_engine, warehouse_on

WS = "ws_test"


def nps_week(day: str, promoters: int, passives: int, detractors: int, start: int) -> list[dict[str, Any]]:
    scores = [10] * promoters + [7] * passives + [3] * detractors
    return [response(f"c{start + i}", day, nps=s) for i, s in enumerate(scores)]


GOLDEN = fact_tables(WS, nps_week("2026-03-02", 200, 150, 150, 0) + nps_week("2026-03-09", 260, 120, 120, 1000))


def test_golden_nps_and_weekly_change(engine: str) -> None:
    wh = warehouse_on(engine, GOLDEN)
    result = run_metric(wh, WS, MetricSpec(metric="nps", period="week"))
    first, second = result.series
    assert first.key == {"period": "2026-03-02"} and first.n == 500
    assert first.value == pytest.approx(10.0)
    adjusted, se = S.nps_adjusted(200, 150, 500)
    assert (first.ci_low, first.ci_high) == pytest.approx(
        (adjusted - 1.959964 * se, adjusted + 1.959964 * se), abs=1e-4
    )
    assert second.value == pytest.approx(28.0)
    assert second.change is not None and second.change.p_value == pytest.approx(0.000607, abs=5e-7)
    assert second.change.delta == pytest.approx(18.0) and second.change.significant
    assert result.change == second.change
    assert result.n == 1000 and result.value == pytest.approx(19.0)


def _mixed() -> dict[str, Any]:
    rng = random.Random(11)
    docs, events = [], []
    for i in range(400):
        cust = f"c{i % 120}"
        day = f"2026-0{1 + i % 3}-{1 + i % 27:02d}"
        docs.append(
            response(
                cust,
                day,
                nps=rng.randint(0, 10),
                csat=rng.randint(1, 5),
                ces=rng.randint(1, 7),
                touchpoint=rng.choice(["delivery", "support"]),
                fields={"partner": rng.choice(["A", "B", "C"])} if i % 4 else {},
            )
        )
    for c in range(120):
        events.append(identify(f"c{c}", "2025-12-01", segment="vip" if c % 3 == 0 else "regular"))
    # A later identify changes some customers' segment: the latest trait wins.
    events += [identify(f"c{c}", "2026-02-01", segment="at_risk") for c in range(0, 120, 10)]
    return fact_tables(WS, docs, events)


MIXED = _mixed()
SPECS = [
    MetricSpec(metric="nps"),
    MetricSpec(metric="csat", by=["segment"]),
    MetricSpec(metric="csat_mean", period="month"),
    MetricSpec(metric="ces", by=["touchpoint", "partner"], period="month"),
    MetricSpec(metric="nps", by=["segment"], period="week", filters={"touchpoint": ["delivery"]}),
    MetricSpec(metric="nps", period="day", start="2026-02-01T00:00:00Z", end="2026-03-01T00:00:00Z"),
]


@pytest.mark.spark
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.metric}-{'-'.join(s.by)}-{s.period}")
def test_duckdb_and_spark_agree(spec: MetricSpec) -> None:
    from tests.conftest import need_service
    from tests.parity import spark_available

    need_service(spark_available(), "Java and PySpark")
    same_on_every_engine(MIXED, lambda wh: run_metric(wh, WS, spec))


def _frame(tables: dict[str, Any]) -> pd.DataFrame:
    """An independent pandas computation: answers joined to responses and to the latest segment."""
    ans = tables["answers"].to_pandas()
    resp = tables["responses"].to_pandas()
    ident = tables["identities"].to_pandas().sort_values("observed_at")
    latest = ident[ident.trait == "segment"].groupby("customer_id").value.last().rename("segment")
    fields = tables["response_fields"].to_pandas()
    partner = fields[fields.name == "partner"].set_index("response_id").value.rename("partner")
    df = ans.merge(resp, on=["workspace_id", "response_id"])
    return df.join(latest, on="customer_id").join(partner, on="response_id")


def test_breakdown_by_latest_trait_matches_pandas(engine: str) -> None:
    wh = warehouse_on(engine, MIXED)
    result = run_metric(wh, WS, MetricSpec(metric="csat", by=["segment"]))
    df = _frame(MIXED)
    csat = df[df.kind == "csat"]
    assert set(csat.segment) == {"vip", "regular", "at_risk"}
    for group in result.groups:
        sub = csat[csat.segment == group.key["segment"]]
        assert group.n == len(sub)
        assert group.value == pytest.approx(100 * (sub.number >= 4).mean(), rel=1e-12)


def test_breakdown_by_response_field_keeps_missing_as_none(engine: str) -> None:
    wh = warehouse_on(engine, MIXED)
    result = run_metric(wh, WS, MetricSpec(metric="ces", by=["partner"]))
    df = _frame(MIXED)
    ces = df[df.kind == "ces"]
    got = {g.key["partner"]: (g.n, g.value) for g in result.groups}
    assert got[None][0] == int(ces.partner.isna().sum())
    for partner in "ABC":
        sub = ces[ces.partner == partner]
        assert got[partner][0] == len(sub)
        assert got[partner][1] == pytest.approx(sub.number.mean(), rel=1e-12)


def test_unknown_metric_and_field() -> None:
    wh = duckdb_warehouse(MIXED)
    with pytest.raises(UnknownMetric):
        run_metric(wh, WS, MetricSpec(metric="nope"))
    with pytest.raises(UnknownField):
        run_metric(wh, WS, MetricSpec(metric="nps", by=["shoe_size"]))


def test_other_workspace_sees_nothing() -> None:
    result = run_metric(duckdb_warehouse(MIXED), "ws_other", MetricSpec(metric="nps", by=["segment"]))
    assert result.n == 0 and result.value is None and result.groups == []


def test_low_n_flag() -> None:
    tables = fact_tables(WS, [response(f"c{i}", "2026-01-05", nps=9) for i in range(29)])
    assert run_metric(duckdb_warehouse(tables), WS, MetricSpec(metric="nps")).low_n
    tables = fact_tables(WS, [response(f"c{i}", "2026-01-05", nps=9) for i in range(30)])
    assert not run_metric(duckdb_warehouse(tables), WS, MetricSpec(metric="nps")).low_n


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10), min_size=1, max_size=80))
def test_nps_equals_direct_count(scores: list[int]) -> None:
    tables = fact_tables(WS, [response(f"c{i}", "2026-01-05", nps=s) for i, s in enumerate(scores)])
    result = run_metric(duckdb_warehouse(tables), WS, MetricSpec(metric="nps"))
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    assert result.n == len(scores)
    assert result.value == pytest.approx(100 * (promoters - detractors) / len(scores))
    assert result.ci_low is not None and result.ci_high is not None and result.ci_low <= result.ci_high
