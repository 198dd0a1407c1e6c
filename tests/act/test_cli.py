"""`suara alerts add|list|check|ack` on a data folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suara.cli import app
from suara.errors import ValidationFailed
from suara.runtime import Runtime
from suara.settings import load_settings
from suara.store.app import create_workspace
from tests.act.test_alerts import AS_OF, shop_events
from tests.parity import fact_tables

runner = CliRunner()


def test_alerts_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Runtime.open(load_settings(data_dir=data)) as rt:
        with rt.app.session() as s:
            ws = create_workspace(s, "shop", "Shop").id
        for name, table in fact_tables(ws, events=shop_events()).items():
            rt.warehouse.load(name, table)
    base = ["--data-dir", str(data)]
    rule = json.dumps({"kind": "anomaly", "series": "event_count"})
    added = runner.invoke(app, [*base, "alerts", "add", "events", "--definition", rule, "--format", "json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["name"] == "events"

    bad = runner.invoke(app, [*base, "alerts", "add", "x", "--definition", '{"kind": "threshold", "metric": "x"}'])
    assert isinstance(bad.exception, ValidationFailed) and "unknown metric 'x'" in bad.exception.detail
    not_json = runner.invoke(app, [*base, "alerts", "add", "x", "--definition", "{kind"])
    assert isinstance(not_json.exception, ValidationFailed) and "not JSON" in not_json.exception.detail

    check = ["alerts", "check", "--as-of", AS_OF.isoformat(), "--format", "json"]
    raised = json.loads(runner.invoke(app, [*base, *check]).stdout)
    assert sorted(a["series"] for a in raised) == ["event=checkout_error", "event=page_view"]
    assert json.loads(runner.invoke(app, [*base, *check]).stdout) == []

    acked = runner.invoke(app, [*base, "alerts", "ack", str(raised[0]["id"]), "--format", "json"])
    assert json.loads(acked.stdout)["status"] == "acknowledged"
    listed = runner.invoke(app, [*base, "alerts", "list", "--status", "open", "--format", "json"])
    assert [a["id"] for a in json.loads(listed.stdout)] == [raised[1]["id"]]
    rules = runner.invoke(app, [*base, "alerts", "list", "--rules"])
    assert rules.exit_code == 0 and "events" in rules.stdout
