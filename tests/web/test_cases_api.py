"""The cases API: list with filters, pages and CSV; open, change, comment, reply, bulk assign; rules; loop metrics;
the customer timeline. Errors are problem+json and never half-write."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from suara.background import run_pass
from suara.runtime import Runtime
from suara.store.app import Role, WorkspaceRepo
from tests.conftest import Tenant, identify, response


def rt(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status
    return body


def seed(client: TestClient, tenant: Tenant) -> list[int]:
    """Five detractors and a promoter through the ingest API, then one pass of the rules job; returns user ids."""
    docs = [response(f"c{i}", "2026-03-01", nps=i, touchpoint="delivery") for i in range(5)]
    docs.append(response("happy", "2026-03-01", nps=10))
    r = client.post("/api/v1/responses/batch", json={"batch": docs}, headers=tenant.headers)
    assert r.status_code in (200, 201), r.text
    r = client.post(
        "/api/v1/events/batch", json={"batch": [identify("c1", email="c1@example.com")]}, headers=tenant.headers
    )
    assert r.status_code in (200, 201), r.text
    # The served app's background thread runs the same job: passes until one finds nothing new.
    for _ in range(10):
        if run_pass(rt(client), ["cases"])["cases"] == 0:
            break
    with rt(client).app.session() as s:
        repo = WorkspaceRepo(s, tenant.workspace_id)
        return [repo.add_user(f"{n}@acme.test", "pw", Role.agent, name=n.title()).id for n in ("ani", "budi")]


def test_list_filter_page_and_export_cases(client: TestClient, acme: Tenant) -> None:
    ani, _ = seed(client, acme)
    h = acme.headers
    page = client.get("/api/v1/cases", headers=h).json()
    assert page["total"] == 5 and {c["customer_id"] for c in page["items"]} == {f"c{i}" for i in range(5)}
    assert all(c["status"] == "new" and c["priority"] == "high" and c["sla"]["seconds_left"] > 0 for c in page["items"])
    first, second = (client.get(f"/api/v1/cases?limit=2&offset={o}", headers=h).json() for o in (0, 2))
    assert len(first["items"]) == 2 and {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])
    one = page["items"][0]["id"]
    client.patch(f"/api/v1/cases/{one}", json={"owner_id": ani, "priority": "low"}, headers=h)
    mine = client.get(f"/api/v1/cases?owner_id={ani}", headers=h).json()
    assert [c["id"] for c in mine["items"]] == [one] and mine["items"][0]["owner_name"] == "Ani"
    assert client.get("/api/v1/cases?unassigned=true", headers=h).json()["total"] == 4
    assert client.get("/api/v1/cases?priority=low&priority=urgent", headers=h).json()["total"] == 1
    assert client.get("/api/v1/cases?status=resolved", headers=h).json()["total"] == 0
    assert client.get("/api/v1/cases?breached=true", headers=h).json()["total"] == 0
    assert client.get("/api/v1/cases?breached=false", headers=h).json()["total"] == 5
    r = client.get("/api/v1/cases?format=csv&status=new", headers=h)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 5 and {row["customer_id"] for row in rows} == {f"c{i}" for i in range(5)}
    problem(client.get("/api/v1/cases?status=lost", headers=h), 422, "validation_failed")
    problem(client.get("/api/v1/cases?limit=0", headers=h), 422, "validation_failed")


def test_open_change_comment_and_reply_on_a_case(client: TestClient, acme: Tenant) -> None:
    seed(client, acme)
    h = acme.headers
    r = client.post("/api/v1/cases", json={"customer_id": "zed", "topic": "billing", "priority": "urgent"}, headers=h)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "new" and case["events"][0]["body"] == "opened by hand"
    problem(client.post("/api/v1/cases", json={"customer_id": "zed", "topic": "billing"}, headers=h), 409, "conflict")
    cid = case["id"]
    r = client.post(f"/api/v1/cases/{cid}/comments", json={"body": "Called, no answer"}, headers=h)
    assert r.status_code == 201 and r.json()["kind"] == "comment"
    problem(client.post(f"/api/v1/cases/{cid}/replies", json={"body": "Hi"}, headers=h), 422, "validation_failed")
    r = client.post(f"/api/v1/cases/{cid}/replies", json={"body": "Hi Zed", "to": "zed@example.com"}, headers=h)
    assert r.status_code == 201 and r.json()["delivery_status"] == "pending" and r.json()["direction"] == "out"
    got = client.get(f"/api/v1/cases/{cid}", headers=h).json()
    assert got["status"] == "contacted" and got["customer_email"] == "zed@example.com"
    body = problem(client.patch(f"/api/v1/cases/{cid}", json={"status": "new"}, headers=h), 409, "conflict")
    assert "cannot become new" in body["detail"]
    r = client.patch(f"/api/v1/cases/{cid}", json={"status": "resolved", "root_cause": "double charge"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert [(e["field"], e["new"]) for e in r.json()["events"] if e["kind"] == "change"][-2:] == [
        ("root_cause", "double charge"),
        ("status", "resolved"),
    ]
    # A detractor case replied to without an address uses the customer's email trait.
    detractor = client.get("/api/v1/cases?customer_id=c1", headers=h).json()["items"][0]["id"]
    r = client.post(f"/api/v1/cases/{detractor}/replies", json={"body": "Sorry"}, headers=h)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/cases/{detractor}", headers=h).json()["customer_email"] == "c1@example.com"
    problem(client.patch(f"/api/v1/cases/{cid}", json={"owner_id": 12345}, headers=h), 422, "validation_failed")
    problem(client.patch(f"/api/v1/cases/{cid}", json={"colour": "red"}, headers=h), 422, "validation_failed")
    problem(client.get("/api/v1/cases/999999", headers=h), 404, "not_found")


def test_bulk_assign_is_all_or_nothing(client: TestClient, acme: Tenant) -> None:
    _, budi = seed(client, acme)
    h = acme.headers
    ids = [c["id"] for c in client.get("/api/v1/cases", headers=h).json()["items"]][:3]
    body = problem(
        client.post("/api/v1/cases/bulk-assign", json={"case_ids": [*ids, 999999], "owner_id": budi}, headers=h),
        404,
        "not_found",
    )
    assert "nothing was assigned" in body["detail"]
    assert client.get(f"/api/v1/cases?owner_id={budi}", headers=h).json()["total"] == 0
    r = client.post("/api/v1/cases/bulk-assign", json={"case_ids": ids, "owner_id": budi}, headers=h)
    assert r.status_code == 200 and sorted(c["id"] for c in r.json()) == sorted(ids)
    assert client.get(f"/api/v1/cases?owner_id={budi}", headers=h).json()["total"] == 3


def test_cases_stay_in_their_workspace_and_roles_apply(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    seed(client, acme)
    cid = client.get("/api/v1/cases", headers=acme.headers).json()["items"][0]["id"]
    assert client.get("/api/v1/cases", headers=globex.headers).json()["total"] == 0
    problem(client.get(f"/api/v1/cases/{cid}", headers=globex.headers), 404, "not_found")
    problem(client.patch(f"/api/v1/cases/{cid}", json={"status": "closed"}, headers=globex.headers), 404, "not_found")
    viewer = Tenant(rt(client), "viewers", Role.viewer)
    problem(
        client.post("/api/v1/cases", json={"customer_id": "a", "topic": "b"}, headers=viewer.headers),
        403,
        "permission_denied",
    )
    problem(client.get("/api/v1/cases"), 401, "not_authenticated")


def test_case_rules_are_listed_and_replaced(client: TestClient, acme: Tenant) -> None:
    h = acme.headers
    rules = client.get("/api/v1/case-rules", headers=h).json()
    assert {r["name"]: r["kind"] for r in rules}["nps-detractor"] == "nps_detractor"
    r = client.put(
        "/api/v1/case-rules/nps-detractor", json={"kind": "nps_detractor", "params": {"at_most": 3}}, headers=h
    )
    assert r.status_code == 200 and r.json()["params"]["at_most"] == 3
    problem(
        client.put("/api/v1/case-rules/x", json={"kind": "nps_detractor", "params": {"at_most": 12}}, headers=h),
        422,
        "validation_failed",
    )
    problem(client.put("/api/v1/case-rules/x", json={"kind": "weather"}, headers=h), 422, "validation_failed")
    seed(client, acme)
    assert client.get("/api/v1/cases", headers=h).json()["total"] == 4  # scores 0..3, not 4


def test_loop_metrics_and_timeline(client: TestClient, acme: Tenant) -> None:
    seed(client, acme)
    h = acme.headers
    cid = client.get("/api/v1/cases?customer_id=c2", headers=h).json()["items"][0]["id"]
    client.patch(f"/api/v1/cases/{cid}", json={"status": "contacted"}, headers=h)
    client.patch(f"/api/v1/cases/{cid}", json={"status": "resolved"}, headers=h)
    m = client.get("/api/v1/loop-metrics", headers=h).json()
    assert m["cases"] == 5 and m["hours_to_first_contact"]["n"] == 1 and m["hours_to_resolution"]["n"] == 1
    assert m["detractors_contacted_in_sla"]["n"] == 1 and m["detractors_contacted_in_sla"]["value"] == 100.0
    assert client.get("/api/v1/loop-metrics?start=2999-01-01T00:00:00Z", headers=h).json()["cases"] == 0
    t = client.get("/api/v1/customers/c1/timeline", headers=h).json()
    assert t["customer_id"] == "c1" and t["traits"] == {"email": "c1@example.com"}
    assert [i["kind"] for i in t["items"]] == ["response"] and t["items"][0]["data"]["answers"][0]["number"] == 1
    assert client.get("/api/v1/customers/nobody/timeline", headers=h).json()["items"] == []
    problem(client.get("/api/v1/customers/c1/timeline?max_events=-1", headers=h), 422, "validation_failed")
