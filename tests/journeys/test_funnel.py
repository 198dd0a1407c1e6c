"""Funnels: ClickHouse's windowFunnel (through chdb) on the ecom clickstream and on random sequences, DuckDB/Spark
parity, conversions, median times, customers who dropped, and edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from suara.errors import UnknownField
from suara.journeys import FunnelSpec, funnel_customers, run_funnel
from suara.journeys.funnel import breakdown_fields, funnel_levels
from suara.store.warehouse import Warehouse, to_arrow
from tests.journeys.conftest import ECOM, ECOM_STEPS, WS, journeys_for
from tests.parity import duckdb_warehouse, same_on_every_engine

# The ecom file read by chdb itself, so the reference shares nothing with suara's loading.
ECOM_SOURCE = (
    "(SELECT user_id, event, platform, toDateTime(timestamp, 'UTC') AS timestamp FROM file("
    f"'{ECOM}', 'CSVWithNames', 'user_id String, session_id String, event String, timestamp String, "
    "platform String, acquisition_channel String, user_cohort String, user_lifecycle String'))"
)


@pytest.fixture
def chdb() -> Any:
    """ClickHouse in process: the reference for windowFunnel (a dev dependency)."""
    return pytest.importorskip("chdb")


def window_funnel(
    chdb: Any, source: str, customer: str, steps: list[str], window: int, strict: bool, by: str = ""
) -> dict:
    """{(customer, by value): level} from ClickHouse's windowFunnel, levels >= 1 only."""
    conds = ", ".join(f"event = '{s}'" for s in steps)
    mode = ", 'strict_order'" if strict else ""
    key = f"{customer}, {by}" if by else customer
    sql = (
        f"SELECT {key}, windowFunnel({window}{mode})(timestamp, {conds}) AS level FROM {source} "
        f"GROUP BY {key} HAVING level > 0 FORMAT JSONEachRow"
    )
    rows = [json.loads(line) for line in chdb.query(sql, "JSONEachRow").data().splitlines() if line.strip()]
    return {(r[customer], r[by]) if by else r[customer]: int(r["level"]) for r in rows}


def suara_levels(wh: Warehouse, spec: FunnelSpec) -> dict:
    rows = funnel_levels(wh, WS, spec).to_pyarrow().to_pylist()
    return {
        (r["customer"], *[r[f] for f in spec.by]) if spec.by else r["customer"]: r["level"] for r in rows if r["level"]
    }


@pytest.mark.parametrize("order", ["loose", "strict"])
@pytest.mark.parametrize("window", [3_600, 86_400])
def test_ecom_levels_match_window_funnel(chdb: Any, ecom: Warehouse, window: int, order: str) -> None:
    spec = FunnelSpec(steps=ECOM_STEPS, window=window, order=order)
    theirs = window_funnel(chdb, ECOM_SOURCE, "user_id", ECOM_STEPS, window, order == "strict")
    assert suara_levels(ecom, spec) == theirs
    counts = [s.count for s in run_funnel(ecom, WS, spec).steps]
    assert counts == [sum(level >= k for level in theirs.values()) for k in range(1, 6)]
    assert counts[-1] > 0 if order == "loose" else counts[1] > 0  # the funnel is not trivially empty


def test_ecom_breakdown_by_event_property_matches_window_funnel(chdb: Any, ecom: Warehouse) -> None:
    spec = FunnelSpec(steps=ECOM_STEPS, window="1d", by=["platform"])
    theirs = window_funnel(chdb, ECOM_SOURCE, "user_id", ECOM_STEPS, 86_400, False, by="platform")
    assert suara_levels(ecom, spec) == theirs
    groups = {g.key["platform"]: [s.count for s in g.steps] for g in run_funnel(ecom, WS, spec).groups}
    assert set(groups) == {"desktop", "mobile", "tablet"}
    for platform, counts in groups.items():
        mine = [lvl for (_, p), lvl in theirs.items() if p == platform]
        assert counts == [sum(lvl >= k for lvl in mine) for k in range(1, 6)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_match_window_funnel(chdb: Any, tmp_path: Path, seed: int) -> None:
    """Dense random sequences with many ties and other events in between, against windowFunnel."""
    rng = np.random.default_rng(seed)
    n = 6_000
    names = np.array(["a", "b", "c", "d", "x", "y"])
    base = np.datetime64("2026-03-01T00:00:00", "s")
    customer = rng.integers(0, 300, n)
    seconds = rng.integers(0, 120, n) * 10  # ten-second grid: many events share an instant
    event = names[rng.choice(6, n, p=[0.25, 0.2, 0.2, 0.15, 0.1, 0.1])]
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {"c": [f"u{i}" for i in customer], "event": event, "timestamp": (base + seconds).astype("datetime64[s]")}
        ),
        path,
    )
    rows = {
        "workspace_id": [WS] * n,
        "event_id": [f"e{i}" for i in range(n)],
        "type": ["track"] * n,
        "event": event.tolist(),
        "customer_id": [f"u{i}" for i in customer],
        "anonymous_id": [None] * n,
        "timestamp": (base + seconds).astype("datetime64[us]").tolist(),
        "properties": ["{}"] * n,
        "ingested_at": (base + seconds).astype("datetime64[us]").tolist(),
    }
    wh = duckdb_warehouse({"events": to_arrow("events", rows)})
    source = f"(SELECT c, event, toDateTime(timestamp, 'UTC') AS timestamp FROM file('{path}', Parquet))"
    for window in (60, 300):
        for strict in (False, True):
            spec = FunnelSpec(steps=["a", "b", "c", "d"], window=window, order="strict" if strict else "loose")
            theirs = window_funnel(chdb, source, "c", spec.steps, window, strict)
            assert suara_levels(wh, spec) == theirs, (window, strict)


PEOPLE = {
    # a, b, c within minutes; an unrelated event between b and c (fine loose, stops strict order)
    "ana": [("a", "2026-01-05 10:00:00"), ("b", "2026-01-05 10:01:00"), ("x", "2026-01-05 10:02:00"),
            ("c", "2026-01-05 10:04:00")],
    # b comes 30 s after a, c only the next day (outside a one-hour window)
    "bob": [("a", "2026-01-05 10:00:00"), ("b", "2026-01-05 10:00:30"), ("c", "2026-01-06 12:00:00")],
    # c before b: in strict order the funnel stops at c; loose order waits for b and then c
    "cem": [("a", "2026-01-05 09:00:00"), ("c", "2026-01-05 09:00:10"), ("b", "2026-01-05 09:00:20"),
            ("c", "2026-01-05 09:00:40")],
    # b and a at the same second: ties count as in order
    "dia": [("b", "2026-01-07 08:00:00"), ("a", "2026-01-07 08:00:00")],
    # a second attempt succeeds: the first a is too long before c, the later one is not
    "eva": [("a", "2026-01-08 08:00:00"), ("b", "2026-01-08 08:10:00"), ("a", "2026-01-08 10:00:00"),
            ("b", "2026-01-08 10:00:05"), ("c", "2026-01-08 10:00:15")],
    "fay": [("b", "2026-01-09 08:00:00"), ("c", "2026-01-09 08:00:10")],  # never starts
}  # fmt: skip
TRAITS = {"ana": {"plan": "pro"}, "bob": {"plan": "pro"}, "cem": {"plan": "free"}, "eva": {"plan": "free"}}
SMALL = journeys_for(PEOPLE, TRAITS)


def test_small_funnel_by_hand() -> None:
    wh = duckdb_warehouse(SMALL)
    loose = run_funnel(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h"))
    assert [s.count for s in loose.steps] == [5, 5, 3]  # ana, cem, eva reach c; bob's c is a day late
    assert [s.dropped for s in loose.steps] == [0, 0, 2]
    # First arrival at b, from the last a before it: ana 60, bob 30, cem 20, dia 0, eva 600 s (8:00 to 8:10);
    # at c: ana 180, cem 20, eva 10 s.
    assert [s.median_seconds for s in loose.steps] == [None, 30.0, 20.0]
    third = loose.steps[2].from_previous
    assert third.value == pytest.approx(60.0)
    assert third.ci_low == pytest.approx(23.07, abs=0.01) and third.ci_high == pytest.approx(88.24, abs=0.01)
    strict = run_funnel(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h", order="strict"))
    assert [s.count for s in strict.steps] == [5, 4, 1]  # ana stops at x, cem at the early c; eva alone gets to c
    assert funnel_customers(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h"), 3) == ["bob", "dia"]
    assert funnel_customers(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h"), 3, dropped=False) == [
        "ana",
        "cem",
        "eva",
    ]


def test_duckdb_and_spark_agree(spark: None) -> None:
    specs = [
        FunnelSpec(steps=["a", "b", "c"], window=3_600, by=["plan"]),
        FunnelSpec(steps=["a", "b", "c"], window=600, order="strict"),
    ]

    def analysis(wh: Warehouse) -> list[dict[str, Any]]:
        return [run_funnel(wh, WS, s).model_dump(mode="json") for s in specs]

    loose, strict = same_on_every_engine(SMALL, analysis)
    assert [g["key"]["plan"] for g in loose["groups"]] == ["free", "pro", None]
    assert [s["count"] for s in strict["steps"]] == [5, 4, 1]


def test_a_step_that_never_happens() -> None:
    wh = duckdb_warehouse(SMALL)
    result = run_funnel(wh, WS, FunnelSpec(steps=["a", "never", "c"], window="1d"))
    assert [s.count for s in result.steps] == [5, 0, 0]
    never, after = result.steps[1], result.steps[2]
    assert never.from_previous.value == 0.0 and never.from_previous.ci_high == pytest.approx(43.45, abs=0.01)
    assert after.from_previous.value is None and after.from_first.value == 0.0
    assert never.median_seconds is None


def test_one_customer() -> None:
    wh = duckdb_warehouse(journeys_for({"ana": PEOPLE["ana"]}))
    result = run_funnel(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h"))
    assert [s.count for s in result.steps] == [1, 1, 1]
    assert result.steps[2].from_first.value == 100.0 and result.steps[2].median_seconds == 180.0


def test_a_one_step_funnel_counts_who_did_it() -> None:
    wh = duckdb_warehouse(SMALL)
    loose = run_funnel(wh, WS, FunnelSpec(steps=["a", "b", "c"], window="1h"))
    one = run_funnel(wh, WS, FunnelSpec(steps=["a"], window="1h"))
    assert [s.count for s in one.steps] == [loose.steps[0].count] and one.steps[0].median_seconds is None
    strict = run_funnel(wh, WS, FunnelSpec(steps=["a"], window="1h", order="strict"))
    assert [s.count for s in strict.steps] == [loose.steps[0].count]


def test_empty_workspace() -> None:
    wh = Warehouse.open_duckdb()
    result = run_funnel(wh, WS, FunnelSpec(steps=["a", "b"], by=["plan"]))
    assert [s.count for s in result.steps] == [0, 0] and result.groups == []
    assert result.steps[0].from_previous.value is None and result.steps[1].median_seconds is None
    assert funnel_customers(wh, WS, FunnelSpec(steps=["a", "b"]), 2) == []


def test_unknown_breakdown_field() -> None:
    with pytest.raises(UnknownField):
        run_funnel(duckdb_warehouse(SMALL), WS, FunnelSpec(steps=["a", "b"], by=["colour"]))


def test_breakdown_fields_offer_traits_and_label_properties_that_a_funnel_accepts() -> None:
    props = {"platform": "ios", "order_id": "o1", "amount": 12.5, "meta": {"x": 1}, "promo": True}
    people = {"ana": [("a", "2026-01-05 10:00:00", props), ("b", "2026-01-05 10:01:00", {"platform": "web"})],
              "bob": [("a", "2026-01-05 11:00:00")]}  # fmt: skip
    wh = duckdb_warehouse(journeys_for(people, {"ana": {"plan": "pro"}, "bob": {"plan": "free"}}))
    fields = breakdown_fields(wh, WS)
    # numbers, ids and nested objects would give one group per customer: not offered
    assert fields == {"traits": ["plan"], "properties": ["platform", "promo"]}
    for field in [*fields["traits"], *fields["properties"]]:
        assert run_funnel(wh, WS, FunnelSpec(steps=["a", "b"], by=[field])).groups
    assert breakdown_fields(duckdb_warehouse(journeys_for({})), WS) == {"traits": [], "properties": []}


def test_spec_reads_durations_and_refuses_repeats() -> None:
    assert FunnelSpec(steps=["a"], window="1d").window == 86_400
    assert FunnelSpec(steps=["a"], window="30m").window == 1_800 and FunnelSpec(steps=["a"], window=90).window == 90
    bad_specs: list[dict[str, Any]] = [
        {"window": "soon"},
        {"window": "9999d"},
        {"steps": ["a", "b", "a"]},
        {"steps": []},
    ]
    for bad in bad_specs:
        with pytest.raises(ValidationError):
            FunnelSpec(**{"steps": ["a", "b"], **bad})
