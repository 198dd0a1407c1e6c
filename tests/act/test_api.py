"""The alerts API: rules in, alerts out, acknowledging; bad rules answer problem+json naming the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.act.test_alerts import AS_OF, shop_events
from tests.conftest import Tenant
from tests.parity import fact_tables

PROBLEM = "application/problem+json"
RULES = "/api/v1/alerts/rules"


def test_rules_are_added_listed_and_named_once(client: TestClient, acme: Tenant) -> None:
    rule = {"name": "errors", "definition": {"kind": "anomaly", "series": "error_share", "by": "platform"}}
    made = client.post(RULES, json=rule, headers=acme.headers)
    assert made.status_code == 201, made.text
    assert made.json()["definition"]["alpha"] == 1e-5  # defaults are stored with the rule
    listed = client.get(RULES, headers=acme.headers).json()
    assert [r["name"] for r in listed] == ["errors"]
    again = client.post(RULES, json=rule, headers=acme.headers)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["code"] == "conflict"


def test_a_rule_on_an_unknown_metric_is_refused(client: TestClient, acme: Tenant) -> None:
    rule = {"name": "nps", "definition": {"kind": "threshold", "metric": "happiness", "below": 20}}
    got = client.post(RULES, json=rule, headers=acme.headers)
    assert got.status_code == 422 and got.headers["content-type"] == PROBLEM
    body = got.json()
    assert body["code"] == "validation_failed"
    assert any("unknown metric 'happiness'" in e["message"] for e in body["errors"])
    assert any(e["pointer"].startswith("/definition/threshold/metric") for e in body["errors"])


def test_malformed_rules_are_refused(client: TestClient, acme: Tenant) -> None:
    for bad in (
        {"name": "x", "definition": {"series": "event_count"}},  # no kind
        {"name": "x", "definition": {"kind": "anomaly", "series": "weather"}},
        {"name": "", "definition": {"kind": "anomaly", "series": "event_count"}},
        {"name": "x", "definition": {"kind": "threshold", "metric": "nps"}},  # no condition
        {"name": "x", "definition": {"kind": "anomaly", "series": "event_count", "alpha": 2}},
    ):
        got = client.post(RULES, json=bad, headers=acme.headers)
        assert got.status_code == 422, bad
        assert got.headers["content-type"] == PROBLEM and got.json()["errors"], bad


def test_alerts_are_checked_listed_and_acknowledged(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    for name, data in fact_tables(acme.workspace_id, events=shop_events()).items():
        runtime.warehouse.load(name, data)
    rule = {"name": "events", "definition": {"kind": "anomaly", "series": "event_count"}}
    assert client.post(RULES, json=rule, headers=acme.headers).status_code == 201
    from suara.act.alerts import check_alerts

    raised = check_alerts(runtime.app, runtime.warehouse, acme.workspace_id, AS_OF)
    assert len(raised) == 2
    listed = client.get("/api/v1/alerts", headers=acme.headers).json()
    assert sorted(a["series"] for a in listed) == ["event=checkout_error", "event=page_view"]
    assert client.get("/api/v1/alerts", headers=globex.headers).json() == []
    first = listed[0]["id"]
    acked = client.post(f"/api/v1/alerts/{first}/ack", headers=acme.headers)
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert [a["id"] for a in client.get("/api/v1/alerts?status=acknowledged", headers=acme.headers).json()] == [first]
    other = client.post(f"/api/v1/alerts/{first}/ack", headers=globex.headers)
    assert other.status_code == 404 and other.headers["content-type"] == PROBLEM
    # Checking again over the same facts raises nothing new: a check is idempotent.
    again = client.post("/api/v1/alerts/check", headers=acme.headers)
    assert again.status_code == 200 and again.json() == []
    assert len(client.get("/api/v1/alerts", headers=acme.headers).json()) == 2
    bad_status = client.get("/api/v1/alerts?status=sleeping", headers=acme.headers)
    assert bad_status.status_code == 422 and bad_status.headers["content-type"] == PROBLEM


def test_the_alerts_api_needs_a_key(client: TestClient) -> None:
    got = client.get("/api/v1/alerts")
    assert got.status_code == 401 and got.json()["code"] == "not_authenticated"
