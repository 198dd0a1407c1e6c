"""Journey and customer-value pages in chromium over a small demo shop: each page shows the API's numbers for the
same inputs, and the interactive parts work (adding a funnel step, the heatmap's hover readout, paging, CSV)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from suara.demo_workspace import DEMO_EMAIL, DEMO_PASSWORD, build_demo
from suara.runtime import Runtime
from suara.settings import Settings
from tests.e2e.conftest import serve_app


@dataclass(frozen=True)
class Shop:
    url: str
    key: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The demo shop (300 customers: events, orders, surveys, comments, tickets) served by uvicorn."""
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("journeys") / "data"))
    info = build_demo(rt, customers=300)
    with serve_app(rt) as url:
        yield Shop(url, info.api_key)
    rt.close()


@pytest.fixture(scope="module")
def page(shop: Shop, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    p = context.new_page()
    p.goto(f"{shop.url}/journeys")
    assert "/login" in p.url
    p.get_by_label("Email").fill(DEMO_EMAIL)
    p.get_by_label("Password").fill(DEMO_PASSWORD)
    p.get_by_role("button", name="Sign in", exact=True).click()
    p.wait_for_url("**/journeys")
    yield p
    context.close()


def api(shop: Shop, path: str) -> Any:
    r = httpx.get(shop.url + path, headers={"Authorization": f"Bearer {shop.key}"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def raw(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-raw") or "nan")


def test_journey_map_shows_the_apis_numbers(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/journeys")
    expect(page.locator("#journey-stages .stage")).to_have_count(5)
    data = api(shop, page.locator("#journey-stages").get_attribute("data-api") or "")
    delivery = next(t for s in data["stages"] for t in s["touchpoints"] if t["name"] == "delivery")
    box = '[data-metric="delivery"]'
    assert raw(page, f'{box} [data-field="customers"]') == delivery["customers"] > 0
    assert raw(page, f'{box} [data-field="nps"]') == delivery["nps"]["value"]
    cart = next(t for s in data["stages"] for t in s["touchpoints"] if t["name"] == "cart")
    assert raw(page, '[data-metric="cart"] [data-field="conversion"]') == cart["conversion"]["value"]
    rows = page.locator("#friction-table tbody tr")
    expect(rows).to_have_count(len(data["friction"]))
    first = data["friction"][0]
    assert (
        raw(page, f'[data-metric="friction-{first["touchpoint"]}"] [data-field="dropped"]') == first["dropped"]["value"]
    )
    assert raw(page, f'[data-metric="friction-{first["touchpoint"]}"] [data-field="revenue"]') == pytest.approx(
        first["revenue_lost"]["value"]
    )
    # The nav link leads here.
    expect(page.get_by_role("link", name="Journeys")).to_have_attribute("aria-current", "page")


def test_a_team_saves_its_own_journey_and_the_map_draws_it(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/journeys")
    page.click("#new-journey")
    page.wait_for_url("**/journeys/edit**")
    expect(page.locator("#journey-spec")).to_contain_text('"stages"')  # starts from the default's spec
    spec = {
        "stages": [
            {"name": "arrive", "touchpoints": [{"name": "visit", "events": ["visit"]}]},
            {"name": "buy", "touchpoints": [{"name": "order", "events": ["order_completed"]}]},
        ],
        "window": "3d",
    }
    page.fill("#journey-name", "quick buy")
    page.fill("#journey-spec", '{"stages": []}')  # a bad spec: the error names the field, the text stays
    page.click("#save-journey")
    expect(page.locator("#journey-error")).to_contain_text("/stages")
    expect(page.locator("#journey-spec")).to_have_value('{"stages": []}')
    page.fill("#journey-spec", json.dumps(spec))
    page.click("#save-journey")
    page.wait_for_url(re.compile(r"/journeys\?journey=quick"))
    expect(page.locator("#journey-stages .stage")).to_have_count(2)
    expect(page.locator(".window-caption")).to_contain_text("within 3 days")
    expect(page.locator("#journey-select")).to_have_value("quick buy")
    data = api(shop, page.locator("#journey-stages").get_attribute("data-api") or "")
    assert (
        raw(page, '[data-metric="visit"] [data-field="customers"]') == data["stages"][0]["touchpoints"][0]["customers"]
    )
    assert data["stages"][0]["touchpoints"][0]["customers"] > 0
    page.click("#edit-journey")
    page.wait_for_url("**/journeys/edit**")
    page.once("dialog", lambda d: d.accept())
    page.click("#delete-journey")
    page.wait_for_url(re.compile(r"/journeys$"))
    expect(page.locator("#journey-stages .stage")).to_have_count(5)
    assert [j["name"] for j in api(shop, "/api/v1/journeys/specs")] == ["default"]


def test_funnel_builder_adds_a_step_and_exports_the_dropped(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/journeys/funnel?step=visit&step=browse&window=1d")
    expect(page.locator(".step-select")).to_have_count(2)
    page.click("#add-step")
    expect(page.locator(".step-select")).to_have_count(3)
    page.locator(".step-select").nth(2).select_option("add_to_cart")
    page.click("#run-funnel")
    page.wait_for_url(re.compile("step=add_to_cart"))  # the result of this submit, not of the step just added
    expect(page.locator("#funnel-result .funnel-step")).to_have_count(3)
    data = api(shop, page.locator("#funnel-result").get_attribute("data-api") or "")
    assert [s["name"] for s in data["steps"]] == ["visit", "browse", "add_to_cart"]
    for k, s in enumerate(data["steps"], start=1):
        assert raw(page, f'[data-metric="step-{k}"] [data-field="count"]') == s["count"]
    assert raw(page, '[data-metric="step-3"] [data-field="conversion"]') == data["steps"][2]["from_previous"]["value"]
    with page.expect_download() as download:
        page.locator('[data-metric="step-3"] .dropped-csv').click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "customer_id" and len(lines) - 1 == data["steps"][2]["dropped"]
    # The breakdown is picked from the workspace's own traits, and shows the API's groups.
    traits = page.locator('#by-select optgroup[label="Customer traits"] option')
    assert traits.count() > 0
    field = traits.first.get_attribute("value") or ""
    page.locator("#by-select").select_option(field)
    page.click("#run-funnel")
    page.wait_for_url(re.compile(f"by={field}"))
    split = api(shop, page.locator("#funnel-result").get_attribute("data-api") or "")
    assert split["groups"] and page.locator("#funnel-result h3").count() == len(split["groups"])


def test_retention_heatmap_matches_and_reads_out_on_hover(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/journeys/retention?period=month&periods=6")
    data = api(shop, "/api/v1/journeys/retention?period=month&periods=6")
    cohort = data["cohorts"][0]
    cell = page.locator(f'td.cell[data-cohort="{cohort["cohort"]}"][data-offset="1"]')
    assert float(cell.get_attribute("data-raw") or "nan") == cohort["shares"][1]
    expect(page.locator("#retention-table tbody tr")).to_have_count(len(data["cohorts"]) + 1)
    cell.hover()
    expect(page.locator("#heat-readout")).to_contain_text(f"{cohort['cohort']} +1: {cohort['shares'][1]:.1f}%")
    # A later cohort's late periods are not observed yet: blank, not 0.
    last = data["cohorts"][-1]
    assert last["shares"][6] is None
    assert page.locator(f'td.cell[data-cohort="{last["cohort"]}"][data-offset="6"]').get_attribute("data-raw") == ""


def test_at_risk_customers_page_sorts_pages_and_exports(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/customers/at-risk")
    data = api(shop, "/api/v1/models/clv/customers?sort=risk&offset=0&limit=25")
    rows = page.locator("#atrisk-table tbody tr")
    expect(rows).to_have_count(min(25, data["total"]))
    top = data["model"]["customers"][0]
    box = f'[data-metric="{top["customer_id"]}"]'
    assert raw(page, f'{box} [data-field="clv"]') == top["clv"]
    assert raw(page, f'{box} [data-field="risk"]') == top["p_no_purchase"]
    risks = [float(v) for v in page.locator('[data-field="risk"]').evaluate_all("es => es.map(e => e.dataset.raw)")]
    assert risks == sorted(risks, reverse=True)
    page.click("#next-page")
    expect(page.locator("#page-of")).to_contain_text("Page 2 of")
    second = api(shop, "/api/v1/models/clv/customers?sort=risk&offset=25&limit=25")["model"]["customers"][0]
    assert page.locator("#atrisk-table tbody tr").first.get_attribute("data-metric") == second["customer_id"]
    with page.expect_download() as download:
        page.click("#atrisk-csv")
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("customer_id,") and len(lines) - 1 == data["total"]


def test_key_drivers_chart_matches_the_api(shop: Shop, page: Page) -> None:
    page.goto(f"{shop.url}/models/drivers")
    data = api(shop, "/api/v1/models/drivers/nps")
    expect(page.locator("#drivers-chart .driver")).to_have_count(len(data["drivers"]))
    for d in data["drivers"]:
        box = f'[data-metric="{d["name"]}"]'
        assert raw(page, f'{box} [data-field="shapley"]') == d["shapley"]
        assert raw(page, f'{box} [data-field="weight"]') == d["relative_weight"]
    assert any(d["name"].startswith("delivery_partner=") for d in data["drivers"])
