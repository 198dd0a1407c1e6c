"""The survey API: definitions validated with problem+json pointers, lint findings, templates, the lint endpoint."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.surveys.conftest import nps_survey
from tests.web.test_api import assert_problem


def save(client: TestClient, tenant: Tenant, definition: Any, key: str = "nps") -> Any:
    return client.post(
        "/api/v1/surveys", headers=tenant.headers, json={"key": key, "name": "NPS", "definition": definition}
    )


def test_a_valid_definition_is_saved_with_its_findings(client: TestClient, acme: Tenant) -> None:
    raw = nps_survey()
    raw["questions"][1]["text"]["en"] = "Was the courier fast and friendly?"
    r = save(client, acme, raw)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["version"] == 1 and body["definition"]["questions"][1]["show_if"]["op"] == "lte"
    (finding,) = body["findings"]
    assert finding["rule"] == "double-barrelled" and finding["question_id"] == "reason"
    assert finding["pointer"] == "/questions/1/text/en" and finding["excerpt"] == "fast and friendly"
    assert save(client, acme, nps_survey()).json()["version"] == 2


def test_a_bad_definition_is_422_with_pointers_and_saves_nothing(client: TestClient, acme: Tenant) -> None:
    raw = nps_survey()
    raw["questions"][0]["kind"] = "stars"
    body = assert_problem(save(client, acme, raw), 422, "validation_failed")
    assert "/definition/questions/0/kind" in [e["pointer"] for e in body["errors"]]
    raw = nps_survey()
    raw["questions"][1]["show_if"]["question"] = "later"
    body = assert_problem(save(client, acme, raw), 422, "validation_failed")
    assert [e["pointer"] for e in body["errors"]] == ["/definition/questions/1/show_if/question"]
    assert "/definition/questions/1/show_if/question" in body["detail"]
    assert client.get("/api/v1/surveys", headers=acme.headers).json() == []


def test_reserved_keys_are_refused(client: TestClient, acme: Tenant) -> None:
    body = assert_problem(save(client, acme, nps_survey(), key="templates"), 422)
    assert body["errors"][0]["pointer"] == "/key"


def test_templates_are_listed_in_four_languages(client: TestClient, acme: Tenant) -> None:
    r = client.get("/api/v1/surveys/templates", headers=acme.headers)
    assert r.status_code == 200
    templates = {t["key"]: t for t in r.json()}
    assert len(templates) == 5 and all(t["locales"] == ["en", "id", "ms", "ru"] for t in templates.values())
    # A template saves as it is.
    saved = save(client, acme, templates["post-support-ces"]["definition"], key="support-ces")
    assert saved.status_code == 201 and saved.json()["findings"] == []


def test_lint_a_text_or_a_definition(client: TestClient, acme: Tenant) -> None:
    r = client.post(
        "/api/v1/surveys/lint", headers=acme.headers, json={"text": "Bukankah kurir cepat dan ramah?", "locale": "id"}
    )
    assert r.status_code == 200
    assert {f["rule"] for f in r.json()["findings"]} == {"leading-agreement", "double-barrelled"}
    clean = client.post("/api/v1/surveys/lint", headers=acme.headers, json={"definition": nps_survey()}).json()
    assert clean == {"clean": True, "findings": []}
    body = assert_problem(client.post("/api/v1/surveys/lint", headers=acme.headers, json={"locale": "en"}), 422)
    assert "either `definition` or `text`" in body["detail"]
    bad = nps_survey()
    bad["default_locale"] = "ms"
    body = assert_problem(client.post("/api/v1/surveys/lint", headers=acme.headers, json={"definition": bad}), 422)
    assert body["errors"][0]["pointer"] == "/definition/default_locale"
