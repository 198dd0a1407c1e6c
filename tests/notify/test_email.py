"""Email through a real local SMTP server: HTML and text parts, a stable Message-ID, refusals and outages."""

from __future__ import annotations

from suara.notify import Worker, enqueue
from suara.notify.mail import EmailChannel
from suara.notify.tables import OutboxMessage
from suara.settings import Settings
from tests.notify.conftest import FAST_RETRY, Inbox, Store, drain, free_port


def _queue(store: Store, to: str, key: str) -> int:
    payload = {"subject": "Your case is closed", "text": "Hi Ana, case 7 is closed.", "html": "<p>Hi Ana, <b>7</b></p>"}
    with store.app.session() as s:
        return enqueue(s, store.workspace_id, channel="email", target=to, payload=payload, dedupe_key=key).id


def _row(store: Store, message_id: int) -> OutboxMessage:
    with store.app.session() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        return row


def _channel(port: int) -> EmailChannel:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="CX team <cx@shop.example>")
    channel = EmailChannel.from_settings(settings)
    assert channel is not None
    channel.timeout_s = 5
    return channel


def test_email_arrives_with_text_and_html_parts_and_its_delivery_id(store: Store, inbox: Inbox) -> None:
    message = _queue(store, "ana@example.com", "case-7-closed")
    report = Worker(store.app, [_channel(inbox.port)]).run_once()
    assert report.sent == 1
    (got,) = inbox.messages
    row = _row(store, message)
    assert got["To"] == "ana@example.com" and got["From"] == "CX team <cx@shop.example>"
    assert got["Subject"] == "Your case is closed"
    assert got["Message-ID"] == f"<{row.delivery_id}@shop.example>"
    assert got.get_content_type() == "multipart/alternative"
    text, html = got.get_body(("plain",)), got.get_body(("html",))
    assert text is not None and "case 7 is closed" in text.get_content()
    assert html is not None and "<b>7</b>" in html.get_content()
    assert row.status == "sent"


def test_a_refused_recipient_is_a_dead_letter_at_once(store: Store, inbox: Inbox) -> None:
    inbox.refuse.add("gone@example.com")
    message = _queue(store, "gone@example.com", "k")
    assert Worker(store.app, [_channel(inbox.port)]).run_once().dead == 1
    row = _row(store, message)
    assert (row.status, row.attempts) == ("dead", 1) and "550" in row.last_error
    assert inbox.messages == []


def test_a_server_that_is_down_is_retried(store: Store) -> None:
    message = _queue(store, "ana@example.com", "k")
    worker = Worker(store.app, [_channel(free_port())], policy=FAST_RETRY)
    assert worker.run_once().retried == 1
    row = _row(store, message)
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error


def test_a_server_that_goes_silent_times_out_and_is_retried(store: Store, inbox: Inbox) -> None:
    inbox.stall_to = "ana@example.com"
    message = _queue(store, "ana@example.com", "k")
    channel = _channel(inbox.port)
    channel.timeout_s = 0.5
    worker = Worker(store.app, [channel], policy=FAST_RETRY)
    assert worker.run_once().retried == 1
    assert "timed out" in _row(store, message).last_error
    inbox.release.set()
    drain(worker, lambda: _row(store, message).status == "sent")
    assert list(inbox.ids().values()) == [1]
