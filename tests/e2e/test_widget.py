"""The embeddable widget in a real browser, on a page of another site that embeds it from the live app: it shows on
its trigger and not before, is answered by keyboard alone (with branching), and reaches the warehouse exactly once
even when the network fails (offline, an aborted post, an answer lost on its way back)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from suara.channels.widget import create_widget_key
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from tests.channels.conftest import survey_definition
from tests.e2e.conftest import serve_app

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><button id="buy">Buy</button>
<script>window.suara = window.suara || function () { (window.suara.q = window.suara.q || []).push(arguments); };
suara("identify", "cust-42");</script>
<script src="{app}/static/widget.js" async data-key="{key}" data-workspace="acme" {targeting}
  data-locale="en"></script>
</body></html>"""
# Page path -> the widget's survey and targeting on that page.
TARGETING = {
    "/checkout": 'data-survey="rnps" data-url="/checkout*" data-event="order_placed"',
    "/elsewhere": 'data-survey="rnps" data-url="/checkout*" data-event="order_placed"',
    "/help": 'data-survey="mixed" data-url="/help"',
}


def mixed_definition() -> dict[str, Any]:
    """One question of each kind the widget renders besides NPS and open text."""

    def q(qid: str, kind: str, text: str, **extra: Any) -> dict[str, Any]:
        return {"id": qid, "kind": kind, "text": {"en": text}, **extra}

    def options(*ids: str) -> list[dict[str, Any]]:
        return [{"id": i, "label": {"en": i.title()}} for i in ids]

    return {
        "questions": [
            q("csat", "csat", "How satisfied are you with the help you got?", required=True),
            q("ces", "ces", "The help centre made it easy to solve my problem."),
            q("stars", "rating", "How would you rate the article?"),
            q("topic", "single_choice", "What was it about?", options=options("billing", "delivery", "returns")),
            q("channels", "multiple_choice", "Where else did you look?", options=options("chat", "email", "phone")),
        ]
    }


@dataclass(frozen=True)
class Shop:
    app_url: str
    page_url: str
    runtime: Runtime
    workspace_id: str

    def responses(self, customer: str) -> list[dict[str, Any]]:
        wh = self.runtime.warehouse
        rows = wh.table("responses", self.workspace_id).execute()
        rows = rows[rows["customer_id"] == customer]
        answers = wh.table("answers", self.workspace_id).execute()
        out = []
        for r in rows.itertuples():
            mine = answers[answers["response_id"] == r.response_id].sort_values("question_id")
            given: dict[str, list[Any]] = {}
            for a in mine.itertuples():
                value = a.choice if a.kind == "choice" else a.text if a.kind == "text" else a.number
                given.setdefault(a.question_id, []).append(value)
            flat = {k: v[0] if len(v) == 1 else v for k, v in given.items()}
            out.append({"response_id": r.response_id, "channel": r.channel, "answers": flat})
        return out


def serve(page: Callable[[str], bytes]) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, int(server.server_address[1])


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The app (uvicorn, free port) with the NPS survey and a widget key, and a shop page on another origin."""
    rt = Runtime.open(Settings(data_dir=tmp_path_factory.mktemp("widget") / "data"))
    with rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme")
        WorkspaceRepo(s, ws.id).save_survey("rnps", "Relational NPS", survey_definition())
        WorkspaceRepo(s, ws.id).save_survey("mixed", "Help centre", mixed_definition())
        _, key = create_widget_key(s, ws.id, "shop", ["rnps", "mixed"], [])
        workspace_id = ws.id
    with serve_app(rt) as app_url:
        html = PAGE.replace("{app}", app_url).replace("{key}", key)
        page_server, page_port = serve(lambda path: html.replace("{targeting}", TARGETING.get(path, "")).encode())
        # "localhost" is another origin than the app's 127.0.0.1: every widget call is cross-origin.
        yield Shop(app_url, f"http://localhost:{page_port}", rt, workspace_id)
        page_server.shutdown()
    rt.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context()  # fresh localStorage: a new visitor
    yield ctx
    ctx.close()


def open_shop(context: BrowserContext, shop: Shop, customer: str, path: str = "/checkout") -> Page:
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(shop.page_url + path)
    page.evaluate("c => suara('identify', c)", customer)
    page.wait_for_function("typeof window.suara === 'function' && !window.suara.q")
    assert errors == []
    return page


def focused(page: Page) -> str:
    """What has keyboard focus inside the widget: tag, type and value or text."""
    return str(
        page.evaluate(
            """() => { const h = document.querySelector('[data-suara-widget]');
            const a = h && h.shadowRoot.activeElement; if (!a) return 'outside';
            return a.tagName.toLowerCase() + ':' + (a.type || '') + ':' + (a.value || a.textContent); }"""
        )
    )


def answer_by_keyboard(page: Page, score: int, reason: str | None = None) -> None:
    page.keyboard.press("ArrowRight")  # focus starts on 0; arrows move along the scale and select
    for _ in range(score - 1):
        page.keyboard.press("ArrowRight")
    assert focused(page) == f"input:radio:{score}"
    if reason is not None:  # a detractor's score opens the follow-up: the button now says so
        page.get_by_role("dialog").get_by_role("button", name="Next").wait_for()
    page.keyboard.press("Enter")
    if reason is not None:
        page.get_by_role("dialog").get_by_text("What is the main reason?").wait_for()
        assert focused(page).startswith("textarea")
        page.keyboard.type(reason)
        page.keyboard.press("Tab")
        assert focused(page) == "button:button:Send"
        page.keyboard.press("Enter")


def wait_for(page: Page, check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Poll `check`; waiting through the page lets Playwright run route handlers meanwhile (a sleep would not)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def test_the_widget_shows_on_its_event_and_is_answered_by_keyboard(context: BrowserContext, shop: Shop) -> None:
    page = open_shop(context, shop, "kbd-1")
    time.sleep(0.5)
    assert page.get_by_role("dialog").count() == 0  # not before the trigger
    page.evaluate("suara('event', 'something_else')")
    time.sleep(0.3)
    assert page.get_by_role("dialog").count() == 0
    page.evaluate("suara('event', 'order_placed')")
    dialog = page.get_by_role("dialog", name="How likely are you to recommend Acme to a friend?")
    dialog.wait_for()
    assert dialog.get_attribute("aria-modal") == "true"
    assert page.get_by_role("radiogroup").get_by_role("radio").count() == 11
    assert focused(page) == "input:radio:0"
    # Focus stays inside: Tab past the last control comes back to the first, Shift+Tab the other way.
    seen = []
    for _ in range(3):
        page.keyboard.press("Tab")
        seen.append(focused(page))
    assert seen == ["button:button:Send", "button:button:\u00d7", "input:radio:0"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "button:button:Send"
    page.get_by_role("radio", name="0 Not at all likely").focus()
    answer_by_keyboard(page, 3, reason="Delivery was late")
    page.get_by_role("dialog").get_by_role("status").wait_for()
    assert "Thank you" in page.get_by_role("dialog").inner_text()
    wait_for(page, lambda: len(shop.responses("kbd-1")) == 1)
    (stored,) = shop.responses("kbd-1")
    assert stored["channel"] == "widget" and stored["answers"] == {"nps": 3.0, "reason": "Delivery was late"}
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    # Answered once: the same visitor is not asked again on the next page.
    again = open_shop(context, shop, "kbd-1")
    again.evaluate("suara('event', 'order_placed')")
    time.sleep(0.5)
    assert again.get_by_role("dialog").count() == 0


def test_escape_closes_and_focus_returns_to_the_page(context: BrowserContext, shop: Shop) -> None:
    page = open_shop(context, shop, "esc-1")
    page.focus("#buy")
    page.evaluate("suara('event', 'order_placed')")
    page.get_by_role("dialog").wait_for()
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    assert page.evaluate("document.activeElement.id") == "buy"
    assert shop.responses("esc-1") == []


def test_offline_answers_wait_and_arrive_once(context: BrowserContext, shop: Shop) -> None:
    page = open_shop(context, shop, "offline-1")
    page.evaluate("suara('event', 'order_placed')")
    page.get_by_role("dialog").wait_for()
    wait_for(page, lambda: page.evaluate("JSON.parse(localStorage.getItem('suara:queue')).length") == 0)  # `shown`
    context.set_offline(True)
    answer_by_keyboard(page, 9)
    page.get_by_role("dialog").get_by_role("status").wait_for()  # thanked at once: the answer is safe locally
    wait_for(page, lambda: page.evaluate("JSON.parse(localStorage.getItem('suara:queue')).length") == 1)
    time.sleep(0.5)
    assert shop.responses("offline-1") == []
    context.set_offline(False)  # the browser fires `online`: the queue is sent at once
    wait_for(page, lambda: len(shop.responses("offline-1")) == 1)
    wait_for(page, lambda: page.evaluate("JSON.parse(localStorage.getItem('suara:queue')).length") == 0)
    time.sleep(1)
    assert [r["answers"] for r in shop.responses("offline-1")] == [{"nps": 9.0}]


def test_a_lost_answer_is_retried_with_backoff_and_stored_once(context: BrowserContext, shop: Shop) -> None:
    posts: list[str] = []

    def flaky(route: Route) -> None:
        posts.append(route.request.post_data or "")
        if len(posts) == 1:
            route.abort("connectionreset")  # never reached the server
        elif len(posts) == 2:
            route.fetch()  # reached the server and was stored, but the answer is lost on its way back
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/api/v1/widget/responses", flaky)
    page = open_shop(context, shop, "flaky-1")
    page.evaluate("suara('event', 'order_placed')")
    page.get_by_role("dialog").wait_for()
    answer_by_keyboard(page, 10)
    wait_for(page, lambda: len(posts) >= 3, timeout_s=20)  # backoff: about 1-2 s, then 2-4 s
    wait_for(page, lambda: page.evaluate("JSON.parse(localStorage.getItem('suara:queue')).length") == 0)
    assert len(set(posts)) == 1  # every attempt carried the same response id
    assert [r["answers"] for r in shop.responses("flaky-1")] == [{"nps": 10.0}]


def test_not_on_a_page_outside_its_url_pattern(context: BrowserContext, shop: Shop) -> None:
    page = open_shop(context, shop, "else-1", "/elsewhere")
    page.evaluate("suara('event', 'order_placed')")
    page.wait_for_timeout(700)
    assert page.get_by_role("dialog").count() == 0


def test_every_question_kind_by_keyboard(context: BrowserContext, shop: Shop) -> None:
    page = open_shop(context, shop, "mixed-1", "/help")  # no trigger: it shows on load
    dialog = page.get_by_role("dialog", name="How satisfied are you with the help you got?")
    dialog.wait_for()
    assert [dialog.get_by_role("radio").nth(i).get_attribute("aria-label") for i in (0, 4)] == [
        "1 Very dissatisfied",
        "5 Very satisfied",
    ]
    page.keyboard.press("Enter")  # a required question left blank: told so, nothing moves on
    assert dialog.get_by_role("alert").inner_text() == "Please answer this question."
    for _ in range(3):  # 1 -> 4
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="The help centre made it easy to solve my problem.").wait_for()
    assert page.get_by_role("dialog").get_by_role("radio").count() == 7
    page.keyboard.press("ArrowLeft")  # from 1, the arrow wraps round to 7: strongly agree
    assert focused(page) == "input:radio:7"
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="How would you rate the article?").wait_for()
    page.keyboard.press("Tab")  # skip an optional question: Tab to Next, Enter
    assert focused(page) == "button:button:Next"
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="What was it about?").wait_for()
    page.keyboard.press("ArrowDown")  # billing -> delivery
    assert focused(page) == "input:radio:delivery"
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="Where else did you look?").wait_for()
    assert page.get_by_role("dialog").get_by_role("group").count() == 1
    page.keyboard.press("Space")  # chat
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # phone
    assert focused(page) == "input:checkbox:phone"
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("status").wait_for()
    wait_for(page, lambda: len(shop.responses("mixed-1")) == 1)
    (stored,) = shop.responses("mixed-1")
    assert stored["answers"] == {"csat": 4.0, "ces": 7.0, "topic": "delivery", "channels": ["chat", "phone"]}
