"""A warehouse file from before tickets had `agent` and feedback had `likes` gains both on open; old rows read null."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import ibis
import pyarrow as pa

from suara.act.timeline import timeline
from suara.metrics import MetricSpec, run_metric
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.warehouse import FACTS

NEW = {"tickets": "agent", "feedback": "likes"}


def _old_table(name: str, row: dict[str, object]) -> pa.Table:
    """One row of the fact as it was before its new column."""
    old = ibis.schema({k: v for k, v in FACTS[name].items() if k != NEW[name]})
    full = {c: None for c in old.names} | {"workspace_id": "w"} | row
    return pa.Table.from_pylist([full], schema=old.to_pyarrow())


def test_an_old_warehouse_gains_agent_and_likes_and_old_rows_read_null(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    path = settings.resolved_warehouse_path()
    path.parent.mkdir(parents=True)
    con = ibis.duckdb.connect(str(path))
    opened = datetime(2026, 3, 2, 9)
    con.create_table(
        "tickets",
        _old_table(
            "tickets",
            {
                "ticket_id": "t-old",
                "customer_id": "ana",
                "created_at": opened,
                "first_response_at": datetime(2026, 3, 2, 11),
            },
        ),
    )
    con.create_table(
        "feedback",
        _old_table(
            "feedback",
            {"feedback_id": "f-old", "source": "twitter", "customer_id": "ana", "text": "hm", "created_at": opened},
        ),  # fmt: skip
    )
    con.disconnect()

    with Runtime.open(settings) as rt:
        wh = rt.warehouse
        for name, column in NEW.items():
            assert list(wh.table(name).columns) == list(FACTS[name])  # added at the end, the rest as it was
            assert wh.table(name).execute()[column].isna().all(), name  # the old row reads null
        ticket = {"ticket_id": "t-new", "customer_id": "ana", "created_at": "2026-03-03T09:00:00Z",
                  "first_response_at": "2026-03-03T13:00:00Z", "agent": "Sari"}  # fmt: skip
        rt.ingestor.ingest("tickets", "w", [ticket])
        post = {"feedback_id": "f-new", "source": "twitter", "customer_id": "ana", "text": "fast!",
                "created_at": "2026-03-03T10:00:00Z", "likes": 7}  # fmt: skip
        rt.ingestor.ingest("feedback", "w", [post])

        cur = wh.cursor()
        assert sorted(cur.execute("SELECT ticket_id, agent FROM tickets").fetchall()) == [
            ("t-new", "Sari"),
            ("t-old", None),
        ]
        assert sorted(cur.execute("SELECT text, likes FROM feedback").fetchall()) == [("fast!", 7), ("hm", None)]
        r = run_metric(wh, "w", MetricSpec(metric="first_response_time", by=["agent"]))
        assert {g.key["agent"]: (g.n, g.value) for g in r.groups} == {"Sari": (1, 4.0), None: (1, 2.0)}
        titles = {i.id: i.title for i in timeline(wh, "w", "ana").items}
        assert titles["t-new"] == "Ticket: t-new (open), agent Sari" and titles["t-old"] == "Ticket: t-old"
        assert titles["f-new"] == "twitter, 7 likes" and titles["f-old"] == "twitter"

    again = Runtime.open(settings)  # opening again adds nothing and keeps the rows
    try:
        assert again.warehouse.count("tickets") == 2 and again.warehouse.count("feedback") == 2
        assert list(again.warehouse.table("feedback").columns) == list(FACTS["feedback"])
    finally:
        again.close()
