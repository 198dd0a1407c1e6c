"""The outbox worker: claim due messages, hand each to its channel, record the outcome. Run one or several."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from suara.notify.channels import Channel, Delivery, PermanentFailure, RetryableFailure
from suara.notify.mail import EmailChannel
from suara.notify.outbox import DEFAULT_LEASE, RetryPolicy, claim, mark_failed, mark_sent
from suara.notify.webhook import SlackChannel, WebhookChannel
from suara.notify.webhooks import endpoint_lookup
from suara.settings import Settings
from suara.store.app import AppStore

if TYPE_CHECKING:
    from suara.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class WorkReport:
    """What a run did: messages sent, put back for a retry, made dead letters, or lost to another worker."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead + self.lost

    def add(self, other: WorkReport) -> None:
        self.sent, self.retried = self.sent + other.sent, self.retried + other.retried
        self.dead, self.lost = self.dead + other.dead, self.lost + other.lost
        self.errors += other.errors


class Worker:
    """Delivers outbox messages of the channels it has; messages of other channels wait for a worker that has them.

    Each message is claimed with a lease of `lease` per message in the batch; keep it above the channels' timeouts,
    or a slow send may outlive its lease and be sent again by another worker.
    """

    def __init__(
        self,
        store: AppStore,
        channels: Iterable[Channel],
        *,
        batch_size: int = 1,
        lease: timedelta = DEFAULT_LEASE,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.channels = {c.name: c for c in channels}
        self.batch_size = batch_size
        self.lease = lease
        self.policy = policy or RetryPolicy()
        self.rng = rng

    def run_once(self) -> WorkReport:
        """Claim up to `batch_size` due messages and deliver them; an empty report means nothing was due."""
        report = WorkReport()
        with self.store.session() as s:
            leased = claim(s, channels=list(self.channels), limit=self.batch_size, lease=self.lease * self.batch_size)
        for delivery in leased.deliveries:
            self._deliver(leased.token, delivery, report)
        return report

    def run(self, *, stop: threading.Event | None = None, poll_s: float = 1.0, until_idle: bool = False) -> WorkReport:
        """Deliver until `stop` is set (or with `until_idle`, until nothing is due); poll every `poll_s` when idle."""
        stop = stop or threading.Event()
        total = WorkReport()
        while not stop.is_set():
            try:
                report = self.run_once()
            except OperationalError:  # store unreachable or locked: leased messages come back when their lease ends
                log.exception("the app store failed; trying again in %s s", poll_s)
                stop.wait(poll_s)
                continue
            total.add(report)
            if report.handled == 0:
                if until_idle:
                    break
                stop.wait(poll_s)
        return total

    def _deliver(self, token: str, delivery: Delivery, report: WorkReport) -> None:
        permanent, retry_after = False, None
        try:
            self.channels[delivery.channel].send(delivery)
        except PermanentFailure as exc:
            error, permanent = str(exc), True
        except RetryableFailure as exc:
            error, retry_after = str(exc), exc.retry_after_s
        except Exception as exc:  # a bug in a channel must not lose the message: retry it and keep the trace in logs
            log.exception("channel %s failed on message %s", delivery.channel, delivery.message_id)
            error = f"{type(exc).__name__}: {exc}"
        else:
            with self.store.session() as s:
                ok = mark_sent(s, delivery, token)
            report.sent += ok
            report.lost += not ok
            return
        with self.store.session() as s:
            status = mark_failed(
                s,
                delivery,
                token,
                error,
                permanent=permanent,
                policy=self.policy,
                retry_after_s=retry_after,
                rng=self.rng,
            )
        log.warning("message %s attempt %s failed (%s): %s", delivery.message_id, delivery.attempt, status, error)
        report.errors.append(error)
        if status is None:
            report.lost += 1
        elif status == "dead":
            report.dead += 1
        else:
            report.retried += 1

    def close(self) -> None:
        for channel in self.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                close()


def channels_for(settings: Settings, store: AppStore) -> list[Channel]:
    """Every channel the settings allow: webhooks always, email when an SMTP host is set."""
    lookup = endpoint_lookup(store)
    channels: list[Channel] = [WebhookChannel(lookup), SlackChannel(lookup)]
    email = EmailChannel.from_settings(settings)
    if email is not None:
        channels.append(email)
    from suara.channels import survey_channels  # survey invitations: email, SMS, WhatsApp (imports this package)

    return channels + survey_channels(settings, store)


def deliver_pending(runtime: Runtime) -> int:
    """One background pass: deliver what is due now on every configured channel; returns messages handled."""
    worker = Worker(runtime.app, channels_for(runtime.settings, runtime.app), batch_size=20)
    try:
        return worker.run(until_idle=True).handled
    finally:
        worker.close()
