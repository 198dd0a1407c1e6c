"""`suara digest send` and `suara outbox list|run|replay` on a data folder, delivering to a real SMTP server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suara.cli import app
from tests.notify.conftest import Inbox

runner = CliRunner()


def _suara(data: Path, *args: str) -> str:
    done = runner.invoke(app, ["--data-dir", str(data), *args])
    assert done.exit_code == 0, f"{done.output}\n{done.exception!r}"
    return done.output


def _outbox(data: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(_suara(data, "outbox", "list", "--format", "json", *args))  # type: ignore[no-any-return]


def test_digest_send_then_run_list_and_replay(tmp_path: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    csv = tmp_path / "answers.csv"
    rows = [f"r{i},c{i},2026-03-{3 + i % 2:02d}T10:00:00Z,{i % 11},{1 + i % 5},{1 + i % 7}" for i in range(40)]
    rows += [f"s{i},d{i},2026-03-{10 + i % 2:02d}T10:00:00Z,{(i + 4) % 11},{1 + i % 5},{1 + i % 7}" for i in range(40)]
    csv.write_text("response_id,customer_id,submitted_at,nps,csat,ces\n" + "\n".join(rows) + "\n")
    _suara(data, "import", "responses", str(csv))
    inbox.refuse.add("gone@shop.example")
    week = ["--department", "support", "--week", "2026-03-11"]
    _suara(data, "digest", "send", *week, "--to", "ana@shop.example", "--to", "gone@shop.example")
    _suara(data, "digest", "send", *week, "--to", "ana@shop.example")  # already queued: nothing new
    assert [m["status"] for m in _outbox(data)] == ["pending", "pending"]

    monkeypatch.setenv("SUARA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUARA_SMTP_PORT", str(inbox.port))
    assert "sent 1, retrying 0, dead 1" in _suara(data, "outbox", "run", "--once")
    (mail,) = inbox.messages
    assert mail["Subject"] == "Support CX digest, week of 09 Mar 2026" and mail["To"] == "ana@shop.example"
    (dead,) = _outbox(data, "--status", "dead")
    assert dead["target"] == "gone@shop.example" and "550" in str(dead["last_error"])

    inbox.refuse.clear()
    assert "replayed 1 messages" in _suara(data, "outbox", "replay", "--all-dead")
    assert "sent 1" in _suara(data, "outbox", "run", "--once")
    assert sorted(str(m["To"]) for m in inbox.messages) == ["ana@shop.example", "gone@shop.example"]
    assert _outbox(data, "--status", "dead") == []
    assert "email" in _suara(data, "outbox", "list")  # the table view
