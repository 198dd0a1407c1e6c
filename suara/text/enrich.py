"""Enrichment: language, sentiment and aspects of feedback and comments not yet enriched, appended to `enrichments`.

Idempotent: an item already in `enrichments` is skipped, so running it again (after a crash, or on a schedule)
only does the new items. Rows copy the item's instant, customer and source so metrics read one table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from suara.store.warehouse import Warehouse, to_arrow
from suara.text.analysis import analyze
from suara.text.sentiment import shipped

BATCH = 2_000
MODEL_NAME = "suara-sentiment"
POLARITY = {"positive": 1, "neutral": 0, "negative": -1}


def pending(wh: Warehouse, workspace_id: str) -> pa.Table:
    """Feedback texts and comment answers of the workspace without an enrichment row yet."""
    fb = wh.table("feedback", workspace_id)
    fb = fb.select(
        item_kind=ibis.literal("feedback"),
        item_id=fb.feedback_id,
        customer_id=fb.customer_id,
        source=fb.source,
        touchpoint=fb.touchpoint,
        at=fb.created_at,
        text=fb.text,
    )
    ans = wh.table("answers", workspace_id)
    ans = ans.filter(ans.text.notnull())
    resp = wh.table("responses", workspace_id)
    j = ans.join(resp, "response_id")
    comments = j.select(
        item_kind=ibis.literal("answer"),
        item_id=j.response_id + ":" + j.question_id,
        customer_id=j.customer_id,
        source=ibis.literal("survey"),
        touchpoint=j.touchpoint,
        at=j.submitted_at,
        text=j.text,
    )
    done = wh.table("enrichments", workspace_id).select("item_kind", "item_id")
    items = ibis.union(fb, comments)
    todo = items.anti_join(done, ["item_kind", "item_id"])
    return todo.order_by(["at", "item_kind", "item_id"]).to_pyarrow()


def enrich(wh: Warehouse, workspace_id: str, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Enrich every pending item in batches; returns how many rows were appended."""
    todo = pending(wh, workspace_id)
    model = shipped()
    done = 0
    for start in range(0, todo.num_rows, BATCH):
        part = todo.slice(start, BATCH).to_pylist()
        results = analyze([r["text"] for r in part], model=model)
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                **{k: r[k] for k in ("item_kind", "item_id", "customer_id", "source", "touchpoint", "at")},
                "workspace_id": workspace_id,
                "language": a.language,
                "sentiment": POLARITY.get(a.sentiment),
                "sentiment_score": a.sentiment_score,
                "themes": ",".join(sorted({x.aspect for x in a.aspects})) or None,
                "model": MODEL_NAME,
                "enriched_at": now,
            }
            for r, a in zip(part, results, strict=True)
        ]
        wh.load("enrichments", to_arrow("enrichments", rows))
        done += len(rows)
        if progress is not None:
            progress(done, todo.num_rows)
    return done
