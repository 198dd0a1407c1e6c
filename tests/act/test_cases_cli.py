"""`suara cases list|show|assign|close|rules` on a data folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suara.cli import app
from suara.errors import NotFound, ValidationFailed
from suara.runtime import Runtime
from suara.settings import load_settings
from suara.store.app import Role, WorkspaceRepo, create_workspace
from tests.conftest import response

runner = CliRunner()


def test_cases_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.open(load_settings(data_dir=data)) as rt:
        with rt.app.session() as s:
            ws = create_workspace(s, "shop", "Shop").id
            WorkspaceRepo(s, ws).add_user("ani@shop.test", "pw", Role.agent, name="Ani")
            WorkspaceRepo(s, ws).add_user("budi@shop.test", "pw", Role.agent, name="Budi")
        rt.ingestor.ingest("responses", ws, [response(f"c{i}", "2026-03-01", nps=i) for i in range(3)])
    base = ["--data-dir", str(data)]
    made = runner.invoke(
        app, [*base, "cases", "team", "care", "--member", "ani@shop.test", "--manager", "boss@shop.test"]
    )
    assert made.exit_code == 0, made.output
    sla = ["cases", "sla", "high", "--first-contact-hours", "2", "--resolution-hours", "8"]
    assert runner.invoke(app, [*base, *sla]).exit_code == 0
    bad = runner.invoke(app, [*base, "cases", "sla", "asap", "--first-contact-hours", "1", "--resolution-hours", "2"])
    assert isinstance(bad.exception, ValidationFailed) and "priority must be one of" in bad.exception.detail

    ran = runner.invoke(app, [*base, "cases", "rules", "--run", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert "nps-detractor" in [r["name"] for r in json.loads(ran.stdout)]
    listed = json.loads(runner.invoke(app, [*base, "cases", "list", "--format", "json"]).stdout)
    assert listed["total"] == 3
    # The team dealt every case to its one member, on the high priority's 2-hour first-contact target.
    assert {c["owner_name"] for c in listed["items"]} == {"Ani"}
    first = listed["items"][0]
    assert first["sla"]["target"] == "first_contact" and 0 < first["sla"]["seconds_left"] <= 2 * 3600
    ids = [c["id"] for c in listed["items"]]

    table = runner.invoke(app, [*base, "cases", "list"])
    assert table.exit_code == 0 and "contact in" in table.stdout and "3 cases" in table.stdout

    assigned = runner.invoke(app, [*base, "cases", "assign", *map(str, ids[:2]), "--owner", "budi@shop.test"])
    assert assigned.exit_code == 0, assigned.output
    mine = json.loads(
        runner.invoke(app, [*base, "cases", "list", "--owner", "budi@shop.test", "--format", "json"]).stdout
    )
    assert sorted(c["id"] for c in mine["items"]) == sorted(ids[:2])
    unknown = runner.invoke(app, [*base, "cases", "assign", str(ids[0]), "--owner", "nobody@shop.test"])
    assert isinstance(unknown.exception, NotFound)

    closed = runner.invoke(
        app, [*base, "cases", "close", str(ids[0]), "--root-cause", "courier", "--note", "refund", "--format", "json"]
    )
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["status"] == "closed" and json.loads(closed.stdout)["root_cause"] == "courier"
    shown = runner.invoke(app, [*base, "cases", "show", str(ids[0])])
    assert shown.exit_code == 0 and "status: new -> closed" in shown.stdout and "command line" in shown.stdout
    open_ = json.loads(runner.invoke(app, [*base, "cases", "list", "--status", "new", "--format", "json"]).stdout)
    assert open_["total"] == 2
