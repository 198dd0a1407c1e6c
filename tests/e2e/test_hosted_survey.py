"""The hosted survey page in a real browser, by keyboard only: with JavaScript the follow-up appears as soon as the
score calls for it; without JavaScript the server shows it after the first send."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page

from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys.links import mint_link
from suara.surveys.templates import TEMPLATES
from tests.e2e.conftest import serve_app

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Hosted:
    url: str
    runtime: Runtime
    workspace_id: str

    def link(self, customer: str, locale: str = "en") -> str:
        token = mint_link(
            self.runtime.settings.resolved_secret(), self.workspace_id, "rnps", 1, customer, locale=locale
        )
        return f"{self.url}/s/{token}"

    def answers(self, customer: str) -> list[tuple[str, object]]:
        wh = self.runtime.warehouse
        responses = wh.table("responses", self.workspace_id)
        ids = responses.filter(responses.customer_id == customer).execute()["response_id"].tolist()
        answers = wh.table("answers", self.workspace_id)
        rows = answers.filter(answers.response_id.isin(ids)).order_by("question_id").execute()
        return [(r.question_id, r.number if r.kind == "nps" else r.text) for r in rows.itertuples()]


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    """The app with the relational NPS survey, served by uvicorn on a free port in a background thread."""
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("hosted") / "data"))
    with rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme")
        definition = TEMPLATES["relational-nps"].definition.model_dump(mode="json", exclude_none=True)
        WorkspaceRepo(s, ws.id).save_survey("rnps", "Relational NPS", definition)
        workspace_id = ws.id
    with serve_app(rt) as url:
        yield Hosted(url, rt, workspace_id)
    rt.close()


def new_page(browser: Browser, javascript: bool) -> Page:
    page = browser.new_context(java_script_enabled=javascript).new_page()
    page.set_default_timeout(10_000)
    return page


def test_keyboard_only_with_javascript(browser: Browser, hosted: Hosted) -> None:
    page = new_page(browser, javascript=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(hosted.link("kira"))
    reason = page.get_by_role("group", name="What is the main reason for your score?")
    assert reason.is_hidden()
    page.keyboard.press("Tab")  # onto the score group's first radio (0)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="3", exact=True).is_checked()
    reason.wait_for(state="visible")
    page.keyboard.press("Tab")
    page.keyboard.type("Delivery was late")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Thank you for your answer.").wait_for()
    assert hosted.answers("kira") == [("nps", 3.0), ("reason", "Delivery was late")]
    assert not errors, errors
    page.context.close()


def test_keyboard_only_without_javascript(browser: Browser, hosted: Hosted) -> None:
    page = new_page(browser, javascript=False)
    page.goto(hosted.link("lev", locale="ru"))
    assert page.locator("html").get_attribute("lang") == "ru"
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # score 1
    page.keyboard.press("Enter")  # submits the form: the server answers with the follow-up
    page.get_by_role("status").wait_for()
    assert hosted.answers("lev") == []
    page.keyboard.press("Tab")  # the chosen score
    page.keyboard.press("Tab")  # the follow-up the server added
    follow_up = page.get_by_role("textbox", name="Что стало главной причиной вашей оценки?")
    assert follow_up.evaluate("el => el === document.activeElement")
    page.keyboard.type("Дорого")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Спасибо за ваш ответ.").wait_for()
    assert hosted.answers("lev") == [("nps", 1.0), ("reason", "Дорого")]
    page.context.close()
