"""`suara import events` and `suara journeys ...` through a tiny Typer app that mounts them as suara/cli.py does."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from suara import cli as suara_cli
from suara.cli_journeys import import_events, journeys_app
from suara.errors import ValidationFailed
from suara.journeys import FunnelSpec, run_funnel
from suara.settings import load_settings
from suara.store.warehouse import Warehouse
from tests.journeys.conftest import ECOM, ECOM_STEPS, WS

app = typer.Typer()
imports = typer.Typer()
imports.command("events")(import_events)
app.add_typer(imports, name="import")
app.add_typer(journeys_app, name="journeys")
runner = CliRunner()


@app.callback()
def _root(data_dir: Annotated[Path, typer.Option("--data-dir")]) -> None:
    suara_cli.state.settings = load_settings(data_dir=data_dir)
    suara_cli.state.workspace = None


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the ecom clickstream imported through the command."""
    folder = tmp_path_factory.mktemp("cli")
    csv = folder / "ecom.csv"
    with gzip.open(ECOM, "rb") as src, csv.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    done = runner.invoke(
        app, ["--data-dir", str(folder / "data"), "import", "events", str(csv), "--customer-column", "user_id"]
    )
    assert done.exit_code == 0, done.output
    assert "imported 31106 events (0 already there)" in done.output
    again = runner.invoke(
        app, ["--data-dir", str(folder / "data"), "import", "events", str(csv), "--customer-column", "user_id"]
    )
    assert "imported 0 events (31106 already there)" in again.output
    return folder / "data"


def run(data: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--data-dir", str(data), "journeys", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "json" in args else result.stdout


def test_funnel_json(data: Path, ecom: Warehouse) -> None:
    body = run(data, "funnel", "--steps", ",".join(ECOM_STEPS), "--window", "1d", "--format", "json")
    assert [s["name"] for s in body["steps"]] == ECOM_STEPS
    expected = run_funnel(ecom, WS, FunnelSpec(steps=ECOM_STEPS, window="1d"))
    assert [s["count"] for s in body["steps"]] == [s.count for s in expected.steps]
    assert {"from_previous", "from_first", "median_seconds"} <= body["steps"][1].keys()
    dropped = run(data, "funnel", "--steps", "catalog,purchase", "--dropped-at", "2", "--format", "json")
    assert len(dropped["dropped_customers"]) == dropped["steps"][0]["count"] - dropped["steps"][1]["count"]


def test_paths_loops_and_retention(data: Path) -> None:
    paths = run(data, "paths", "--event", "purchase", "--direction", "before", "--length", "2", "--format", "json")
    assert paths["sequences"] > 0 and all(p["path"][-1] == "purchase" for p in paths["paths"])
    loops = run(data, "loops", "--event", "cart", "--by", "platform", "--format", "json")
    assert {g["key"]["platform"] for g in loops["groups"]} == {"desktop", "mobile", "tablet"}
    retention = run(data, "retention", "--period", "month", "--periods", "2", "--format", "json")
    assert retention["cohorts"][0]["cohort"] == "2024-01-01" and len(retention["average"]) == 3
    for args in (
        ["funnel", "--steps", "catalog,purchase", "--order", "strict", "--by", "platform"],
        ["paths", "--event", "cart", "--session-gap", "none"],
        ["loops", "--session-property", "session_id"],
        ["retention", "--start-event", "catalog", "--return-event", "purchase"],
    ):
        assert run(data, *args).strip(), args


def test_bad_file_fails_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,event,timestamp\nana,,2026-01-01T00:00:00Z\n")
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "import", "events", str(bad)])
    assert result.exit_code != 0 and isinstance(result.exception, ValidationFailed)
    assert result.exception.errors[0]["line"] == 2


def test_bad_options_fail_as_validation_errors(data: Path) -> None:
    for args in (["funnel", "--steps", "a,a"], ["funnel", "--steps", "a,b", "--window", "soon"]):
        result = runner.invoke(app, ["--data-dir", str(data), "journeys", *args])
        assert isinstance(result.exception, ValidationFailed), result.output
    assert "--steps" in str(
        runner.invoke(app, ["--data-dir", str(data), "journeys", "funnel", "--steps", "a,a"]).exception
    )
