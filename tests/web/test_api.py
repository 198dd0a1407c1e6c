"""The ingestion and metrics API: durability of a 2xx, idempotency, all-or-nothing batches, problem+json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.store.app import Role
from tests.conftest import Tenant, identify, response


def count(client: TestClient, table: str, tenant: Tenant) -> int:
    return client.app.state.runtime.warehouse.count(table, tenant.workspace_id)  # type: ignore[attr-defined]


def assert_problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    if code:
        assert body["code"] == code
    return body


def test_single_response_is_stored_and_retry_counts_once(client: TestClient, acme: Tenant) -> None:
    doc = response("ana", "2026-01-05", nps=9, comment="Fast delivery", response_id="r-1", fields={"device": "ios"})
    first = client.post("/api/v1/responses", json=doc, headers=acme.headers)
    assert first.status_code == 201 and first.json() == {"accepted": 1, "duplicates": 0, "ids": ["r-1"]}
    again = client.post("/api/v1/responses", json=doc, headers=acme.headers)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert count(client, "responses", acme) == 1
    assert count(client, "answers", acme) == 2
    assert count(client, "response_fields", acme) == 1


def test_idempotency_key_makes_a_retried_batch_count_once(client: TestClient, acme: Tenant) -> None:
    batch = {"batch": [response(f"c{i}", "2026-01-05", csat=4) for i in range(20)]}
    headers = {**acme.headers, "Idempotency-Key": "import-42"}
    assert client.post("/api/v1/responses/batch", json=batch, headers=headers).json()["accepted"] == 20
    retry = client.post("/api/v1/responses/batch", json=batch, headers=headers).json()
    assert retry == {"accepted": 0, "duplicates": 20, "ids": []}
    other = client.post("/api/v1/responses/batch", json=batch, headers={**acme.headers, "Idempotency-Key": "x"})
    assert other.json()["accepted"] == 20
    assert count(client, "responses", acme) == 40


def test_bad_item_fails_the_whole_batch_and_names_it(client: TestClient, acme: Tenant) -> None:
    items = [response(f"c{i}", "2026-01-05", nps=8) for i in range(5)]
    items[3]["answers"][0]["number"] = 11
    items[4]["customer_id"] = ""
    body = assert_problem(
        client.post("/api/v1/responses/batch", json={"batch": items}, headers=acme.headers), 422, "validation_failed"
    )
    pointers = [e["pointer"] for e in body["errors"]]
    assert "/batch/3/answers/0" in pointers and "/batch/4/customer_id" in pointers
    assert "0 to 10" in body["errors"][0]["message"] or "0 to 10" in str(body["errors"])
    assert count(client, "responses", acme) == 0


def test_batch_limit(client: TestClient, acme: Tenant) -> None:
    items = [response(f"c{i}", "2026-01-05", nps=8) for i in range(1001)]
    assert_problem(
        client.post("/api/v1/responses/batch", json={"batch": items}, headers=acme.headers), 413, "payload_too_large"
    )


def test_events_in_segment_shape(client: TestClient, acme: Tenant) -> None:
    calls = [
        {
            "type": "track",
            "event": "checkout_started",
            "userId": "ana",
            "timestamp": "2026-01-05T10:00:00Z",
            "messageId": "m1",
            "properties": {"cart": 3},
        },
        {
            "type": "page",
            "name": "home",
            "anonymousId": "anon-1",
            "timestamp": "2026-01-05T10:00:00+07:00",
            "messageId": "m2",
        },
        identify("ana", "2026-01-05", plan="plus", segment="vip") | {"messageId": "m3"},
    ]
    r = client.post("/api/v1/events/batch", json={"batch": calls}, headers=acme.headers)
    assert r.status_code == 200 and r.json()["accepted"] == 3
    assert client.post("/api/v1/events/batch", json={"batch": calls}, headers=acme.headers).json()["duplicates"] == 3
    assert count(client, "events", acme) == 2 and count(client, "identities", acme) == 2
    single = client.post(
        "/api/v1/events/track",
        headers=acme.headers,
        json={"event": "x", "userId": "bo", "timestamp": "2026-01-06T00:00:00Z"},
    )
    assert single.status_code == 200
    wh = client.app.state.runtime.warehouse  # type: ignore[attr-defined]
    page = wh.table("events", acme.workspace_id).filter(lambda t: t.event_id == "m2").execute()
    assert str(page.timestamp[0]) == "2026-01-05 03:00:00"  # +07:00 stored as UTC
    bad = client.post(
        "/api/v1/events/batch",
        headers=acme.headers,
        json={"batch": [{"type": "track", "timestamp": "2026-01-05T00:00:00Z", "userId": "a"}]},
    )
    assert_problem(bad, 422)


def test_feedback_and_orders(client: TestClient, acme: Tenant) -> None:
    fb = {
        "source": "app_store",
        "text": "Aplikasi sering error saat bayar",
        "rating": 2,
        "created_at": "2026-01-05T00:00:00Z",
        "author": "budi",
    }
    assert client.post("/api/v1/feedback", json=fb, headers=acme.headers).status_code == 201
    order = {"order_id": "o1", "customer_id": "ana", "ordered_at": "2026-01-05T00:00:00Z", "amount": 12.5}
    assert client.post("/api/v1/orders", json=order, headers=acme.headers).status_code == 201
    assert client.post("/api/v1/orders/batch", json={"batch": [order]}, headers=acme.headers).json()["duplicates"] == 1
    assert_problem(client.post("/api/v1/orders", json={**order, "amount": -1}, headers=acme.headers), 422)
    assert count(client, "feedback", acme) == 1 and count(client, "orders", acme) == 1


def test_metrics_endpoint(client: TestClient, acme: Tenant) -> None:
    items = [response(f"c{i}", f"2026-01-{5 + i % 14:02d}", nps=i % 11) for i in range(200)]
    client.post("/api/v1/responses/batch", json={"batch": items}, headers=acme.headers)
    events = [identify(f"c{i}", segment="vip" if i % 2 else "new") for i in range(200)]
    client.post("/api/v1/events/batch", json={"batch": events}, headers=acme.headers)
    r = client.get("/api/v1/metrics/nps", params={"by": "segment", "period": "week"}, headers=acme.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n"] == 200 and {g["key"]["segment"] for g in body["groups"]} == {"vip", "new"}
    assert len(body["series"]) == 2 and body["series"][1]["change"] is not None
    assert_problem(client.get("/api/v1/metrics/nps", params={"by": "nope"}, headers=acme.headers), 422, "unknown_field")
    assert_problem(client.get("/api/v1/metrics/nps", params={"filter": "bad"}, headers=acme.headers), 422)
    assert_problem(client.get("/api/v1/metrics/nps", params={"period": "year"}, headers=acme.headers), 422)
    names = [m["name"] for m in client.get("/api/v1/metrics", headers=acme.headers).json()]
    assert names[:4] == ["nps", "csat", "csat_mean", "ces"] and "churn_rate" in names


def test_workspace_isolation(client: TestClient, acme: Tenant, globex: Tenant) -> None:
    """A key of workspace A can neither read nor write workspace B."""
    client.post(
        "/api/v1/surveys",
        headers=globex.headers,
        json={"key": "secret-nps", "name": "Globex NPS", "definition": {"questions": []}},
    )
    client.post("/api/v1/responses", headers=globex.headers, json=response("g1", "2026-01-05", nps=0))
    assert_problem(client.get("/api/v1/surveys/secret-nps", headers=acme.headers), 404)
    assert client.get("/api/v1/surveys", headers=acme.headers).json() == []
    assert client.get("/api/v1/metrics/nps", headers=acme.headers).json()["n"] == 0
    # A write with A's key lands in A, whatever the body says.
    doc = response("a1", "2026-01-05", nps=10) | {"workspace_id": globex.workspace_id}
    assert_problem(client.post("/api/v1/responses", headers=acme.headers, json=doc), 422)
    client.post("/api/v1/responses", headers=acme.headers, json=response("a1", "2026-01-05", nps=10))
    assert count(client, "responses", acme) == 1 and count(client, "responses", globex) == 1
    assert client.get("/api/v1/metrics/nps", headers=globex.headers).json()["value"] == -100


def test_roles(client: TestClient) -> None:
    viewer = Tenant(client.app.state.runtime, "viewer-co", Role.viewer)  # type: ignore[attr-defined]
    assert_problem(
        client.post("/api/v1/responses", headers=viewer.headers, json=response("a", "2026-01-05", nps=1)),
        403,
        "permission_denied",
    )
    assert client.get("/api/v1/metrics/nps", headers=viewer.headers).status_code == 200


def test_surveys_keep_versions(client: TestClient, acme: Tenant) -> None:
    for text in ("How likely...?", "How likely are you...?"):
        definition = {"questions": [{"id": "nps", "kind": "nps", "text": {"en": text}}]}
        r = client.post(
            "/api/v1/surveys", headers=acme.headers, json={"key": "nps", "name": "NPS", "definition": definition}
        )
        assert r.status_code == 201
    got = client.get("/api/v1/surveys/nps", headers=acme.headers).json()
    assert got["version"] == 2 and got["definition"]["questions"][0]["text"] == {"en": "How likely are you...?"}


WRITE_ROUTES = [
    "/api/v1/responses",
    "/api/v1/responses/batch",
    "/api/v1/events/track",
    "/api/v1/events/page",
    "/api/v1/events/identify",
    "/api/v1/events/batch",
    "/api/v1/feedback",
    "/api/v1/feedback/batch",
    "/api/v1/orders",
    "/api/v1/orders/batch",
    "/api/v1/tickets",
    "/api/v1/tickets/batch",
    "/api/v1/surveys",
    "/api/v1/surveys/lint",
]
READ_ROUTES = [
    "/api/v1/metrics",
    "/api/v1/metrics/nps",
    "/api/v1/surveys",
    "/api/v1/surveys/x",
    "/api/v1/surveys/templates",
    "/api/v1/segments",
    "/api/v1/segments/x",
]


def test_every_endpoint_is_covered_here(client: TestClient) -> None:
    """Each API path is in this module's error-shape lists, or its own feature's tests exercise it by path."""
    routes = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert "/api/v1/responses" in routes and len(routes) > 20
    covered = {
        p.replace("/nps", "/{metric}")
        .replace("/surveys/x", "/surveys/{key}")
        .replace("/segments/x", "/segments/{name}")
        for p in WRITE_ROUTES + READ_ROUTES
    }
    tests = "".join(f.read_text() for f in Path(__file__).parents[1].rglob("test_*.py"))
    # A path with parameters counts as exercised when its fixed prefix (up to the first parameter) appears.
    elsewhere = {r for r in routes - covered if r.split("{")[0].rstrip("/") in tests}
    missing = routes - covered - elsewhere
    assert missing == set(), f"add these endpoints to a test: {sorted(missing)}"


@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_error_shape_on_every_write_endpoint(client: TestClient, acme: Tenant, path: str) -> None:
    assert_problem(client.post(path, json={}), 401, "not_authenticated")
    assert_problem(client.post(path, json={}, headers={"Authorization": "Bearer sk_nope"}), 401)
    assert_problem(
        client.post(path, content=b"{not json", headers={**acme.headers, "content-type": "application/json"}),
        422 if "/surveys" in path else 400,
    )
    assert_problem(client.post(path, json=[1, 2], headers=acme.headers), 422)
    assert_problem(client.get(path, headers=acme.headers), 405) if "/surveys" not in path else None


@pytest.mark.parametrize("path", READ_ROUTES)
def test_error_shape_on_every_read_endpoint(client: TestClient, acme: Tenant, path: str) -> None:
    assert_problem(client.get(path), 401, "not_authenticated")
    assert client.get(path, headers=acme.headers).status_code in (200, 404)


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_openapi_documents_the_record_schemas(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert {"ResponseIn", "EventIn", "FeedbackIn", "OrderIn"} <= schema["components"]["schemas"].keys()
    body = schema["paths"]["/api/v1/responses/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["batch"]["maxItems"] == 1000
