"""Rules that open cases from new facts, and the background job that runs them through the feed.

Kinds of rule (one topic each, so a customer has at most one open case per kind of problem):

- nps_detractor: an NPS answer of at most `at_most` (0-10, default 6)            -> topic `nps`
- csat_low: a CSAT answer of at most `at_most` (1-5, default 2)                   -> topic `csat`
- review_low: feedback (a review) rated at most `at_most` (1-5, default 2)        -> topic `review`
- negative_aspect: a comment or review read as negative that names an aspect      -> topic `aspect:<name>`
- churn_risk: a churn score of at least `at_least` (0-1), passed in by the caller -> topic `churn`

The job reads responses and feedback through durable feed cursors (`suara.collect.feed`) and enrichments by their
`enriched_at` stamp (a cursor of its own). Each hit is recorded under a unique source key, so re-reading a batch
after a crash, or running the job twice, opens each case once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suara.act.case_tables import CaseRule, CaseTrigger
from suara.act.cases import Hit, Priority, record_hit
from suara.collect import feed
from suara.errors import NotFound
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse
from suara.text.aspects import ASPECTS

if TYPE_CHECKING:
    from suara.runtime import Runtime

CONSUMER = "cases"
Kind = Literal["nps_detractor", "csat_low", "review_low", "negative_aspect", "churn_risk"]
TOPIC = {"nps_detractor": "nps", "csat_low": "csat", "review_low": "review", "churn_risk": "churn"}
# Rows per batch: answers are looked up by response id, so the id list stays a modest size.
BATCH_ROWS = 5_000
# Enrichment batches of concurrent writers may commit a little out of stamp order: re-read this much (hits dedupe).
ENRICHMENT_OVERLAP = timedelta(minutes=5)


class RuleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at_most: float | None = Field(
        None, description="nps_detractor, csat_low, review_low: the highest score that fires."
    )
    at_least: float | None = Field(None, ge=0, le=1, description="churn_risk: the lowest score that fires (0-1).")
    aspects: list[str] = Field(default_factory=list, description="negative_aspect: aspects that fire.")
    sources: list[str] = Field(default_factory=list, description="review_low: only these feedback sources.")


class CaseRuleIn(BaseModel):
    """A rule as stored and submitted; `name` is unique in the workspace."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    enabled: bool = True
    priority: Priority = "normal"
    params: RuleParams = Field(default_factory=RuleParams)

    @model_validator(mode="after")
    def _params_fit(self) -> CaseRuleIn:
        p = self.params
        limits = {"nps_detractor": (0, 10), "csat_low": (1, 5), "review_low": (1, 5)}
        if self.kind in limits:
            low, high = limits[self.kind]
            if p.at_most is None:
                p.at_most = {"nps_detractor": 6.0}.get(self.kind, 2.0)
            if not low <= p.at_most <= high:
                raise ValueError(f"{self.kind}: at_most must be within {low}..{high}")
        if self.kind == "churn_risk" and p.at_least is None:
            p.at_least = 0.8
        if self.kind == "negative_aspect":
            unknown = sorted(set(p.aspects) - set(ASPECTS))
            if not p.aspects or unknown:
                raise ValueError(f"negative_aspect: give aspects among {', '.join(ASPECTS)}")
        return self


class CaseRulePublic(CaseRuleIn):
    id: int
    name: str


DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "nps-detractor": {"kind": "nps_detractor", "priority": "high", "params": {"at_most": 6}},
    "low-csat": {"kind": "csat_low", "priority": "normal", "params": {"at_most": 2}},
    "low-review": {"kind": "review_low", "priority": "normal", "params": {"at_most": 2}},
    # Which aspects deserve a call is a business choice: off until someone picks them.
    "negative-delivery": {
        "kind": "negative_aspect",
        "enabled": False,
        "priority": "normal",
        "params": {"aspects": ["delivery"]},
    },
    "churn-risk": {"kind": "churn_risk", "priority": "high", "params": {"at_least": 0.8}},
}


# -- storage -------------------------------------------------------------------------------------------------------
def _rows(s: Session, workspace_id: str) -> list[CaseRule]:
    """The workspace's rules, the defaults stored first time they are asked for."""
    q = select(CaseRule).where(CaseRule.workspace_id == workspace_id).order_by(CaseRule.id)
    rows = list(s.scalars(q))
    if rows:
        return rows
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    for name, data in DEFAULT_RULES.items():
        rule = CaseRuleIn.model_validate(data)
        values = {
            c: getattr(_row(workspace_id, name, rule), c) for c in ("name", "kind", "enabled", "priority", "params")
        }
        # Two first readers (a page and the background job) may seed at once: the second one's rows are dropped.
        stmt = insert(CaseRule).values(workspace_id=workspace_id, created_at=now, updated_at=now, **values)
        s.execute(stmt.on_conflict_do_nothing(index_elements=["workspace_id", "name"]))
    return list(s.scalars(q))


def _row(workspace_id: str, name: str, rule: CaseRuleIn) -> CaseRule:
    return CaseRule(
        workspace_id=workspace_id,
        name=name,
        kind=rule.kind,
        enabled=rule.enabled,
        priority=rule.priority,
        params=rule.params.model_dump(exclude_none=True),
    )


def _public(row: CaseRule) -> CaseRulePublic:
    return CaseRulePublic(
        id=row.id,
        name=row.name,
        kind=row.kind,
        enabled=row.enabled,
        priority=row.priority,
        params=row.params,  # type: ignore[arg-type]
    )


def list_rules(app: AppStore, workspace_id: str) -> list[CaseRulePublic]:
    with app.session() as s:
        return [_public(r) for r in _rows(s, workspace_id)]


def save_rule(app: AppStore, workspace_id: str, name: str, rule: CaseRuleIn) -> CaseRulePublic:
    """Create or replace the named rule."""
    with app.session() as s:
        _rows(s, workspace_id)
        row = s.scalar(select(CaseRule).where(CaseRule.workspace_id == workspace_id, CaseRule.name == name))
        if row is None:
            row = _row(workspace_id, name, rule)
            s.add(row)
        else:
            row.kind, row.enabled, row.priority = rule.kind, rule.enabled, rule.priority
            row.params = rule.params.model_dump(exclude_none=True)
        s.flush()
        return _public(row)


def delete_rule(app: AppStore, workspace_id: str, name: str) -> None:
    with app.session() as s:
        row = s.scalar(select(CaseRule).where(CaseRule.workspace_id == workspace_id, CaseRule.name == name))
        if row is None:
            raise NotFound(f"no case rule {name!r} in this workspace")
        s.delete(row)


def _enabled(s: Session, workspace_id: str) -> list[CaseRulePublic]:
    return [_public(r) for r in _rows(s, workspace_id) if r.enabled]


# -- evaluation ----------------------------------------------------------------------------------------------------
def _str(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT else str(v)


def _when(v: Any) -> datetime | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()


def _response_hits(rules: list[CaseRulePublic], responses: pd.DataFrame, answers: pd.DataFrame) -> list[Hit]:
    """NPS and CSAT hits of these responses (answers in long form: response_id, kind, number)."""
    by_id = responses.set_index("response_id")
    hits: list[Hit] = []
    for rule in rules:
        score_kind = {"nps_detractor": "nps", "csat_low": "csat"}.get(rule.kind)
        if score_kind is None:
            continue
        limit = rule.params.at_most
        assert limit is not None
        low = answers[(answers["kind"] == score_kind) & (answers["number"] <= limit)]
        for a in low.itertuples(index=False):
            r = by_id.loc[a.response_id]
            customer = _str(r["customer_id"])
            if customer is None:
                continue  # an anonymous answer has nobody to call back
            comment = a.comment if isinstance(getattr(a, "comment", None), str) else ""
            hits.append(
                Hit(
                    customer_id=customer,
                    topic=TOPIC[rule.kind],
                    rule=rule.name,
                    kind=rule.kind,
                    priority=rule.priority,
                    fact="responses",
                    item_id=str(a.response_id),
                    score=float(a.number),
                    score_kind=score_kind,
                    touchpoint=_str(r["touchpoint"]),
                    occurred_at=_when(r["submitted_at"]),
                    detail=f"{score_kind.upper()} {a.number:g}" + (f": {comment[:300]}" if comment else ""),
                )
            )
    return hits


def _feedback_hits(rules: list[CaseRulePublic], rows: pd.DataFrame) -> list[Hit]:
    hits: list[Hit] = []
    for rule in rules:
        if rule.kind != "review_low":
            continue
        limit = rule.params.at_most
        assert limit is not None
        low = rows[rows["rating"].notna() & (rows["rating"] <= limit)]
        if rule.params.sources:
            low = low[low["source"].isin(rule.params.sources)]
        for f in low.itertuples(index=False):
            # A review without a known customer is still a case: it stands for its author alone.
            customer = _str(f.customer_id) or f"review:{f.feedback_id}"
            text = (_str(f.text) or "")[:300]
            hits.append(
                Hit(
                    customer_id=customer,
                    topic=TOPIC[rule.kind],
                    rule=rule.name,
                    kind=rule.kind,
                    priority=rule.priority,
                    fact="feedback",
                    item_id=str(f.feedback_id),
                    score=float(f.rating),
                    score_kind="rating",
                    touchpoint=_str(f.touchpoint),
                    occurred_at=_when(f.created_at),
                    detail=f"{_str(f.source) or 'review'} rated {f.rating:g}" + (f": {text}" if text else ""),
                )
            )
    return hits


def _aspect_hits(rules: list[CaseRulePublic], rows: pd.DataFrame) -> list[Hit]:
    hits: list[Hit] = []
    negative = rows[(rows["sentiment"] == -1) & rows["themes"].notna() & rows["customer_id"].notna()]
    for rule in rules:
        if rule.kind != "negative_aspect":
            continue
        for e in negative.itertuples(index=False):
            named = set(str(e.themes).split(","))
            for aspect in sorted(named & set(rule.params.aspects)):
                hits.append(
                    Hit(
                        customer_id=str(e.customer_id),
                        topic=f"aspect:{aspect}",
                        rule=rule.name,
                        kind=f"{rule.kind}:{aspect}",
                        priority=rule.priority,
                        fact="enrichments",
                        item_id=f"{e.item_kind}:{e.item_id}",
                        touchpoint=_str(e.touchpoint),
                        occurred_at=_when(e.at),
                        detail=f"negative about {aspect} ({e.source})",
                    )
                )
    return hits


def _record(app: AppStore, workspace_id: str, hits: list[Hit]) -> int:
    """Record the hits of one workspace in one transaction; returns the cases opened or added to."""
    if not hits:
        return 0
    now = utcnow()
    with app.session() as s:
        # One look-up for the batch's recorded keys; record_hit still checks each (and the unique key guards).
        keys = sorted({h.source_key for h in hits})
        seen: set[str] = set()
        for i in range(0, len(keys), 500):
            seen.update(
                s.scalars(
                    select(CaseTrigger.source_key).where(
                        CaseTrigger.workspace_id == workspace_id, CaseTrigger.source_key.in_(keys[i : i + 500])
                    )
                )
            )
        return sum(record_hit(s, workspace_id, h, now) is not None for h in hits if h.source_key not in seen)


# -- the job -------------------------------------------------------------------------------------------------------
def run_case_rules(app: AppStore, wh: Warehouse, *, max_rows: int = BATCH_ROWS) -> int:
    """One pass over the facts that arrived since the last: responses, feedback, then enrichments; returns rows read."""

    def on_responses(rows: pd.DataFrame) -> None:
        for ws, part in rows.groupby("workspace_id"):
            with app.session() as s:
                rules = _enabled(s, str(ws))
            if not any(r.kind in ("nps_detractor", "csat_low") for r in rules):
                continue
            # The batch is whole commits, so its responses are those stamped within its range: a semi-join, not a
            # list of thousands of ids in the query.
            r = wh.table("responses", str(ws))
            lo, hi = (pd.Timestamp(x).to_pydatetime() for x in (part["ingested_at"].min(), part["ingested_at"].max()))
            batch = r.filter(r.ingested_at >= lo, r.ingested_at <= hi).select("response_id")
            a = wh.table("answers", str(ws))
            answers = (
                a.filter(a.kind.isin(["nps", "csat", "comment"]))
                .semi_join(batch, "response_id")
                .select("response_id", "kind", "number", "text")
                .to_pandas()
            )
            answers = answers[answers["response_id"].isin(set(part["response_id"]))]
            comments = answers[answers["kind"] == "comment"].groupby("response_id")["text"].first()
            scores = answers[answers["kind"] != "comment"].copy()
            scores["comment"] = scores["response_id"].map(comments)
            _record(app, str(ws), _response_hits(rules, part, scores))

    def on_feedback(rows: pd.DataFrame) -> None:
        for ws, part in rows.groupby("workspace_id"):
            with app.session() as s:
                rules = _enabled(s, str(ws))
            _record(app, str(ws), _feedback_hits(rules, part))

    done = feed.consume(
        app,
        wh,
        CONSUMER,
        "responses",
        on_responses,
        columns=["workspace_id", "response_id", "customer_id", "touchpoint", "submitted_at"],
        max_rows=max_rows,
    )
    done += feed.consume(
        app,
        wh,
        CONSUMER,
        "feedback",
        on_feedback,
        columns=[
            "workspace_id",
            "feedback_id",
            "customer_id",
            "rating",
            "text",
            "source",
            "touchpoint",
            "created_at",
        ],
        max_rows=max_rows,
    )
    return done + _run_enrichments(app, wh)


def _run_enrichments(app: AppStore, wh: Warehouse) -> int:
    """Enrichments have no ingest stamp: follow `enriched_at` with a cursor of this consumer's own."""
    after = feed.position(app, CONSUMER, "enrichments")
    t = wh.table("enrichments")
    newest = t.enriched_at.max().execute()
    if newest is None or pd.isna(newest) or pd.Timestamp(newest).to_pydatetime() <= after:
        return 0
    newest = pd.Timestamp(newest).to_pydatetime()
    lower = after - ENRICHMENT_OVERLAP if after > feed.ORIGIN else after
    fresh = t.filter(t.enriched_at > lower, t.enriched_at <= newest)
    rows = fresh.filter(fresh.sentiment == -1, fresh.themes.notnull()).to_pandas()
    for ws, part in rows.groupby("workspace_id"):
        with app.session() as s:
            rules = [r for r in _enabled(s, str(ws)) if r.kind == "negative_aspect"]
        if rules:
            _record(app, str(ws), _aspect_hits(rules, part))
    feed.advance(app, CONSUMER, "enrichments", newest)
    return len(rows)


def case_rules_job(runtime: Runtime) -> int:
    """Background pass of the rules over new facts."""
    return run_case_rules(runtime.app, runtime.warehouse)


def open_churn_cases(app: AppStore, workspace_id: str, scores: Mapping[str, float], *, run: str) -> int:
    """Open (or add to) churn cases for customers scored at or over the enabled churn rules' threshold.

    `scores` maps customer id to a churn probability (0-1); `run` names the scoring run (a date, a model version),
    so the same run passed twice opens nothing new. Returns the cases opened or added to.
    """
    with app.session() as s:
        rules = [r for r in _enabled(s, workspace_id) if r.kind == "churn_risk"]
    hits = [
        Hit(
            customer_id=customer,
            topic=TOPIC["churn_risk"],
            rule=rule.name,
            kind=rule.kind,
            priority=rule.priority,
            fact="churn_scores",
            item_id=f"{run}:{customer}",
            score=float(score),
            score_kind="churn",
            detail=f"churn risk {score:.2f} ({run})",
        )
        for rule in rules
        for customer, score in sorted(scores.items())
        if rule.params.at_least is not None and score >= rule.params.at_least
    ]
    return _record(app, workspace_id, hits)
