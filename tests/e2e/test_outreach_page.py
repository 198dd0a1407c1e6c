"""The outreach page in a real browser against a real server: a trigger created from a template is listed and can
be disabled, a send through the API shows up in the decision log with its reason (and filters by outcome), the
policy form saves and refuses an unknown time zone, a suppressed address is listed, and the funnel counts the send."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from suara.outreach.funnel import FunnelStep, SurveyFunnel
from suara.outreach.policy import ContactPolicy
from suara.outreach.send import load_policy, save_policy
from suara.outreach.suppression import suppressions
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES
from suara.web.ui.outreach import conversions
from tests.e2e.conftest import serve_app

Served = tuple[str, Runtime, str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("outreach-page") / "data"))
    with rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
        repo = WorkspaceRepo(s, ws)
        for key in ("exit-survey", "post-purchase-csat"):
            t = TEMPLATES[key]
            repo.save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
        _, api_key = repo.create_api_key("test")
        save_policy(s, ws, ContactPolicy(quiet_hours=None))
    doc = {"type": "identify", "userId": "ana", "timestamp": "2026-01-01T00:00:00Z", "traits": {"email": "ana@x.io"}}
    rt.ingestor.ingest("events", ws, [doc])
    with serve_app(rt) as url:
        yield url, rt, ws, api_key
    rt.close()


def _signed_in(browser: Browser, url: str, key: str) -> Page:
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{url}/outreach")
    assert "/login" in page.url  # the page needs a session
    page.get_by_text("Sign in with an API key instead").click()
    page.fill("#api_key", key)
    page.get_by_role("button", name="Sign in with key").click()
    page.wait_for_url(f"{url}/outreach")
    return page


@pytest.mark.browser
def test_the_outreach_page(browser: Browser, served: Served) -> None:
    url, rt, ws, key = served
    page = _signed_in(browser, url, key)
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Outreach")

    # a rule from a template, with its own name and delay
    page.select_option("#rule-template", "post-purchase-csat")
    page.fill("#rule-name", "csat-after-delivery")
    page.fill("#rule-delay", "3h")
    page.click("#create-rule")
    row = page.locator("#rules-table tr[data-rule=csat-after-delivery]")
    expect(row).to_contain_text("order_delivered")
    expect(row).to_contain_text("3h")
    expect(row.locator(".rule-state")).to_have_text("enabled")
    row.get_by_role("button", name="Disable").click()
    expect(page.locator("#rules-table tr[data-rule=csat-after-delivery] .rule-state")).to_have_text("disabled")
    # the same name again is refused with the API's words, on the page
    page.select_option("#rule-template", "exit-survey")
    page.fill("#rule-name", "csat-after-delivery")
    page.click("#create-rule")
    expect(page.locator("#page-error")).to_contain_text("a trigger rule named 'csat-after-delivery' exists")

    # two sends through the API: one queued, one skipped for want of an address
    send, headers = f"{url}/api/v1/surveys/exit-survey/send", {"Authorization": f"Bearer {key}"}
    assert httpx.post(send, json={"customer_id": "ana"}, headers=headers).json()["outcome"] == "queued"
    assert httpx.post(send, json={"customer_id": "ben"}, headers=headers).json()["outcome"] == "skipped"
    page.goto(f"{url}/outreach")
    log = page.locator("#decisions-table tbody tr")
    expect(log).to_have_count(2)
    expect(page.locator("#decisions-table")).to_contain_text("skipped: no email for customer ben")
    page.select_option("#outcome-filter", "skipped")
    page.click("#apply-decision-filters")  # swapped in place by HTMX
    expect(page.locator("#decision-total")).to_have_text("1")
    expect(log).to_have_count(1)
    expect(log.first.locator(".reason")).to_have_text("skipped: no email for customer ben")
    assert "outcome=skipped" in page.url
    page.select_option("#rule-filter", "csat-after-delivery")  # sends through the API belong to no rule
    page.click("#apply-decision-filters")
    expect(page.locator("#decision-total")).to_have_text("0")
    expect(page.locator("#decisions-table")).to_contain_text("No decisions match these filters.")

    # the funnel counts the queued invitation; nothing was sent yet
    funnel = page.locator(".funnel[data-survey=exit-survey]")
    expect(funnel.locator("[data-step=queued]")).to_have_attribute("data-count", "1")
    expect(funnel.locator("[data-step=sent]")).to_have_attribute("data-count", "0")

    # suppress an address and see it listed
    page.fill("#suppress-value", "cai@x.io")
    page.fill("#suppress-reason", "asked by phone")
    page.click("#suppress")
    expect(page.locator("#suppressions-table tr[data-value='cai@x.io']")).to_contain_text("asked by phone")
    with rt.app.session() as s:
        assert [r.value for r in suppressions(s, ws)] == ["cai@x.io"]

    # the policy form saves, and an unknown zone comes back as a message without saving anything
    page.fill("#survey-count", "2")
    page.click("#save-policy")
    expect(page.locator("#survey-count")).to_have_value("2")
    page.fill("#policy-timezone", "Mars/Olympus")
    page.click("#save-policy")
    expect(page.locator("#page-error")).to_contain_text("unknown time zone 'Mars/Olympus'")
    with rt.app.session() as s:
        policy = load_policy(s, ws)
    assert (policy.survey_cap.count, policy.timezone, policy.quiet_hours) == (2, "UTC", None)
    page.context.close()


def test_funnel_bars_and_step_conversion() -> None:
    counts = [("queued", 8), ("sent", 6), ("delivered", 3), ("opened", 0), ("started", 0), ("completed", 0)]
    funnel = SurveyFunnel(survey="s", steps=[FunnelStep(step=k, count=c, share=c / 8) for k, c in counts], partial=0)
    got = [(c["step"], c["width"], c["from_previous"]) for c in conversions(funnel)]
    assert got == [
        ("queued", 100.0, None),
        ("sent", 75.0, 0.75),
        ("delivered", 37.5, 0.5),
        ("opened", 0.0, 0.0),
        ("started", 0.0, None),  # nothing opened: no share to speak of
        ("completed", 0.0, None),
    ]
