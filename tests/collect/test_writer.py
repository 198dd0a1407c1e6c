"""The writer's two ways into DuckDB (inline JSON for small tables, Arrow for large) store exactly the same rows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from suara.collect import writer
from suara.collect.ingest import event_units, feedback_units, order_units, response_units, ticket_units
from suara.collect.writer import Unit, WriteBatch, Writer, _inline_insert
from suara.domain.records import EventIn, FeedbackIn, OrderIn, ResponseIn, TicketIn
from suara.store.warehouse import FACTS, Warehouse

ODD = "it's \"quoted\" \\ back\\slash\n\ttab \x00nul \u00e9 \u4e2d \U0001f600 '' -- ;"
AT = "2026-03-01T10:20:30.123456+07:00"


def _units() -> dict[str, list[Unit]]:
    """One item of every kind, with awkward strings, nulls, microseconds and boundary numbers."""
    responses = [
        ResponseIn.model_validate(
            {
                "response_id": f"r{i}",
                "customer_id": f"c{i}",
                "survey_id": ODD,
                "survey_version": 2**31 - 1 if i == 0 else None,
                "submitted_at": AT,
                "answers": [{"kind": "nps", "number": i % 11}, {"kind": "comment", "text": ODD}],
                "fields": {"plan": ODD, "seats": 3, "ratio": 0.1, "trial": True, "empty": None},
            }
        )
        for i in range(3)
    ]
    events = [
        EventIn.model_validate({"type": "track", "event": ODD, "userId": "c1", "messageId": "e1", "timestamp": AT}),
        EventIn.model_validate(
            {"type": "page", "anonymousId": "a1", "messageId": "e2", "timestamp": AT, "properties": {"x": 1e-300}}
        ),
        EventIn.model_validate(
            {"type": "identify", "userId": "c1", "messageId": "e3", "timestamp": AT, "traits": {"segment": ODD}}
        ),
    ]
    feedback = [FeedbackIn.model_validate({"source": "review", "text": ODD, "rating": 4.5, "created_at": AT})]
    orders = [OrderIn.model_validate({"order_id": "o1", "customer_id": "c1", "ordered_at": AT, "amount": 12.34})]
    tickets = [
        TicketIn.model_validate(
            {"ticket_id": "t1", "subject": ODD, "created_at": AT, "contacts": 3, "reopened": True, "csat": 1.0}
        )
    ]
    return {
        "responses": response_units(responses, "ws", "key-1"),
        "events": event_units(events, "ws"),
        "feedback": feedback_units(feedback, "ws", "key-2"),
        "orders": order_units(orders, "ws"),
        "tickets": ticket_units(tickets, "ws"),
    }


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    wh = Warehouse.open_duckdb(None)
    yield wh
    wh.close()


def _dump(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact row, ingested_at left out (each commit stamps its own)."""
    cur = wh.cursor()
    out = {}
    for table, columns in FACTS.items():
        cols = ", ".join(f'"{c}"' for c in columns if c != "ingested_at")
        out[table] = sorted(cur.execute(f'SELECT {cols} FROM "{table}"').fetchall(), key=repr)
    out["ingest_keys"] = sorted(cur.execute("SELECT * FROM ingest_keys").fetchall())
    return out


def _write_all(wh: Warehouse) -> list[int]:
    w = Writer(wh).start()
    try:
        return [w.write(WriteBatch("ws", kind, units)).accepted for kind, units in _units().items()]
    finally:
        w.stop()


def test_inline_and_arrow_store_identical_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    tables: dict[str, list[dict[str, Any]]] = {}
    for units in _units().values():
        for unit in units:
            for table, rows in unit.rows.items():
                tables.setdefault(table, []).extend(rows)
    assert len(tables) == 8  # every fact the API writes, each of which takes the inline way below
    assert all(_inline_insert(t, FACTS[t], rows, datetime(2026, 1, 1)) for t, rows in tables.items())
    stored = {}
    for name, limit in (("inline", 10_000), ("arrow", 0)):
        monkeypatch.setattr(writer, "INLINE_MAX_ROWS", limit)
        wh = Warehouse.open_duckdb(None)
        assert _write_all(wh) == [3, 3, 1, 1, 1]
        stored[name] = _dump(wh)
        wh.close()
    assert stored["inline"] == stored["arrow"]
    (row,) = [r for r in stored["inline"]["feedback"]]
    assert ODD in row and datetime(2026, 3, 1, 3, 20, 30, 123456) in row  # the odd text and the instant, exact
    assert any(r[3] == 2**31 - 1 for r in stored["inline"]["responses"])


def test_small_tables_go_inline_large_ones_as_arrow() -> None:
    rows = [{"workspace_id": "ws", "kind": "k", "key": str(i)} for i in range(writer.INLINE_MAX_ROWS + 1)]
    assert _inline_insert("ingest_keys", writer.KEY_COLUMNS, rows[:-1], None) is not None
    assert _inline_insert("ingest_keys", writer.KEY_COLUMNS, rows, None) is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("rating", math.nan),  # JSON has no NaN
        ("rating", math.inf),
        ("rating", np.float64(4.0)),  # numpy and pandas scalars: Arrow knows them, the JSON way does not
        ("created_at", pd.Timestamp("2026-01-01")),
        ("created_at", datetime(2026, 1, 1, tzinfo=UTC)),
        ("rating", "4"),  # a wrong type: Arrow refuses it, as before
        ("text", "\ud800"),  # a lone surrogate cannot be encoded as JSON
    ],
)
def test_values_the_json_way_cannot_carry_exactly_go_as_arrow(column: str, value: Any) -> None:
    row = {"workspace_id": "ws", "feedback_id": "f1", "source": "review", "text": "ok", column: value}
    assert _inline_insert("feedback", FACTS["feedback"], [row], None) is None


def test_nan_still_stored_through_arrow(warehouse: Warehouse) -> None:
    row = {"workspace_id": "ws", "feedback_id": "f1", "source": "review", "text": "ok", "rating": math.nan}
    w = Writer(warehouse).start()
    try:
        assert w.write(WriteBatch("ws", "feedback", [Unit("f1", {"feedback": [row]})])).accepted == 1
    finally:
        w.stop()
    (rating,) = warehouse.cursor().execute("SELECT rating FROM feedback").fetchone()
    assert math.isnan(rating)


@pytest.mark.parametrize("limit", [10_000, 0])
def test_out_of_range_integer_fails_its_batch_whole(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(writer, "INLINE_MAX_ROWS", limit)
    wh = Warehouse.open_duckdb(None)
    row = {"workspace_id": "ws", "response_id": "r1", "survey_version": 2**31, "submitted_at": datetime(2026, 1, 1)}
    w = Writer(wh).start()
    try:
        with pytest.raises(Exception, match="too large"):
            w.write(WriteBatch("ws", "responses", [Unit("r1", {"responses": [row]})]))
        assert _dump(wh)["responses"] == [] and _dump(wh)["ingest_keys"] == []  # nothing half-written
    finally:
        w.stop()
        wh.close()


@pytest.mark.parametrize("limit", [10_000, 0])
def test_retries_count_once_either_way(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    monkeypatch.setattr(writer, "INLINE_MAX_ROWS", limit)
    wh = Warehouse.open_duckdb(None)
    try:
        assert _write_all(wh) == [3, 3, 1, 1, 1]
        assert _write_all(wh) == [0, 0, 0, 0, 0]
        assert len(_dump(wh)["responses"]) == 3 and len(_dump(wh)["answers"]) == 6
    finally:
        wh.close()


def test_the_writer_checkpoints_once_writes_pause(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause in ingestion folds the WAL into the file, so a burst seldom meets an automatic checkpoint."""
    import time

    monkeypatch.setattr(writer, "IDLE_CHECKPOINT_S", 0.1)
    wh = Warehouse.open_duckdb(tmp_path / "wh.duckdb")
    wal = tmp_path / "wh.duckdb.wal"
    w = Writer(wh).start()
    try:
        for kind, units in _units().items():
            w.write(WriteBatch("ws", kind, units))
        assert wal.exists() and wal.stat().st_size > 0  # committed, not yet checkpointed
        deadline = time.monotonic() + 10
        while wal.exists() and wal.stat().st_size > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not wal.exists() or wal.stat().st_size == 0
        assert wh.cursor().execute("SELECT count(*) FROM responses").fetchone() == (3,)
    finally:
        w.stop()
        wh.close()
