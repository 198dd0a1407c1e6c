"""The unsubscribe link of a real invitation, in a real browser against a real server: the link in the queued
message opens the page, one click on its button unsubscribes, and the next send is skipped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from suara.notify.tables import OutboxMessage
from suara.outreach.policy import ContactPolicy
from suara.outreach.send import save_policy
from suara.outreach.suppression import suppressions
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES
from tests.e2e.conftest import serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Runtime, str, str]]:
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("unsub") / "data"))
    with rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
        repo = WorkspaceRepo(s, ws)
        t = TEMPLATES["exit-survey"]
        repo.save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
        _, key = repo.create_api_key("test")
        save_policy(s, ws, ContactPolicy(quiet_hours=None, survey_cap={"count": 9, "days": 1}))  # type: ignore[arg-type]
    rt.ingestor.ingest(
        "events",
        ws,
        [
            {
                "type": "identify",
                "userId": "ana",
                "timestamp": "2026-01-01T00:00:00Z",
                "traits": {"email": "ana@shop.example"},
            }
        ],
    )
    with serve_app(rt) as url:
        yield url, rt, ws, key
    rt.close()


def test_one_click_unsubscribe_in_a_browser(browser: Browser, served: tuple[str, Runtime, str, str]) -> None:
    url, rt, ws, key = served
    send = f"{url}/api/v1/surveys/exit-survey/send"
    headers = {"Authorization": f"Bearer {key}"}
    decision = httpx.post(send, json={"customer_id": "ana"}, headers=headers).json()
    assert decision["outcome"] == "queued"
    with rt.app.session() as s:
        payload = s.get(OutboxMessage, decision["message_id"]).payload  # type: ignore[union-attr]
    assert payload["base_url"] == url and payload["unsubscribe_url"].startswith(f"{url}/u/")
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(10_000)
    page.goto(payload["unsubscribe_url"])
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You are unsubscribed.").wait_for()
    page.context.close()
    with rt.app.session() as s:
        assert {r.value for r in suppressions(s, ws)} == {"ana", "ana@shop.example"}
    assert httpx.post(send, json={"customer_id": "ana"}, headers=headers).json()["reason"] == "skipped: unsubscribed"
