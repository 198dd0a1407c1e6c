"""How well the loop closes: time to first contact and to resolution, detractors contacted within SLA, recovery.

- time to first contact / to resolution: hours from opening, median with a percentile-bootstrap interval
  (`stats.quantile_bootstrap`), over the cases opened in the window that got there;
- detractors contacted within SLA: share (Wilson interval, in percent) of NPS-detractor cases whose first contact
  came by its deadline, among those contacted or already past the deadline (a case still inside its window is
  undecided and left out);
- recovery: for resolved cases opened by an NPS or CSAT answer, the customer's next answer on the same scale after
  the resolution minus the answer that opened the case: paired mean difference with a Student-t interval and n.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import select

from suara.metrics import stats
from suara.store.app import AppStore, Case, utcnow
from suara.store.warehouse import Warehouse


class Interval(BaseModel):
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


class Recovery(Interval):
    scale: str = Field(description="nps (0-10) or csat (1-5): the answer's own points.")
    before: float | None = Field(description="Mean opening answer of the paired cases.")
    after: float | None = Field(description="Mean next answer after resolution.")


class LoopMetrics(BaseModel):
    cases: int = Field(description="Cases opened in the window.")
    hours_to_first_contact: Interval = Field(description="Median hours, bootstrap 95% interval.")
    hours_to_resolution: Interval = Field(description="Median hours, bootstrap 95% interval.")
    detractors_contacted_in_sla: Interval = Field(description="Percent, Wilson 95% interval.")
    recovery: list[Recovery]


def _interval(e: stats.Estimate) -> Interval:
    return Interval(value=e.value, ci_low=e.ci_low, ci_high=e.ci_high, n=int(e.n))


def _hours(later: pd.Series, start: pd.Series) -> np.ndarray:
    mask = later.notna()
    return ((later[mask] - start[mask]).dt.total_seconds() / 3600).to_numpy(dtype=float)


def case_frame(app: AppStore, workspace_id: str, start: datetime | None, end: datetime | None) -> pd.DataFrame:
    """The workspace's cases opened in [start, end) as a frame, one row per case."""
    c = Case
    q = select(
        c.id,
        c.customer_id,
        c.rule,
        c.topic,
        c.score,
        c.score_kind,
        c.created_at,
        c.first_due_at,
        c.first_contact_at,
        c.resolved_at,
    ).where(c.workspace_id == workspace_id)
    if start is not None:
        q = q.where(c.created_at >= start)
    if end is not None:
        q = q.where(c.created_at < end)
    with app.session() as s:
        rows = s.execute(q).all()
    cols = ["id", "customer_id", "rule", "topic", "score", "score_kind", "created_at", "first_due_at"]
    df = pd.DataFrame(rows, columns=[*cols, "first_contact_at", "resolved_at"])
    for col in ("created_at", "first_due_at", "first_contact_at", "resolved_at"):
        df[col] = pd.to_datetime(df[col])
    return df


def next_answers(wh: Warehouse, workspace_id: str, customers: list[str]) -> pd.DataFrame:
    """Every NPS and CSAT answer of these customers: customer_id, kind, number, submitted_at."""
    if not customers:
        return pd.DataFrame(columns=["customer_id", "kind", "number", "submitted_at"])
    r = wh.table("responses", workspace_id)
    a = wh.table("answers", workspace_id)
    r = r.filter(r.customer_id.isin(customers))
    a = a.filter(a.kind.isin(["nps", "csat"]), a.number.notnull())
    j = a.join(r, "response_id")
    return j.select(j.customer_id, j.kind, j.number, j.submitted_at).to_pandas()


def loop_metrics(
    app: AppStore,
    wh: Warehouse,
    workspace_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> LoopMetrics:
    """The loop measures over the cases opened in [start, end) (all cases by default), judged at `now`."""
    now = now or utcnow()
    df = case_frame(app, workspace_id, start, end)
    first = stats.quantile_bootstrap(_hours(df["first_contact_at"], df["created_at"]), 0.5)
    resolve = stats.quantile_bootstrap(_hours(df["resolved_at"], df["created_at"]), 0.5)

    det = df[(df["score_kind"] == "nps") & (df["topic"] == "nps") & df["first_due_at"].notna()]
    contacted = det["first_contact_at"].notna()
    decided = contacted | (det["first_due_at"] < now)
    in_time = contacted & (det["first_contact_at"] <= det["first_due_at"])
    share = stats.wilson(float(in_time[decided].sum()), float(decided.sum()))

    recovery = []
    scored = df[df["resolved_at"].notna() & df["score_kind"].isin(["nps", "csat"]) & df["score"].notna()]
    answers = next_answers(wh, workspace_id, sorted(set(scored["customer_id"])))
    answers["submitted_at"] = pd.to_datetime(answers["submitted_at"])
    for scale in ("nps", "csat"):
        pairs = []
        mine = answers[answers["kind"] == scale].sort_values("submitted_at", kind="stable")
        by_customer = {k: g for k, g in mine.groupby("customer_id")}
        for case in scored[scored["score_kind"] == scale].itertuples(index=False):
            later = by_customer.get(case.customer_id)
            if later is None:
                continue
            after = later[later["submitted_at"] > case.resolved_at]
            if len(after):
                pairs.append((float(case.score), float(after["number"].iloc[0])))
        d = np.array([b - a for a, b in pairs], dtype=float)
        est = stats.mean_t(float(len(d)), float(d.sum()), float((d**2).sum()))
        recovery.append(
            Recovery(
                scale=scale,
                value=est.value,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                n=len(d),
                before=float(np.mean([a for a, _ in pairs])) if pairs else None,
                after=float(np.mean([b for _, b in pairs])) if pairs else None,
            )
        )
    return LoopMetrics(
        cases=len(df),
        hours_to_first_contact=_interval(first),
        hours_to_resolution=_interval(resolve),
        detractors_contacted_in_sla=_interval(share),
        recovery=recovery,
    )
