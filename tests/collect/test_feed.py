"""Feed cursors: every committed row is read once in commit order, across restarts and interleaved writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pandas as pd
import pytest

from suara.background import run_pass
from suara.collect.feed import advance, consume, position, read
from suara.collect.ingest import event_units
from suara.collect.writer import WriteBatch
from suara.domain.records import EventIn
from suara.runtime import Runtime
from suara.settings import Settings


def _events(n: int, prefix: str) -> list[EventIn]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        EventIn.model_validate(
            {
                "type": "track",
                "userId": f"c{i}",
                "event": "visit",
                "messageId": f"{prefix}{i}",
                "timestamp": at.isoformat(),
            }
        )
        for i in range(n)
    ]


def _write(rt: Runtime, ws: str, events: list[EventIn]) -> None:
    rt.writer.write(WriteBatch(ws, "event", event_units(events, ws)))


@pytest.fixture
def rt(tmp_path):  # type: ignore[no-untyped-def]
    with Runtime.open(Settings(data_dir=tmp_path)) as runtime:
        yield runtime


def test_each_commit_read_once_in_order_and_the_cursor_survives_a_reopen(rt: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ws = "w1"
    _write(rt, ws, _events(5, "a"))
    seen: list[pd.DataFrame] = []
    assert consume(rt.app, rt.warehouse, "t", "events", seen.append, columns=["event_id"]) == 5
    _write(rt, ws, _events(3, "b"))
    assert consume(rt.app, rt.warehouse, "t", "events", seen.append, columns=["event_id"]) == 3
    assert consume(rt.app, rt.warehouse, "t", "events", seen.append) == 0
    ids = [i for frame in seen for i in frame["event_id"]]
    assert len(ids) == len(set(ids)) == 8
    assert seen[0]["ingested_at"].max() < seen[1]["ingested_at"].min()  # commits keep their order
    # another consumer starts from the beginning; this one's cursor is in the app store, not in memory
    assert position(rt.app, "other", "events").year == 1970
    assert position(rt.app, "t", "events") == seen[1]["ingested_at"].max().to_pydatetime()


def test_a_failing_handler_leaves_the_cursor_and_gets_the_rows_again(rt: Runtime) -> None:
    _write(rt, "w1", _events(4, "a"))

    def boom(frame: pd.DataFrame) -> None:
        raise RuntimeError("handler crashed")

    with pytest.raises(RuntimeError):
        consume(rt.app, rt.warehouse, "t", "events", boom)
    got: list[int] = []
    consume(rt.app, rt.warehouse, "t", "events", lambda f: got.append(len(f)))
    assert got == [4]


def test_batches_never_split_a_commit_and_respect_max_rows(rt: Runtime) -> None:
    for k in range(4):
        _write(rt, "w1", _events(3, f"k{k}"))
    sizes: list[int] = []
    consume(rt.app, rt.warehouse, "t", "events", lambda f: sizes.append(len(f)), max_rows=7)
    assert sizes == [6, 6]  # two commits of 3 fit in 7; a third would not
    _write(rt, "w1", _events(10, "big"))
    batch = read(rt.app, rt.warehouse, "t", "events", max_rows=2)
    assert batch is not None and len(batch.rows) == 10  # one commit bigger than max_rows still comes whole


def test_concurrent_writers_lose_nothing(rt: Runtime) -> None:
    """Requests stamped out of order by the clock still land in commit order, so reading while writing skips none."""
    seen: set[str] = set()
    done = threading.Event()

    def writer(prefix: str) -> None:
        for k in range(15):
            _write(rt, "w1", _events(4, f"{prefix}{k}-"))

    threads = [threading.Thread(target=writer, args=(p,)) for p in "xyz"]
    for t in threads:
        t.start()

    def reader() -> None:
        while not done.is_set():
            consume(rt.app, rt.warehouse, "t", "events", lambda f: seen.update(f["event_id"]), columns=["event_id"])

    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.join()
    done.set()
    r.join()
    consume(rt.app, rt.warehouse, "t", "events", lambda f: seen.update(f["event_id"]), columns=["event_id"])
    assert len(seen) == 3 * 15 * 4


def test_advance_never_moves_back(rt: Runtime) -> None:
    later, earlier = datetime(2026, 5, 1), datetime(2026, 4, 1)
    advance(rt.app, "t", "events", later)
    advance(rt.app, "t", "events", earlier)
    assert position(rt.app, "t", "events") == later


def test_a_background_pass_runs_every_job_and_survives_a_failing_one(rt: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from suara import background

    monkeypatch.setitem(background.JOBS, "broken", "suara.no_such_module:nothing")
    done = run_pass(rt)
    assert done["outbox"] == 0 and done["broken"] == -1


def test_a_fact_without_ingestion_stamps_cannot_be_followed(rt: Runtime) -> None:
    with pytest.raises(ValueError, match="no ingested_at"):
        read(rt.app, rt.warehouse, "t", "answers")
