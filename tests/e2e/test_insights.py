"""The text insights page over the demo shop: the demo's comments show themes and aspects, filtering by a theme
and a language shows matching verbatims, and the heatmap is there; the /api/v1/text endpoints agree with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

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
    """The demo shop (600 customers, enriched comments and themes) served by uvicorn."""
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("insights") / "data"))
    info = build_demo(rt, customers=600)
    with serve_app(rt) as url:
        yield Shop(url, info.api_key)
    rt.close()


def api(shop: Shop, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, shop.url + path, headers={"Authorization": f"Bearer {shop.key}"}, timeout=120, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_page_filters_verbatims_by_theme_and_language(shop: Shop, browser: Browser) -> None:
    themes = api(shop, "GET", "/api/v1/text/themes")
    assert themes and all(t["count"] > 0 for t in themes)
    indonesian = next(t for t in themes if t["language"] == "id")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{shop.url}/insights")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/insights")
    expect(page.locator(".theme-row")).to_have_count(len(themes))
    expect(page.locator(".spark canvas").first).to_be_visible()  # uPlot drew the sparklines
    expect(page.locator("#heatmap td[data-n]").first).to_be_visible()
    page.locator("#theme-filter").select_option(indonesian["theme_id"])
    page.wait_for_url(f"**theme={indonesian['theme_id']}**")
    page.locator("#language-filter").select_option("id")
    page.wait_for_url("**language=id**")
    rows = page.locator("#verbatims .verbatim")
    expect(rows.first).to_be_visible()
    want = api(shop, "GET", f"/api/v1/text/verbatims?theme={indonesian['theme_id']}&language=id")
    expect(page.locator("#verbatim-total")).to_have_text(str(want["total"]))
    assert want["total"] == indonesian["count"]  # every item of an Indonesian theme is Indonesian
    for i in range(rows.count()):
        assert rows.nth(i).get_attribute("data-language") == "id"
        expect(rows.nth(i).locator(".verbatim-themes")).to_contain_text(indonesian["name"])
    page.locator("#language-filter").select_option("en")
    page.wait_for_url("**language=en**")
    expect(page.locator("#verbatim-total")).to_have_text("0")
    context.close()


def test_heatmap_and_aspects_come_from_the_enrichments(shop: Shop) -> None:
    cells = api(shop, "GET", "/api/v1/text/heatmap")
    assert {c["aspect"] for c in cells} >= {"delivery", "price"}
    delivery = [c for c in cells if c["aspect"] == "delivery"]
    assert all(-100 <= c["index"] <= 100 and c["n"] > 0 for c in delivery)
    page = api(shop, "GET", "/api/v1/text/verbatims?sentiment=negative&per_page=5&page=2")
    assert page["page"] == 2 and len(page["items"]) == 5 and {v["sentiment"] for v in page["items"]} == {"negative"}


def test_rename_pin_merge_and_rerun_keep_ids(shop: Shop) -> None:
    themes = api(shop, "GET", "/api/v1/text/themes")
    english = [t for t in themes if t["language"] == "en"]  # merged themes of one language keep filters simple
    a, b, c = english[0]["theme_id"], english[1]["theme_id"], english[2]["theme_id"]
    renamed = api(shop, "PATCH", f"/api/v1/text/themes/{a}", json={"label": "Deliveries", "pinned": True})
    assert renamed["name"] == "Deliveries" and renamed["pinned"]
    merged = api(shop, "POST", f"/api/v1/text/themes/{b}/merge", json={"sources": [c]})
    assert merged["count"] >= english[1]["count"]
    run = api(shop, "POST", "/api/v1/text/themes/run")
    assert run["matched"] >= 1
    after = {t["theme_id"]: t for t in api(shop, "GET", "/api/v1/text/themes")}
    assert after[a]["name"] == "Deliveries" and b in after and c not in after
    r = httpx.patch(f"{shop.url}/api/v1/text/themes/th_nope", json={"label": "x"},
                    headers={"Authorization": f"Bearer {shop.key}"})  # fmt: skip
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_mark_addressed_button_announces_the_theme(shop: Shop, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{shop.url}/insights")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/insights")
    row = page.locator(".theme-row").first
    row.get_by_text("Mark addressed").click()
    row.get_by_label("What we did").fill("We switched to a faster courier.")
    row.get_by_role("button", name="Tell the customers who raised it").click()
    page.wait_for_url("**announced=**")
    expect(page.locator("#announced")).to_contain_text("Marked addressed")
    listed = api(shop, "GET", "/api/v1/text/announcements")
    assert listed[0]["note"] == "We switched to a faster courier."
    told = sum(listed[0]["recipients"].values())  # the demo has no e-mail traits: all counted as no_email
    assert (
        told > 0
        and f"{listed[0]['recipients'].get('no_email', 0)} without an e-mail" in page.locator("#announced").inner_text()
    )
    context.close()
