"""The settings page in a real browser against a real server: a team is added (a touchpoint another team routes is
refused next to the field) and edited, an SLA target is edited inline (a resolution before first contact is refused
next to the hours), a widget key is created, copied, shown once and revoked; the API agrees with the page after
each change, and the widget stops taking the revoked key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import Role, WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES
from tests.e2e.conftest import serve_app


@dataclass(frozen=True)
class Served:
    url: str
    key: str
    ani: int
    budi: int

    def api(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}/api/v1{path}", headers={"Authorization": f"Bearer {self.key}"})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("settings-page") / "data"))
    with rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
        repo = WorkspaceRepo(s, ws)
        ani = repo.add_user("ani@acme.test", "pw", Role.agent, name="Ani").id
        budi = repo.add_user("budi@acme.test", "pw", Role.agent, name="Budi").id
        t = TEMPLATES["exit-survey"]
        repo.save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
        _, api_key = repo.create_api_key("test")
    with serve_app(rt) as url:
        yield Served(url, api_key, ani, budi)
    rt.close()


def _signed_in(browser: Browser, served: Served) -> Page:
    context = browser.new_context(locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{served.url}/settings")
    assert "/login" in page.url  # the page needs a session
    page.get_by_text("Sign in with an API key instead").click()
    page.fill("#api_key", served.key)
    page.get_by_role("button", name="Sign in with key").click()
    page.wait_for_url(f"{served.url}/settings")
    return page


@pytest.mark.browser
def test_the_settings_page(browser: Browser, served: Served) -> None:
    page = _signed_in(browser, served)
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Settings")

    # a team with two members (in turn order), two touchpoints and a manager
    page.fill("#team-name", "delivery")
    page.select_option("#team-members", [str(served.ani), str(served.budi)])
    page.fill("#team-touchpoints", "delivery, returns")
    page.fill("#team-manager", "boss@acme.test")
    page.click("#save-team")
    row = page.locator("#teams-table tr[data-team=delivery]")
    expect(row.locator(".team-members")).to_have_text("Ani, Budi")
    expect(row.locator(".team-touchpoints")).to_have_text("delivery, returns")
    expect(page.locator("#team-saved")).to_have_text("Team delivery saved.")
    # a second team may not claim a touchpoint the first routes: the refusal sits next to the touchpoints
    page.fill("#team-name", "checkout")
    page.fill("#team-touchpoints", "checkout, returns")
    page.click("#save-team")
    expect(page.locator("#team-touchpoints-error")).to_contain_text("'returns' belongs to team 'delivery'")
    expect(page.locator("#team-touchpoints")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#team-name")).to_have_value("checkout")  # what was typed stays, to correct it
    expect(page.locator("#teams-table tr[data-team=checkout]")).to_have_count(0)
    # edit the first team: the form opens with its values, the name fixed
    row.locator(".edit-team").click()
    expect(page.locator("#team-form h3")).to_have_text("Edit team delivery")
    expect(page.locator("#team-name")).to_have_attribute("readonly", "")
    expect(page.locator("#team-touchpoints")).to_have_value("delivery, returns")
    page.select_option("#team-members", [str(served.budi)])
    page.fill("#team-manager", "lead@acme.test")
    page.click("#save-team")
    expect(row.locator(".team-manager")).to_have_text("lead@acme.test")
    expect(row.locator(".team-members")).to_have_text("Budi")
    (team,) = served.api("/teams").json()
    assert (team["name"], [m["id"] for m in team["members"]]) == ("delivery", [served.budi])
    assert (team["touchpoints"], team["manager_email"]) == (["delivery", "returns"], "lead@acme.test")

    # SLA targets inline: resolution before first contact is refused next to it, then a good pair saves
    page.fill("#sla-urgent-first_contact_hours", "10")
    page.fill("#sla-urgent-resolution_hours", "8")
    page.click("#sla-urgent-save")
    expect(page.locator("#sla-urgent-resolution_hours-error")).to_contain_text("at least first_contact_hours (10 h)")
    expect(page.locator("#sla-urgent-first_contact_hours")).to_have_value("10")
    urgent = {t["priority"]: t for t in served.api("/sla-targets").json()}["urgent"]
    assert (urgent["first_contact_hours"], urgent["default"]) == (4.0, True)  # nothing was written
    page.fill("#sla-urgent-first_contact_hours", "2.5")
    page.fill("#sla-urgent-resolution_hours", "12")
    page.click("#sla-urgent-save")
    expect(page.locator("#sla-urgent-state")).to_have_text("saved")
    expect(page.locator("#sla-urgent-resolution_hours-error")).to_be_empty()
    urgent = {t["priority"]: t for t in served.api("/sla-targets").json()}["urgent"]
    assert (urgent["first_contact_hours"], urgent["resolution_hours"], urgent["default"]) == (2.5, 12.0, False)

    # a widget key: a bad site is refused in words, then the key is shown once with a copy button
    page.fill("#key-name", "shop")
    page.fill("#key-origins", "shop.example/")
    page.click("#create-key")
    expect(page.locator("#key-origins-error")).to_contain_text("like https://shop.example")
    assert served.api("/widget/keys").json() == []
    page.fill("#key-origins", "https://shop.example")
    page.select_option("#key-surveys", ["exit-survey"])
    page.click("#create-key")
    shown = page.locator("#new-key-value")
    expect(shown).to_contain_text("pk_")
    key = shown.inner_text().strip()
    page.click("#copy-key")
    expect(page.locator("#copy-key")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    (listed,) = served.api("/widget/keys").json()
    assert key.startswith(listed["prefix"]) and listed["surveys"] == ["exit-survey"] and not listed["revoked"]
    widget = httpx.get(
        f"{served.url}/api/v1/widget/surveys/exit-survey",
        headers={"X-Suara-Key": key, "Origin": "https://shop.example"},
    )
    assert widget.status_code == 200, widget.text

    # revoke, confirming the dialog; the key is not shown again and stops working
    key_row = page.locator(f"#keys-table tr[data-key-id='{listed['id']}']")
    page.once("dialog", lambda dialog: dialog.accept())
    key_row.locator(".revoke-key").click()
    expect(key_row.locator(".key-state")).to_contain_text("revoked")
    expect(page.locator("#new-key")).to_have_count(0)
    assert served.api("/widget/keys").json()[0]["revoked"] is True
    widget = httpx.get(
        f"{served.url}/api/v1/widget/surveys/exit-survey",
        headers={"X-Suara-Key": key, "Origin": "https://shop.example"},
    )
    assert widget.status_code == 401

    # deleting a team asks first: dismissed, nothing changes; accepted, the team is gone
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator(".delete-team").click()
    page.wait_for_load_state("networkidle")
    expect(row).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".delete-team").click()
    expect(row).to_have_count(0)
    assert served.api("/teams").json() == []

    # a fresh load shows what the API holds
    page.reload()
    expect(page.locator("#sla-urgent-first_contact_hours")).to_have_value("2.5")
    expect(page.locator("#sla-urgent-state")).to_have_text("custom")
    expect(page.locator(f"#keys-table tr[data-key-id='{listed['id']}'] .key-state")).to_contain_text("revoked")
    expect(page.locator("#new-key")).to_have_count(0)
    page.context.close()


def test_the_forms_work_without_javascript(served: Served) -> None:
    """Plain posts: a refusal renders the page (422) with the message by its field; a success redirects back."""
    with httpx.Client(base_url=served.url) as web:
        assert web.post("/login", data={"api_key": served.key, "next": "/settings"}).status_code == 303
        bad = web.post("/settings/sla/low", data={"first_contact_hours": "0", "resolution_hours": "5"})
        assert (
            bad.status_code == 422
            and 'id="sla-low-first_contact_hours-error">Input should be greater than 0' in bad.text
        )
        assert {t["priority"]: t for t in served.api("/sla-targets").json()}["low"]["default"] is True
        good = web.post("/settings/sla/low", data={"first_contact_hours": "3", "resolution_hours": "5"})
        assert good.status_code == 303 and good.headers["location"] == "/settings#sla"
        low = {t["priority"]: t for t in served.api("/sla-targets").json()}["low"]
        assert (low["first_contact_hours"], low["resolution_hours"]) == (3.0, 5.0)
        unknown = web.post("/settings/teams", data={"name": "care", "members": ["999999"]})
        assert unknown.status_code == 422 and 'id="team-members-error">no user 999999 in this workspace' in unknown.text
        assert all(t["name"] != "care" for t in served.api("/teams").json())
        assert web.get("/settings").status_code == 200
    with httpx.Client(base_url=served.url) as anonymous:
        assert anonymous.get("/settings").headers["location"] == "/login?next=/settings"
