"""`suara import tickets` from a help desk export, and kiosk answers through `suara import responses`."""

from __future__ import annotations

import json
from pathlib import Path

from suara.runtime import Runtime
from suara.settings import Settings
from tests.collect.test_import_reviews import cli

TICKETS = """\
Ticket ID,Created,First Reply,Solved At,Via,Assignee,Status,Reopens,Requester,Subject,Satisfaction
ZD-101,2026-03-02 09:00,2026-03-02 09:45,2026-03-02 15:00,Email,sari,Solved,0,cust-1,Paket belum sampai,5
ZD-102,02/03/2026 10:00,02/03/2026 13:00,,Chat,dmitri,Open,,cust-2,Refund,
ZD-103,2026-03-03T08:00:00+07:00,2026-03-03T09:00:00+07:00,2026-03-05T08:00:00+07:00,phone,sari,solved,2,cust-3,Rusak,2
"""


def tickets(data: Path) -> dict[str, dict[str, object]]:
    with Runtime.open(Settings(data_dir=data)) as rt:
        cur = rt.warehouse.cursor()
        cols = ["ticket_id", "channel", "status", "created_at", "first_response_at", "resolved_at", "reopened", "csat"]
        rows = cur.execute(f"SELECT {', '.join(cols)}, customer_id, subject, agent FROM tickets").fetchall()
    return {r[0]: dict(zip([*cols, "customer_id", "subject", "agent"], r, strict=True)) for r in rows}


def test_help_desk_export_with_default_column_names(tmp_path: Path) -> None:
    path = tmp_path / "zendesk.csv"
    path.write_text(TICKETS, encoding="utf-8")
    data = tmp_path / "data"
    code, stdout, stderr = cli(data, "import", "tickets", str(path), "--format", "json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["written"] == 3 and report["not_stored"] == []
    assert report["columns"]["first_response_at"] == "First Reply" and report["columns"]["agent"] == "Assignee"
    got = tickets(data)
    assert got["ZD-101"]["channel"] == "email" and got["ZD-101"]["status"] == "solved" and got["ZD-101"]["csat"] == 5
    assert str(got["ZD-102"]["created_at"]) == "2026-03-02 10:00:00" and got["ZD-102"]["resolved_at"] is None
    assert str(got["ZD-103"]["created_at"]) == "2026-03-03 01:00:00"  # +07:00 to UTC
    assert got["ZD-103"]["reopened"] is True and got["ZD-101"]["reopened"] is False
    assert got["ZD-101"]["subject"] == "Paket belum sampai" and got["ZD-102"]["customer_id"] == "cust-2"
    assert {k: v["agent"] for k, v in got.items()} == {"ZD-101": "sari", "ZD-102": "dmitri", "ZD-103": "sari"}

    code, _, stderr = cli(data, "import", "tickets", str(path))
    assert code == 0 and "imported 0 tickets (3 duplicates)" in stderr


def test_a_first_reply_before_the_ticket_opened_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,created_at,first_response_at\nA,2026-03-02 09:00,2026-03-01 09:00\n", encoding="utf-8")
    code, stdout, _ = cli(tmp_path / "data", "import", "tickets", str(path), "--format", "json")
    report = json.loads(stdout)
    assert code == 2 and report["written"] == 0
    assert report["errors"] == [{"row": 2, "column": None, "message": "first_response_at is before created_at"}]


KIOSK = """\
response_id,customer_id,submitted_at,survey,channel,touchpoint,locale,csat,comment,store,device
k1,visit-0001,2026-03-02T10:00:00+07:00,store-csat,kiosk,checkout,id,5,Kasir ramah,jkt-01,tablet-3
k2,visit-0002,2026-03-02T10:05:00+07:00,store-csat,kiosk,checkout,id,2,,jkt-01,tablet-3
k3,visit-0003,2026-03-02T11:00:00+08:00,store-csat,kiosk,checkout,ms,4,,kl-02,tablet-1
"""


def test_kiosk_answers_through_import_responses(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.csv"
    path.write_text(KIOSK, encoding="utf-8")
    data = tmp_path / "data"
    code, _, stderr = cli(data, "import", "responses", str(path))
    assert code == 0 and "imported 3 responses" in stderr
    code, stdout, _ = cli(data, "metrics", "csat", "--by", "store", "--filter", "channel:kiosk", "--format", "json")
    body = json.loads(stdout)
    assert code == 0 and body["n"] == 3
    groups = {g["key"]["store"]: (g["n"], g["value"]) for g in body["groups"]}
    assert groups == {"jkt-01": (2, 50.0), "kl-02": (1, 100.0)}


def test_an_agent_column_under_any_name_is_stored_and_a_blank_one_is_null(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    long_name = "x" * 201
    path.write_text(
        "id,created_at,owner\nA,2026-03-02 09:00,Budi\nB,2026-03-02 10:00,\nC,2026-03-02 11:00," + long_name + "\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    code, stdout, _ = cli(data, "import", "tickets", str(path), "--format", "json")
    report = json.loads(stdout)
    assert code == 2 and report["written"] == 0 and report["columns"]["agent"] == "owner"
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(4, "owner")]
    assert "200" in report["errors"][0]["message"]

    code, stdout, _ = cli(data, "import", "tickets", str(path), "--skip-invalid", "--format", "json")
    assert code == 0 and json.loads(stdout)["written"] == 2
    assert {k: v["agent"] for k, v in tickets(data).items()} == {"A": "Budi", "B": None}
