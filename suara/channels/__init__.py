"""Survey channels: invitations by email, SMS and WhatsApp through the outbox, delivery receipts, the web widget."""

from __future__ import annotations

from suara.channels.email import SurveyEmailChannel
from suara.channels.provider import HttpProvider, ProviderSettings
from suara.channels.receipts import ReceiptStatus, receipts, record_receipt
from suara.channels.sms import MessagingChannel, messaging_channel
from suara.notify.channels import Channel
from suara.settings import Settings
from suara.store.app import AppStore

__all__ = [
    "HttpProvider",
    "MessagingChannel",
    "ProviderSettings",
    "ReceiptStatus",
    "SurveyEmailChannel",
    "messaging_channel",
    "receipts",
    "record_receipt",
    "survey_channels",
]


def survey_channels(settings: Settings, store: AppStore) -> list[Channel]:
    """The survey channels the configuration allows: email with an SMTP host, SMS and WhatsApp with a provider URL."""
    found: list[Channel | None] = [
        SurveyEmailChannel.for_store(settings, store),
        messaging_channel("sms", store),
        messaging_channel("whatsapp", store),
    ]
    return [c for c in found if c is not None]
