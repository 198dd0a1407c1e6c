"""The aspect x touchpoint heatmap scores each aspect with its own clause's sentiment, and a warehouse enriched
before that was stored gains the column and falls back to the item's sentiment for its old rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import ibis
import pyarrow as pa

from suara.runtime import Runtime
from suara.store.warehouse import FACTS, Warehouse, to_arrow
from suara.text import analyze, insights
from suara.text.enrich import POLARITY, enrich
from tests.conftest import Tenant, response

MIXED = "Delivery was quick and great, but the prices are terrible and way too expensive."
REVERSED = "Terrible delivery, the parcel was lost. Great prices though."


def _cells(wh: Warehouse, ws: str) -> dict[tuple[str, str], tuple[float, int]]:
    return {(c.aspect, c.touchpoint): (c.index, c.n) for c in insights.heatmap(wh, ws)}


def test_a_mixed_comment_lands_in_two_cells_with_opposite_signs(runtime: Runtime) -> None:
    ws = Tenant(runtime, "aspect-heat").workspace_id
    plan = [(MIXED, "checkout")] * 3 + [(REVERSED, "checkout"), (MIXED, "delivery")]
    docs = [response(f"c{i}", f"2026-03-{2 + i:02d}", nps=5, comment=t, touchpoint=tp, response_id=f"r{i}")
            for i, (t, tp) in enumerate(plan)]  # fmt: skip
    runtime.ingestor.ingest("responses", ws, docs)
    enrich(runtime.warehouse, ws)
    own = {t: {a.aspect: POLARITY[a.sentiment] for a in analyze([t])[0].aspects} for t in (MIXED, REVERSED)}
    assert own == {MIXED: {"delivery": 1, "price": -1}, REVERSED: {"delivery": -1, "price": 1}}  # what the counts use
    # independent hand count: each (text, touchpoint) adds its aspects' own polarities
    sums: dict[tuple[str, str], list[int]] = {}
    for text, tp in plan:
        for aspect, p in own[text].items():
            sums.setdefault((aspect, tp), []).append(p)
    expected = {k: (round(100 * sum(v) / len(v), 1), len(v)) for k, v in sums.items()}
    cells = _cells(runtime.warehouse, ws)
    assert cells == expected
    assert cells[("delivery", "checkout")] == (50.0, 4) and cells[("price", "checkout")] == (-50.0, 4)
    assert cells[("delivery", "delivery")] == (100.0, 1) and cells[("price", "delivery")] == (-100.0, 1)
    stored = runtime.warehouse.table("enrichments", ws).execute().set_index("item_id")
    assert stored.loc["r0:comment", "aspect_sentiments"] == "delivery:1;price:-1"
    assert stored.loc["r3:comment", "aspect_sentiments"] == "delivery:-1;price:1"


def _old_rows(*rows: dict[str, object]) -> pa.Table:
    """Rows of the enrichments fact as it was before `aspect_sentiments`."""
    old = ibis.schema({k: v for k, v in FACTS["enrichments"].items() if k != "aspect_sentiments"})
    return pa.Table.from_pylist(list(rows), schema=old.to_pyarrow())


def _row(item_id: str, sentiment: int, **extra: object) -> dict[str, object]:
    return {"workspace_id": "w", "item_kind": "feedback", "item_id": item_id, "touchpoint": "checkout",
            "at": datetime(2026, 3, 2), "sentiment": sentiment, "themes": "delivery,price", **extra}  # fmt: skip


def test_an_old_warehouse_gains_the_column_and_old_rows_use_the_item_sentiment(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    con = ibis.duckdb.connect(str(path))  # a warehouse file from before the column existed, with one row
    con.create_table("enrichments", _old_rows(_row("old", -1)))
    con.disconnect()
    wh = Warehouse.open_duckdb(path)
    try:
        assert "aspect_sentiments" in wh.table("enrichments").columns
        assert wh.table("enrichments").execute().aspect_sentiments.isna().all()  # the old row reads null
        wh.load("enrichments", to_arrow("enrichments", [_row("new", -1, aspect_sentiments="delivery:1;price:-1")]))
        cells = _cells(wh, "w")
        assert cells[("delivery", "checkout")] == (0.0, 2)  # old row -1 (the item's), new row +1 (its own)
        assert cells[("price", "checkout")] == (-100.0, 2)
    finally:
        wh.close()
    again = Warehouse.open_duckdb(path)  # opening again adds nothing and keeps the rows
    try:
        assert list(again.table("enrichments").columns) == list(FACTS["enrichments"])
        assert again.count("enrichments") == 2
    finally:
        again.close()


def test_a_backend_without_the_column_uses_the_item_sentiment() -> None:
    backend = ibis.duckdb.connect()  # not the embedded file: suara reads it as it is
    backend.create_table("enrichments", _old_rows(_row("a", 1), _row("b", -1)))
    wh = Warehouse.on_backend(backend)
    assert _cells(wh, "w") == {("delivery", "checkout"): (0.0, 2), ("price", "checkout"): (0.0, 2)}
