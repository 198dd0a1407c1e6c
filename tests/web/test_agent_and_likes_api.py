"""A ticket's `agent` and a post's `likes` through the ingestion API: stored, validated with problem+json, and the
support measures broken down and filtered by agent through GET /api/v1/metrics."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.web.test_api import assert_problem


def _rows(client: TestClient, sql: str) -> list[tuple[Any, ...]]:
    return client.app.state.runtime.warehouse.cursor().execute(sql).fetchall()  # type: ignore[attr-defined,no-any-return]


def ticket(n: int, agent: object = None, hours: int = 1, **extra: Any) -> dict[str, Any]:
    doc = {
        "ticket_id": f"t{n}",
        "customer_id": f"c{n}",
        "created_at": "2026-03-02T08:00:00Z",
        "first_response_at": f"2026-03-02T{8 + hours:02d}:00:00Z",
        **extra,
    }
    return doc if agent is None else doc | {"agent": agent}


def post(n: int, likes: object = None) -> dict[str, Any]:
    doc = {"feedback_id": f"p{n}", "source": "instagram", "text": "cepat!", "created_at": "2026-03-02T08:00:00Z"}
    return doc if likes is None else doc | {"likes": likes}


def test_tickets_and_posts_store_agent_and_likes(client: TestClient, acme: Tenant) -> None:
    r = client.post("/api/v1/tickets", json=ticket(1, "  Sari "), headers=acme.headers)
    assert r.status_code == 201, r.text
    batch = {"batch": [ticket(2, "Budi"), ticket(3)]}
    assert client.post("/api/v1/tickets/batch", json=batch, headers=acme.headers).json()["accepted"] == 2
    assert sorted(_rows(client, "SELECT ticket_id, agent FROM tickets")) == [("t1", "Sari"), ("t2", "Budi"),
                                                                            ("t3", None)]  # fmt: skip

    assert client.post("/api/v1/feedback", json=post(1, 1204), headers=acme.headers).status_code == 201
    batch = {"batch": [post(2, 0), post(3)]}
    assert client.post("/api/v1/feedback/batch", json=batch, headers=acme.headers).json()["accepted"] == 2
    got = sorted(_rows(client, "SELECT feedback_id, likes FROM feedback"))
    assert got == [("p1", 1204), ("p2", 0), ("p3", None)]


@pytest.mark.parametrize(
    ("agent", "message"),
    [("", "at least 1 character"), ("   ", "at least 1 character"), ("x" * 201, "at most 200"), (7, "string")],
)
def test_a_bad_agent_is_problem_json_and_nothing_is_written(
    client: TestClient, acme: Tenant, agent: object, message: str
) -> None:
    batch = {"batch": [ticket(1, "Sari"), ticket(2, agent)]}
    body = assert_problem(client.post("/api/v1/tickets/batch", json=batch, headers=acme.headers), 422)
    assert body["code"] == "validation_failed"
    assert [e["pointer"] for e in body["errors"]] == ["/batch/1/agent"] and message in body["errors"][0]["message"]
    assert _rows(client, "SELECT count(*) FROM tickets") == [(0,)]


@pytest.mark.parametrize(
    ("likes", "message"),
    [(-1, "greater than or equal to 0"), (1.5, "integer"), ("12", "integer"), (True, "integer"), (2**31, "less")],
)
def test_bad_likes_are_problem_json_and_nothing_is_written(
    client: TestClient, acme: Tenant, likes: object, message: str
) -> None:
    body = assert_problem(client.post("/api/v1/feedback", json=post(1, likes), headers=acme.headers), 422)
    assert body["code"] == "validation_failed"
    assert [e["pointer"] for e in body["errors"]] == ["/body/0/likes"] and message in body["errors"][0]["message"]
    assert _rows(client, "SELECT count(*) FROM feedback") == [(0,)]


def test_support_measures_by_and_filtered_by_agent(client: TestClient, acme: Tenant) -> None:
    # Sari answers in 1, 2 and 3 hours; Budi in 5 and 7; one ticket has no agent.
    docs = [ticket(1, "Sari", 1), ticket(2, "Sari", 2), ticket(3, "Sari", 3), ticket(4, "Budi", 5),
            ticket(5, "Budi", 7), ticket(6, None, 4)]  # fmt: skip
    client.post("/api/v1/tickets/batch", json={"batch": docs}, headers=acme.headers).raise_for_status()
    r = client.get("/api/v1/metrics/first_response_time", params={"by": "agent"}, headers=acme.headers)
    assert r.status_code == 200, r.text
    groups = {g["key"]["agent"]: (g["n"], g["value"]) for g in r.json()["groups"]}
    assert groups == {"Sari": (3, 2.0), "Budi": (2, 6.0), None: (1, 4.0)}

    only = client.get("/api/v1/metrics/first_response_time", params={"filter": "agent:Budi"}, headers=acme.headers)
    assert (only.json()["n"], only.json()["value"]) == (2, 6.0)
    backlog = client.get("/api/v1/metrics/backlog", params={"by": "agent"}, headers=acme.headers).json()
    assert {g["key"]["agent"]: g["value"] for g in backlog["groups"]} == {"Sari": 3, "Budi": 2, None: 1}
