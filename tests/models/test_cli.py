"""`suara models ...` on the shared data, through a tiny app that mounts models_app the way suara/cli.py does."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from suara.cli_models import models_app
from suara.errors import ModelNotConverged, NotFound, ValidationFailed

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CDNOW = DATA / "clv" / "cdnow"
SWISS = DATA / "stats" / "swiss.csv"
TELCO = DATA / "churn" / "telco" / "Telco-Customer-Churn.csv"

app = typer.Typer()
app.add_typer(models_app, name="models")
runner = CliRunner()


def run(*args: str | Path) -> dict:
    result = runner.invoke(app, ["models", *map(str, args), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_clv_fit_bgnbd() -> None:
    got = run("clv", "fit", "--summary", CDNOW / "cdnow_customers_summary.csv", "--model", "bgnbd")
    assert got["model"] == "bgnbd" and list(got["params"]) == ["r", "alpha", "a", "b"]
    assert got["params"] == pytest.approx({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, abs=1e-3)
    assert got["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)


def test_clv_fit_pareto_nbd() -> None:
    got = run("clv", "fit", "--summary", CDNOW / "cdnow_customers_summary.csv", "--model", "pareto-nbd")
    assert list(got["params"]) == ["r", "alpha", "s", "beta"]
    assert got["params"]["r"] == pytest.approx(0.553, abs=1e-3)
    assert got["log_likelihood"] == pytest.approx(-9595.0, abs=0.1)


def test_clv_fit_gamma_gamma(tmp_path: Path) -> None:
    published = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    summary = tmp_path / "spend.csv"
    published.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}).to_csv(summary)
    got = run("clv", "fit", "--summary", summary, "--model", "gamma-gamma")
    assert got["params"] == pytest.approx({"p": 6.25, "q": 3.74, "gamma": 15.44}, abs=1e-2)
    assert got["customers"] == 946


def test_clv_fit_prints_a_table() -> None:
    result = runner.invoke(app, ["models", "clv", "fit", "--summary", str(CDNOW / "cdnow_customers_summary.csv")])
    assert result.exit_code == 0, result.output
    assert "alpha" in result.stdout and "-9582.43" in result.stdout


def test_clv_fit_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "clv", "fit", "--summary", str(tmp_path / "nope.csv")])
    assert isinstance(result.exception, NotFound)
    result = runner.invoke(
        app, ["models", "clv", "fit", "--summary", str(CDNOW / "cdnow_customers_summary.csv"), "--model", "gamma-gamma"]
    )
    assert isinstance(result.exception, ValidationFailed) and "monetary_value" in result.exception.detail
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"frequency": [1, 2, 0, 1, 1, 3], "recency": [2, 9, 0, 1, 2, 3], "T": [5.0] * 6}).to_csv(bad)
    result = runner.invoke(app, ["models", "clv", "fit", "--summary", str(bad)])
    assert isinstance(result.exception, ValidationFailed) and "recency is greater than T" in result.exception.detail
    flat = tmp_path / "flat.csv"
    last_purchase_at_t = [5.0, 6, 7, 8, 9, 10]
    pd.DataFrame({"frequency": [1, 2, 3, 1, 2, 4], "recency": last_purchase_at_t, "T": last_purchase_at_t}).to_csv(flat)
    result = runner.invoke(app, ["models", "clv", "fit", "--summary", str(flat)])
    assert isinstance(result.exception, ModelNotConverged) and "extreme" in result.exception.detail


def test_churn_evaluate_on_telco() -> None:
    got = run("churn", "evaluate", "--data", TELCO, "--target", "Churn", "--id-column", "customerID")
    assert got["folds"] == 5 and len(got["roc_auc_by_fold"]) == 5
    assert got["roc_auc"] >= 0.84
    assert got["brier"] < got["base_rate_brier"]


def test_churn_evaluate_errors() -> None:
    result = runner.invoke(app, ["models", "churn", "evaluate", "--data", str(TELCO), "--target", "Churn"])
    assert isinstance(result.exception, ValidationFailed) and "--id-column" in result.exception.detail
    result = runner.invoke(app, ["models", "churn", "evaluate", "--data", str(TELCO), "--target", "Quit"])
    assert isinstance(result.exception, ValidationFailed) and "Quit" in result.exception.detail


def test_drivers_on_swiss() -> None:
    got = run("drivers", "--data", SWISS, "--target", "Fertility")
    assert got["r2"] == pytest.approx(0.706735, abs=1e-6)
    drivers = {d["name"]: d for d in got["drivers"]}
    assert set(drivers) == {"Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"}
    assert drivers["Education"]["shapley"] == pytest.approx(0.2601, abs=5e-5)
    assert drivers["Education"]["relative_weight"] == pytest.approx(0.2720, abs=5e-5)
    assert got["drivers"][0]["name"] == "Education"


def test_drivers_table_and_chosen_drivers() -> None:
    result = runner.invoke(
        app, ["models", "drivers", "--data", str(SWISS), "--target", "Fertility", "--driver", "Education"]
    )
    assert result.exit_code == 0, result.output
    assert "Education" in result.stdout and "Catholic" not in result.stdout
    result = runner.invoke(app, ["models", "drivers", "--data", str(SWISS), "--target", "rownames"])
    assert isinstance(result.exception, ValidationFailed)
