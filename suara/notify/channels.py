"""The `Channel` interface every way out implements, what it is handed, and the two ways a send can fail.

A channel's `send` returns when the receiver accepted the message, raises `RetryableFailure` when a later attempt may
succeed (receiver down, timed out, busy) and `PermanentFailure` when none will (address or payload refused for good).
Anything else it raises counts as retryable, so a bug does not silently drop a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    """One attempt at one outbox message. `delivery_id` is the same on every attempt, so receivers can dedupe."""

    message_id: int
    delivery_id: str
    workspace_id: str
    channel: str
    target: str
    payload: dict[str, Any]
    attempt: int


class RetryableFailure(Exception):
    """The receiver may accept a later attempt; `retry_after_s` is its own hint (HTTP Retry-After), if it gave one."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentFailure(Exception):
    """The receiver refused the message for good: it becomes a dead letter at once."""


class Channel(Protocol):
    """A way to deliver a message: email, a signed webhook, a Slack-compatible webhook, a provider's API."""

    name: str

    def send(self, delivery: Delivery) -> None: ...
