"""The overview in a real browser: sign in through the form, tiles equal the API, charts drawn, HTMX swaps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Site
from tests.web.test_pages import EMAIL, PARTNERS, PASSWORD, SEGMENTS

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser context; any script error or failed console call fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A refused sign-in answers 401 on purpose; chromium logs that as a failed resource, which is no script error.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 401" not in msg.text else None,
    )
    yield page
    context.close()
    assert not errors, errors


def sign_in(page: Page, site: Site, password: str = PASSWORD) -> None:
    page.goto(f"{site.url}/overview")
    assert "/login" in page.url
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def api_metric(site: Site, metric: str, page: Page) -> dict[str, Any]:
    """The API's answer for the same period and window the page shows."""
    content = page.locator("#content")
    params = {"period": content.get_attribute("data-period")}
    for bound in ("start", "end"):
        if value := content.get_attribute(f"data-{bound}"):
            params[bound] = value
    r = httpx.get(
        f"{site.url}/api/v1/metrics/{metric}", params=params, headers={"Authorization": f"Bearer {site.seeded.api_key}"}
    )
    r.raise_for_status()
    return r.json()  # type: ignore[no-any-return]


def assert_tiles_match_api(page: Page, site: Site) -> None:
    for metric in ("nps", "csat", "ces"):
        expected = api_metric(site, metric, page)
        tile = page.locator(f'[data-metric="{metric}"]')
        for field in ("value", "ci_low", "ci_high"):
            el = tile.locator(f'[data-field="{field}"]')
            assert el.inner_text() == f"{expected[field]:.1f}", (metric, field)
            assert float(el.get_attribute("data-raw") or "nan") == expected[field], (metric, field)
        n = tile.locator('[data-field="n"]')
        assert int(n.inner_text()) == int(n.get_attribute("data-raw") or -1) == expected["n"] > 0


def test_wrong_password_shows_an_error(page: Page, site: Site) -> None:
    sign_in(page, site, password="not it")
    assert page.get_by_role("alert").inner_text() == "The email or password is not right."
    assert "/login" in page.url


def test_overview_matches_the_api_and_draws_charts(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.wait_for_url("**/overview")
    assert_tiles_match_api(page, site)
    page.wait_for_selector("#trend-chart canvas")
    page.wait_for_selector("#partners-chart canvas")
    legend = page.locator("#partners-chart .u-legend").inner_text()
    assert all(p in legend for p in PARTNERS)
    rows = page.locator("#breakdown tbody tr")
    assert rows.count() == len(SEGMENTS)
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.group)")) == sorted(SEGMENTS)
    # Hovering a week shows its n in the readout.
    box = page.locator("#trend-chart .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "n = " in page.locator("#trend-readout").inner_text()


def test_controls_swap_the_content_in_place(page: Page, site: Site) -> None:
    sign_in(page, site)
    page.wait_for_selector("#trend-chart canvas")
    page.locator('label[for="period-month"]').click()
    page.wait_for_selector('#content[data-period="month"]')
    assert "period=month" in page.url
    assert_tiles_match_api(page, site)
    page.wait_for_selector("#trend-chart canvas")
    assert page.locator("#trend-chart canvas").count() == 1
    page.locator('label[for="range-all"]').click()
    page.wait_for_selector('#content[data-range="all"]')
    assert page.locator("#content").get_attribute("data-start") == ""
    assert_tiles_match_api(page, site)
    assert int(page.locator('[data-metric="nps"] [data-field="n"]').inner_text()) == site.seeded.responses
    page.get_by_label("Break down by").select_option("delivery_partner")
    page.wait_for_selector('#breakdown[data-field="delivery_partner"]')
    assert page.locator("#breakdown tbody tr").count() == len(PARTNERS)
    assert "range=all" in page.url and "by=delivery_partner" in page.url
    # Back restores the earlier view, its controls and a freshly drawn chart.
    page.go_back()
    page.wait_for_selector('#breakdown[data-field="segment"]')
    assert page.locator("#range-all").is_checked() and page.locator("#period-month").is_checked()
    page.wait_for_selector("#trend-chart canvas")
    assert page.locator("#trend-chart canvas").count() == 1
    page.go_forward()
    page.wait_for_selector('#breakdown[data-field="delivery_partner"]')
    assert page.get_by_label("Break down by").input_value() == "delivery_partner"
