"""The metrics explorer in chromium: pick a measure and a breakdown, see the chart and the table, export CSV."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Site
from tests.e2e.test_overview import sign_in


def test_explorer_picks_measure_breakdown_and_exports(site: Site, browser: Browser) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, site)
    page.wait_for_url("**/overview**")
    page.get_by_role("link", name="Metrics").click()
    page.wait_for_url("**/metrics**")
    page.select_option("#range-select", "all")
    expect(page.locator("#range-select")).to_have_value("all")
    expect(page.locator("#explorer-chart canvas").first).to_be_visible()
    nps_n = page.locator("#explorer-n").inner_text()
    assert int(nps_n) == site.seeded.responses
    # Choosing a measure swaps the content in place (HTMX) and keeps the choice in the URL.
    page.select_option("#metric-select", "ces")
    expect(page.locator("#measure-definition")).to_contain_text("Customer Effort Score")
    assert "metric=ces" in page.url
    page.wait_for_load_state("networkidle")  # no swap still in flight that could replace the form under the next pick
    page.select_option("#by-select", "segment")
    page.wait_for_url(re.compile(r"[?&]by=segment"), timeout=15_000)
    expect(page.locator("#explorer-table tbody tr")).to_have_count(2 * 10, timeout=15_000)  # two segments, ten weeks
    with page.expect_download() as download:
        page.click("#csv-export")
    text = download.value.path().read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("metric,segment,period,value")
    assert len(text.splitlines()) == 1 + 2 * 10
    context.close()
    assert not errors, errors
