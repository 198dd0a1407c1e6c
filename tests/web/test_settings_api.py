"""The settings API: teams (members by id or email, touchpoints, manager), SLA targets per priority and the list of
widget keys. Bad input is problem+json with a pointer at the field, and writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from suara.act.sla import DEFAULT_TARGETS
from suara.runtime import Runtime
from suara.store.app import Role, WorkspaceRepo
from tests.conftest import Tenant


def rt(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    return [e["pointer"] for e in body.get("errors") or []]


def users(client: TestClient, tenant: Tenant, *names: str) -> list[int]:
    with rt(client).app.session() as s:
        repo = WorkspaceRepo(s, tenant.workspace_id)
        return [repo.add_user(f"{n}@acme.test", "pw", Role.agent, name=n.title()).id for n in names]


def open_case(client: TestClient, tenant: Tenant, customer: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/cases", json={"customer_id": customer, "topic": "nps", **fields}, headers=tenant.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_teams_are_created_listed_replaced_and_deleted(client: TestClient, acme: Tenant) -> None:
    ani, budi, cici = users(client, acme, "ani", "budi", "cici")
    h = acme.headers
    body = {"members": [ani, "BUDI@acme.test", ani], "touchpoints": ["delivery", " delivery "], "manager_email": None}
    r = client.put("/api/v1/teams/delivery", json=body, headers=h)
    assert r.status_code == 200, r.text
    team = r.json()
    assert [m["id"] for m in team["members"]] == [ani, budi]  # by id and by email, in turn order, once each
    assert team["members"][1] == {"id": budi, "name": "Budi", "email": "budi@acme.test"}
    assert team["touchpoints"] == ["delivery"] and team["catch_all"] is False
    client.put("/api/v1/teams/everyone else", json={"members": [cici]}, headers=h)
    listed = client.get("/api/v1/teams", headers=h).json()
    assert [(t["name"], t["catch_all"]) for t in listed] == [("delivery", False), ("everyone else", True)]

    # routing follows what the API wrote: delivery cases are dealt in turn, the rest to the catch-all
    dealt = [open_case(client, acme, f"d{i}", touchpoint="delivery") for i in range(3)]
    assert [c["owner_id"] for c in dealt] == [ani, budi, ani] and {c["team_id"] for c in dealt} == {team["id"]}
    assert open_case(client, acme, "x", touchpoint="checkout")["owner_id"] == cici

    replaced = client.put(
        "/api/v1/teams/delivery", json={"members": [cici], "manager_email": "boss@acme.test"}, headers=h
    ).json()
    assert replaced["id"] == team["id"] and [m["id"] for m in replaced["members"]] == [cici]
    assert replaced["manager_email"] == "boss@acme.test" and replaced["touchpoints"] == []

    # deleting keeps the cases' owners; they no longer point at the team
    assert client.delete("/api/v1/teams/delivery", headers=h).status_code == 204
    assert [t["name"] for t in client.get("/api/v1/teams", headers=h).json()] == ["everyone else"]
    after = [client.get(f"/api/v1/cases/{c['id']}", headers=h).json() for c in dealt]
    assert [c["owner_id"] for c in after] == [ani, budi, ani] and {c["team_id"] for c in after} == {None}
    problem(client.delete("/api/v1/teams/delivery", headers=h), 404, "not_found")


def test_an_unknown_member_is_named_and_nothing_is_written(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    (ani,) = users(client, acme, "ani")
    (outsider,) = users(client, globex, "olga")
    h = acme.headers
    assert client.put("/api/v1/teams/care", json={"members": [ani], "touchpoints": ["app"]}, headers=h).is_success
    r = client.put(
        "/api/v1/teams/care",
        json={"members": [ani, "zed@acme.test", outsider], "touchpoints": ["web"]},
        headers=h,
    )
    body = problem(r, 422, "validation_failed")
    assert pointers(body) == ["/members/1", "/members/2"]
    assert "'zed@acme.test'" in body["detail"] and f"no user {outsider}" in body["detail"]
    # the team is as it was: neither members nor touchpoints changed
    (care,) = client.get("/api/v1/teams", headers=h).json()
    assert [m["id"] for m in care["members"]] == [ani] and care["touchpoints"] == ["app"]
    # a new team with a bad member is not created at all
    problem(client.put("/api/v1/teams/web", json={"members": [999_999]}, headers=h), 422, "validation_failed")
    assert [t["name"] for t in client.get("/api/v1/teams", headers=h).json()] == ["care"]


def test_a_touchpoint_routed_by_another_team_is_a_conflict(client: TestClient, acme: Tenant) -> None:
    h = acme.headers
    client.put("/api/v1/teams/delivery", json={"touchpoints": ["delivery", "returns"]}, headers=h)
    body = problem(
        client.put("/api/v1/teams/checkout", json={"touchpoints": ["checkout", "returns"]}, headers=h), 409, "conflict"
    )
    assert pointers(body) == ["/touchpoints/1"] and "team 'delivery'" in body["detail"]
    assert [t["name"] for t in client.get("/api/v1/teams", headers=h).json()] == ["delivery"]
    # a team may keep its own touchpoints when it is saved again
    assert client.put("/api/v1/teams/delivery", json={"touchpoints": ["returns"]}, headers=h).status_code == 200
    assert client.put("/api/v1/teams/checkout", json={"touchpoints": ["delivery"]}, headers=h).status_code == 200


def test_bad_team_bodies_and_names_are_refused_with_pointers(client: TestClient, acme: Tenant) -> None:
    h = acme.headers
    cases = [
        ({"manager_email": "not-an-address"}, "/manager_email"),
        ({"touchpoints": [""]}, "/touchpoints/0"),
        ({"members": ["ani@acme.test", 0]}, "/members/1"),
        ({"members": [True]}, "/members/0"),
        ({"colour": "red"}, "/colour"),
    ]
    for body, pointer in cases:
        got = problem(client.put("/api/v1/teams/care", json=body, headers=h), 422, "validation_failed")
        assert pointers(got) == [pointer], (body, got)
    problem(client.put("/api/v1/teams/%20care", json={}, headers=h), 422, "validation_failed")
    assert client.get("/api/v1/teams", headers=h).json() == []


def test_changing_settings_needs_the_admin_role(client: TestClient, acme: Tenant) -> None:
    with rt(client).app.session() as s:
        _, key = WorkspaceRepo(s, acme.workspace_id).create_api_key("agent", Role.agent)
    agent = {"Authorization": f"Bearer {key}"}
    hours = {"first_contact_hours": 1, "resolution_hours": 2}
    problem(client.put("/api/v1/teams/care", json={}, headers=agent), 403, "permission_denied")
    problem(client.put("/api/v1/sla-targets/low", json=hours, headers=agent), 403, "permission_denied")
    client.put("/api/v1/teams/care", json={}, headers=acme.headers)
    problem(client.delete("/api/v1/teams/care", headers=agent), 403, "permission_denied")
    assert [t["name"] for t in client.get("/api/v1/teams", headers=agent).json()] == ["care"]
    assert all(t["default"] for t in client.get("/api/v1/sla-targets", headers=agent).json())
    problem(client.get("/api/v1/teams"), 401, "not_authenticated")
    problem(client.get("/api/v1/sla-targets"), 401, "not_authenticated")
    problem(client.get("/api/v1/widget/keys"), 401, "not_authenticated")


def test_sla_targets_are_listed_set_and_used_by_new_cases(client: TestClient, acme: Tenant) -> None:
    h = acme.headers
    listed = client.get("/api/v1/sla-targets", headers=h).json()
    assert [t["priority"] for t in listed] == ["low", "normal", "high", "urgent"]
    assert all(
        (t["first_contact_hours"], t["resolution_hours"]) == DEFAULT_TARGETS[t["priority"]] and t["default"]
        for t in listed
    )
    r = client.put("/api/v1/sla-targets/urgent", json={"first_contact_hours": 1.5, "resolution_hours": 6}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"priority": "urgent", "first_contact_hours": 1.5, "resolution_hours": 6.0, "default": False}
    by = {t["priority"]: t for t in client.get("/api/v1/sla-targets", headers=h).json()}
    assert (by["urgent"]["first_contact_hours"], by["urgent"]["default"], by["low"]["default"]) == (1.5, False, True)
    # equal hours are allowed: contact and resolution may share a deadline
    low = client.put("/api/v1/sla-targets/low", json={"first_contact_hours": 8, "resolution_hours": 8}, headers=h)
    assert low.status_code == 200, low.text
    case = open_case(client, acme, "zed", priority="urgent")
    created = datetime.fromisoformat(case["created_at"])
    assert datetime.fromisoformat(case["first_due_at"]) - created == timedelta(hours=1.5)
    assert datetime.fromisoformat(case["resolve_due_at"]) - created == timedelta(hours=6)


def test_bad_sla_targets_are_refused_with_pointers_and_nothing_is_written(client: TestClient, acme: Tenant) -> None:
    h = acme.headers
    before = client.get("/api/v1/sla-targets", headers=h).json()
    bad = [
        ("high", {"first_contact_hours": 0, "resolution_hours": 8}, "/first_contact_hours"),
        ("high", {"first_contact_hours": 10, "resolution_hours": 8}, "/resolution_hours"),
        ("high", {"first_contact_hours": 1, "resolution_hours": -2}, "/resolution_hours"),
        ("high", {"first_contact_hours": 1, "resolution_hours": 9000}, "/resolution_hours"),
        ("high", {"first_contact_hours": 1}, "/resolution_hours"),
        ("high", {"first_contact_hours": 1, "resolution_hours": 2, "grace": 1}, "/grace"),
        ("critical", {"first_contact_hours": 1, "resolution_hours": 2}, "/path/priority"),
    ]
    for priority, body, pointer in bad:
        got = problem(client.put(f"/api/v1/sla-targets/{priority}", json=body, headers=h), 422, "validation_failed")
        assert pointers(got) == [pointer], (body, got)
    body = problem(
        client.put("/api/v1/sla-targets/high", json={"first_contact_hours": 10, "resolution_hours": 8}, headers=h),
        422,
        "validation_failed",
    )
    assert "at least first_contact_hours (10 h)" in body["errors"][0]["message"]
    assert client.get("/api/v1/sla-targets", headers=h).json() == before


def test_widget_keys_are_listed_without_their_secret(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    h = acme.headers
    made = []
    for name in ("shop", "app"):
        r = client.post(
            "/api/v1/widget/keys", json={"name": name, "origins": ["https://shop.example"], "surveys": []}, headers=h
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    r = client.get("/api/v1/widget/keys", headers=h)
    listed = r.json()
    assert [k["name"] for k in listed] == ["app", "shop"]  # newest first
    assert all(
        set(k) == {"id", "name", "prefix", "surveys", "origins", "revoked", "created_at", "revoked_at"} for k in listed
    )
    assert all(m["key"] not in r.text and m["key"].startswith(m["prefix"]) for m in made)
    assert listed[1]["origins"] == ["https://shop.example"] and listed[1]["revoked"] is False
    assert client.delete(f"/api/v1/widget/keys/{made[0]['id']}", headers=h).json()["revoked"] is True
    after = {k["name"]: k for k in client.get("/api/v1/widget/keys", headers=h).json()}
    assert after["shop"]["revoked"] and after["shop"]["revoked_at"] is not None and not after["app"]["revoked"]
    # the revoked key no longer opens a survey; keys of one workspace are not listed in another
    revoked = client.get("/api/v1/widget/surveys/nps", headers={"X-Suara-Key": made[0]["key"]})
    problem(revoked, 401, "not_authenticated")
    assert client.get("/api/v1/widget/keys", headers=globex.headers).json() == []
