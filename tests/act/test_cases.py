"""Cases opened by rules through the feed: one open case per customer and topic, once per source row, crash-safe."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from suara.act import case_rules, cases
from suara.act.case_rules import CaseRuleIn, open_churn_cases, run_case_rules, save_rule
from suara.act.case_tables import CaseEvent, CaseTrigger
from suara.act.cases import Actor, CaseCreate, CaseFilter, CaseUpdate, create_case, get_case, list_cases, save_team
from suara.collect import feed
from suara.errors import Conflict, ValidationFailed
from suara.runtime import Runtime
from suara.store.app import Case, Role, WorkspaceRepo, create_workspace
from suara.store.warehouse import to_arrow
from tests.conftest import response

ANA = Actor(None, "Ana")


@pytest.fixture
def ws(runtime: Runtime) -> str:
    with runtime.app.session() as s:
        return create_workspace(s, "acme", "Acme").id


def ingest(rt: Runtime, ws: str, *docs: dict[str, Any]) -> None:
    rt.ingestor.ingest("responses", ws, list(docs))


def run(rt: Runtime) -> int:
    return run_case_rules(rt.app, rt.warehouse)


def all_cases(rt: Runtime, ws: str) -> list[Case]:
    with rt.app.session() as s:
        return list(s.scalars(select(Case).where(Case.workspace_id == ws).order_by(Case.id)))


def triggers(rt: Runtime, ws: str) -> int:
    with rt.app.session() as s:
        return int(s.scalar(select(func.count()).where(CaseTrigger.workspace_id == ws)) or 0)


def test_detractors_and_low_csat_open_one_case_per_customer_and_topic(runtime: Runtime, ws: str) -> None:
    ingest(
        runtime,
        ws,
        response("ana", "2026-03-01", nps=3, comment="late again", response_id="r1", touchpoint="delivery"),
        response("bob", "2026-03-01", nps=9, response_id="r2"),
        response("cid", "2026-03-02", csat=1, nps=7, response_id="r3"),
        response("dee", "2026-03-02", csat=3, nps=6, response_id="r4"),
    )
    ingest(runtime, ws, response("ana", "2026-03-05", nps=5, response_id="r5"))
    assert run(runtime) == 5
    got = {(c.customer_id, c.topic): c for c in all_cases(runtime, ws)}
    assert set(got) == {("ana", "nps"), ("cid", "csat"), ("dee", "nps")}
    ana = get_case(runtime.app, ws, got[("ana", "nps")].id)
    # The second detractor answer of ana landed in her open case, not in a new one.
    assert [t.item_id for t in ana.triggers] == ["r1", "r5"]
    assert ana.priority == "high" and ana.score == 3 and ana.score_kind == "nps" and ana.touchpoint == "delivery"
    assert "late again" in ana.triggers[0].detail
    assert [e.kind for e in ana.events] == ["trigger", "trigger"]
    assert ana.first_due_at is not None and ana.sla is not None and ana.sla.target == "first_contact"
    assert run(runtime) == 0


def test_the_job_run_twice_over_the_same_facts_makes_each_case_once(runtime: Runtime, ws: str) -> None:
    ingest(runtime, ws, *[response(f"c{i}", "2026-03-01", nps=i % 11) for i in range(40)])
    run(runtime)
    first = [(c.id, c.customer_id) for c in all_cases(runtime, ws)]
    assert len(first) == sum(1 for i in range(40) if i % 11 <= 6)
    # A second consumer reading from the start replays every row: the source keys keep it to one case each.
    with runtime.app.session() as s:
        for row in s.scalars(select(feed.FeedCursor)):
            row.position = feed.ORIGIN
    run(runtime)
    assert [(c.id, c.customer_id) for c in all_cases(runtime, ws)] == first
    assert triggers(runtime, ws) == len(first)


def test_a_crash_after_the_insert_and_before_the_cursor_moves_makes_no_duplicate(
    runtime: Runtime, ws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(runtime, ws, response("ana", "2026-03-01", nps=2), response("bob", "2026-03-01", csat=1))
    real_record = case_rules._record

    def record_then_die(app: Any, workspace_id: str, hits: list[Any]) -> int:
        real_record(app, workspace_id, hits)  # the cases are committed ...
        raise RuntimeError("worker killed")  # ... and the worker dies before the cursor advances

    monkeypatch.setattr(case_rules, "_record", record_then_die)
    with pytest.raises(RuntimeError, match="worker killed"):
        run(runtime)
    assert len(all_cases(runtime, ws)) == 2
    assert feed.position(runtime.app, case_rules.CONSUMER, "responses") == feed.ORIGIN
    monkeypatch.setattr(case_rules, "_record", real_record)
    run(runtime)  # the same rows come back
    assert sorted((c.customer_id, c.topic) for c in all_cases(runtime, ws)) == [("ana", "nps"), ("bob", "csat")]
    assert triggers(runtime, ws) == 2
    assert feed.position(runtime.app, case_rules.CONSUMER, "responses") > feed.ORIGIN


def test_a_resolved_case_lets_a_new_detractor_open_a_new_case(runtime: Runtime, ws: str) -> None:
    ingest(runtime, ws, response("ana", "2026-03-01", nps=2, response_id="r1"))
    run(runtime)
    (case,) = all_cases(runtime, ws)
    cases.update_case(runtime.app, ws, case.id, CaseUpdate(status="resolved", root_cause="courier"), ANA)
    ingest(runtime, ws, response("ana", "2026-04-01", nps=4, response_id="r2"))
    run(runtime)
    old, new = all_cases(runtime, ws)
    assert (old.status, new.status) == ("resolved", "new") and new.customer_id == "ana"
    # Reopening the old one would make two open cases on the topic: refused, nothing changed.
    with pytest.raises(Conflict, match="another open case"):
        cases.update_case(runtime.app, ws, old.id, CaseUpdate(status="reopened"), ANA)
    assert get_case(runtime.app, ws, old.id).status == "resolved"


def test_status_moves_follow_the_workflow_and_every_change_is_in_the_history(runtime: Runtime, ws: str) -> None:
    with runtime.app.session() as s:
        u = WorkspaceRepo(s, ws).add_user("agent@acme.test", "pw", Role.agent, name="Agent Smith").id
    case = create_case(runtime.app, ws, CaseCreate(customer_id="ana", topic="delivery"), ANA)
    assert case.status == "new" and case.owner_id is None
    with pytest.raises(Conflict, match="open case on 'delivery' already"):
        create_case(runtime.app, ws, CaseCreate(customer_id="ana", topic="delivery"), ANA)
    with pytest.raises(ValidationFailed, match="no user 999"):
        cases.update_case(runtime.app, ws, case.id, CaseUpdate(owner_id=999), ANA)
    cases.update_case(runtime.app, ws, case.id, CaseUpdate(owner_id=u, priority="urgent", tags=["b", "a"]), ANA)
    cases.update_case(runtime.app, ws, case.id, CaseUpdate(status="contacted"), ANA)
    with pytest.raises(Conflict, match="a contacted case cannot become new"):
        cases.update_case(runtime.app, ws, case.id, CaseUpdate(status="new"), ANA)
    done = cases.update_case(
        runtime.app, ws, case.id, CaseUpdate(status="resolved", resolution_note="refunded", root_cause="courier"), ANA
    )
    assert done.first_contact_at is not None and done.resolved_at is not None and done.sla is None
    assert done.owner_name == "Agent Smith" and done.tags == ["a", "b"]
    changes = [(e.field, e.old, e.new, e.actor) for e in done.events if e.kind == "change"]
    assert changes == [
        ("status", None, "new", "Ana"),
        ("owner_id", None, str(u), "Ana"),
        ("priority", "normal", "urgent", "Ana"),
        ("tags", "", "a, b", "Ana"),
        ("status", "new", "contacted", "Ana"),
        ("root_cause", None, "courier", "Ana"),
        ("resolution_note", None, "refunded", "Ana"),
        ("status", "contacted", "resolved", "Ana"),
    ]
    # Urgent deadlines replaced the normal ones while they were still unmet.
    assert done.first_due_at is not None and done.first_due_at - done.created_at == timedelta(hours=4)
    reopened = cases.update_case(runtime.app, ws, case.id, CaseUpdate(status="reopened"), ANA)
    assert reopened.resolved_at is None and reopened.sla is not None and reopened.sla.target == "resolution"


def test_owners_are_dealt_round_robin_within_the_team_of_the_touchpoint(runtime: Runtime, ws: str) -> None:
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, ws)
        a, b, c = (repo.add_user(f"{n}@acme.test", "pw", Role.agent).id for n in "abc")
    save_team(runtime.app, ws, "delivery", members=[a, b], touchpoints=["delivery"], manager_email="boss@acme.test")
    save_team(runtime.app, ws, "everyone else", members=[c])
    ingest(
        runtime,
        ws,
        *[response(f"d{i}", "2026-03-01", nps=1, touchpoint="delivery") for i in range(5)],
        response("x", "2026-03-01", nps=1, touchpoint="checkout"),
    )
    run(runtime)
    owners = {c_.customer_id: c_.owner_id for c_ in all_cases(runtime, ws)}
    assert sorted(owners[f"d{i}"] for i in range(5)) == [a, a, a, b, b]
    assert owners["x"] == c


def test_reviews_aspects_and_churn_scores_open_cases(runtime: Runtime, ws: str) -> None:
    runtime.ingestor.ingest(
        "feedback",
        ws,
        [
            {
                "source": "app_store",
                "customer_id": "ana",
                "text": "Crashes",
                "rating": 1,
                "created_at": "2026-03-01T00:00:00Z",
            },
            {"source": "app_store", "text": "Meh", "rating": 2, "created_at": "2026-03-01T00:00:00Z"},
            {
                "source": "app_store",
                "customer_id": "bob",
                "text": "Great",
                "rating": 5,
                "created_at": "2026-03-01T00:00:00Z",
            },
        ],
    )
    save_rule(
        runtime.app, ws, "negative-delivery", CaseRuleIn(kind="negative_aspect", params={"aspects": ["delivery"]})
    )  # type: ignore[arg-type]
    row = {
        "workspace_id": ws,
        "item_kind": "feedback",
        "item_id": "f9",
        "customer_id": "cid",
        "source": "trustpilot",
        "touchpoint": None,
        "at": datetime(2026, 3, 2),
        "language": "en",
        "sentiment": -1,
        "sentiment_score": 0.9,
        "themes": "delivery,price",
        "model": "m",
        "enriched_at": datetime(2026, 3, 3),
    }
    runtime.warehouse.load("enrichments", to_arrow("enrichments", [row, {**row, "item_id": "f10", "themes": "price"}]))
    run(runtime)
    run(runtime)
    got = sorted((c.customer_id, c.topic) for c in all_cases(runtime, ws))
    assert got[0] == ("ana", "review") and got[1] == ("cid", "aspect:delivery")
    assert got[2][1] == "review" and got[2][0].startswith("review:") and len(got) == 3
    scores = {"ana": 0.91, "bob": 0.2, "cid": 0.8}
    assert open_churn_cases(runtime.app, ws, scores, run="2026-03-31") == 2
    assert open_churn_cases(runtime.app, ws, scores, run="2026-03-31") == 0
    churn = list_cases(runtime.app, ws, CaseFilter(), limit=100).items
    assert sorted(c.customer_id for c in churn if c.topic == "churn") == ["ana", "cid"]


def test_rule_definitions_are_checked(runtime: Runtime, ws: str) -> None:
    with pytest.raises(ValueError, match="at_most must be within 0..10"):
        CaseRuleIn(kind="nps_detractor", params={"at_most": 11})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="give aspects among"):
        CaseRuleIn(kind="negative_aspect", params={"aspects": ["weather"]})  # type: ignore[arg-type]
    rules = case_rules.list_rules(runtime.app, ws)
    assert [r.name for r in rules] == list(case_rules.DEFAULT_RULES)
    save_rule(runtime.app, ws, "nps-detractor", CaseRuleIn(kind="nps_detractor", params={"at_most": 4}))  # type: ignore[arg-type]
    ingest(runtime, ws, response("ana", "2026-03-01", nps=5), response("bob", "2026-03-01", nps=4))
    run(runtime)
    assert [c.customer_id for c in all_cases(runtime, ws)] == ["bob"]


def test_history_rows_name_who_changed_what(runtime: Runtime, ws: str) -> None:
    case = create_case(runtime.app, ws, CaseCreate(customer_id="ana", topic="t"), ANA)
    cases.update_case(runtime.app, ws, case.id, CaseUpdate(priority="low"), Actor(None, "Budi"))
    with runtime.app.session() as s:
        rows = s.execute(select(CaseEvent.actor, CaseEvent.field, CaseEvent.old, CaseEvent.new)).all()
    assert [tuple(r) for r in rows] == [("Ana", "status", None, "new"), ("Budi", "priority", "normal", "low")]
