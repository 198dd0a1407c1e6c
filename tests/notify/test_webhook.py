"""Signed webhooks and Slack payloads to a real local HTTP receiver: outages, retries, dead letters, replay."""

from __future__ import annotations

import time

import pytest

from suara.notify import Channel, EndpointRepo, Worker, publish_event, replay, verify_signature
from suara.notify.signing import sign
from suara.notify.tables import EndpointKind, OutboxMessage
from suara.notify.webhook import SlackChannel, WebhookChannel
from suara.notify.webhooks import endpoint_lookup
from tests.notify.conftest import FAST_RETRY, Receiver, Store, drain


def _endpoint(store: Store, receiver: Receiver, kind: EndpointKind = EndpointKind.signed, **kw: object) -> int:
    with store.app.session() as s:
        row = EndpointRepo(s, store.workspace_id).create(receiver.url, kind=kind, **kw)  # type: ignore[arg-type]
        receiver.secret = row.secret if kind is EndpointKind.signed else ""
        return row.id


def _publish(store: Store, key: str = "case-7", event: str = "case.closed") -> list[int]:
    with store.app.session() as s:
        rows = publish_event(s, store.workspace_id, event, {"case": 7}, text="Case 7 closed", dedupe_key=key)
        return [r.id for r in rows]


def _row(store: Store, message_id: int) -> OutboxMessage:
    with store.app.session() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        return row


def _worker(store: Store) -> Worker:
    lookup = endpoint_lookup(store.app)
    channels: list[Channel] = [WebhookChannel(lookup, timeout_s=2), SlackChannel(lookup, timeout_s=2)]
    return Worker(store.app, channels, policy=FAST_RETRY)


def test_a_receiver_that_is_down_gets_retries_then_one_signed_delivery(store: Store, receiver: Receiver) -> None:
    _endpoint(store, receiver)
    (message,) = _publish(store)
    worker = _worker(store)
    assert worker.run_once().retried == 1, "connection refused: nobody listens yet"
    assert "could not reach" in _row(store, message).last_error
    receiver.start()
    drain(worker, lambda: _row(store, message).status == "sent")
    (request,) = receiver.requests
    row = _row(store, message)
    assert request["signed"] and row.attempts == 2
    assert request["headers"]["Suara-Delivery"] == row.delivery_id == request["body"]["id"]
    assert request["headers"]["Suara-Event"] == "case.closed"
    assert request["body"]["data"] == {"case": 7} and request["body"]["event"] == "case.closed"
    assert worker.run_once().handled == 0


def test_a_receiver_that_always_fails_makes_a_dead_letter_that_replays(store: Store, receiver: Receiver) -> None:
    _endpoint(store, receiver)
    receiver.answer = lambda n: 503
    receiver.start()
    (message,) = _publish(store)
    with store.app.session() as s:
        s.get(OutboxMessage, message).max_attempts = 3  # type: ignore[union-attr]
    worker = _worker(store)
    drain(worker, lambda: _row(store, message).status == "dead")
    assert len(receiver.requests) == 3 and "HTTP 503" in _row(store, message).last_error
    receiver.answer = lambda n: 200
    with store.app.session() as s:
        replay(s, store.workspace_id, message)
    drain(worker, lambda: _row(store, message).status == "sent")
    assert receiver.accepted == [_row(store, message).delivery_id]
    assert {r["headers"]["Suara-Delivery"] for r in receiver.requests} == {_row(store, message).delivery_id}


@pytest.mark.parametrize(("status", "outcome"), [(400, "dead"), (410, "dead"), (408, "pending"), (429, "pending")])
def test_client_errors_are_final_except_timeout_and_too_many(
    store: Store, receiver: Receiver, status: int, outcome: str
) -> None:
    _endpoint(store, receiver)
    receiver.answer = lambda n: status
    receiver.start()
    (message,) = _publish(store)
    _worker(store).run_once()
    assert _row(store, message).status == outcome


def test_events_go_only_to_active_endpoints_that_want_them_and_publish_is_idempotent(
    store: Store, receiver: Receiver
) -> None:
    cases = _endpoint(store, receiver, events=["case.*"])
    _endpoint(store, receiver, events=["survey.published"])
    with store.app.session() as s:
        paused = EndpointRepo(s, store.workspace_id).create(receiver.url, events=["*"])
        EndpointRepo(s, store.workspace_id).update(paused.id, active=False)
    assert len(_publish(store)) == 1
    assert _publish(store) == _publish(store)
    with store.app.session() as s:
        assert s.query(OutboxMessage).filter_by(target=str(cases)).count() == 1


def test_a_deleted_endpoint_makes_a_dead_letter(store: Store, receiver: Receiver) -> None:
    endpoint = _endpoint(store, receiver)
    (message,) = _publish(store)
    with store.app.session() as s:
        EndpointRepo(s, store.workspace_id).delete(endpoint)
    assert _worker(store).run_once().dead == 1
    assert "deleted" in _row(store, message).last_error


def test_slack_endpoints_get_text_and_blocks(store: Store, receiver: Receiver) -> None:
    _endpoint(store, receiver, kind=EndpointKind.slack)
    receiver.start()
    (message,) = _publish(store)
    assert _worker(store).run_once().sent == 1
    (request,) = receiver.requests
    assert request["body"] == {
        "text": "Case 7 closed",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Case 7 closed"}}],
    }
    assert _row(store, message).channel == "slack"


def test_verify_signature_rejects_tampering_wrong_secrets_and_stale_timestamps() -> None:
    body, now = b'{"id":"dlv_1"}', time.time()
    header = sign("whsec_a", body)
    assert verify_signature("whsec_a", header, body)
    assert not verify_signature("whsec_b", header, body)
    assert not verify_signature("whsec_a", header, body + b" ")
    assert not verify_signature("whsec_a", None, body) and not verify_signature("whsec_a", "t=1", body)
    old = sign("whsec_a", body, timestamp=int(now) - 301)
    assert not verify_signature("whsec_a", old, body)
    assert verify_signature("whsec_a", old, body, tolerance_s=600)
    rotated = f"{header},v1={'0' * 64}"
    assert verify_signature("whsec_a", rotated, body)
