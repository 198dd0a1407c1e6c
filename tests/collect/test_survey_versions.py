"""Responses naming a survey version are checked against that stored version over the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.collect.survey_versions import SurveyVersions
from suara.settings import Settings
from suara.web.app import create_app
from tests.conftest import Tenant
from tests.surveys.conftest import nps_survey, question
from tests.web.test_api import assert_problem

CSAT = {"questions": [question("csat", "csat", required=True), question("why", "open_text")]}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def acme(client: TestClient) -> Tenant:
    tenant = Tenant(client.app.state.runtime, "acme")  # type: ignore[attr-defined]
    for key, definition in (("post-csat", CSAT), ("rnps", nps_survey()), ("rnps", nps_survey(locales=["en"]))):
        body = {"key": key, "name": key, "definition": definition}
        assert client.post("/api/v1/surveys", headers=tenant.headers, json=body).status_code == 201
    return tenant


def doc(survey: str | None, version: int | None, *answers: dict[str, Any], rid: str = "r1") -> dict[str, Any]:
    return {
        "response_id": rid,
        "customer_id": "ana",
        "submitted_at": "2026-03-02T09:00:00Z",
        "survey_id": survey,
        "survey_version": version,
        "answers": list(answers),
    }


def post_batch(client: TestClient, tenant: Tenant, *docs: dict[str, Any]) -> Any:
    return client.post("/api/v1/responses/batch", headers=tenant.headers, json={"batch": list(docs)})


def stored(client: TestClient, tenant: Tenant) -> list[tuple[str, str | None, int | None]]:
    wh = client.app.state.runtime.warehouse  # type: ignore[attr-defined]
    t = wh.table("responses", tenant.workspace_id)
    rows = t.select("response_id", "survey_id", "survey_version").order_by("response_id").to_pyarrow().to_pylist()
    return [(r["response_id"], r["survey_id"], r["survey_version"]) for r in rows]


def test_a_response_fitting_its_version_is_accepted(client: TestClient, acme: Tenant) -> None:
    ok = doc(
        "post-csat",
        1,
        {"question_id": "csat", "kind": "csat", "number": 4},
        {"question_id": "why", "kind": "text", "text": "Cepat"},
    )
    r = client.post("/api/v1/responses", headers=acme.headers, json=ok)
    assert r.status_code == 201, r.text
    detractor = doc(
        "rnps",
        2,
        {"question_id": "nps", "kind": "nps", "number": 3},
        {"question_id": "reason", "kind": "text", "text": "slow"},
        rid="r2",
    )
    no_survey = doc(None, None, {"kind": "csat", "number": 5}, rid="r3")
    label_only = doc("some-program", None, {"kind": "nps", "number": 9}, rid="r4")
    r = post_batch(client, acme, detractor, no_survey, label_only)
    assert r.status_code == 200 and r.json()["accepted"] == 3, r.text
    assert stored(client, acme) == [
        ("r1", "post-csat", 1),
        ("r2", "rnps", 2),
        ("r3", None, None),
        ("r4", "some-program", None),
    ]


def test_partial_answers_are_accepted(client: TestClient, acme: Tenant) -> None:
    # A one-click score without the optional follow-up, and a response missing a required question.
    r = post_batch(
        client,
        acme,
        doc("rnps", 1, {"question_id": "nps", "kind": "nps", "number": 2}),
        doc("post-csat", 1, {"question_id": "why", "kind": "text", "text": "ok"}, rid="r2"),
    )
    assert r.status_code == 200 and r.json()["accepted"] == 2, r.text


BAD = [
    (
        doc("rnps", 7, {"question_id": "nps", "kind": "nps", "number": 9}),
        "survey_version",
        "survey 'rnps' has no version 7; its versions are 1, 2",
    ),
    (
        doc("nope", 1, {"question_id": "nps", "kind": "nps", "number": 9}),
        "survey_version",
        "no survey 'nope' in this workspace",
    ),
    (
        doc(None, 1, {"kind": "nps", "number": 9}),
        "survey_id",
        "a response naming survey_version must name its survey_id",
    ),
    (
        doc("post-csat", 1, {"question_id": "nps", "kind": "nps", "number": 9}),
        "answers/0/question_id",
        "this survey has no question 'nps'",
    ),
    (
        doc("post-csat", 1, {"question_id": "csat", "kind": "rating", "number": 4}),
        "answers/0/kind",
        "question 'csat' takes csat answers",
    ),
    (
        doc(
            "rnps",
            1,
            {"question_id": "nps", "kind": "nps", "number": 10},
            {"question_id": "reason", "kind": "text", "text": "x"},
        ),
        "answers/1",
        "question 'reason' is not shown for these answers (its show-if condition is false)",
    ),
]


def test_each_mismatch_is_a_422_naming_item_and_field(client: TestClient, acme: Tenant) -> None:
    good = doc("post-csat", 1, {"question_id": "csat", "kind": "csat", "number": 5}, rid="good")
    items = [good, *({**item, "response_id": f"bad{i}"} for i, (item, _, _) in enumerate(BAD))]
    body = assert_problem(post_batch(client, acme, *items), 422, "validation_failed")
    got = [(e["pointer"], e["message"]) for e in body["errors"]]
    assert got == [(f"/batch/{i + 1}/{field}", message) for i, (_, field, message) in enumerate(BAD)]
    assert stored(client, acme) == []  # the good item is not written either


def test_a_csat_of_7_is_refused(client: TestClient, acme: Tenant) -> None:
    seven = doc("post-csat", 1, {"question_id": "csat", "kind": "csat", "number": 7})
    body = assert_problem(client.post("/api/v1/responses", headers=acme.headers, json=seven), 422)
    assert body["errors"][0]["pointer"] == "/body/0/answers/0"
    assert "csat must be a whole number from 1 to 5, got 7" in body["errors"][0]["message"]


def test_another_workspace_cannot_answer_these_surveys(client: TestClient, acme: Tenant) -> None:
    globex = Tenant(client.app.state.runtime, "globex")  # type: ignore[attr-defined]
    r = client.post(
        "/api/v1/responses",
        headers=globex.headers,
        json=doc("post-csat", 1, {"question_id": "csat", "kind": "csat", "number": 4}),
    )
    body = assert_problem(r, 422, "validation_failed")
    assert body["errors"][0]["pointer"] == "/body/0/survey_version"


def test_definitions_are_read_once_per_version(client: TestClient, acme: Tenant) -> None:
    versions = SurveyVersions(client.app.state.runtime.app)  # type: ignore[attr-defined]
    first = versions.get(acme.workspace_id, "rnps", 2)
    assert not isinstance(first, str) and first.locales == ["en"]
    assert versions.get(acme.workspace_id, "rnps", 2) is first
    assert isinstance(versions.get(acme.workspace_id, "rnps", 3), str)
