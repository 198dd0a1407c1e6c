"""A worker killed with SIGKILL in the middle of a send: after a restart every message arrives, none twice.

The worker runs as `suara outbox run` in a subprocess; the receiver holds one send open until the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from suara.notify import EndpointRepo, enqueue, publish_event
from suara.notify.tables import OutboxMessage
from tests.notify.conftest import Inbox, Receiver, Store

LEASE_S = 1.5


@contextmanager
def worker_process(store: Store, tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`suara outbox run` on the test's store; stopped with SIGTERM unless the test killed it."""
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb")
    # The installed entry point, not `-m suara.cli`, which would load suara.cli twice (as __main__ and by name).
    command = [sys.executable, "-c", "from suara.cli import main; main()", "--data-dir", str(tmp_path / "data")]
    command += ["outbox", "run"]
    command += ["--lease", str(LEASE_S), "--poll", "0.05", "--retry-base", "0.05"]
    environ = {**os.environ, "SUARA_APP_DATABASE_URL": store.url, **env}
    proc = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
        log.close()


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def statuses(store: Store) -> dict[str, tuple[str, int]]:
    with store.app.session() as s:
        return {m.target: (m.status, m.attempts) for m in s.query(OutboxMessage)}


def all_sent(store: Store) -> bool:
    """Every message sent (by message, not by target: webhook messages share their endpoint as target)."""
    with store.app.session() as s:
        return {m.status for m in s.query(OutboxMessage)} == {"sent"}


def test_killed_while_the_smtp_server_holds_a_send_then_restarted(store: Store, inbox: Inbox, tmp_path: Path) -> None:
    recipients = [f"c{i}@example.com" for i in range(5)]
    with store.app.session() as s:
        for to in recipients:
            payload = {"subject": "Thanks", "text": f"Hello {to}", "html": f"<p>Hello {to}</p>"}
            enqueue(s, store.workspace_id, channel="email", target=to, payload=payload, dedupe_key=f"thanks:{to}")
    inbox.stall_to = recipients[2]
    env = {"SUARA_SMTP_HOST": "127.0.0.1", "SUARA_SMTP_PORT": str(inbox.port), "SUARA_MAIL_FROM": "cx@shop.example"}

    with worker_process(store, tmp_path, env) as first:
        assert inbox.stalled.wait(30), "the worker never reached the third message"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    inbox.release.set()
    assert statuses(store)[recipients[2]] == ("sending", 1), "killed mid-send: still under the dead worker's lease"

    with worker_process(store, tmp_path, env):
        wait_for(lambda: len(inbox.messages) == 5, "every message to arrive")
        wait_for(lambda: {s for s, _ in statuses(store).values()} == {"sent"}, "every message marked sent")
    assert sorted(str(m["To"]) for m in inbox.messages) == recipients
    assert set(inbox.ids().values()) == {1}, "no delivery id arrived twice"
    assert statuses(store)[recipients[2]] == ("sent", 2)


def test_killed_after_the_receiver_accepted_the_duplicate_carries_the_same_delivery_id(
    store: Store, receiver: Receiver, tmp_path: Path
) -> None:
    """The one duplicate the outbox cannot prevent; the receiver drops it by its Suara-Delivery header."""
    with store.app.session() as s:
        endpoint = EndpointRepo(s, store.workspace_id).create(receiver.url)
        receiver.secret = endpoint.secret
        for case in range(3):
            publish_event(s, store.workspace_id, "case.closed", {"case": case}, text="", dedupe_key=f"case-{case}")
    receiver.stall_after_accept = True
    receiver.start()

    with worker_process(store, tmp_path, {}) as first:
        assert receiver.stalled.wait(30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    receiver.release.set()

    with worker_process(store, tmp_path, {}):
        wait_for(lambda: all_sent(store), "every message marked sent")
    with store.app.session() as s:
        ids = {m.delivery_id for m in s.query(OutboxMessage)}
    assert len(receiver.accepted) == 4, "the send in flight at the kill was accepted, then sent again"
    assert receiver.processed() == ids, "deduplicated on Suara-Delivery, each event is processed once"
    assert all(r["signed"] for r in receiver.requests)
