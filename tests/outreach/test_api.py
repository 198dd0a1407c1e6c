"""The outreach API: policy, trigger rules (clear 422s), transactional sends with idempotency, the decision log,
suppressions, the unsubscribe page (GET shows, POST unsubscribes, as List-Unsubscribe-Post does) and the funnel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suara.channels.receipts import record_receipt
from suara.notify.outbox import claim, mark_sent
from suara.notify.tables import OutboxMessage
from suara.store.app import Role, WorkspaceRepo
from suara.web.app import create_app
from tests.outreach.conftest import World

SEND = "/api/v1/surveys/post-purchase-csat/send"
NO_QUIET = {"quiet_hours": None}


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=world.rt), raise_server_exceptions=False) as c:
        yield c


def _headers(world: World, role: Role = Role.admin) -> dict[str, str]:
    with world.rt.app.session() as s:
        _, key = WorkspaceRepo(s, world.workspace_id).create_api_key(f"k-{role}", role)
    return {"Authorization": f"Bearer {key}"}


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


def test_policy_read_and_replace(client: TestClient, world: World) -> None:
    h = _headers(world)
    got = client.get("/api/v1/outreach/policy", headers=h).json()
    assert got["survey_cap"] == {"count": 1, "days": 30} and got["message_cap"] == {"count": 3, "days": 7}
    assert got["quiet_hours"] == {"start": "21:00", "end": "08:00"} and got["timezone"] == "UTC"
    new = {**got, "timezone": "Asia/Jakarta", "base_url": "https://cx.shop.example"}
    assert client.put("/api/v1/outreach/policy", json=new, headers=h).json()["timezone"] == "Asia/Jakarta"
    assert client.get("/api/v1/outreach/policy", headers=h).json()["base_url"] == "https://cx.shop.example"
    bad = _problem(
        client.put("/api/v1/outreach/policy", json={"timezone": "Mars/Base"}, headers=h), 422, "validation_failed"
    )
    assert "unknown time zone" in str(bad["errors"])
    _problem(
        client.put("/api/v1/outreach/policy", json={"survey_cap": {"count": 0, "days": 30}}, headers=h),
        422,
        "validation_failed",
    )
    _problem(
        client.put("/api/v1/outreach/policy", json=new, headers=_headers(world, Role.analyst)), 403, "permission_denied"
    )


def test_trigger_rules_crud_and_clear_422s(client: TestClient, world: World) -> None:
    h = _headers(world)
    templates = client.get("/api/v1/outreach/trigger-templates", headers=h).json()
    assert set(templates) == {"post-purchase-csat", "support-ces", "exit-survey", "cart-abandonment"}
    rule = {"name": "csat", "definition": templates["post-purchase-csat"]}
    made = client.post("/api/v1/outreach/triggers", json=rule, headers=h)
    assert made.status_code == 201, made.text
    assert made.json()["definition"]["delay"] == "2h"
    _problem(client.post("/api/v1/outreach/triggers", json=rule, headers=h), 409, "conflict")
    missing = _problem(
        client.post(
            "/api/v1/outreach/triggers", json={"name": "ces", "definition": templates["support-ces"]}, headers=h
        ),
        422,
        "validation_failed",
    )
    assert missing["errors"][0]["pointer"] == "/definition/survey"  # the CES survey was never saved here
    bad = {"name": "x", "definition": {"on": {"event": "a"}, "delay": "2 hours", "survey": "exit-survey"}}
    body = _problem(client.post("/api/v1/outreach/triggers", json=bad, headers=h), 422, "validation_failed")
    assert body["errors"][0]["pointer"] == "/definition/delay" and "not a duration" in body["errors"][0]["message"]
    same = {
        "name": "y",
        "definition": {"on": {"event": "a"}, "unless": {"event": "a", "within": "1m"}, "survey": "exit-survey"},
    }
    _problem(client.post("/api/v1/outreach/triggers", json=same, headers=h), 422, "validation_failed")
    _problem(
        client.post("/api/v1/outreach/triggers", json={**rule, "name": "Bad Name"}, headers=h), 422, "validation_failed"
    )
    path = "/api/v1/outreach/triggers/csat"
    assert client.get(path, headers=h).json()["enabled"] is True
    put = client.put(
        path, json={"enabled": False, "definition": {**templates["post-purchase-csat"], "sample": 0.2}}, headers=h
    )
    assert put.status_code == 200 and put.json()["definition"]["sample"] == 0.2 and put.json()["enabled"] is False
    assert [r["name"] for r in client.get("/api/v1/outreach/triggers", headers=h).json()] == ["csat"]
    _problem(
        client.post("/api/v1/outreach/triggers", json=rule, headers=_headers(world, Role.agent)),
        403,
        "permission_denied",
    )
    assert client.delete(path, headers=h).status_code == 204
    _problem(client.get(path, headers=h), 404, "not_found")
    _problem(client.delete(path, headers=h), 404, "not_found")


def test_send_answers_the_decision_and_honours_idempotency(client: TestClient, world: World) -> None:
    h = _headers(world)
    client.put("/api/v1/outreach/policy", json=NO_QUIET, headers=h)
    world.identify("ana", email="ana@shop.example")
    key = {**h, "Idempotency-Key": "order-1"}
    first = client.post(SEND, json={"customer_id": "ana"}, headers=key)
    assert first.status_code == 200, first.text
    d = first.json()
    assert (d["outcome"], d["reason"], d["channel"]) == ("queued", "queued", "survey_email") and d["message_id"]
    assert client.post(SEND, json={"customer_id": "ana"}, headers=key).json() == d  # the same decision again
    again = client.post(SEND, json={"customer_id": "ana"}, headers=h).json()
    assert (again["outcome"], again["reason"]) == ("skipped", "skipped: surveyed less than an hour ago")
    nobody = client.post(SEND, json={"customer_id": "zed", "channel": "sms"}, headers=h).json()
    assert nobody["reason"] == "skipped: no phone for customer zed"
    to = client.post(SEND, json={"customer_id": "zed", "channel": "whatsapp", "to": "+628123"}, headers=h).json()
    assert to["outcome"] == "queued"
    with world.rt.app.session() as s:
        targets = [(m.channel, m.target) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert targets == [("survey_email", "ana@shop.example"), ("whatsapp", "+628123")]
    _problem(client.post("/api/v1/surveys/nope/send", json={"customer_id": "ana"}, headers=h), 404, "not_found")
    _problem(client.post(SEND, json={"customer_id": "ana", "channel": "fax"}, headers=h), 422, "validation_failed")
    _problem(
        client.post(SEND, json={"customer_id": "ana"}, headers=_headers(world, Role.viewer)), 403, "permission_denied"
    )


def test_send_in_quiet_hours_is_deferred_and_logged(client: TestClient, world: World) -> None:
    h = _headers(world)
    world.identify("ana", email="ana@shop.example", timezone="Asia/Jakarta")
    d = client.post(SEND, json={"customer_id": "ana", "at": "2030-01-01T23:30:00+07:00"}, headers=h).json()
    assert (d["outcome"], d["reason"]) == ("queued", "deferred: quiet hours until 08:00 Asia/Jakarta")
    assert d["at"].startswith("2030-01-02T01:00:00")
    log = client.get("/api/v1/outreach/decisions", params={"customer_id": "ana"}, headers=h).json()
    assert [x["reason"] for x in log] == ["deferred: quiet hours until 08:00 Asia/Jakarta"]
    assert client.get("/api/v1/outreach/decisions", params={"outcome": "skipped"}, headers=h).json() == []
    _problem(client.get("/api/v1/outreach/decisions", params={"outcome": "maybe"}, headers=h), 422, "validation_failed")


def test_suppressions_and_the_unsubscribe_page(client: TestClient, world: World) -> None:
    h = _headers(world)
    client.put("/api/v1/outreach/policy", json={**NO_QUIET, "survey_cap": {"count": 5, "days": 1}}, headers=h)
    world.identify("ana", email="ana@shop.example")
    world.identify("ben", email="ben@shop.example")
    made = client.post(
        "/api/v1/outreach/suppressions", json={"value": "ben@shop.example", "reason": "asked"}, headers=h
    )
    assert made.status_code == 201 and made.json()["value"] == "ben@shop.example"
    assert client.post(SEND, json={"customer_id": "ben"}, headers=h).json()["reason"] == "skipped: unsubscribed"
    assert [x["value"] for x in client.get("/api/v1/outreach/suppressions", headers=h).json()] == ["ben@shop.example"]
    assert client.delete("/api/v1/outreach/suppressions/ben@shop.example", headers=h).status_code == 204
    _problem(client.delete("/api/v1/outreach/suppressions/ben@shop.example", headers=h), 404, "not_found")
    assert client.post(SEND, json={"customer_id": "ben"}, headers=h).json()["outcome"] == "queued"

    sent = client.post(SEND, json={"customer_id": "ana"}, headers=h).json()
    with world.rt.app.session() as s:
        url = s.get(OutboxMessage, sent["message_id"]).payload["unsubscribe_url"]  # type: ignore[union-attr]
    path = urlparse(url).path
    page = client.get(path, headers={"Accept-Language": "id-ID"})
    assert page.status_code == 200 and "Berhenti berlangganan" in page.text
    assert client.post(SEND, json={"customer_id": "ana"}, headers=h).json()["outcome"] == "queued"  # GET did nothing
    one_click = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "unsubscribed" in one_click.text
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # twice is fine
    assert client.post(SEND, json={"customer_id": "ana"}, headers=h).json()["reason"] == "skipped: unsubscribed"
    assert client.post(SEND, json={"customer_id": "zed", "to": "ana@shop.example"}, headers=h).json()["reason"] == (
        "skipped: unsubscribed"
    )
    assert client.get(path[:-3] + "xyz").status_code == 404
    assert client.post(path[:-3] + "xyz").status_code == 404


def test_funnel_counts_each_step_with_partial_answers(client: TestClient, world: World) -> None:
    h = _headers(world)
    client.put("/api/v1/outreach/policy", json=NO_QUIET, headers=h)
    customers = ["ana", "ben", "cai", "dia", "eko"]
    for c in customers:
        world.identify(c, email=f"{c}@shop.example")
    ids = [client.post(SEND, json={"customer_id": c}, headers=h).json()["message_id"] for c in customers]
    with world.rt.app.session() as s:
        tokens = {m.id: m.payload["token"] for m in s.scalars(select(OutboxMessage))}
        lease = claim(s, channels=["survey_email"], limit=4)  # the worker sends four of five
    with world.rt.app.session() as s:
        for d in lease.deliveries:
            assert mark_sent(s, d, lease.token)
        for d in lease.deliveries[:3]:  # the provider reports three delivered
            record_receipt(
                s,
                workspace_id=world.workspace_id,
                message_id=d.message_id,
                delivery_id=d.delivery_id,
                channel=d.channel,
                status="delivered",
                provider_id=f"p{d.message_id}",
            )
    ana, ben, cai = (f"/s/{tokens[i]}" for i in ids[:3])
    for path in (ana, ben, cai):
        assert client.get(path).status_code == 200
    assert client.get(ana).status_code == 200  # opened twice counts once
    assert client.post(ben, data={"csat": "2", "_shown": ["csat", "expectations"]}).status_code == 200  # follow-up
    assert client.post(cai, data={"expectations": "4", "_shown": ["csat", "expectations"]}).status_code == 422
    done = client.post(ana, data={"csat": "5", "_shown": ["csat", "expectations"]})
    assert done.status_code == 200
    f = client.get("/api/v1/surveys/post-purchase-csat/funnel", headers=h).json()
    assert {s["step"]: s["count"] for s in f["steps"]} == {
        "queued": 5,
        "sent": 4,
        "delivered": 3,
        "opened": 3,
        "started": 3,
        "completed": 1,
    }
    assert f["partial"] == 2 and f["steps"][1]["share"] == 0.8
    from suara.outreach.tables import LinkStep

    with world.rt.app.session() as s:
        kept = {r.customer_id: r.answers for r in s.scalars(select(LinkStep).where(LinkStep.step == "started"))}
    assert [a["question_id"] for a in kept["ben"]] == ["csat"] and [a["question_id"] for a in kept["cai"]] == [
        "expectations"
    ]
    _problem(client.get("/api/v1/surveys/nope/funnel", headers=h), 404, "not_found")
