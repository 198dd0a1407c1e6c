"""NUL characters (U+0000) and instants out of range are refused at the door with problem+json, and nothing is
written; text that merely shows a backslash-u sequence is kept."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.conftest import Tenant, response
from tests.web.test_api import assert_problem


def _stored(client: TestClient, tenant: Tenant) -> int:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    return rt.warehouse.count("feedback", tenant.workspace_id)


def test_a_nul_in_a_json_body_is_refused_and_nothing_is_written(client: TestClient, acme: Tenant) -> None:
    doc = {"source": "review", "customer_id": "ana", "text": "bad\u0000text", "created_at": "2026-01-05T10:00:00Z"}
    body = assert_problem(client.post("/api/v1/feedback", json=doc, headers=acme.headers), 422, "validation_failed")
    assert "NUL" in body["detail"] and _stored(client, acme) == 0
    raw = json.dumps({**doc, "text": "ok"}).replace("ok", "o\\u0000k").encode()  # escaped in the JSON text
    r = client.post("/api/v1/feedback", content=raw, headers={**acme.headers, "content-type": "application/json"})
    assert_problem(r, 422, "validation_failed")
    literal = {**doc, "text": "a path C:\\u0000 is text, not a NUL"}  # backslash escaped: a literal \u0000
    assert client.post("/api/v1/feedback", json=literal, headers=acme.headers).status_code in (200, 201)
    assert _stored(client, acme) == 1


def test_a_nul_in_the_query_or_a_form_is_refused(client: TestClient, acme: Tenant) -> None:
    r = client.get("/api/v1/metrics/nps", params={"filter": "channel:web\u0000"}, headers=acme.headers)
    assert_problem(r, 422, "validation_failed")
    r = client.post("/login", data={"email": "a\u0000@x.io", "password": "pw"})
    assert r.status_code == 422 and "NUL" in r.json()["detail"]


def test_an_instant_out_of_range_in_utc_is_a_422_not_a_crash(client: TestClient, acme: Tenant) -> None:
    doc = response("ana", "2026-01-05", nps=9)
    doc["submitted_at"] = "0001-01-01T00:00:00+00:01"
    body = assert_problem(client.post("/api/v1/responses", json=doc, headers=acme.headers), 422)
    assert "out of range" in json.dumps(body)
