"""Fixtures of the channel tests: the notification tests' real parts (app store, SMTP server), a survey to invite
to, and a fake messaging provider (a real HTTP server in a thread) that records requests and fails on command."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from suara.notify import enqueue
from suara.store.app import AppStore, WorkspaceRepo
from suara.surveys.links import mint_link
from tests.notify.conftest import Inbox, Store, free_port, inbox, store  # noqa: F401 (fixtures)

SECRET = "test-secret-for-links"


def survey_definition() -> dict[str, Any]:
    """NPS with a reason asked of detractors (0-6), in English and Indonesian."""
    return {
        "locales": ["en", "id"],
        "title": {"en": "Your feedback", "id": "Masukan Anda"},
        "questions": [
            {
                "id": "nps",
                "kind": "nps",
                "required": True,
                "text": {
                    "en": "How likely are you to recommend Acme to a friend?",
                    "id": "Seberapa besar kemungkinan Anda merekomendasikan Acme?",
                },
            },
            {
                "id": "reason",
                "kind": "open_text",
                "show_if": {"question": "nps", "op": "lte", "value": 6},
                "text": {"en": "What is the main reason?", "id": "Apa alasan utamanya?"},
            },
        ],
    }


def save_survey(app: AppStore, workspace_id: str, key: str = "rnps") -> None:
    with app.session() as s:
        WorkspaceRepo(s, workspace_id).save_survey(key, "Relational NPS", survey_definition())


def invitation(
    workspace_id: str, customer: str = "ana", locale: str = "en", *, secret: str = SECRET, **extra: Any
) -> dict[str, Any]:
    """A payload as the outreach engine enqueues it."""
    token = mint_link(secret, workspace_id, "rnps", 1, customer, locale=locale)
    return {
        "survey_id": "rnps",
        "version": 1,
        "locale": locale,
        "customer_id": customer,
        "token": token,
        "unsubscribe_url": f"https://cx.example/u/{customer}",
        "base_url": "http://cx.example:8000",
        **extra,
    }


def queue(app: AppStore, workspace_id: str, channel: str, target: str, payload: dict[str, Any], key: str) -> int:
    with app.session() as s:
        return enqueue(s, workspace_id, channel=channel, target=target, payload=payload, dedupe_key=key).id


@pytest.fixture
def surveyed(store: Store) -> Store:  # noqa: F811
    save_survey(store.app, store.workspace_id)
    return store


# -- a messaging provider -----------------------------------------------------------------------------------------
@dataclass
class Provider:
    """Answers `answer(n)` (status, headers) to the n-th request (from 1) and gives each accepted message an id."""

    port: int = field(default_factory=free_port)
    answer: Callable[[int], tuple[int, dict[str, str]]] = lambda n: (200, {})
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                n = len(provider.requests)
                status, headers = provider.answer(n)
                out = json.dumps({"data": {"message_id": f"prov-{n}"}}).encode() if status < 300 else b"{}"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider().start()
    yield p
    p.stop()


# -- reading pages as a browser would -------------------------------------------------------------------------------
class FormReader(HTMLParser):
    """What a browser submits for the first form of a page: hidden fields, checked radios and checkboxes, textareas,
    leaving out controls inside disabled fieldsets."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._disabled_depth = 0
        self._depth = 0
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "fieldset":
            self._depth += 1
            if "disabled" in a and not self._disabled_depth:
                self._disabled_depth = self._depth
        if self._disabled_depth or not a.get("name"):
            return
        name = str(a["name"])
        if tag == "input" and (a.get("type") == "hidden" or "checked" in a):
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = name

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields.append((self._textarea, data))
            self._textarea = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            if self._disabled_depth == self._depth:
                self._disabled_depth = 0
            self._depth -= 1
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html)
    return reader.fields
