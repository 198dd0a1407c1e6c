"""Churn features against a brute-force plain-Python computation over the metrics world's raw records, the same
features on DuckDB and Spark, and the churn label against the `churned` measure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from suara.metrics.runner import run_metric
from suara.metrics.spec import MetricSpec
from suara.models.churn_features import NUMERIC, churn_features, churn_labels, data_end
from suara.store.warehouse import Warehouse
from tests.conftest import need_service
from tests.metrics.world import WORLD, WS, World
from tests.parity import duckdb_warehouse, same_on_every_engine, spark_available

CUT = datetime(2026, 2, 16)
ACTIVE, RECENT = 30, 21
TRAITS = ["plan", "country", "subscription_status"]


@pytest.fixture(scope="module")
def wh() -> Warehouse:
    return duckdb_warehouse(WORLD.tables)


def _activity(world: World) -> list[tuple[str, datetime]]:
    """Every instant a customer did something: events, orders (any status), survey responses (identify calls go to
    the identities table and are not activity)."""
    acts = [(e["customer"], e["at"]) for e in world.events if e["customer"]]
    acts += [(o["customer_id"], o["ordered_at"]) for o in world.orders]
    acts += [(c, at) for c, at, _, _ in world.answers]
    return acts


def _days(at: datetime) -> float:
    return (CUT - at).total_seconds() / 86_400


def brute_force(world: World) -> dict[str, dict[str, Any]]:
    """The features of every customer active in the ACTIVE days before CUT, loop by loop."""
    acts = [(c, at) for c, at in _activity(world) if at < CUT]
    active = sorted({c for c, at in acts if at >= CUT - timedelta(days=ACTIVE)})
    recent = CUT - timedelta(days=RECENT)
    out: dict[str, dict[str, Any]] = {}
    for c in active:
        mine = [at for who, at in acts if who == c]
        paid = [
            o for o in world.orders if o["customer_id"] == c and o["status"] == "completed" and o["ordered_at"] < CUT
        ]
        days = {e["at"].date() for e in world.events if e["customer"] == c and recent <= e["at"] < CUT}
        row: dict[str, Any] = {
            "recency_days": _days(max(mine)),
            "tenure_days": _days(min(mine)),
            "days_since_order": _days(max(o["ordered_at"] for o in paid)) if paid else None,
            "orders_total": len(paid),
            "orders_recent": sum(o["ordered_at"] >= recent for o in paid),
            "spend_total": sum(o["amount"] for o in paid),
            "visit_days_recent": len(days),
        }
        for kind in ("nps", "csat"):
            mine_ans = sorted((at, v) for who, at, k, v in world.answers if who == c and k == kind and at < CUT)
            row[f"{kind}_asked"] = 1.0 if mine_ans else 0.0
            row[f"{kind}_mean"] = sum(v for _, v in mine_ans) / len(mine_ans) if mine_ans else None
            # the last answer; several at the same instant: any of them
            row[f"{kind}_last"] = {v for at, v in mine_ans if at == mine_ans[-1][0]} if mine_ans else None
        senti = [e["sentiment"] for e in world.enrichments if e["customer_id"] == c and e["at"] < CUT]
        row["negative_share"] = sum(s == -1 for s in senti) / len(senti) if senti else None
        tickets = [t for t in world.tickets if t["customer_id"] == c and t["created_at"] < CUT]
        solved = [t for t in tickets if t["resolved_at"] is not None and t["resolved_at"] < CUT]
        row["tickets"] = len(tickets)
        row["tickets_unresolved"] = len(tickets) - len(solved)
        row["tickets_reopened"] = sum(bool(t["reopened"]) for t in tickets)
        hours = [(t["resolved_at"] - t["created_at"]).total_seconds() / 3600 for t in solved]
        row["resolution_hours_mean"] = sum(hours) / len(hours) if hours else None
        row["plan"], row["country"] = world.traits[c]["plan"], world.traits[c]["country"]
        status = sorted((at, s) for who, at, s in world.status if who == c and at < CUT)
        row["subscription_status"] = status[-1][1] if status else None
        out[c] = row
    return out


def _same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, set):
        return got in want
    if isinstance(want, str):
        return bool(got == want)
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)


def test_features_match_a_brute_force_computation(wh: Warehouse) -> None:
    got = churn_features(wh, WS, CUT, active_days=ACTIVE, recent_days=RECENT, traits=TRAITS)
    want = brute_force(WORLD)
    assert list(got.columns) == [*NUMERIC, *TRAITS]
    assert list(got.index) == sorted(want) and len(want) > 30
    bad = [
        (c, col, got.at[c, col], v) for c, row in want.items() for col, v in row.items() if not _same(got.at[c, col], v)
    ]
    assert not bad, bad[:5]
    # the world exercises every branch: never asked, no feedback, open tickets, cancelled subscriptions
    assert got["nps_asked"].min() == 0 or got["negative_share"].isna().any()
    assert got["tickets_unresolved"].max() >= 1 and (got["subscription_status"] == "cancelled").any()


def test_nobody_active_gives_an_empty_frame_with_every_column(wh: Warehouse) -> None:
    got = churn_features(wh, WS, datetime(2020, 1, 1), traits=["plan"])
    assert got.empty and list(got.columns) == [*NUMERIC, "plan"]


def test_the_label_agrees_with_the_churned_measure(wh: Warehouse) -> None:
    """Active in the 14 days before the cut-off and silent in the 14 after it is what `churn` counts."""
    cut, window = datetime(2026, 2, 2), 14
    X = churn_features(wh, WS, cut, active_days=window)
    y = churn_labels(wh, WS, X.index, cut, window)
    spec = MetricSpec(metric="churn_rate", start=cut, end=cut + timedelta(days=window), options={"window_days": window})
    measured = run_metric(wh, WS, spec)
    assert measured.n == len(X) and 0 < y.sum() < len(y)
    assert measured.value == pytest.approx(100 * y.mean())
    assert data_end(wh, WS) == datetime(2026, 3, 30)


def _records(wh: Warehouse) -> list[dict[str, Any]]:
    df = churn_features(wh, WS, CUT, active_days=ACTIVE, recent_days=RECENT, traits=TRAITS)
    df = df.reset_index().astype(object)
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in df.to_dict("records")
    ]


def test_features_are_the_same_on_duckdb_and_spark() -> None:
    need_service(spark_available(), "Java and PySpark")
    rows = same_on_every_engine(WORLD.tables, _records)
    assert len(rows) == len(brute_force(WORLD))


def test_an_unknown_currency_spends_nothing(wh: Warehouse) -> None:
    got = churn_features(wh, WS, CUT, currency="EUR")
    assert (got["spend_total"] == 0).all() and got["orders_total"].sum() > 0
    assert isinstance(got, pd.DataFrame)
