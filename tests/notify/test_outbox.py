"""The outbox on a real app store: transactional, deduplicated enqueue; exclusive leases; backoff; dead letters."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from suara.errors import NotFound, NotReplayable
from suara.notify import Delivery, PermanentFailure, RetryableFailure, RetryPolicy, Worker, claim, enqueue, replay
from suara.notify.outbox import mark_failed, mark_sent
from suara.notify.tables import OutboxMessage
from suara.store.app import create_workspace, utcnow
from tests.notify.conftest import FAST_RETRY, Store


def _email(store: Store, key: str, to: str = "ana@example.com") -> int:
    with store.app.session() as s:
        return enqueue(
            s, store.workspace_id, channel="email", target=to, payload={"subject": key, "text": key}, dedupe_key=key
        ).id


def _count(store: Store) -> int:
    with store.app.session() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_enqueue_twice_with_one_key_makes_one_message(store: Store) -> None:
    first = _email(store, "case-7-opened")
    again = _email(store, "case-7-opened", to="someone-else@example.com")
    assert again == first and _count(store) == 1
    with store.app.session() as s:
        other = create_workspace(s, "globex", "Globex").id
        enqueue(s, other, channel="email", target="x@example.com", payload={}, dedupe_key="case-7-opened")
    assert _count(store) == 2  # the key is per workspace


def test_enqueue_is_part_of_the_callers_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.app.session() as s:
        create_workspace(s, "initech", "Initech")
        enqueue(s, store.workspace_id, channel="email", target="a@example.com", payload={}, dedupe_key="k")
        raise RuntimeError("the business change failed")
    assert _count(store) == 0


def test_a_claimed_message_is_leased_to_one_worker_until_the_lease_runs_out(store: Store) -> None:
    _email(store, "one")
    with store.app.session() as s:
        first = claim(s, channels=["email"], lease=timedelta(seconds=30))
    with store.app.session() as s:
        assert claim(s, channels=["email"]).deliveries == []
        assert claim(s, channels=["webhook"], now=utcnow() + timedelta(hours=1)).deliveries == []
    with store.app.session() as s:  # the first worker died: after its lease the message is due again
        second = claim(s, channels=["email"], now=utcnow() + timedelta(seconds=31))
    (a,), (b,) = first.deliveries, second.deliveries
    assert a.delivery_id == b.delivery_id and (a.attempt, b.attempt) == (1, 2)
    with store.app.session() as s:
        assert not mark_sent(s, a, first.token), "a worker that lost its lease must not record the outcome"
        assert mark_sent(s, b, second.token)


def test_claims_never_overlap(store: Store) -> None:
    for i in range(12):
        _email(store, f"m{i}")
    seen: list[int] = []
    for _ in range(4):
        with store.app.session() as s:
            seen += [d.message_id for d in claim(s, channels=["email"], limit=5).deliveries]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 12


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy, rng = RetryPolicy(base_s=10, cap_s=100), random.Random(3)
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {policy.delay(attempt, rng).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


class Scripted:
    """A channel that fails as told, then accepts."""

    name = "email"

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[Delivery] = []

    def send(self, delivery: Delivery) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery)


def _status(store: Store, message_id: int) -> OutboxMessage:
    with store.app.session() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        return row


def test_retryable_failures_back_off_then_the_message_is_sent(store: Store) -> None:
    message = _email(store, "retry-me")
    channel = Scripted(RetryableFailure("connection refused"), RetryableFailure("timed out"))
    worker = Worker(store.app, [channel], policy=FAST_RETRY)
    assert worker.run_once().retried == 1
    row = _status(store, message)
    assert row.status == "pending" and row.due_at > utcnow() and "refused" in row.last_error
    assert worker.run_once().handled == 0, "not due before its backoff"
    while not channel.sent:
        worker.run_once()
    row = _status(store, message)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "") and row.sent_at is not None
    assert len(channel.sent) == 1


def test_out_of_attempts_makes_a_dead_letter_and_replay_sends_it(store: Store) -> None:
    with store.app.session() as s:
        message = enqueue(
            s, store.workspace_id, channel="email", target="a@example.com", payload={}, dedupe_key="d", max_attempts=2
        ).id
    channel = Scripted(*[RetryableFailure("down")] * 2)
    worker = Worker(store.app, [channel], policy=FAST_RETRY)
    while _status(store, message).status != "dead":
        worker.run_once()
    assert _status(store, message).attempts == 2
    with store.app.session() as s:
        assert replay(s, store.workspace_id, message).status == "pending"
        with pytest.raises(NotReplayable):
            replay(s, store.workspace_id, message)
        with pytest.raises(NotFound):
            replay(s, "ws_other", message)
    worker.run_once()
    row = _status(store, message)
    assert row.status == "sent" and row.attempts == 1 and channel.sent[0].delivery_id == row.delivery_id


def test_a_permanent_failure_is_dead_at_once(store: Store) -> None:
    message = _email(store, "bad-address")
    assert Worker(store.app, [Scripted(PermanentFailure("550 no such user"))]).run_once().dead == 1
    row = _status(store, message)
    assert (row.status, row.attempts) == ("dead", 1) and "550" in row.last_error


def test_a_crashing_channel_is_retried_not_lost(store: Store) -> None:
    message = _email(store, "bug")
    assert Worker(store.app, [Scripted(KeyError("subject"))], policy=FAST_RETRY).run_once().retried == 1
    assert _status(store, message).status == "pending"


def test_retry_after_from_the_receiver_is_respected(store: Store) -> None:
    message = _email(store, "busy")
    with store.app.session() as s:
        leased = claim(s, channels=["email"])
    with store.app.session() as s:
        status = mark_failed(
            s, leased.deliveries[0], leased.token, "429", permanent=False, policy=FAST_RETRY, retry_after_s=120
        )
    assert status == "pending"
    assert _status(store, message).due_at > utcnow() + timedelta(seconds=0.1)


def test_concurrent_workers_send_each_message_once(store: Store) -> None:
    for i in range(40):
        _email(store, f"m{i}")
    sent: list[str] = []

    class Recording:
        name = "email"

        def send(self, delivery: Delivery) -> None:
            time.sleep(0.002)  # a send takes a moment, so workers overlap
            sent.append(delivery.delivery_id)

    workers = [Worker(store.app, [Recording()], batch_size=3) for _ in range(4)]
    threads = [threading.Thread(target=w.run, kwargs={"until_idle": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(sent) == 40 and len(set(sent)) == 40
