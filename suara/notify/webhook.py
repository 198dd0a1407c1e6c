"""Webhook channels: signed JSON events (`WebhookChannel`) and Slack-compatible incoming webhooks (`SlackChannel`).

Both post to an endpoint looked up at send time, so an endpoint disabled or deleted after the message was queued is
not called. A 2xx answer means sent; 408, 429, 5xx, timeouts and connection errors are retried; any other answer
(3xx, 4xx) is a dead letter, since the same request would be refused again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from suara import __version__
from suara.notify.channels import Delivery, PermanentFailure, RetryableFailure
from suara.notify.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

USER_AGENT = f"suara-webhooks/{__version__}"
_RETRYABLE_STATUS = {408, 429}


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    active: bool


# (workspace id, endpoint id) -> the endpoint as it is now, or None when it was deleted.
EndpointLookup = Callable[[str, int], Endpoint | None]


def event_body(delivery: Delivery) -> dict[str, Any]:
    """What a signed endpoint receives: the delivery id, the event name, when it happened and its data."""
    p = delivery.payload
    return {"id": delivery.delivery_id, "event": p["event"], "created_at": p.get("created_at"), "data": p["data"]}


def slack_body(delivery: Delivery) -> dict[str, Any]:
    """A Slack incoming-webhook payload: `text` is the notification fallback, `blocks` the formatted message."""
    p = delivery.payload
    blocks = p.get("blocks") or [{"type": "section", "text": {"type": "mrkdwn", "text": p["text"]}}]
    return {"text": p["text"], "blocks": blocks}


class _HttpChannel:
    name = "http"

    def __init__(self, endpoints: EndpointLookup, *, timeout_s: float = 10.0) -> None:
        self.endpoints = endpoints
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT})

    def _endpoint(self, delivery: Delivery) -> Endpoint:
        endpoint = self.endpoints(delivery.workspace_id, int(delivery.target))
        if endpoint is None:
            raise PermanentFailure(f"webhook endpoint {delivery.target} was deleted")
        if not endpoint.active:
            raise PermanentFailure(f"webhook endpoint {delivery.target} is disabled; enable it, then replay")
        return endpoint

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            response = self._client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
        except httpx.TimeoutException as exc:
            raise RetryableFailure(f"timed out: {exc}") from exc
        except httpx.TransportError as exc:  # refused, reset, DNS, TLS: the receiver may be back later
            raise RetryableFailure(f"could not reach {url}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"HTTP {status} from {url}: {response.text[:200]}"
        if status >= 500 or status in _RETRYABLE_STATUS:
            raise RetryableFailure(reason, retry_after_s=_retry_after(response))
        raise PermanentFailure(reason)

    def close(self) -> None:
        self._client.close()


class WebhookChannel(_HttpChannel):
    """Posts `event_body` as JSON, signed with the endpoint's secret; `Suara-Delivery` is the same on every retry."""

    name = "webhook"

    def send(self, delivery: Delivery) -> None:
        endpoint = self._endpoint(delivery)
        body = json.dumps(event_body(delivery), separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            SIGNATURE_HEADER: sign(endpoint.secret, body),
            DELIVERY_HEADER: delivery.delivery_id,
            EVENT_HEADER: str(delivery.payload["event"]),
        }
        self._post(endpoint.url, body, headers)


class SlackChannel(_HttpChannel):
    """Posts `slack_body` to a Slack-compatible incoming webhook (Slack, Mattermost)."""

    name = "slack"

    def send(self, delivery: Delivery) -> None:
        endpoint = self._endpoint(delivery)
        body = json.dumps(slack_body(delivery), ensure_ascii=False).encode()
        self._post(endpoint.url, body, {DELIVERY_HEADER: delivery.delivery_id})


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None
