"""Journey maps against a brute-force plain-Python computation on a small hand-built warehouse, scores against
run_metric, the friction bootstrap reproduced by hand, DuckDB/Spark parity, and the demo's default journey."""

from __future__ import annotations

import json
import math
import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError
from scipy.stats import norm
from typer.testing import CliRunner

from suara.journeys.maps import (
    BOOTSTRAP_CHUNK,
    JourneySpec,
    arrivals,
    default_journey,
    run_journey_map,
)
from suara.metrics import MetricSpec, run_metric
from suara.store.warehouse import FACTS, Warehouse, to_arrow
from tests.conftest import response
from tests.parity import duckdb_warehouse, fact_tables, same_on_every_engine

WS = "ws_map"
T0 = datetime(2026, 3, 2)
STAGES = [["visit"], ["browse", "cart"], ["pay"], ["delivered"], ["ticket"]]
SPEC = {
    "stages": [
        {"name": "awareness", "touchpoints": [{"name": "visit", "events": ["visit"]}]},
        {
            "name": "consideration",
            "touchpoints": [
                {"name": "browse", "events": ["browse"], "feedback": ["product"]},
                {"name": "cart", "events": ["cart"], "surveys": ["cart"]},
            ],
        },
        {"name": "purchase", "touchpoints": [{"name": "pay", "events": ["pay"], "surveys": ["checkout"]}]},
        {
            "name": "delivery",
            "touchpoints": [
                {"name": "delivered", "events": ["delivered"], "surveys": ["delivery"], "feedback": ["delivery"]}
            ],
        },
        {
            "name": "support",
            "optional": True,
            "touchpoints": [
                {"name": "ticket", "events": ["ticket"], "surveys": ["support"], "feedback": ["support", "delivery"]}
            ],
        },
    ],
    "window": "3d",
    "samples": 200,
    "seed": 11,
}
SURVEY_TP = {"cart": "cart", "pay": "checkout", "delivered": "delivery", "ticket": "support"}


class World:
    """Events, responses, orders, enrichments and tickets as plain records, and their fact tables."""

    def __init__(self, seed: int = 3) -> None:
        rng = random.Random(seed)
        self.events: list[tuple[str, str, datetime]] = []  # customer, event, at
        self.answers: list[tuple[str, str, float]] = []  # touchpoint, kind, number
        self.orders: list[dict[str, Any]] = []
        self.enrich: list[dict[str, Any]] = []
        self.tickets: list[dict[str, Any]] = []
        docs, event_docs = [], []
        for i in range(45):
            c = f"c{i:02d}"
            at = T0 + timedelta(days=rng.randrange(20), seconds=rng.randrange(86_400))
            for stage, names in enumerate(STAGES):
                if stage == 4 and rng.random() < 0.5:
                    continue  # support is optional: skipped by half the customers
                if stage and stage < 4 and rng.random() < 0.25:
                    break  # dropped out
                for name in names if stage != 1 else rng.sample(names, rng.randint(1, 2)):
                    # Some arrive after the 3-day window: they count as dropped at the stage before.
                    at += timedelta(seconds=rng.choice([30, 600, 7_200, 86_400, 5 * 86_400]))
                    for _ in range(rng.randint(1, 2)):
                        self.events.append((c, name, at))
                        at += timedelta(seconds=rng.randrange(0, 3_600))
                if stage == 2:
                    for n in range(rng.randint(1, 3)):
                        paid = rng.random() > 0.1
                        self.orders.append({"order_id": f"{c}-o{n}", "customer_id": c, "ordered_at": at,
                                            "amount": float(rng.randint(10, 90)), "currency": "USD",
                                            "status": "completed" if paid else "refunded"})  # fmt: skip
            for tp, kind, low, high in (("cart", "ces", 1, 7), ("checkout", "ces", 1, 7), ("delivery", "nps", 0, 10),
                                        ("support", "csat", 1, 5), ("delivery", "csat", 1, 5)):  # fmt: skip
                if rng.random() < 0.6:
                    value = rng.randint(low, high)
                    day = (T0 + timedelta(days=rng.randrange(25))).date().isoformat()
                    docs.append(response(c, day, touchpoint=tp, **{kind: value}))
                    self.answers.append((tp, kind, float(value)))
        for n in range(70):
            tp = rng.choice(["product", "delivery", "support", "other"])
            self.enrich.append({"item_kind": "feedback", "item_id": f"x{n}", "customer_id": f"c{n % 45:02d}",
                                "source": "review", "touchpoint": tp, "at": T0 + timedelta(days=rng.randrange(25)),
                                "sentiment": rng.choice([-1, 0, 1]),
                                "themes": ",".join(rng.sample(["price", "speed", "staff", "app"], rng.randint(0, 2)))
                                or None})  # fmt: skip
        for n in range(20):
            self.tickets.append({"ticket_id": f"t{n}", "customer_id": f"c{n:02d}", "channel": "email",
                                 "touchpoint": rng.choice(["delivery", "support"]),
                                 "created_at": T0 + timedelta(days=rng.randrange(25))})  # fmt: skip
        for k, (c, name, at) in enumerate(self.events):
            event_docs.append({"type": "track", "event": name, "userId": c, "messageId": f"m{k}",
                               "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "properties": {}})  # fmt: skip
        self.tables = fact_tables(WS, docs, event_docs)
        self.tables["orders"] = _table("orders", self.orders)
        self.tables["enrichments"] = _table("enrichments", self.enrich)
        self.tables["tickets"] = _table("tickets", self.tickets)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return to_arrow(name, [{c: None for c in FACTS[name]} | {"workspace_id": WS} | r for r in rows])


@cache
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def wh() -> Warehouse:
    return duckdb_warehouse(world().tables)


# -- brute force ------------------------------------------------------------------------------------------------------
def brute(w: World, window: int) -> dict[str, Any]:
    """Per touchpoint: reached, converted, median seconds; per customer: dropped touchpoints; revenue by customer."""
    stage_of = {"visit": 0, "browse": 1, "cart": 1, "pay": 2, "delivered": 3, "ticket": 4}
    target = {0: 1, 1: 2, 2: 3, 3: None, 4: None}  # support is optional and last
    times: dict[tuple[str, str], list[int]] = {}
    for c, name, at in w.events:
        times.setdefault((c, name), []).append(int(at.timestamp()))
    customers = sorted({c for c, _, _ in w.events})
    out: dict[str, Any] = {"tp": {}, "dropped": {c: set() for c in customers}, "customers": customers}
    for tp, stage in stage_of.items():
        reached = converted = 0
        gaps = []
        for c in customers:
            if (c, tp) not in times:
                continue
            reached += 1
            first = min(times[(c, tp)])
            nxt = target[stage]
            if nxt is None:
                continue
            later = [
                t
                for name, s in stage_of.items()
                if s == nxt
                for t in times.get((c, name), [])
                if first <= t <= first + window
            ]
            if later:
                converted += 1
                gaps.append(min(later) - first)
            else:
                out["dropped"][c].add(tp)
        out["tp"][tp] = (reached, converted if target[stage] is not None else None, gaps)
    revenue: dict[str, float] = {}
    for o in w.orders:
        if o["status"] == "completed":
            revenue[o["customer_id"]] = revenue.get(o["customer_id"], 0.0) + o["amount"]
    out["revenue"] = revenue
    return out


def wilson(hits: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    z = norm.ppf(0.5 + level / 2)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


# -- tests ------------------------------------------------------------------------------------------------------------
def test_volume_conversion_and_median_time_match_brute_force(wh: Warehouse) -> None:
    spec = JourneySpec.model_validate(SPEC)
    result = run_journey_map(wh, WS, spec)
    expected = brute(world(), 3 * 86_400)
    got = {tp.name: tp for s in result.stages for tp in s.touchpoints}
    assert result.customers == len(expected["customers"])
    for name, (reached, converted, gaps) in expected["tp"].items():
        tp = got[name]
        assert tp.customers == reached, name
        assert tp.converted == converted, name
        if converted is None:
            assert tp.conversion is None and tp.dropped is None and tp.median_seconds is None
            continue
        assert tp.dropped == reached - converted
        value, lo, hi = wilson(converted, reached)
        assert tp.conversion is not None and tp.drop_off is not None
        assert (tp.conversion.value, tp.conversion.ci_low, tp.conversion.ci_high) == pytest.approx((value, lo, hi))
        assert tp.drop_off.value == pytest.approx(100 - value)
        assert tp.median_seconds == (statistics.median(gaps) if gaps else None)
    # The data has some of everything: conversions, drop-outs and late arrivals.
    assert 0 < got["browse"].converted < got["browse"].customers  # type: ignore[operator]
    assert any(g > 3_600 for g in expected["tp"]["visit"][2])


def test_a_window_or_none_changes_who_converts(wh: Warehouse) -> None:
    unbounded = run_journey_map(wh, WS, JourneySpec.model_validate({**SPEC, "window": None}))
    expected = brute(world(), 10**9)
    got = {tp.name: tp for s in unbounded.stages for tp in s.touchpoints}
    for name, (_, converted, _) in expected["tp"].items():
        assert got[name].converted == converted, name
    windowed = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    assert sum(f.dropped.value for f in windowed.friction) > sum(f.dropped.value for f in unbounded.friction)


def test_scores_equal_run_metric_filtered_to_the_touchpoints(wh: Warehouse) -> None:
    result = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    got = {tp.name: tp for s in result.stages for tp in s.touchpoints}
    for name, survey in SURVEY_TP.items():
        for metric in ("nps", "csat", "ces"):
            ref = run_metric(wh, WS, MetricSpec(metric=metric, filters={"touchpoint": [survey]}))
            mine = getattr(got[name], metric)
            assert mine is not None
            assert (mine.value, mine.ci_low, mine.ci_high, mine.n) == (ref.value, ref.ci_low, ref.ci_high, ref.n)
    # And against the raw answers: NPS at delivery, CSAT at support.
    nps = [v for tp, k, v in world().answers if tp == "delivery" and k == "nps"]
    assert got["delivered"].nps is not None and got["delivered"].nps.value == pytest.approx(
        100 * (sum(v >= 9 for v in nps) - sum(v <= 6 for v in nps)) / len(nps)
    )
    csat = [v for tp, k, v in world().answers if tp == "support" and k == "csat"]
    assert got["ticket"].csat is not None and got["ticket"].csat.value == pytest.approx(
        100 * sum(v >= 4 for v in csat) / len(csat)
    )
    # A touchpoint without surveys has no score; one with surveys but no answers has n = 0.
    assert got["visit"].nps is None and got["browse"].csat is None
    assert got["cart"].nps is not None and got["cart"].nps.n == 0 and got["cart"].nps.value is None


def test_sentiment_themes_feedback_and_tickets(wh: Warehouse) -> None:
    result = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    got = {tp.name: tp for s in result.stages for tp in s.touchpoints}
    for name, tps in (("browse", {"product"}), ("ticket", {"support", "delivery"})):
        rows = [e for e in world().enrich if e["touchpoint"] in tps]
        ref = run_metric(wh, WS, MetricSpec(metric="sentiment_index", filters={"touchpoint": sorted(tps)}))
        s = got[name].sentiment
        assert s is not None and (s.value, s.ci_low, s.ci_high, s.n) == (ref.value, ref.ci_low, ref.ci_high, ref.n)
        pos, neg = sum(e["sentiment"] == 1 for e in rows), sum(e["sentiment"] == -1 for e in rows)
        assert s.value == pytest.approx(100 * (pos - neg) / len(rows))
        themes = Counter(t for e in rows if e["themes"] for t in e["themes"].split(","))
        top = sorted(themes.items(), key=lambda x: (-x[1], x[0]))[:5]
        assert [(t.theme, t.count) for t in got[name].themes] == top
        assert got[name].tickets == sum(t["touchpoint"] in tps for t in world().tickets)
    assert got["visit"].themes == [] and got["visit"].sentiment is None


def test_friction_counts_revenue_and_bootstrap_match_brute_force(wh: Warehouse) -> None:
    spec = JourneySpec.model_validate(SPEC)
    result = run_journey_map(wh, WS, spec)
    expected = brute(world(), 3 * 86_400)
    customers, dropped, revenue = expected["customers"], expected["dropped"], expected["revenue"]
    names = ["visit", "browse", "cart", "pay"]  # touchpoints with a next stage
    assert {f.touchpoint for f in result.friction} == set(names)
    # The bootstrap by hand: the same multinomial draws, then plain sums per resample.
    rng = np.random.default_rng(spec.seed)
    n = len(customers)
    lost: dict[str, list[float]] = {t: [] for t in names}
    money: dict[str, list[float]] = {t: [] for t in names}
    left = spec.samples
    while left:
        size = min(BOOTSTRAP_CHUNK, left)
        for weights in rng.multinomial(n, [1 / n] * n, size=size).tolist():
            for t in names:
                lost[t].append(sum(w for c, w in zip(customers, weights, strict=True) if t in dropped[c]))
                money[t].append(
                    sum(w * revenue.get(c, 0.0) for c, w in zip(customers, weights, strict=True) if t in dropped[c])
                )
        left -= size
    by_name = {f.touchpoint: f for f in result.friction}
    for t in names:
        f = by_name[t]
        assert f.dropped.value == sum(t in dropped[c] for c in customers)
        assert f.revenue_lost.value == pytest.approx(sum(revenue.get(c, 0.0) for c in customers if t in dropped[c]))
        assert f.dropped.ci_low == pytest.approx(np.quantile(lost[t], 0.025))
        assert f.dropped.ci_high == pytest.approx(np.quantile(lost[t], 0.975))
        assert f.revenue_lost.ci_low == pytest.approx(np.quantile(money[t], 0.025))
        assert f.revenue_lost.ci_high == pytest.approx(np.quantile(money[t], 0.975))
        assert f.dropped.ci_low <= f.dropped.value <= f.dropped.ci_high  # type: ignore[operator]
    # Ranks: by customers lost (the list's order) and by revenue lost.
    assert [f.rank_customers for f in result.friction] == [1, 2, 3, 4]
    assert [f.dropped.value for f in result.friction] == sorted(
        (f.dropped.value for f in result.friction), reverse=True
    )
    by_revenue = sorted(result.friction, key=lambda f: f.rank_revenue)
    assert [f.revenue_lost.value for f in by_revenue] == sorted(
        (f.revenue_lost.value for f in result.friction), reverse=True
    )
    assert result.currency == "USD"


def test_the_same_seed_gives_the_same_intervals_another_does_not(wh: Warehouse) -> None:
    a = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    b = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    c = run_journey_map(wh, WS, JourneySpec.model_validate({**SPEC, "seed": 12}))
    assert a == b
    assert [f.dropped for f in a.friction] != [f.dropped for f in c.friction]


def test_duckdb_and_spark_agree(spark: None) -> None:
    spec = JourneySpec.model_validate(SPEC)
    result = same_on_every_engine(world().tables, lambda wh: run_journey_map(wh, WS, spec))
    assert result.customers > 0


def test_arrivals_on_an_empty_workspace() -> None:
    wh = Warehouse.open_duckdb()
    assert arrivals(wh, WS, JourneySpec.model_validate(SPEC)).empty
    result = run_journey_map(wh, WS, JourneySpec.model_validate(SPEC))
    assert result.customers == 0 and all(f.dropped.value == 0 for f in result.friction)
    assert result.stages[0].touchpoints[0].customers == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stages": []}, "at least 1"),
        ({"stages": [{"name": "a", "touchpoints": [{"name": "x"}]}]}, "needs events, surveys or feedback"),
        (
            {
                "stages": [
                    {"name": "a", "touchpoints": [{"name": "x", "events": ["e"]}, {"name": "y", "events": ["e"]}]}
                ]
            },
            "marks two touchpoints",
        ),
        ({"window": "soon"}, "cannot read"),
        ({"start": "2026-02-01T00:00:00", "end": "2026-01-01T00:00:00"}, "period is empty"),
        ({"value": "guess"}, "historical"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=message):
        JourneySpec.model_validate({**SPEC, **change})


def test_default_journey_on_the_demo_data() -> None:
    from suara.demo import generate

    tables = generate("ws_demo", customers=300, days=120)
    wh = duckdb_warehouse(tables)
    result = run_journey_map(wh, "ws_demo", default_journey())
    got = {tp.name: tp for s in result.stages for tp in s.touchpoints}
    assert [s.name for s in result.stages] == ["awareness", "consideration", "purchase", "delivery", "support"]
    assert got["site visit"].customers == result.customers > 100
    assert got["delivery"].nps is not None and got["delivery"].nps.n > 20
    assert got["checkout"].ces is not None and got["checkout"].ces.n > 0
    assert got["support ticket"].csat is not None and got["support ticket"].csat.n > 0
    assert got["delivery"].tickets > 0 and got["checkout"].tickets > 0
    # Browsing without buying is where the demo shop loses most customers.
    assert result.friction[0].touchpoint in {"product page", "cart"} and result.friction[0].dropped.value > 0
    assert result.currency is not None and result.friction[0].revenue_lost.value > 0


def test_cli_map_with_the_default_and_a_spec_file(tmp_path: Path) -> None:
    from suara.cli import app
    from suara.demo_workspace import build_demo
    from suara.runtime import Runtime
    from suara.settings import load_settings

    data = tmp_path / "data"
    with Runtime.open(load_settings(data_dir=data)) as rt:
        build_demo(rt, customers=300)
    runner = CliRunner()
    done = runner.invoke(app, ["--data-dir", str(data), "journeys", "map", "--format", "json"])
    assert done.exit_code == 0, done.output
    payload = json.loads(done.stdout)
    assert len(payload["stages"]) == 5 and payload["friction"][0]["dropped"]["value"] > 0
    table = runner.invoke(app, ["--data-dir", str(data), "journeys", "map"])
    assert table.exit_code == 0 and "friction" in table.stdout and "consideration" in table.stdout
    spec = tmp_path / "journey.json"
    stages = [
        {"name": "in", "touchpoints": [{"name": "v", "events": ["visit"]}]},
        {"name": "buy", "touchpoints": [{"name": "o", "events": ["order_completed"]}]},
    ]
    spec.write_text(json.dumps({"stages": stages}))
    custom = runner.invoke(app, ["--data-dir", str(data), "journeys", "map", "--spec", str(spec), "--format", "json"])
    assert custom.exit_code == 0, custom.output
    assert [s["name"] for s in json.loads(custom.stdout)["stages"]] == ["in", "buy"]
    spec.write_text("{not json")
    bad = runner.invoke(app, ["--data-dir", str(data), "journeys", "map", "--spec", str(spec)])
    assert bad.exit_code != 0 and "cannot read" in str(bad.exception)


def test_revenue_lost_valued_by_clv_sums_the_dropped_customers_clv() -> None:
    from suara.demo import generate
    from suara.models.customer_value import CustomerValueSpec, customer_values

    wh = duckdb_warehouse(generate("ws_demo", customers=300, days=120))
    spec = default_journey(value="clv", samples=100)
    result = run_journey_map(wh, "ws_demo", spec)
    clv = {
        c.customer_id: c.clv
        for c in customer_values(wh, "ws_demo", CustomerValueSpec(currency=result.currency)).customers
    }
    arr = arrivals(wh, "ws_demo", spec)
    names = [t.name for s in spec.stages for t in s.touchpoints]
    for f in result.friction:
        lost = arr[(arr["tp"] == names.index(f.touchpoint)) & arr["next_s"].isna()]["customer"]
        assert f.dropped.value == len(lost)
        assert f.revenue_lost.value == pytest.approx(sum(clv.get(c, 0.0) for c in lost))
    assert result.value == "clv" and max(f.revenue_lost.value for f in result.friction) > 0
