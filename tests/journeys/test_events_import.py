"""`import events`: CSV and JSONL, properties, validation by line, all-or-nothing writes, re-import counts once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from suara.collect.events_import import event_id, import_events
from suara.errors import BadRequest, ValidationFailed
from suara.runtime import Runtime

WS = "ws_import"
CSV = """customer_id,event,timestamp,platform,price,note
ana,catalog,2026-03-02T09:00:00Z,mobile,12.50,
ana,purchase,2026-03-02 09:05:00,mobile,12.50,paid
bob,catalog,2026-03-02T11:00:00+07:00,desktop,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def events(rt: Runtime) -> list[dict]:
    rows = rt.warehouse.table("events", WS).order_by("timestamp").to_pyarrow().to_pylist()
    return rows


def test_csv_rows_become_events_with_properties_and_count_once(runtime: Runtime, tmp_path: Path) -> None:
    path = write(tmp_path, "clicks.csv", CSV)
    ticks: list[int] = []
    report = import_events(runtime.ingestor, WS, path, progress=lambda: ticks.append(1))
    assert (report.rows, report.written, report.duplicates, report.errors) == (3, 3, 0, [])
    assert len(ticks) == 3
    rows = events(runtime)
    assert [(r["customer_id"], r["event"], r["type"]) for r in rows] == [
        ("bob", "catalog", "track"),  # 11:00 at +07:00 is 04:00 UTC, the earliest
        ("ana", "catalog", "track"),
        ("ana", "purchase", "track"),
    ]
    assert json.loads(rows[2]["properties"]) == {"platform": "mobile", "price": "12.50", "note": "paid"}
    assert json.loads(rows[0]["properties"]) == {"platform": "desktop"}
    assert rows[1]["event_id"] == event_id(path, 2)  # the header is line 1
    again = import_events(runtime.ingestor, WS, path)
    assert (again.written, again.duplicates) == (0, 3)
    assert runtime.warehouse.count("events", WS) == 3


def test_a_file_with_bad_rows_writes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    bad = CSV + "cem,,2026-03-02T12:00:00Z,mobile,,\n,catalog,2026-03-02T12:00:00Z,mobile,,\ndia,catalog,yesterday,,,\n"
    path = write(tmp_path, "bad.csv", bad)
    with pytest.raises(ValidationFailed) as caught:
        import_events(runtime.ingestor, WS, path)
    assert "3 of 6 rows are invalid, nothing was written" in caught.value.detail
    found = [(e["line"], e["field"]) for e in caught.value.errors]
    assert found == [(5, "event"), (6, "customer_id"), (7, "timestamp")]
    assert runtime.warehouse.count("events", WS) == 0
    report = import_events(runtime.ingestor, WS, path, skip_invalid=True)
    assert (report.written, report.invalid) == (3, 3)


def test_jsonl_with_named_columns(runtime: Runtime, tmp_path: Path) -> None:
    lines = [
        {"user": "ana", "action": "signup", "at": "2026-03-01T08:00:00Z", "plan": {"tier": "pro"}, "seats": 3},
        {"user": "bob", "action": "signup", "at": "2026-03-01T09:00:00Z"},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n\nnot json\n"
    path = write(tmp_path, "clicks.jsonl", text)
    with pytest.raises(ValidationFailed) as caught:
        import_events(runtime.ingestor, WS, path, customer_column="user", event_column="action", time_column="at")
    assert [e["line"] for e in caught.value.errors] == [4]
    write(tmp_path, "clicks.jsonl", "\n".join(json.dumps(x) for x in lines))
    report = import_events(runtime.ingestor, WS, path, customer_column="user", event_column="action", time_column="at")
    assert report.written == 2
    first = events(runtime)[0]
    assert first["customer_id"] == "ana" and json.loads(first["properties"]) == {"plan": {"tier": "pro"}, "seats": 3}


def test_unreadable_files(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(BadRequest):
        import_events(runtime.ingestor, WS, tmp_path / "missing.csv")
    with pytest.raises(BadRequest):
        import_events(runtime.ingestor, WS, write(tmp_path, "clicks.xlsx", "x"))
