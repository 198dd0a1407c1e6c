"""Real parts for the notification tests: the app store (SQLite, and PostgreSQL when configured), a local SMTP server
and a local HTTP receiver that verifies signatures, each scriptable to refuse, fail or stall."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from suara.notify import Worker
from suara.notify.outbox import RetryPolicy
from suara.notify.signing import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature
from suara.store.app import AppStore, create_workspace
from tests.conftest import need_service

PG_URL = os.environ.get("SUARA_TEST_POSTGRES_URL")
# Retries within a test's lifetime: 50 ms, then 100 ms, never more than 200 ms.
FAST_RETRY = RetryPolicy(base_s=0.05, cap_s=0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_reachable() -> bool:
    if not PG_URL:
        return False
    try:
        store = AppStore(PG_URL)
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        store.dispose()
        return True
    except Exception:
        return False


@dataclass
class Store:
    app: AppStore
    url: str
    workspace_id: str


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated app store with one workspace; on PostgreSQL a clean schema for every test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        need_service(_pg_reachable(), "PostgreSQL (set SUARA_TEST_POSTGRES_URL)")
        url = str(PG_URL)
        reset = AppStore(url)
        with reset.engine.begin() as conn:  # every table, whichever modules this process has imported
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        reset.dispose()
    app = AppStore(url)
    app.migrate()
    with app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    yield Store(app, url, ws)
    app.dispose()


def drain(worker: Worker, done: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Run the worker until `done()` holds, as a deployed worker would poll."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        if worker.run_once().handled == 0:
            time.sleep(0.02)


# -- SMTP ---------------------------------------------------------------------------------------------------------
@dataclass
class Inbox:
    """What the SMTP server accepted, by Message-ID; `refuse` recipients get a 550, `stall_to` stalls once."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    stall_to: str | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def ids(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.messages)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_to in envelope.rcpt_tos and not self.stalled.is_set():
            self.stalled.set()  # hold the client mid-send, before accepting, until the test says so
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return "451 4.3.0 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    box.release.set()
    controller.stop()


# -- HTTP ---------------------------------------------------------------------------------------------------------
@dataclass
class Receiver:
    """A webhook receiver. `answer(n)` gives the status of the n-th request (from 1); bad signatures get a 400.

    `stall_after_accept` records the first request, then holds it unanswered until `release` is set: the crash
    window between the receiver accepting and the sender recording it.
    """

    secret: str = ""
    port: int = field(default_factory=free_port)
    answer: Callable[[int], int] = lambda n: 200
    stall_after_accept: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def processed(self) -> set[str]:
        """What a deduplicating receiver acted on: each delivery id once."""
        return set(self.accepted)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = verify_signature(receiver.secret, self.headers.get(SIGNATURE_HEADER), body)
                receiver.requests.append({"headers": dict(self.headers), "body": json.loads(body), "signed": signed})
                status = receiver.answer(len(receiver.requests)) if signed or not receiver.secret else 400
                if 200 <= status < 300:
                    receiver.accepted.append(self.headers[DELIVERY_HEADER])
                    if receiver.stall_after_accept and not receiver.stalled.is_set():
                        receiver.stalled.set()
                        receiver.release.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()
