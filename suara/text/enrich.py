"""Enrichment: language, sentiment, aspects and themes of feedback and comments, appended to `enrichments`.

Two ways in, one row per item either way:
- `enrich(wh, workspace)`: a back-fill of every item without an enrichment row (the CLI, the demo build);
- `enrich_new(runtime)`: the background job, which follows new `responses` and `feedback` through the feed and
  writes through the single writer keyed on the item, so a batch read again after a crash adds nothing twice.

Rows copy the item's instant, customer and source so metrics read one table. The `themes` column holds the aspect
names the item mentions; theme ids live in the app store (`suara.text.theme_store`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from suara.store.warehouse import Warehouse, to_arrow
from suara.text.analysis import TextAnalysis, analyze
from suara.text.sentiment import shipped

if TYPE_CHECKING:
    from suara.runtime import Runtime

BATCH = 2_000
MODEL_NAME = "suara-sentiment"
POLARITY = {"positive": 1, "neutral": 0, "negative": -1}
CONSUMER = "text-enrichment"
FIRST_FIT = 200  # enriched items a workspace needs before the job fits its first themes
ITEM_COLUMNS = ("item_kind", "item_id", "customer_id", "source", "touchpoint", "at", "text")


def items(wh: Warehouse, workspace_id: str, *, tickets: bool = False) -> ir.Table:
    """Every text item of the workspace: feedback, comment answers and, with `tickets`, ticket subjects."""
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
    out = ibis.union(fb, comments)
    if tickets:
        t = wh.table("tickets", workspace_id)
        t = t.filter(t.subject.contains(" "))  # a one-word subject is a help-desk category code, not what was said
        out = ibis.union(
            out,
            t.select(
                item_kind=ibis.literal("ticket"),
                item_id=t.ticket_id,
                customer_id=t.customer_id,
                source=ibis.literal("ticket"),
                touchpoint=t.touchpoint,
                at=t.created_at,
                text=t.subject,
            ),
        )
    return out


def pending(wh: Warehouse, workspace_id: str) -> pa.Table:
    """Feedback texts and comment answers of the workspace without an enrichment row yet."""
    done = wh.table("enrichments", workspace_id).select("item_kind", "item_id")
    todo = items(wh, workspace_id).anti_join(done, ["item_kind", "item_id"])
    return todo.order_by(["at", "item_kind", "item_id"]).to_pyarrow()


def rows_for(workspace_id: str, part: list[dict[str, Any]], results: list[TextAnalysis]) -> list[dict[str, Any]]:
    """Enrichment rows of items (dicts with ITEM_COLUMNS) and their analyses."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        {
            **{k: r[k] for k in ITEM_COLUMNS if k != "text"},
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


def enrich(wh: Warehouse, workspace_id: str, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Enrich every pending item in batches; returns how many rows were appended."""
    todo = pending(wh, workspace_id)
    model = shipped()
    done = 0
    for start in range(0, todo.num_rows, BATCH):
        part = todo.slice(start, BATCH).to_pylist()
        rows = rows_for(workspace_id, part, analyze([r["text"] for r in part], model=model))
        wh.load("enrichments", to_arrow("enrichments", rows))
        done += len(rows)
        if progress is not None:
            progress(done, todo.num_rows)
    return done


# -- the background job ----------------------------------------------------------------------------------------
def enrich_new(runtime: Runtime, *, max_rows: int = 5_000, max_batches: int | None = None) -> int:
    """One pass of the job: enrich the comments of new responses and new feedback; returns the items enriched."""
    done = [0]
    touched: set[str] = set()

    def on_responses(batch: pd.DataFrame) -> None:
        for ws, group in batch.groupby("workspace_id"):
            done[0] += _enrich_items(runtime, str(ws), _answers_of(runtime.warehouse, str(ws), group))
            touched.add(str(ws))

    def on_feedback(batch: pd.DataFrame) -> None:
        for ws, g in batch.groupby("workspace_id"):
            part = pd.DataFrame(
                {
                    "item_kind": "feedback",
                    "item_id": g.feedback_id,
                    "customer_id": g.customer_id,
                    "source": g.source,
                    "touchpoint": g.touchpoint,
                    "at": g.created_at,
                    "text": g.text,
                }
            )
            done[0] += _enrich_items(runtime, str(ws), part)
            touched.add(str(ws))

    from suara.collect.feed import consume

    app, wh = runtime.app, runtime.warehouse
    resp_cols = ["workspace_id", "response_id"]
    fb_cols = ["workspace_id", "feedback_id", "customer_id", "source", "touchpoint", "created_at", "text"]
    consume(app, wh, CONSUMER, "responses", on_responses, columns=resp_cols, max_rows=max_rows, max_batches=max_batches)
    consume(app, wh, CONSUMER, "feedback", on_feedback, columns=fb_cols, max_rows=max_rows, max_batches=max_batches)
    for ws in sorted(touched):
        _first_themes(runtime, ws)
    return done[0]


def _first_themes(runtime: Runtime, workspace_id: str) -> None:
    """Fit a workspace's first themes once it has FIRST_FIT enriched items; later items are assigned as they come
    (a re-fit is `POST /api/v1/text/themes/run`)."""
    from sqlalchemy import select

    from suara.store.app import Workspace
    from suara.text.theme_store import run_themes
    from suara.text.theme_tables import TextTheme

    with runtime.app.session() as s:
        known = s.get(Workspace, workspace_id) is not None
        fitted = s.scalar(select(TextTheme.id).where(TextTheme.workspace_id == workspace_id).limit(1)) is not None
    if known and not fitted and runtime.warehouse.count("enrichments", workspace_id) >= FIRST_FIT:
        run_themes(runtime.app, runtime.warehouse, workspace_id)


def _answers_of(wh: Warehouse, workspace_id: str, responses: pd.DataFrame) -> pd.DataFrame:
    """The comment answers of these responses, as items."""
    ids = ibis.memtable(pd.DataFrame({"response_id": responses.response_id.astype(str).unique()}))
    ans = wh.table("answers", workspace_id)
    ans = ans.filter(ans.text.notnull()).semi_join(ids, "response_id")
    resp = wh.table("responses", workspace_id).semi_join(ids, "response_id")
    j = ans.join(resp, "response_id")
    df: pd.DataFrame = j.select(
        item_kind=ibis.literal("answer"),
        item_id=j.response_id + ":" + j.question_id,
        customer_id=j.customer_id,
        source=ibis.literal("survey"),
        touchpoint=j.touchpoint,
        at=j.submitted_at,
        text=j.text,
    ).to_pandas()
    return df


def _enrich_items(runtime: Runtime, workspace_id: str, part: pd.DataFrame) -> int:
    """Analyse the items not enriched yet and write them, keyed on the item, then assign their themes."""
    from suara.collect.writer import Unit, WriteBatch

    if part.empty:
        return 0
    done = runtime.warehouse.table("enrichments", workspace_id)
    keys = ibis.memtable(part[["item_kind", "item_id"]].astype(str))
    existing = done.select("item_kind", "item_id").semi_join(keys, ["item_kind", "item_id"]).to_pandas()
    seen = set(zip(existing.item_kind, existing.item_id, strict=True))
    todo = [r for r in part.to_dict("records") if (r["item_kind"], r["item_id"]) not in seen]
    if not todo:
        return 0
    for r in todo:  # pandas' NaN and Timestamp back to what the fact schema takes
        for k in ITEM_COLUMNS:
            r[k] = None if pd.isna(r[k]) else (pd.Timestamp(r[k]).to_pydatetime() if k == "at" else str(r[k]))
    results = analyze([r["text"] for r in todo], model=shipped())
    rows = rows_for(workspace_id, todo, results)
    units = [Unit(f"{r['item_kind']}:{r['item_id']}", {"enrichments": [r]}) for r in rows]
    result = runtime.writer.write(WriteBatch(workspace_id, "enrichment", units))
    from suara.text.theme_store import assign_new

    assign_new(runtime.app, workspace_id, todo, [a.language for a in results])
    return result.accepted
