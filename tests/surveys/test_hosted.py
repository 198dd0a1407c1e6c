"""The hosted link `/s/<token>`: render in the customer's language, pre-filled score, branching without JavaScript,
one response per link through the ingestion path, and clear pages for expired, tampered and replayed links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.runtime import Runtime
from suara.surveys.links import BadLink, ExpiredLink, mint_link, read_link
from suara.surveys.templates import TEMPLATES
from tests.conftest import Tenant
from tests.surveys.conftest import nps_survey


def runtime_of(client: TestClient) -> Runtime:
    return client.app.state.runtime  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def link(client: TestClient, acme: Tenant) -> str:
    """A link for customer ana to version 1 of the relational NPS template, in Indonesian."""
    definition = TEMPLATES["relational-nps"].definition.model_dump(mode="json", exclude_none=True)
    body = {"key": "rnps", "name": "Relational NPS", "definition": definition}
    assert client.post("/api/v1/surveys", headers=acme.headers, json=body).status_code == 201
    secret = runtime_of(client).settings.resolved_secret()
    return "/s/" + mint_link(secret, acme.workspace_id, "rnps", 1, "ana", locale="id")


def shown(html: str) -> list[str]:
    """Question ids the page shows (fieldsets without `hidden`)."""
    return re.findall(r'<fieldset[^>]*id="q-(\w+)"[^>]*?(?<!hidden disabled)>', html)


def stored(client: TestClient, acme: Tenant) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    wh = runtime_of(client).warehouse
    responses = wh.table("responses", acme.workspace_id).execute().to_dict("records")
    answers = wh.table("answers", acme.workspace_id).order_by("question_id").execute().to_dict("records")
    return responses, answers


def test_the_page_renders_in_the_customers_language(client: TestClient, link: str) -> None:
    r = client.get(link)
    assert r.status_code == 200 and '<html lang="id">' in r.text
    assert "Seberapa besar kemungkinan Anda merekomendasikan kami" in r.text
    assert 'role="radiogroup"' in r.text and 'aria-required="true"' in r.text
    assert shown(r.text) == ["nps"]
    assert '<button type="submit"' in r.text and "Kirim" in r.text


def test_a_score_in_the_link_is_preselected_and_opens_the_follow_up(client: TestClient, link: str) -> None:
    r = client.get(link, params={"score": "3"})
    assert re.search(r'name="nps" value="3" checked', r.text)
    assert shown(r.text) == ["nps", "reason"]
    promoter = client.get(link, params={"score": "9"})
    assert shown(promoter.text) == ["nps", "improve"]
    assert "checked" not in client.get(link, params={"score": "12"}).text


def test_submit_stores_one_response_and_a_replay_is_refused(client: TestClient, acme: Tenant, link: str) -> None:
    form = {"nps": "3", "reason": "Pengiriman terlambat", "_shown": ["nps", "reason"]}
    r = client.post(link, data=form)
    assert r.status_code == 200 and "Terima kasih atas jawaban Anda." in r.text
    responses, answers = stored(client, acme)
    (response,) = responses
    assert response["channel"] == "link" and response["customer_id"] == "ana"
    assert response["survey_id"] == "rnps" and response["survey_version"] == 1 and response["locale"] == "id"
    assert response["response_id"] == read_link(runtime_of(client).settings.resolved_secret(), link[3:]).response_id
    assert [(a["question_id"], a["kind"]) for a in answers] == [("nps", "nps"), ("reason", "text")]
    assert answers[0]["number"] == 3 and answers[1]["text"] == "Pengiriman terlambat"
    again = client.post(link, data={"nps": "10", "_shown": ["nps"]})
    assert again.status_code == 409 and "sudah menjawab" in again.text
    assert client.get(link).status_code == 200 and "sudah menjawab" in client.get(link).text
    assert len(stored(client, acme)[0]) == 1


def test_without_javascript_the_follow_up_appears_before_anything_is_stored(
    client: TestClient, acme: Tenant, link: str
) -> None:
    first = client.post(link, data={"nps": "2", "_shown": ["nps"]})
    assert first.status_code == 200 and shown(first.text) == ["nps", "reason"]
    assert 'role="status"' in first.text and stored(client, acme)[0] == []
    done = client.post(link, data={"nps": "2", "reason": "Mahal", "_shown": ["nps", "reason"]})
    assert done.status_code == 200
    assert [a["question_id"] for a in stored(client, acme)[1]] == ["nps", "reason"]


def test_a_hidden_follow_up_is_not_stored(client: TestClient, acme: Tenant, link: str) -> None:
    r = client.post(link, data={"nps": "9", "reason": "typed, then changed the score", "_shown": ["nps", "improve"]})
    assert r.status_code == 200
    assert [a["question_id"] for a in stored(client, acme)[1]] == ["nps"]


def test_a_missing_required_answer_shows_the_form_again(client: TestClient, acme: Tenant, link: str) -> None:
    r = client.post(link, data={"improve": "x", "_shown": ["nps"]})
    assert r.status_code == 422 and "Mohon jawab" in r.text and 'role="alert"' in r.text
    assert stored(client, acme)[0] == []


def test_an_expired_link_is_410(client: TestClient, acme: Tenant, link: str) -> None:
    secret = runtime_of(client).settings.resolved_secret()
    old = mint_link(
        secret, acme.workspace_id, "rnps", 1, "ana", ttl=timedelta(days=1), now=datetime(2020, 1, 1, tzinfo=UTC)
    )
    r = client.get(f"/s/{old}", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert r.status_code == 410 and "Срок действия ссылки истёк" in r.text
    assert client.post(f"/s/{old}", data={"nps": "9"}).status_code == 410
    with pytest.raises(ExpiredLink):
        read_link(secret, old)


def test_a_tampered_link_is_404(client: TestClient, link: str) -> None:
    token = link[3:]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = client.get(f"/s/{forged}")
    assert r.status_code == 404 and "This link does not work" in r.text
    assert client.post(f"/s/{forged}", data={"nps": "9"}).status_code == 404
    assert client.get("/s/not-a-token").status_code == 404
    with pytest.raises(BadLink):
        read_link("another secret", token)


def test_a_link_to_a_missing_survey_is_404(client: TestClient, acme: Tenant) -> None:
    secret = runtime_of(client).settings.resolved_secret()
    r = client.get("/s/" + mint_link(secret, acme.workspace_id, "nope", 1, "ana"))
    assert r.status_code == 404 and "no longer available" in r.text


def test_each_link_writes_its_own_response(client: TestClient, acme: Tenant) -> None:
    client.post("/api/v1/surveys", headers=acme.headers, json={"key": "n", "name": "N", "definition": nps_survey()})
    secret = runtime_of(client).settings.resolved_secret()
    for _ in range(2):  # the same customer asked twice (say, a quarter apart) answers twice
        token = mint_link(secret, acme.workspace_id, "n", 1, "bo")
        assert client.post(f"/s/{token}", data={"nps": "10", "_shown": ["nps"]}).status_code == 200
    responses, _ = stored(client, acme)
    assert len({r["response_id"] for r in responses}) == 2 and {r["locale"] for r in responses} == {"en"}
