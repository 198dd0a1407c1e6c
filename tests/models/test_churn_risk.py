"""Churn risk on a simulated shop where churn is driven by known features (NPS and unresolved tickets), with the
best achievable ROC-AUC computed from the simulation's own hazards; scoring, phrases and clear errors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import typer
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from suara import cli as suara_cli
from suara.cli_models import models_app
from suara.errors import ValidationFailed
from suara.models.churn import ChurnModel
from suara.models.churn_risk import ChurnRiskSpec, backtest, calibration_table, describe, score, training_set
from suara.runtime import Runtime
from suara.settings import load_settings
from suara.store.app import create_workspace
from suara.store.warehouse import FACTS, Warehouse, to_arrow
from tests.parity import duckdb_warehouse

WS = "ws_churn"
START = datetime(2025, 1, 1)
DAYS = 420
END = START + timedelta(days=DAYS)
HORIZON = 90
# Daily hazard of leaving for good: a base rate, raised by being a detractor and by an unresolved ticket.
BASE_HAZARD, DETRACTOR_LOG_HR, TICKET_LOG_HR = 0.002, 1.3, 1.1
VISITS_PER_DAY = 0.3  # an active customer goes 90 days without a visit with probability e^-27: never


@dataclass(frozen=True)
class Sim:
    tables: dict[str, pa.Table]
    hazard: dict[str, float]
    gone: dict[str, datetime]


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return to_arrow(name, [{c: None for c in FACTS[name]} | {"workspace_id": WS} | r for r in rows])


@cache
def simulate(n: int = 1500, seed: int = 3) -> Sim:
    """Customers sign up until 60 days before the end, answer NPS 3 days later, some open a ticket that is never
    resolved, carry two traits that mean nothing (colour, shoe size), visit (and sometimes buy) while active and
    leave at their hazard."""
    rng = np.random.default_rng(seed)
    facts = ("events", "orders", "responses", "answers", "tickets", "identities")
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in facts}
    hazard, gone = {}, {}
    for i in range(n):
        c = f"c{i:04d}"
        signup = START + timedelta(days=float(rng.uniform(0, DAYS - 60)))
        nps = int(rng.integers(0, 11))
        stuck = rng.random() < 0.3  # a ticket left open
        spend = rng.gamma(3.0, 30.0)  # the customer's mean order value; orders vary around it
        h = BASE_HAZARD * np.exp(DETRACTOR_LOG_HR * (nps <= 6) + TICKET_LOG_HR * stuck)
        leave = signup + timedelta(days=3 + float(rng.exponential(1 / h)))  # after answering the survey
        hazard[c], gone[c] = float(h), leave
        answered = signup + timedelta(days=3)
        rows["responses"].append(
            {"response_id": f"r{i}", "survey_id": "nps", "customer_id": c, "submitted_at": answered}
        )
        rows["answers"].append({"response_id": f"r{i}", "question_id": "q1", "kind": "nps", "number": float(nps)})
        if stuck or rng.random() < 0.3:
            opened = signup + timedelta(days=float(rng.uniform(0, 10)))
            resolved = None if stuck else opened + timedelta(hours=float(rng.uniform(1, 48)))
            ticket = {"ticket_id": f"t{i}", "customer_id": c, "created_at": opened, "resolved_at": resolved}
            rows["tickets"].append(ticket | {"reopened": False, "contacts": 1})
        for trait, value in (
            ("colour", str(rng.choice(["red", "green", "blue"]))),
            ("shoe", str(rng.integers(36, 46))),
        ):
            rows["identities"].append({"customer_id": c, "trait": trait, "value": value, "observed_at": signup})
        t = signup
        while True:
            t += timedelta(days=float(rng.exponential(1 / VISITS_PER_DAY)))
            if t >= min(leave, END):
                break
            rows["events"].append({"event_id": f"e{len(rows['events'])}", "type": "track", "event": "visit",
                                   "customer_id": c, "timestamp": t})  # fmt: skip
            if rng.random() < 0.25:  # a quarter of the visits end in an order
                rows["orders"].append({"order_id": f"o{len(rows['orders'])}", "customer_id": c, "ordered_at": t,
                                       "amount": float(rng.gamma(4.0, spend / 4)), "currency": "USD",
                                       "status": "completed"})  # fmt: skip
    return Sim({k: _table(k, v) for k, v in rows.items()}, hazard, gone)


@pytest.fixture(scope="module")
def shop() -> Warehouse:
    return duckdb_warehouse(simulate().tables)


def truth(sim: Sim, customers: list[str], cut: datetime) -> np.ndarray:
    """The true chance of no activity in the horizon after `cut`: 1 for those already gone; for the rest, leaving
    (hazard h) before the next visit (rate v) or no visit in the horizon: h/(h+v) (1 - e^-(h+v)H) + e^-(h+v)H."""
    out = []
    for c in customers:
        h, v = sim.hazard[c], VISITS_PER_DAY
        quiet = np.exp(-(h + v) * HORIZON)
        out.append(1.0 if sim.gone[c] < cut else h / (h + v) * (1 - quiet) + quiet)
    return np.array(out)


def test_backtest_ranks_the_planted_drivers_and_comes_near_the_best_possible_auc(shop: Warehouse) -> None:
    spec = ChurnRiskSpec(horizon_days=HORIZON, as_of=END, traits=["colour", "shoe"])
    bt = backtest(shop, WS, spec)
    cut = bt.test_cutoff
    assert cut == END - timedelta(days=HORIZON)
    assert bt.training_cutoffs == [cut - timedelta(days=HORIZON + d) for d in (60, 30, 0)]
    X, y, _ = training_set(shop, WS, spec, cut, "USD")  # the test cut-off's customers come last
    X, y = X.iloc[-bt.test_customers :], y.iloc[-bt.test_customers :].to_numpy()
    assert y.mean() == pytest.approx(bt.test_rate)
    # No model of the features can rank better than the truth; the bound below leaves room for estimation error
    # (over seeds 1-5 of this simulation the gap was 0.014 to 0.04).
    best = float(roc_auc_score(y, truth(simulate(), list(X.index), cut)))
    assert best - 0.06 <= bt.roc_auc <= best
    assert bt.brier < bt.base_rate_brier
    # calibrated: the riskiest tenth churns far more often than the safest, near what was predicted
    top, bottom = bt.calibration[-1], bt.calibration[0]
    assert top.actual > bottom.actual + 0.3 and abs(top.predicted - top.actual) < 0.15
    # Most churners are gone before the cut-off, so recency weighs most. The planted drivers, each counted over its
    # columns (NPS in last, mean and asked; an open ticket in the unresolved count and the missing resolution time),
    # outweigh the traits that mean nothing, which only overfitting gives weight (ratios 1.9 to 3.4 over seeds 1-5).
    w = bt.factor_weights
    assert next(iter(w)) == "recency_days"
    nps = sum(w.get(k, 0.0) for k in ("nps_last", "nps_mean", "nps_asked"))
    tickets = sum(w.get(k, 0.0) for k in ("tickets_unresolved", "tickets", "resolution_hours_mean"))
    noise = max(w.get("colour", 0.0), w.get("shoe", 0.0))
    assert nps > 1.5 * noise and tickets > 1.5 * noise, w


def test_the_drivers_rank_customers_who_are_still_visiting(shop: Warehouse) -> None:
    """Among customers seen in the last week, recency says little: the ranking must come from NPS and tickets
    (over seeds 1-5 the AUC there was 0.67 to 0.77, with about 23 churners in 520)."""
    spec = ChurnRiskSpec(horizon_days=HORIZON, as_of=END)
    cut = END - timedelta(days=HORIZON)
    X, y, used = training_set(shop, WS, spec, cut - timedelta(days=HORIZON), "USD")
    model = ChurnModel().fit(X, y)
    Xt, yt, _ = training_set(shop, WS, spec.model_copy(update={"cutoffs": 1}), cut, "USD")
    fresh = (Xt["recency_days"] < 7).to_numpy()
    assert fresh.sum() > 400 and yt[fresh].sum() > 0
    assert roc_auc_score(yt[fresh], model.predict_proba(Xt[fresh])[:, 1]) > 0.6


def test_scores_every_active_customer_with_phrased_reasons(shop: Warehouse) -> None:
    spec = ChurnRiskSpec(horizon_days=HORIZON, as_of=END)
    result = score(shop, WS, spec)
    sim = simulate()
    active = {c for c, g in sim.gone.items() if g >= END - timedelta(days=HORIZON)}
    scored = {c.customer_id for c in result.customers}
    assert scored <= active and len(scored) > 0.95 * len(active)  # a few left without a visit in between
    risks = [c.risk for c in result.customers]
    assert risks == sorted(risks, reverse=True) and min(risks) > 0 and max(risks) < 1
    assert result.training_cutoffs[-1] == END - timedelta(days=HORIZON)
    assert 0 < result.base_rate < 1 and result.training_rows > 500
    # a detractor with an open ticket is told so
    worst = [c for c in result.customers if {f.factor for f in c.factors} >= {"nps_last", "tickets_unresolved"}]
    assert worst
    phrases = {f.phrase for f in worst[0].factors}
    assert "1 unresolved ticket" in phrases and any(p.startswith("NPS ") for p in phrases)
    # deterministic
    assert score(shop, WS, spec) == result


def test_degenerate_data_fails_with_a_clear_message() -> None:
    with pytest.raises(ValidationFailed, match="no customer activity"):
        score(duckdb_warehouse({}), WS, ChurnRiskSpec())
    sim = simulate()
    kept = pa.array([f"c{i:04d}" for i in range(20)])
    few = {k: t.filter(pc.is_in(t["customer_id"], kept)) if "customer_id" in t.column_names else t
           for k, t in sim.tables.items()}  # fmt: skip
    with pytest.raises(ValidationFailed, match="at least 30 customers"):
        score(duckdb_warehouse(few), WS, ChurnRiskSpec(horizon_days=HORIZON, as_of=END))
    # everyone visits every day until the end: nobody churns
    every_day = [{"event_id": f"e{c}-{d}", "type": "track", "event": "visit", "customer_id": f"c{c}",
                  "timestamp": START + timedelta(days=d)} for c in range(40) for d in range(DAYS)]  # fmt: skip
    with pytest.raises(ValidationFailed, match="came back"):
        backtest(duckdb_warehouse({"events": _table("events", every_day)}), WS, ChurnRiskSpec())


def test_a_horizon_longer_than_the_history_is_refused(shop: Warehouse) -> None:
    with pytest.raises(ValidationFailed, match="history longer than the horizon"):
        score(shop, WS, ChurnRiskSpec(horizon_days=DAYS + 10, as_of=END))


def test_phrases() -> None:
    assert describe("days_since_order", 73.6) == "no order in 74 days"
    assert describe("nps_last", 3.0) == "NPS 3"
    assert describe("tickets_unresolved", 2.0) == "2 unresolved tickets"
    assert describe("tickets_unresolved", 1.0) == "1 unresolved ticket"
    assert describe("nps_last", float("nan")) == "never answered NPS"
    assert describe("negative_share", 0.4) == "40% negative feedback"
    assert describe("spend_total", 1234.4, "IDR") == "spent 1,234 IDR"
    assert describe("plan", "free") == "plan: free"
    assert describe("orders_recent", 0.0, recent_days=60) == "no order in 60 days"


def test_calibration_table_splits_by_predicted_risk() -> None:
    p = np.array([0.9, 0.1, 0.2, 0.8, 0.5, 0.4])
    y = np.array([1, 0, 0, 1, 1, 0])
    rows = calibration_table(y, p, bins=3)
    assert [(r.customers, r.predicted, r.actual) for r in rows] == [
        (2, pytest.approx(0.15), 0.0),
        (2, pytest.approx(0.45), 0.5),
        (2, pytest.approx(0.85), 1.0),
    ]


# -- the commands ---------------------------------------------------------------------------------------------------
cli = typer.Typer()
cli.add_typer(models_app, name="models")
runner = CliRunner()


@cli.callback()
def _root(data_dir: Annotated[Path, typer.Option("--data-dir")]) -> None:
    suara_cli.state.settings = load_settings(data_dir=data_dir)
    suara_cli.state.workspace = None


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose one workspace holds the simulated shop."""
    folder = tmp_path_factory.mktemp("churn") / "data"
    with Runtime.open(load_settings(data_dir=folder)) as rt:
        with rt.app.session() as s:
            ws = create_workspace(s, "shop", "Shop").id
        for name, table in simulate().tables.items():
            ids = pa.array([ws] * table.num_rows, type=pa.string())
            rt.warehouse.load(name, table.set_column(table.schema.get_field_index("workspace_id"), "workspace_id", ids))
    return folder


def churn_cli(data_dir: Path, *args: str) -> str:
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "models", "churn", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_commands_print_what_the_runners_compute(data_dir: Path, shop: Warehouse) -> None:
    when = ["--as-of", END.isoformat(), "--horizon-days", str(HORIZON)]
    got = json.loads(churn_cli(data_dir, "score", *when, "--top", "5", "--format", "json"))
    want = score(shop, WS, ChurnRiskSpec(horizon_days=HORIZON, as_of=END)).model_dump(mode="json")
    assert got["customers"] == want["customers"][:5] and got["total_customers"] == len(want["customers"])
    rows = list(csv.reader(io.StringIO(churn_cli(data_dir, "score", *when, "--format", "csv"))))
    assert (
        rows[0] == ["customer_id", "risk", "factor_1", "factor_2", "factor_3"]
        and len(rows) == len(want["customers"]) + 1
    )
    assert (
        rows[1][0] == want["customers"][0]["customer_id"] and rows[1][2] == want["customers"][0]["factors"][0]["phrase"]
    )
    assert want["customers"][0]["customer_id"] in churn_cli(data_dir, "score", *when, "--top", "3")
    bt = json.loads(churn_cli(data_dir, "backtest", *when, "--trait", "colour", "--format", "json"))
    spec = ChurnRiskSpec(horizon_days=HORIZON, as_of=END, traits=["colour"])
    assert bt == backtest(shop, WS, spec).model_dump(mode="json")
    assert "ROC-AUC" in churn_cli(data_dir, "backtest", *when)


def test_a_bad_option_is_one_line_and_a_non_zero_exit(data_dir: Path) -> None:
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "models", "churn", "score", "--horizon-days", "2"])
    assert result.exit_code != 0 and isinstance(result.exception, ValidationFailed)
    assert "horizon_days" in str(result.exception)
