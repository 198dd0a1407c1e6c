"""The trigger job: new events through the rules into due jobs, then due jobs through the contact policy into the
outbox. Both halves keep their state in the app store (feed cursor, jobs unique on rule and event), so a pass can
stop anywhere and the next one carries on without losing or repeating a contact."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suara.collect.feed import consume, skip_to_end
from suara.outreach.policy import TARGET_TRAIT
from suara.outreach.send import Request, customer_traits, process
from suara.outreach.tables import DECISIONS, JOBS, OutreachJob, TriggerRuleRow
from suara.outreach.triggers import TriggerDefinition, parse_duration
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse

if TYPE_CHECKING:
    from suara.runtime import Runtime

CONSUMER = "outreach.triggers"
# An event whose contact was due more than this long ago is history (an import), not a reason to write today.
STALE = timedelta(days=1)
EVENT_COLUMNS = ["workspace_id", "event_id", "event", "customer_id", "timestamp", "properties"]

Rules = dict[str, list[tuple[int, TriggerDefinition]]]


def enabled_rules(app: AppStore) -> Rules:
    """Enabled rules by workspace."""
    found: Rules = defaultdict(list)
    with app.session() as s:
        for row in s.scalars(select(TriggerRuleRow).where(TriggerRuleRow.enabled.is_(True))):
            found[row.workspace_id].append((row.id, TriggerDefinition.model_validate(row.definition)))
    return found


def _same(actual: Any, wanted: str | int | float | bool) -> bool:
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted or str(actual).lower() == str(wanted).lower()
    if isinstance(wanted, int | float) and isinstance(actual, int | float):
        return float(actual) == float(wanted)
    return str(actual) == str(wanted)


def _matches(properties: str | None, where: dict[str, Any]) -> bool:
    try:
        props = json.loads(properties or "{}")
    except ValueError:
        return False
    return isinstance(props, dict) and all(k in props and _same(props[k], v) for k, v in where.items())


def jobs_for(events: pd.DataFrame, rules: Rules, now: datetime) -> list[dict[str, Any]]:
    """The due jobs a batch of events makes under the rules (pure: no IO)."""
    jobs: list[dict[str, Any]] = []
    named = events[events["customer_id"].notna() & (events["customer_id"] != "") & events["event"].notna()]
    for workspace_id, ws_rules in rules.items():
        part = named[named["workspace_id"] == workspace_id]
        if part.empty:
            continue
        for rule_id, rule in ws_rules:
            hit = part[part["event"] == rule.on.event]
            if rule.on.where and not hit.empty:
                hit = hit[[_matches(p, rule.on.where) for p in hit["properties"]]]
            if hit.empty:
                continue
            event_at = pd.to_datetime(hit["timestamp"])
            due = event_at + rule.wait
            fresh = due >= now - STALE
            for source, customer, at, when in zip(
                hit["event_id"][fresh], hit["customer_id"][fresh], event_at[fresh], due[fresh], strict=True
            ):
                jobs.append(
                    {
                        "workspace_id": workspace_id,
                        "rule_id": rule_id,
                        "source_id": source,
                        "customer_id": customer,
                        "event_at": at.to_pydatetime(),
                        "due_at": when.to_pydatetime(),
                        "status": "pending",
                        "created_at": now,
                    }
                )
    return jobs


def _insert_jobs(session: Session, jobs: list[dict[str, Any]]) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for i in range(0, len(jobs), 2000):
        stmt = insert(JOBS).on_conflict_do_nothing(index_elements=["rule_id", "source_id"])
        session.execute(stmt, jobs[i : i + 2000])


def schedule(runtime: Runtime, *, now: datetime | None = None, max_rows: int = 50_000) -> int:
    """Read new events through the feed into due jobs; returns the events read."""
    rules = enabled_rules(runtime.app)
    if not rules:  # a rule fires on events after it is enabled: with none enabled, nothing needs reading
        skip_to_end(runtime.app, runtime.warehouse, CONSUMER, "events")
        return 0
    at = now or utcnow()

    def handle(events: pd.DataFrame) -> None:
        jobs = jobs_for(events, rules, at)
        if jobs:
            with runtime.app.session() as s:
                _insert_jobs(s, jobs)

    return consume(runtime.app, runtime.warehouse, CONSUMER, "events", handle, columns=EVENT_COLUMNS, max_rows=max_rows)


@dataclass(frozen=True)
class _Job:
    id: int
    workspace_id: str
    rule_id: int
    customer_id: str
    event_at: datetime
    due_at: datetime


def _followed(warehouse: Warehouse, workspace_id: str, rule: TriggerDefinition, jobs: list[_Job]) -> set[int]:
    """Jobs whose customer sent the rule's `unless` event within its window after the trigger event."""
    assert rule.unless is not None
    within = parse_duration(rule.unless.within)
    e = warehouse.table("events", workspace_id)
    lo, hi = min(j.event_at for j in jobs), max(j.event_at for j in jobs) + within
    customers = sorted({j.customer_id for j in jobs})
    seen: dict[str, list[datetime]] = defaultdict(list)
    for i in range(0, len(customers), 5000):
        rows = (
            e.filter(
                e.event == rule.unless.event,
                e.customer_id.isin(ibis.memtable({"id": customers[i : i + 5000]}).id),
                e.timestamp >= lo,
                e.timestamp <= hi,
            )
            .select("customer_id", "timestamp")
            .to_pandas()
        )
        for customer, ts in zip(rows["customer_id"], rows["timestamp"], strict=True):
            seen[customer].append(pd.Timestamp(ts).to_pydatetime())
    return {j.id for j in jobs if any(j.event_at <= ts <= j.event_at + within for ts in seen.get(j.customer_id, ()))}


def _requests(
    jobs: Iterable[_Job], rules: dict[int, TriggerDefinition], traits: dict[str, dict[str, str]]
) -> list[Request]:
    out = []
    for job in jobs:
        rule, mine = rules[job.rule_id], traits.get(job.customer_id, {})
        stratum = f"{rule.quota.trait}={mine.get(rule.quota.trait, '(none)')}" if rule.quota else ""
        out.append(
            Request(
                customer_id=job.customer_id,
                survey_key=rule.survey,
                channel=rule.channel,
                at=job.due_at,
                target=mine.get(TARGET_TRAIT[rule.channel]),
                kind=rule.kind,
                locale=rule.locale or mine.get("locale") or mine.get("language"),
                timezone=mine.get("timezone"),
                share=rule.sample,
                sample_key=f"rule:{job.rule_id}",
                stratum=stratum,
                quota_limit=rule.quota.limit if rule.quota else None,
                rule_id=job.rule_id,
                job_id=job.id,
                dedupe_key=f"outreach:job:{job.id}",
            )
        )
    return out


def decide_due(runtime: Runtime, *, now: datetime | None = None, limit: int = 2000) -> int:
    """Decide up to `limit` due jobs in one transaction: cancel, skip or queue each; returns the jobs decided."""
    now = now or utcnow()
    secret = runtime.settings.resolved_secret()
    fallback = f"http://{runtime.settings.host}:{runtime.settings.port}"
    j = OutreachJob
    with runtime.app.session() as s:
        q = select(j.id, j.workspace_id, j.rule_id, j.customer_id, j.event_at, j.due_at)
        q = q.where(j.status == "pending", j.due_at <= now).order_by(j.due_at, j.id).limit(limit)
        jobs = [_Job(*row) for row in s.execute(q)]
        if not jobs:
            return 0
        rows = {
            r.id: r for r in s.scalars(select(TriggerRuleRow).where(TriggerRuleRow.id.in_({x.rule_id for x in jobs})))
        }
        by_ws: dict[str, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_ws[job.workspace_id].append(job)
        cancelled: set[int] = set()
        for workspace_id, mine in by_ws.items():
            cancelled |= _decide_workspace(runtime, s, workspace_id, mine, rows, now, secret, fallback)
        ids = [x.id for x in jobs]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for status, these in (("cancelled", [x for x in chunk if x in cancelled]), ("done", chunk)):
                s.execute(
                    update(j)
                    .where(j.id.in_(these), j.status == "pending")
                    .values(status=status)
                    .execution_options(synchronize_session=False)
                )
    return len(jobs)


def _decide_workspace(
    runtime: Runtime,
    s: Session,
    workspace_id: str,
    jobs: list[_Job],
    rows: dict[int, TriggerRuleRow],
    now: datetime,
    secret: str,
    base_url: str,
) -> set[int]:
    """Decide one workspace's due jobs; returns the ids of those cancelled."""
    rules = {rid: TriggerDefinition.model_validate(r.definition) for rid, r in rows.items()}
    cancelled: dict[int, str] = {}
    for job in jobs:
        if not rows[job.rule_id].enabled:
            cancelled[job.id] = "cancelled: rule disabled"
    for rule_id, rule in rules.items():
        if rule.unless is None:
            continue
        waiting = [x for x in jobs if x.rule_id == rule_id and x.id not in cancelled]
        if waiting:
            for job_id in _followed(runtime.warehouse, workspace_id, rule, waiting):
                cancelled[job_id] = f"cancelled: {rule.unless.event} within {rule.unless.within}"
    live = [x for x in jobs if x.id not in cancelled]
    needed = {"email", "phone", "timezone", "locale", "language"} | {r.quota.trait for r in rules.values() if r.quota}
    traits = (
        customer_traits(runtime.warehouse, workspace_id, sorted({x.customer_id for x in live}), needed) if live else {}
    )
    gone = [
        {
            "workspace_id": workspace_id,
            "customer_id": x.customer_id,
            "survey_key": rules[x.rule_id].survey,
            "rule_id": x.rule_id,
            "job_id": x.id,
            "channel": rules[x.rule_id].channel,
            "kind": rules[x.rule_id].kind,
            "outcome": "cancelled",
            "reason": cancelled[x.id],
            "stratum": "",
            "at": max(x.due_at, now),
            "decided_at": now,
        }
        for x in jobs
        if x.id in cancelled
    ]
    if gone:
        s.execute(insert(DECISIONS), gone)
    process(s, workspace_id, _requests(live, rules, traits), secret=secret, base_url=base_url, now=now, returning=False)
    return set(cancelled)


def run_pass(runtime: Runtime, *, now: datetime | None = None) -> int:
    """The background job: new events into jobs, then due jobs into decisions; returns the items handled."""
    handled = schedule(runtime, now=now)
    for _ in range(50):  # bounded, so one pass never starves the other jobs
        decided = decide_due(runtime, now=now)
        handled += decided
        if decided == 0:
            break
    return handled
