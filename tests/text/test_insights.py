"""Insight queries against hand counts: the aspect x touchpoint heatmap, verbatim filters and paging, summaries."""

from __future__ import annotations

import pandas as pd

from suara.runtime import Runtime
from suara.text import insights, theme_store
from suara.text.enrich import enrich
from tests.conftest import Tenant, response

LATE = "The delivery was late and the parcel arrived broken."  # delivery, negative
FAST = "Delivery was fast, I love it."  # delivery, positive
PRICE = "Prices are too high, really disappointing."  # price, negative


def test_heatmap_verbatims_and_summaries(runtime: Runtime) -> None:
    ws = Tenant(runtime, "insights").workspace_id
    plan = [(LATE, "delivery")] * 4 + [(FAST, "delivery")] * 2 + [(PRICE, "checkout")] * 3 + [(LATE, "checkout")]
    docs = [response(f"c{i}", f"2026-03-{2 + i:02d}", nps=5, comment=t, touchpoint=tp, response_id=f"r{i}")
            for i, (t, tp) in enumerate(plan)]  # fmt: skip
    runtime.ingestor.ingest("responses", ws, docs)
    enrich(runtime.warehouse, ws)
    sentiments = runtime.warehouse.table("enrichments", ws).execute().set_index("item_id").sentiment
    assert [sentiments[f"r{i}:comment"] for i in range(10)] == [-1] * 4 + [1] * 2 + [-1] * 4  # what the hand counts use
    cells = {(c.aspect, c.touchpoint): (c.index, c.n) for c in insights.heatmap(runtime.warehouse, ws)}
    assert cells[("delivery", "delivery")] == (round(100 * (2 - 4) / 6, 1), 6)
    assert cells[("delivery", "checkout")] == (-100.0, 1) and cells[("price", "checkout")] == (-100.0, 3)

    page = insights.verbatims(runtime.app, runtime.warehouse, ws, touchpoint="delivery", sentiment="negative",
                              per_page=3, page=2)  # fmt: skip
    assert page.total == 4 and [v.item_id for v in page.items] == ["r0:comment"]  # newest first: r3, r2, r1 | r0
    assert insights.verbatims(runtime.app, runtime.warehouse, ws, language="ru").total == 0

    data = pd.DataFrame({"item_kind": "answer", "item_id": [f"r{i}:comment" for i in range(10)], "language": "en",
                         "text": [t for t, _ in plan], "at": [pd.Timestamp(f"2026-03-{2 + i:02d} 12:00") for i in
                                                              range(10)]})  # fmt: skip
    pad = pd.DataFrame({"item_kind": "feedback", "item_id": [f"p{i}" for i in range(30)], "language": "en",
                        "text": [[LATE, PRICE][i % 2] for i in range(30)],
                        "at": pd.Timestamp("2026-01-05")})  # fmt: skip
    theme_store.run_themes(runtime.app, runtime.warehouse, ws, data=pd.concat([data, pad]))
    found = {s.theme_id: s for s in insights.summaries(runtime.app, runtime.warehouse, ws)}
    a = theme_store.assignments(runtime.app, ws)
    for theme_id, s in found.items():
        mine = a[a.theme_id == theme_id]
        assert s.count == len(mine) == sum(s.trend)  # every item counted in exactly one week
        enriched = mine[mine.item_id.str.startswith("r")]
        assert s.sentiment["negative"] == sum(sentiments[i] == -1 for i in enriched.item_id)
        assert len(s.weeks) == len(s.trend) and s.examples  # from the items in the warehouse
        assert set(s.examples) <= {t for t, _ in plan}
