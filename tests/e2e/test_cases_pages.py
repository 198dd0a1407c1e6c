"""The cases inbox and a case page in chromium: filter, bulk assign, ticking SLA timers, open a case, comment,
change its status and see the history line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from suara.background import run_pass
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import Role, WorkspaceRepo
from tests.e2e.conftest import serve_app
from tests.web.test_pages import EMAIL, PASSWORD, seed_workspace


@dataclass(frozen=True)
class CaseSite:
    url: str
    runtime: Runtime
    workspace_id: str
    agents: dict[str, int]


def open_site(path: Path, seed: int) -> tuple[Runtime, str, dict[str, int]]:
    rt = Runtime.open(Settings(data_dir=path))
    seeded = seed_workspace(rt, weeks=3, per_week=20, seed=seed)
    with rt.app.session() as s:
        repo = WorkspaceRepo(s, seeded.workspace_id)
        agents = {n: repo.add_user(f"{n.lower()}@acme.test", "pw", Role.agent, name=n).id for n in ("Ani", "Budi")}
    run_pass(rt, ["cases"])  # the rules job opens a case per detractor
    return rt, seeded.workspace_id, agents


@pytest.fixture(scope="module")
def case_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseSite]:
    rt, ws, agents = open_site(tmp_path_factory.mktemp("cases") / "data", seed=21)
    with serve_app(rt) as url:
        yield CaseSite(url, rt, ws, agents)
    rt.close()


def sign_in(page: Page, url: str, path: str) -> None:
    page.goto(f"{url}{path}")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}**")


def test_inbox_filters_bulk_assigns_and_ticks_sla_timers(case_site: CaseSite, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install()
    sign_in(page, case_site.url, "/cases")
    rows = page.locator("#cases-table tbody tr[data-case-id]")
    total = int(page.locator("#case-total").inner_text())
    assert total > 3 and rows.count() == min(total, 50)

    # Timers are written by the server, then tick in the browser: an hour later each shows an hour less.
    timer = page.locator(".sla-timer").first
    before = timer.inner_text()
    assert re.fullmatch(r"\d+h \d\dm left|\d+d \d+h left", before), before
    page.clock.fast_forward("02:00:00")
    expect(timer).not_to_have_text(before)

    # Bulk assign the first two cases to Budi.
    ids = [rows.nth(i).get_attribute("data-case-id") for i in range(2)]
    for case_id in ids:
        page.check(f'input.case-check[value="{case_id}"]')
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.select_option("#bulk-owner", label="Budi")
    page.click("#bulk-assign-button")
    page.wait_for_load_state()
    for case_id in ids:
        expect(page.locator(f'tr[data-case-id="{case_id}"] td.owner')).to_have_text("Budi")

    # Filter on the owner: exactly those two.
    page.select_option("#owner-filter", label="Budi")
    page.click("#apply-filters")
    page.wait_for_url(f"**owner={case_site.agents['Budi']}**")
    expect(rows).to_have_count(2)
    assert sorted(rows.nth(i).get_attribute("data-case-id") or "" for i in range(2)) == sorted(ids)  # type: ignore[type-var]
    page.select_option("#owner-filter", value="none")
    page.click("#apply-filters")
    expect(page.locator("#case-total")).to_have_text(str(total - 2))
    context.close()
    assert not errors, errors


def test_case_page_shows_the_timeline_and_records_comments_and_status(case_site: CaseSite, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, case_site.url, "/cases")
    page.locator("#cases-table a.case-link").first.click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    expect(page.locator("#timeline li[data-kind=response]").first).to_be_visible()
    expect(page.locator("#traits")).to_contain_text("segment")
    expect(page.locator("#case-status")).to_have_text("new")

    page.fill("#comment-body", "Called the customer, left a voicemail")
    page.click("#add-comment")
    expect(page.locator("#history li[data-kind=comment]")).to_contain_text("left a voicemail")

    page.select_option("#status-select", "contacted")
    page.click("#save-case")
    expect(page.locator("#case-status")).to_have_text("contacted")
    expect(page.locator("#history li[data-kind=change]").last).to_contain_text("changed status from new to contacted")
    expect(page.locator("#history li[data-kind=change]").last).to_contain_text("Ana Analyst")

    # The status select offers only the workflow's next steps: close, then reopen.
    page.select_option("#status-select", "closed")
    page.click("#save-case")
    expect(page.locator("#case-status")).to_have_text("closed")
    page.select_option("#status-select", "reopened")
    page.click("#save-case")
    expect(page.locator("#case-status")).to_have_text("reopened")
    context.close()
    assert not errors, errors
