"""A generic HTTP messaging provider: one JSON POST per message, built from a template the operator configures.

Configured per channel from the environment (`SUARA_SMS_*`, `SUARA_WHATSAPP_*`). The body template is Jinja2 (run
sandboxed) with `to`, `text`, `sender` and `reference` (the delivery id, the same on every attempt); `tojson` quotes
values. A 2xx answer is sent, and the provider's message id is read from the answer's JSON at `id_field` (a dotted
path). 408, 429 and 5xx are retried, after the provider's Retry-After when it gives one; other 4xx (and 3xx) are
refused for good. Timeouts and connection errors are retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from suara import __version__
from suara.notify.channels import Delivery, PermanentFailure, RetryableFailure

DEFAULT_BODY = '{"to": {{ to|tojson }}, "text": {{ text|tojson }}, "from": {{ sender|tojson }}}'
_RETRYABLE_STATUS = {408, 425, 429}


class ProviderSettings(BaseSettings):
    """One provider's configuration; `ProviderSettings.for_channel("sms")` reads `SUARA_SMS_*` variables."""

    model_config = SettingsConfigDict(extra="ignore")

    url: str | None = Field(None, description="Provider endpoint that takes one message per POST; unset: channel off.")
    auth_header: str | None = Field(
        None, description='One header sent with every request, as "Name: value", e.g. "Authorization: Bearer ...".'
    )
    body_template: str = Field(
        DEFAULT_BODY, description="Jinja2 template of the JSON body: to, text, sender, reference."
    )
    sender: str = Field("", description="Sender id or number, passed to the template as `sender`.")
    id_field: str = Field("id", description="Dotted path of the provider's message id in its JSON answer.")
    callback_secret: str | None = Field(
        None, description="Shared secret that signs delivery-receipt callbacks; unset: callbacks are refused."
    )
    timeout_s: float = Field(10.0, description="Seconds to wait for the provider before retrying later.")

    @classmethod
    def for_channel(cls, channel: str, **overrides: Any) -> ProviderSettings:
        return cls(_env_prefix=f"SUARA_{channel.upper()}_", **overrides)

    def headers(self) -> dict[str, str]:
        if not self.auth_header:
            return {}
        name, sep, value = self.auth_header.partition(":")
        if not sep or not name.strip():
            raise ValueError(f'auth_header must be "Name: value", got {self.auth_header[:20]!r}...')
        return {name.strip(): value.strip()}


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (at - (now or datetime.now(UTC))).total_seconds())


def _dig(doc: Any, path: str) -> str:
    for part in path.split("."):
        if isinstance(doc, dict):
            doc = doc.get(part)
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return ""
    return "" if doc is None or isinstance(doc, dict | list) else str(doc)


# (delivery, provider message id, detail) -> None: how a channel records that the provider took a message.
SentHook = Callable[[Delivery, str, str], None]


class HttpProvider:
    """Posts one message to the provider; returns its message id, or raises Retryable/PermanentFailure."""

    def __init__(self, settings: ProviderSettings, *, client: httpx.Client | None = None) -> None:
        if not settings.url:
            raise ValueError("the provider needs a url")
        self.settings = settings
        self._headers = {"User-Agent": f"suara/{__version__}", "Content-Type": "application/json", **settings.headers()}
        self._template = SandboxedEnvironment(autoescape=False).from_string(settings.body_template)
        self._client = client or httpx.Client(timeout=settings.timeout_s, follow_redirects=False)

    def body(self, to: str, text: str, reference: str) -> bytes:
        """The request body; a template that does not make JSON is a configuration error, retried until fixed."""
        try:
            raw = self._template.render(to=to, text=text, sender=self.settings.sender, reference=reference)
            json.loads(raw)
        except (TemplateError, ValueError) as exc:
            raise RetryableFailure(f"the provider body template does not render JSON: {exc}") from exc
        return raw.encode()

    def post(self, to: str, text: str, reference: str) -> str:
        url = str(self.settings.url)
        # The reference doubles as an idempotency key for providers that honour one: a retry is not a second SMS.
        headers = {**self._headers, "Idempotency-Key": reference}
        try:
            answer = self._client.post(url, content=self.body(to, text, reference), headers=headers)
        except httpx.HTTPError as exc:
            raise RetryableFailure(f"provider {url}: {type(exc).__name__}: {exc}") from exc
        status = answer.status_code
        if 200 <= status < 300:
            try:
                return _dig(answer.json(), self.settings.id_field)
            except ValueError:
                return ""
        reason = f"provider {url} answered {status}: {answer.text[:200]}"
        if status in _RETRYABLE_STATUS or status >= 500:
            raise RetryableFailure(reason, retry_after_s=retry_after(answer.headers.get("retry-after")))
        raise PermanentFailure(reason)

    def close(self) -> None:
        self._client.close()
