"""Notifications through a durable outbox: email, signed webhooks, Slack-compatible webhooks, weekly digests.

`enqueue` writes a message in the caller's transaction; a `Worker` claims, sends, retries and dead-letters it;
`replay` puts a dead letter back. The delivery guarantee is spelled out in `suara.notify.outbox`.
"""

from suara.notify.channels import Channel, Delivery, PermanentFailure, RetryableFailure
from suara.notify.outbox import RetryPolicy, claim, enqueue, messages, replay
from suara.notify.signing import verify_signature
from suara.notify.webhooks import EndpointRepo, publish_event
from suara.notify.worker import Worker, WorkReport, channels_for

__all__ = [
    "Channel",
    "Delivery",
    "EndpointRepo",
    "PermanentFailure",
    "RetryPolicy",
    "RetryableFailure",
    "WorkReport",
    "Worker",
    "channels_for",
    "claim",
    "enqueue",
    "messages",
    "publish_event",
    "replay",
    "verify_signature",
]
