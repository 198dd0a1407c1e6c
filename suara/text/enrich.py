"""Enrichment: language, sentiment, aspects and themes of feedback and comments, appended to `enrichments`.

Two ways in, one row per item either way:
- `enrich(wh, workspace)`: a back-fill of every item without an enrichment row (the CLI, the demo build);
- `enrich_new(runtime)`: the background job, which follows new `responses` and `feedback` through the feed and
  writes through the single writer keyed on the item, so a batch read again after a crash adds nothing twice.
  It also fits a workspace's themes, first at FIRST_FIT items and again as its items grow or its fit ages
  (`refit_themes`, thresholds from the settings).

Rows copy the item's instant, customer and source so metrics read one table. The `themes` column holds the aspect
names the item mentions and `aspect_sentiments` each one's own polarity; theme ids live in the app store
(`suara.text.theme_store`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from suara.store.warehouse import Warehouse, to_arrow
from suara.text.analysis import TextAnalysis, analyze
from suara.text.sentiment import shipped
from suara.text.theme_store import RefitPolicy

if TYPE_CHECKING:
    from suara.runtime import Runtime

BATCH = 2_000
MODEL_NAME = "suara-sentiment"
POLARITY = {"positive": 1, "neutral": 0, "negative": -1}
CONSUMER = "text-enrichment"
FIRST_FIT = 200  # enriched items a workspace needs before the job fits its first themes
AGE_CHECK_S = 600.0  # how often a workspace with aged themes and no new items is counted again
_age_checked: dict[str, float] = {}  # workspace -> monotonic instant of its last age check in this process
log = logging.getLogger(__name__)
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
            "aspect_sentiments": aspect_polarities(a),
            "model": MODEL_NAME,
            "enriched_at": now,
        }
        for r, a in zip(part, results, strict=True)
    ]


def aspect_polarities(a: TextAnalysis) -> str | None:
    """Each aspect's own polarity from the clauses that mention it, "delivery:1;price:-1" (sorted; None without
    aspects), so "fast delivery but too expensive" counts positive for delivery and negative for price."""
    pairs = sorted({x.aspect: POLARITY[x.sentiment] for x in a.aspects if x.sentiment in POLARITY}.items())
    return ";".join(f"{k}:{v}" for k, v in pairs) or None


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
    for ws in [*sorted(touched), *_aged(runtime, touched)]:
        try:
            refit_themes(runtime, ws)
        except Exception:  # one workspace's failed fit must not hold back the others; its trigger stays due
            log.exception("fitting the themes of workspace %s failed; tried again on a later pass", ws)
    return done[0]


def refit_themes(runtime: Runtime, workspace_id: str, *, now: datetime | None = None) -> str | None:
    """Fit the workspace's themes when the re-fit policy says so (see `theme_store.refit_reason`); returns why
    ("first", "growth", "age") or None. Themes fitted before fits were recorded get a baseline, not a fit."""
    from sqlalchemy import select

    from suara.store.app import Workspace
    from suara.text.theme_store import record_run, refit_reason, run_themes
    from suara.text.theme_tables import TextTheme, ThemeRun

    with runtime.app.session() as s:
        if s.get(Workspace, workspace_id) is None:
            return None
        last = s.get(ThemeRun, workspace_id)
        first = select(TextTheme.id).where(TextTheme.workspace_id == workspace_id).limit(1)
        unrecorded = last is None and s.scalar(first) is not None
    items = runtime.warehouse.count("enrichments", workspace_id)
    if unrecorded:
        record_run(runtime.app, workspace_id, items, "baseline", runs=0)
        return None
    reason = refit_reason(refit_policy(runtime), items, last, now or datetime.now(UTC).replace(tzinfo=None))
    if reason is not None:
        log.info("fitting the themes of workspace %s (%s, %d enriched items)", workspace_id, reason, items)
        run_themes(runtime.app, runtime.warehouse, workspace_id, reason=reason)
    return reason


def refit_policy(runtime: Runtime) -> RefitPolicy:
    """The re-fit thresholds of the runtime's settings."""
    st = runtime.settings
    age = timedelta(days=st.theme_refit_max_age_days) if st.theme_refit_max_age_days > 0 else None
    return RefitPolicy(FIRST_FIT, st.theme_refit_growth, st.theme_refit_min_items, age)


def _aged(runtime: Runtime, skip: set[str]) -> list[str]:
    """Workspaces whose last fit is past the maximum age and that were not checked in the last AGE_CHECK_S: the
    ones whose new items all came before the fit aged would otherwise never be looked at again."""
    from sqlalchemy import select

    from suara.text.theme_tables import ThemeRun

    policy = refit_policy(runtime)
    if policy.max_age is None:
        return []
    cutoff = datetime.now(UTC).replace(tzinfo=None) - policy.max_age
    with runtime.app.session() as s:
        old = list(s.scalars(select(ThemeRun.workspace_id).where(ThemeRun.fitted_at <= cutoff)))
    now = time.monotonic()
    due = [ws for ws in old if ws not in skip and now - _age_checked.get(ws, -AGE_CHECK_S) >= AGE_CHECK_S]
    _age_checked.update(dict.fromkeys(due, now))
    return due


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
