"""The alerts page in chromium: rules, a raised alert with its series chart, acknowledge then resolve."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, expect

from suara.act.alerts import AlertRuleCreate, add_rule, check_alerts
from tests.e2e.conftest import serve_app
from tests.e2e.test_cases_pages import CaseSite, open_site, sign_in


@pytest.fixture(scope="module")
def alert_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseSite]:
    rt, ws, agents = open_site(tmp_path_factory.mktemp("alerts") / "data", seed=22)
    # Every seeded week scores NPS under 90, so a weekly threshold at 90 raises one ongoing incident.
    rule = {"kind": "threshold", "metric": "nps", "period": "week", "below": 90, "min_n": 5}
    add_rule(rt.app, ws, AlertRuleCreate.model_validate({"name": "nps under 90", "definition": rule}))
    assert len(check_alerts(rt.app, rt.warehouse, ws, datetime(2026, 1, 27))) == 1
    with serve_app(rt) as url:
        yield CaseSite(url, rt, ws, agents)
    rt.close()


def test_alerts_page_lists_charts_and_acknowledges_an_alert(alert_site: CaseSite, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, alert_site.url, "/alerts")
    expect(page.locator("#rules-table")).to_contain_text("nps under 90")
    card = page.locator(".alert-card")
    expect(card).to_have_count(1)
    expect(card.locator(".alert-status")).to_have_text("open")
    expect(card.locator(".reason")).to_contain_text("under 90")
    expect(card.locator(".alert-chart canvas").first).to_be_visible()
    expect(card.locator(".alert-chart")).to_have_attribute("data-drawn", "true")

    card.locator(".ack-button").click()
    expect(page.locator(".alert-card .alert-status")).to_have_text("acknowledged")
    expect(page.locator(".alert-card .ack-button")).to_have_count(0)
    page.locator(".alert-card .resolve-button").click()
    expect(page.locator(".alert-card .alert-status")).to_have_text("resolved")
    page.select_option("#alert-status", "open")
    expect(page.locator(".alert-card")).to_have_count(0)
    context.close()
    assert not errors, errors
