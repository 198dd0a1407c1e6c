"""`suara outreach ...` on a data folder: add a rule from a template, run the trigger job, read the decision log,
manage suppressions, print the funnel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from suara.cli import app
from suara.outreach.policy import ContactPolicy
from suara.outreach.send import save_policy
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES

runner = CliRunner()


def _suara(data: Path, *args: str, code: int = 0) -> str:
    done = runner.invoke(app, ["--data-dir", str(data), *args])
    assert done.exit_code == code, f"{done.output}\n{done.exception!r}"
    return done.output + ("" if done.exception is None else str(done.exception))


def test_rules_run_decisions_suppressions_and_funnel(tmp_path: Path) -> None:
    data = tmp_path / "data"
    three_hours_ago = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Runtime.open(Settings(data_dir=data)) as rt:
        with rt.app.session() as s:
            ws = create_workspace(s, "acme", "Acme").id
            t = TEMPLATES["post-purchase-csat"]
            WorkspaceRepo(s, ws).save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
            save_policy(s, ws, ContactPolicy(quiet_hours=None))
        docs = [
            {"type": "identify", "userId": c, "timestamp": "2026-01-01T00:00:00Z", "traits": {"email": f"{c}@x.io"}}
            for c in ("ana", "ben")
        ]
        rt.ingestor.ingest("events", ws, docs)
    _suara(data, "outreach", "add-trigger", "csat", "--template", "post-purchase-csat")
    assert "--definition or --template" in _suara(data, "outreach", "add-trigger", "x", code=1)
    bad = _suara(
        data, "outreach", "add-trigger", "x", "--definition", '{"on": {"event": "a"}, "survey": "nope"}', code=1
    )
    assert "no survey 'nope'" in bad
    rules = json.loads(_suara(data, "outreach", "triggers", "--format", "json"))
    assert [r["name"] for r in rules] == ["csat"]
    _suara(data, "outreach", "suppress", "ben", "--reason", "asked by phone")
    assert [r["value"] for r in json.loads(_suara(data, "outreach", "suppressions", "--format", "json"))] == ["ben"]
    with Runtime.open(Settings(data_dir=data)) as rt:
        events = [
            {"type": "track", "event": "order_delivered", "userId": c, "timestamp": three_hours_ago}
            for c in ("ana", "ben")
        ]
        rt.ingestor.ingest("events", ws, events)
    assert "handled" in _suara(data, "outreach", "run")
    log = json.loads(_suara(data, "outreach", "decisions", "--format", "json"))
    assert sorted((d["customer_id"], d["outcome"], d["reason"]) for d in log) == [
        ("ana", "queued", "queued"),
        ("ben", "skipped", "skipped: unsubscribed"),
    ]
    assert "ben" in _suara(data, "outreach", "decisions", "--outcome", "skipped")
    _suara(data, "outreach", "suppress", "ben", "--remove")
    assert "not on the suppression list" in _suara(data, "outreach", "suppress", "ben", "--remove", code=1)
    funnel = json.loads(_suara(data, "outreach", "funnel", "post-purchase-csat", "--format", "json"))
    assert [s["count"] for s in funnel["steps"]] == [1, 0, 0, 0, 0, 0]
    assert "queued" in _suara(data, "outreach", "funnel", "post-purchase-csat")
