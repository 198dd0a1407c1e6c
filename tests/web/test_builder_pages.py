"""The survey builder pages without a browser: sign-in, keys, the no-JavaScript round trip, refusals, roles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from suara.store.app import Role, WorkspaceRepo
from suara.web.ui.builder_form import apply_action, draft_from_form, question_views
from tests.conftest import Tenant

EMAIL, PASSWORD = "rina@example.com", "a long pass phrase"


def signed_in(client: TestClient, tenant: Tenant, role: Role = Role.analyst) -> TestClient:
    with client.app.state.runtime.app.session() as s:  # type: ignore[attr-defined]
        WorkspaceRepo(s, tenant.workspace_id).add_user(EMAIL, PASSWORD, role)
    r = client.post("/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    return client


FORM: dict[str, Any] = {
    "name": "Support",
    "new": "1",
    "locales": ["en", "ru"],
    "default_locale": "en",
    "qn": "2",
    "q-0-id": "ces",
    "q-0-kind": "ces_5",
    "q-0-required": "1",
    "q-0-text-en": "How much effort did it take?",
    "q-0-text-ru": "Сколько усилий это потребовало?",
    "q-1-id": "why",
    "q-1-kind": "open_text",
    "q-1-text-en": "What made it hard?",
    "q-1-branch": "detractors:ces",
}


def as_form(data: dict[str, Any]) -> dict[str, list[str]]:
    """Fields as a parsed form holds them: a list of values per name."""
    return {k: v if isinstance(v, list) else [v] for k, v in data.items()}


def test_pages_need_a_session(client: TestClient) -> None:
    r = client.get("/surveys", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/surveys"


def test_a_bad_or_taken_key_is_refused_on_the_list(client: TestClient, acme: Tenant) -> None:
    signed_in(client, acme)
    r = client.get("/surveys/new", params={"key": "Bad Key"})
    assert r.status_code == 422 and "A key is 1-100 lowercase letters" in r.text
    r = client.get("/surveys/new", params={"key": "new"})
    assert r.status_code == 422


def test_form_round_trip_publish_and_version_history(client: TestClient, acme: Tenant) -> None:
    signed_in(client, acme)
    draft = draft_from_form(as_form(FORM))
    assert draft["questions"][0]["scale"] == "effort_5"
    assert draft["questions"][1]["show_if"] == {"question": "ces", "op": "gte", "value": 4}  # effort: high is bad
    view = question_views(draft)[1]
    assert view.branch == "detractors:ces" and view.texts[1].fallback == ("en", "What made it hard?")

    r = client.post("/surveys/support/publish", data=FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/surveys/support?published=1"
    page = client.get("/surveys/support?published=1")
    assert "Published version 1." in page.text and "Сколько усилий" in page.text
    # Without JavaScript, a structural button posts the whole page and gets it back.
    r = client.post("/surveys/support/editor", data={**FORM, "new": "0", "action": "down-0"})
    assert r.status_code == 200 and r.text.index('value="why"') < r.text.index('value="ces"')
    # Publishing it again as a new survey is refused; as the same survey it is version 2.
    r = client.post("/surveys/support/publish", data=FORM)
    assert r.status_code == 422 and "There is already a survey" in r.text
    r = client.post("/surveys/support/publish", data={**FORM, "new": "0"}, follow_redirects=False)
    assert r.headers["location"] == "/surveys/support?published=2"
    api = client.get("/api/v1/surveys/support", headers=acme.headers).json()
    assert api["version"] == 2 and api["definition"]["questions"][0]["scale"] == "effort_5"


def test_an_invalid_draft_is_listed_and_not_stored(client: TestClient, acme: Tenant) -> None:
    signed_in(client, acme)
    bad = {**FORM, "q-0-text-en": "", "q-1-id": "ces"}
    r = client.post("/surveys/support/publish", data=bad)
    assert r.status_code == 422 and "Not published" in r.text
    assert "Question 1 (ces), text" in r.text and "question id &#39;ces&#39; is used twice" in r.text
    assert client.get("/api/v1/surveys", headers=acme.headers).json() == []


def test_a_viewer_cannot_publish(client: TestClient, acme: Tenant) -> None:
    signed_in(client, acme, Role.viewer)
    r = client.post("/surveys/support/publish", data=FORM)
    assert r.status_code == 422 and "this needs the analyst role" in r.text
    assert "Publish new version" not in client.get("/surveys/new", params={"key": "x"}).text


def test_actions_add_remove_and_move() -> None:
    draft = draft_from_form(as_form(FORM))
    apply_action(draft, "add", "multiple_choice")
    assert [q["id"] for q in draft["questions"]] == ["ces", "why", "multiple_choice"]
    assert [o["id"] for o in draft["questions"][2]["options"]] == ["a", "b"]
    apply_action(draft, "up-2")
    apply_action(draft, "remove-0")
    assert [q["id"] for q in draft["questions"]] == ["multiple_choice", "why"]
    apply_action(draft, "down-9")  # out of range: nothing happens
    assert len(draft["questions"]) == 2


def test_lint_text_fragment(client: TestClient, acme: Tenant) -> None:
    signed_in(client, acme)
    r = client.post("/surveys/lint-text", data={"field": "t", "locale": "en", "t": "How great was it?"})
    assert 'data-rule="leading"' in r.text
    assert client.post("/surveys/lint-text", data={"field": "t", "locale": "en", "t": "How was it?"}).text.strip() == ""
