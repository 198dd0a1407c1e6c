"""The widget's funnel in a real browser: each display sends `shown` once, `dismissed` when closed before the end,
and keeps the answers given so far as one partial response (on close, or as the page goes); a completed display is
one response, never also a partial one, and going offline changes none of that."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from playwright.sync_api import BrowserContext, Page

from suara.channels.widget_funnel import widget_funnel
from tests.e2e.test_widget import Shop, answer_by_keyboard, context, open_shop, shop, wait_for  # noqa: F401

pytestmark = pytest.mark.browser


def events(shop: Shop, customer: str) -> list[tuple[str, str]]:  # noqa: F811
    """The customer's widget events as (name, display id), sorted."""
    rows = shop.runtime.warehouse.table("events", shop.workspace_id).execute()
    rows = rows[rows["customer_id"] == customer]
    return sorted((r.event, orjson.loads(r.properties)["display_id"]) for r in rows.itertuples())


def partial_ids(shop: Shop) -> set[str]:  # noqa: F811
    f = shop.runtime.warehouse.table("response_fields", shop.workspace_id).execute()
    return set(f[(f["name"] == "partial") & (f["value"] == "true")]["response_id"])


def stored(shop: Shop, customer: str) -> list[dict[str, Any]]:  # noqa: F811
    """The customer's responses, each with whether it is partial."""
    flagged = partial_ids(shop)
    return [{**r, "partial": r["response_id"] in flagged} for r in shop.responses(customer)]


def queued(page: Page) -> int:
    return int(page.evaluate("(JSON.parse(localStorage.getItem('suara:queue')) || []).length"))


def show(context: BrowserContext, shop: Shop, customer: str) -> Page:  # noqa: F811
    page = open_shop(context, shop, customer)
    page.evaluate("suara('event', 'order_placed')")
    page.get_by_role("dialog").wait_for()
    return page


def test_show_then_dismiss_sends_one_shown_and_one_dismissed(context: BrowserContext, shop: Shop) -> None:  # noqa: F811
    page = show(context, shop, "fun-dismiss")
    wait_for(page, lambda: len(events(shop, "fun-dismiss")) == 1)
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    assert page.get_by_role("dialog").count() == 0
    wait_for(page, lambda: len(events(shop, "fun-dismiss")) == 2)
    wait_for(page, lambda: queued(page) == 0)
    (dismissed, display), (shown, same) = events(shop, "fun-dismiss")
    assert (dismissed, shown) == ("survey dismissed", "survey shown") and display == same
    assert display.startswith("w_") and stored(shop, "fun-dismiss") == []  # nothing answered: no response


def test_an_nps_answered_before_closing_is_kept_once_as_partial(context: BrowserContext, shop: Shop) -> None:  # noqa: F811
    page = show(context, shop, "fun-partial")
    answer_by_keyboard(page, 3)  # a detractor: the follow-up question opens
    page.get_by_role("dialog").get_by_text("What is the main reason?").wait_for()
    page.keyboard.press("Escape")
    wait_for(page, lambda: len(stored(shop, "fun-partial")) == 1 and len(events(shop, "fun-partial")) == 2)
    wait_for(page, lambda: queued(page) == 0)
    (response,) = stored(shop, "fun-partial")
    assert response["answers"] == {"nps": 3.0} and response["partial"]
    assert [e for e, _ in events(shop, "fun-partial")] == ["survey dismissed", "survey shown"]
    assert {d for _, d in events(shop, "fun-partial")} == {response["response_id"]}  # one id per display
    again = open_shop(context, shop, "fun-partial")  # closed once: not asked again, nothing sent twice
    again.evaluate("suara('event', 'order_placed')")
    again.wait_for_timeout(500)
    assert again.get_by_role("dialog").count() == 0 and len(stored(shop, "fun-partial")) == 1


def test_a_score_chosen_then_the_page_left_arrives_as_it_hides(context: BrowserContext, shop: Shop) -> None:  # noqa: F811
    page = show(context, shop, "fun-leave")
    page.keyboard.press("ArrowRight")  # 1 -> chosen, not yet sent
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    page.goto("about:blank")  # the page hides: the partial answer goes out with keepalive
    wait_for(page, lambda: len(stored(shop, "fun-leave")) == 1)
    (response,) = stored(shop, "fun-leave")
    assert response["answers"] == {"nps": 9.0} and response["partial"]
    assert [e for e, _ in events(shop, "fun-leave")] == ["survey shown"]  # left, not dismissed
    back = open_shop(context, shop, "fun-leave")  # the queued copy is sent again on the next page: stored once
    wait_for(back, lambda: queued(back) == 0)
    assert len(stored(shop, "fun-leave")) == 1


def test_a_completed_display_is_one_response_and_never_also_partial(context: BrowserContext, shop: Shop) -> None:  # noqa: F811
    before = {f.survey: f for f in widget_funnel(shop.runtime.warehouse, shop.workspace_id, "rnps")}["rnps"]
    page = show(context, shop, "fun-done")
    answer_by_keyboard(page, 10)
    page.get_by_role("dialog").get_by_role("status").wait_for()
    page.keyboard.press("Escape")  # closing the thank-you note is not a dismissal
    page.goto("about:blank")  # nor is leaving the page afterwards
    wait_for(page, lambda: len(stored(shop, "fun-done")) == 1 and len(events(shop, "fun-done")) == 1)
    time.sleep(0.5)
    (response,) = stored(shop, "fun-done")
    assert response["answers"] == {"nps": 10.0} and not response["partial"]
    assert [e for e, _ in events(shop, "fun-done")] == ["survey shown"]
    (after,) = widget_funnel(shop.runtime.warehouse, shop.workspace_id, "rnps")
    assert (after.shown - before.shown, after.started - before.started, after.completed - before.completed) == (1, 1, 1)
    assert (after.partial, after.dismissed) == (before.partial, before.dismissed)


def test_offline_then_back_each_display_event_and_answer_arrives_once(context: BrowserContext, shop: Shop) -> None:  # noqa: F811
    page = show(context, shop, "fun-offline")
    wait_for(page, lambda: len(events(shop, "fun-offline")) == 1)
    context.set_offline(True)
    answer_by_keyboard(page, 2)
    page.get_by_role("dialog").get_by_text("What is the main reason?").wait_for()
    page.keyboard.type("Too slow")  # typed, not sent: kept with the partial answers
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    wait_for(page, lambda: queued(page) == 2)  # the partial answers and `dismissed`, safe locally
    time.sleep(0.5)
    assert stored(shop, "fun-offline") == [] and len(events(shop, "fun-offline")) == 1
    context.set_offline(False)
    wait_for(page, lambda: queued(page) == 0)
    time.sleep(1)
    (response,) = stored(shop, "fun-offline")
    assert response["answers"] == {"nps": 2.0, "reason": "Too slow"} and response["partial"]
    assert [e for e, _ in events(shop, "fun-offline")] == ["survey dismissed", "survey shown"]
