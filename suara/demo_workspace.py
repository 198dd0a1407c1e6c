"""Installs the generated demo data into the stores: a `demo` workspace with users, a key, surveys and facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from suara.runtime import Runtime
from suara.store.app import Role, WorkspaceRepo, create_workspace, workspace_by_slug
from suara.surveys.definition import SurveyDefinition

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.suara"
DEMO_PASSWORD = "demo"  # noqa: S105 - a published demo credential, only ever on the demo workspace

SURVEYS = {
    "relational-nps": (
        "Relational NPS after delivery",
        [
            {
                "id": "nps",
                "kind": "nps",
                "text": {"en": "How likely are you to recommend us to a friend or colleague?"},
            },
            {"id": "comment", "kind": "open_text", "text": {"en": "What is the main reason for your score?"}},
            {
                "id": "attitudinal",
                "kind": "attitudinal",
                "text": {"en": "To what extent do you agree or disagree: “The product met my expectations.”"},
            },
            {
                "id": "repurchase",
                "kind": "repurchase_intent",
                "text": {"en": "How likely are you to buy from us again in the next 30 days?"},
            },
        ],
    ),
    "support-csat": (
        "Support CSAT",
        [
            {"id": "csat", "kind": "csat", "text": {"en": "How satisfied are you with the support you received?"}},
            {"id": "comment", "kind": "open_text", "text": {"en": "Anything we could have done better?"}},
        ],
    ),
    "checkout-ces": (
        "Checkout effort",
        [
            {"id": "ces", "kind": "ces", "text": {"en": "The company made it easy to complete my purchase."}},
            {"id": "comment", "kind": "open_text", "text": {"en": "What made it easy or hard?"}},
        ],
    ),
}


LOCALES = ("en", "id", "ms", "ru")


@dataclass(frozen=True)
class DemoInfo:
    slug: str
    workspace_id: str
    api_key: str
    counts: dict[str, int]


# Saved segments the metrics explorer offers: behavioural and by trait.
DEMO_SEGMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "loyal buyers": ("Three or more orders in the last 90 days.", {"all": [{"orders": {"min": 3, "within_days": 90}}]}),
    "new customers": ("First order in the last 30 days.", {"all": [{"first_order_within_days": 30}]}),
    "premium plan": ("Customers on the premium plan.", {"all": [{"trait": "plan", "in": ["premium"]}]}),
    "southeast asia": (
        "Customers in Indonesia, Malaysia or Singapore.",
        {"all": [{"trait": "country", "in": ["ID", "MY", "SG"]}]},
    ),
}


def build_demo(rt: Runtime, *, customers: int = 5000, seed: int = 7, progress: Any = None) -> DemoInfo:
    """Create (or rebuild) the demo workspace; deterministic for a given seed."""
    from suara.demo import generate

    with rt.app.session() as s:
        ws = workspace_by_slug(s, DEMO_SLUG)
        if ws is None:
            ws = create_workspace(s, DEMO_SLUG, "Demo: Nusantara Shop")
        repo = WorkspaceRepo(s, ws.id)
        if repo.user_by_email(DEMO_EMAIL) is None:
            repo.add_user(DEMO_EMAIL, DEMO_PASSWORD, Role.admin, name="Demo admin")
        for key, (name, questions) in SURVEYS.items():
            if repo.survey(key) is None:
                checked = SurveyDefinition.model_validate({"questions": questions, "locales": list(LOCALES)})
                repo.save_survey(key, name, checked.model_dump(mode="json", exclude_none=True))
        for name, (description, definition) in DEMO_SEGMENTS.items():
            repo.save_segment(name, definition, description)
        _, api_key = repo.create_api_key("demo")
        workspace_id = ws.id

    task = progress.add_task("generating a year of customer journeys", total=None) if progress else None
    tables = generate(workspace_id, seed=seed, customers=customers)
    if progress is not None:
        progress.update(task, total=1, completed=1)
    cur = rt.warehouse.cursor()
    load = progress.add_task("loading the warehouse", total=len(tables)) if progress else None
    counts = {}
    cur.execute("BEGIN TRANSACTION")
    try:
        for name in [*tables, "enrichments"]:  # a rebuild replaces the workspace's facts in one transaction
            cur.execute(f'DELETE FROM "{name}" WHERE workspace_id = ?', [workspace_id])
        for name, data in tables.items():
            rt.warehouse.load(name, data, cursor=cur)
            counts[name] = data.num_rows
            if progress is not None:
                progress.advance(load)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    from suara.text.enrich import enrich

    task = progress.add_task("reading the comments (language, sentiment)", total=None) if progress else None
    counts["enrichments"] = enrich(
        rt.warehouse,
        workspace_id,
        progress=(lambda d, t: progress.update(task, completed=d, total=t)) if progress else None,
    )
    from suara.text.theme_store import run_themes

    counts["themes"] = run_themes(rt.app, rt.warehouse, workspace_id).themes
    from suara.act.case_rules import run_case_rules

    run_case_rules(rt.app, rt.warehouse)  # the rules job opens cases for the demo's detractors: the inbox has work
    counts["cases_worked"] = _work_cases(rt, workspace_id, seed)
    counts["alerts"] = _replay_alerts(rt, workspace_id)
    return DemoInfo(DEMO_SLUG, workspace_id, api_key, counts)


# The shop's care team: cases are dealt to them in turn.
DEMO_AGENTS = (("sari@demo.suara.dev", "Sari"), ("budi@demo.suara.dev", "Budi"), ("aisyah@demo.suara.dev", "Aisyah"))
ROOT_CAUSES = {
    "delivery": ("courier delay", "parcel damaged", "wrong address"),
    "checkout": ("payment failed", "voucher not applied"),
    "support": ("slow reply", "unclear answer"),
}
WORKED_AFTER = timedelta(days=10)  # cases whose last trigger is older than this were worked; newer ones wait


def _work_cases(rt: Runtime, workspace_id: str, seed: int) -> int:
    """Play the care team's past months, so the inbox has history and the loop metrics have data: a case whose last
    trigger is over WORKED_AFTER old was opened when its first trigger fired, and most such cases were contacted
    (median about 5 hours) and resolved (median about 1.5 days later); recent cases stay new. Seeded per case, so a
    rebuild works the same cases the same way and leaves worked ones alone."""
    import numpy as np
    from sqlalchemy import select

    from suara.act import sla
    from suara.act.case_tables import CaseEvent, CaseTrigger
    from suara.act.cases import Actor, move, save_team
    from suara.store.app import Case, utcnow

    with rt.app.session() as s:
        repo = WorkspaceRepo(s, workspace_id)
        for email, name in DEMO_AGENTS:
            if repo.user_by_email(email) is None:
                repo.add_user(email, DEMO_PASSWORD, Role.agent, name=name)
    save_team(rt.app, workspace_id, "Customer care", members=[e for e, _ in DEMO_AGENTS], manager_email=DEMO_EMAIL)
    now = utcnow()
    worked = 0
    with rt.app.session() as s:
        staff = WorkspaceRepo(s, workspace_id)
        agents = [Actor(u.id, u.name or u.email) for u in (staff.user_by_email(e) for e, _ in DEMO_AGENTS) if u]
        cases = s.scalars(select(Case).where(Case.workspace_id == workspace_id, Case.status == "new")).all()
        triggers: dict[int, list[CaseTrigger]] = {}
        mine = select(CaseTrigger).where(CaseTrigger.workspace_id == workspace_id)
        for t in s.scalars(mine.order_by(CaseTrigger.id)):
            triggers.setdefault(t.case_id, []).append(t)
        logged: dict[int, list[CaseEvent]] = {}
        trigger_events = select(CaseEvent).where(CaseEvent.workspace_id == workspace_id, CaseEvent.kind == "trigger")
        for e in s.scalars(trigger_events.order_by(CaseEvent.id)):
            logged.setdefault(e.case_id, []).append(e)
        for case in cases:
            fired = [(t, t.occurred_at) for t in triggers.get(case.id, []) if t.occurred_at is not None]
            if not fired or now - max(at for _, at in fired) < WORKED_AFTER:
                continue
            rng = np.random.default_rng([seed, case.id])
            lag = timedelta(minutes=float(rng.uniform(1, 30)))  # the rules job runs every few seconds to minutes
            for t, e in zip(triggers[case.id], logged.get(case.id, []), strict=False):
                if t.occurred_at is not None:
                    t.created_at = e.created_at = t.occurred_at + lag
            case.created_at = fired[0][1] + lag
            case.first_due_at, case.resolve_due_at = sla.deadlines(s, workspace_id, case.priority, case.created_at)
            agent = agents[case.id % len(agents)]
            case.owner_id = agent.user_id
            at = case.created_at
            if rng.random() < 0.12:  # never reached: still new, and past its SLA
                continue
            at += timedelta(hours=float(rng.lognormal(np.log(5), 1.0)))
            if at >= now:
                continue
            move(s, case, "contacted", agent, at)
            worked += 1
            if rng.random() < 0.2:  # still being worked
                continue
            at += timedelta(hours=float(rng.lognormal(np.log(36), 0.8)))
            if at >= now:
                continue
            causes = ROOT_CAUSES.get(case.touchpoint or "", ("product quality", "price", "other"))
            case.root_cause = causes[int(rng.integers(len(causes)))]
            move(s, case, "resolved", agent, at)
            if at + timedelta(days=3) < now and rng.random() < 0.7:
                move(s, case, "closed", agent, at + timedelta(days=3))
            case.updated_at = at
    return worked


# Rules a CX team would watch in this shop: the delivery partner's NPS and the error events of checkout and tracking.
DEMO_ALERT_RULES: dict[str, dict[str, Any]] = {
    "NusaCargo NPS under 10": {
        "kind": "threshold",
        "metric": "nps",
        "period": "month",
        "filters": {"delivery_partner": ["NusaCargo"]},
        "below": 10,
    },
    "Checkout and tracking errors": {
        "kind": "anomaly",
        "series": "event_count",
        "events": ["checkout_error", "tracking_error"],
    },
}


def _replay_alerts(rt: Runtime, workspace_id: str) -> int:
    """Add the demo's alert rules and check them weekly over the last four months, as if suara had been serving."""
    from suara.act.alerts import AlertRuleCreate, add_rule, check_alerts, list_rules

    known = {r.name for r in list_rules(rt.app, workspace_id)}
    for name, definition in DEMO_ALERT_RULES.items():
        if name not in known:
            add_rule(rt.app, workspace_id, AlertRuleCreate(name=name, definition=definition))
    end = rt.warehouse.table("events", workspace_id).timestamp.max().execute()
    day = pd.Timestamp(end).normalize().to_pydatetime() + timedelta(days=1)
    raised = 0
    for weeks_back in range(17, -1, -1):
        raised += len(check_alerts(rt.app, rt.warehouse, workspace_id, day - timedelta(weeks=weeks_back)))
    return raised
