"""The outbox and webhook endpoints: the secret shown once, workspace scoping, dead letters and replay, roles,
problem+json on every error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.notify import enqueue
from suara.notify.tables import OutboxMessage
from suara.settings import Settings
from suara.store.app import Role
from suara.web.app import create_app
from tests.conftest import Tenant


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _tenant(client: TestClient, slug: str, role: Role = Role.admin) -> Tenant:
    return Tenant(client.app.state.runtime, slug, role)  # type: ignore[attr-defined]


def _problem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


def test_webhook_crud_shows_the_secret_once(client: TestClient) -> None:
    acme, globex = _tenant(client, "acme"), _tenant(client, "globex")
    made = client.post("/api/v1/webhooks", json={"url": "https://hooks.example/x"}, headers=acme.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["*"] and body["kind"] == "signed"
    path = f"/api/v1/webhooks/{body['id']}"
    shown = client.get(path, headers=acme.headers).json()
    assert "secret" not in shown and shown["url"] == "https://hooks.example/x"
    assert all("secret" not in e for e in client.get("/api/v1/webhooks", headers=acme.headers).json())
    patched = client.patch(path, json={"active": False, "events": ["case.*"]}, headers=acme.headers).json()
    assert (patched["active"], patched["events"], patched["url"]) == (False, ["case.*"], "https://hooks.example/x")
    _problem(client.get(path, headers=globex.headers), 404, "not_found")
    _problem(client.delete(path, headers=globex.headers), 404, "not_found")
    assert client.delete(path, headers=acme.headers).status_code == 204
    _problem(client.get(path, headers=acme.headers), 404, "not_found")


def test_bad_webhooks_are_refused_with_problem_json(client: TestClient) -> None:
    acme = _tenant(client, "acme")
    _problem(client.post("/api/v1/webhooks", json={"url": "ftp://x"}, headers=acme.headers), 422, "validation_failed")
    _problem(
        client.post("/api/v1/webhooks", json={"url": "https://x", "events": ["Bad Name"]}, headers=acme.headers),
        422,
        "validation_failed",
    )
    analyst = _tenant(client, "analyst-ws", Role.analyst).headers
    _problem(client.post("/api/v1/webhooks", json={"url": "https://x"}, headers=analyst), 403, "permission_denied")


def test_dead_letters_are_listed_and_replayed(client: TestClient) -> None:
    acme, globex = _tenant(client, "acme"), _tenant(client, "globex")
    store = client.app.state.runtime.app  # type: ignore[attr-defined]
    with store.session() as s:
        dead = enqueue(s, acme.workspace_id, channel="email", target="a@x.example", payload={}, dedupe_key="1")
        live = enqueue(s, acme.workspace_id, channel="email", target="b@x.example", payload={}, dedupe_key="2")
        s.flush()
        row = s.get(OutboxMessage, dead.id)
        row.status, row.attempts, row.last_error = "dead", 8, "HTTP 503"
    listed = client.get("/api/v1/outbox?status=dead", headers=acme.headers).json()
    assert [(m["id"], m["status"], m["last_error"]) for m in listed] == [(dead.id, "dead", "HTTP 503")]
    assert len(client.get("/api/v1/outbox", headers=acme.headers).json()) == 2
    assert client.get("/api/v1/outbox", headers=globex.headers).json() == []

    _problem(client.post(f"/api/v1/outbox/{dead.id}/replay", headers=globex.headers), 404, "not_found")
    replayed = client.post(f"/api/v1/outbox/{dead.id}/replay", headers=acme.headers)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    assert replayed.json()["attempts"] == 0 and replayed.json()["delivery_id"] == dead.delivery_id
    _problem(client.post(f"/api/v1/outbox/{live.id}/replay", headers=acme.headers), 409, "not_replayable")
    _problem(client.get("/api/v1/outbox?status=lost", headers=acme.headers), 422, "validation_failed")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/outbox"),
        ("post", "/api/v1/outbox/1/replay"),
        ("get", "/api/v1/webhooks"),
        ("post", "/api/v1/webhooks"),
        ("get", "/api/v1/webhooks/1"),
        ("patch", "/api/v1/webhooks/1"),
        ("delete", "/api/v1/webhooks/1"),
    ],
)
def test_every_endpoint_needs_a_key_and_answers_problem_json(client: TestClient, method: str, path: str) -> None:
    _problem(client.request(method, path), 401, "not_authenticated")
    viewer = _tenant(client, "acme", Role.viewer)
    body = {"url": "https://hooks.example/x"}  # valid, so the role is what refuses it
    _problem(client.request(method, path, headers=viewer.headers, json=body), 403, "permission_denied")
