"""The `sms` and `whatsapp` channels: a short survey invitation with its link, sent through an HTTP provider.

SMS keeps to one 160-character GSM-7 segment where it can: the question is shortened, the link never is (the
segment count is noted on the `sent` receipt). WhatsApp carries the title, the whole question, the link and the
unsubscribe link. Opting out of SMS is usually the provider's STOP keyword; the unsubscribe link is added only when
it still fits one segment.
"""

from __future__ import annotations

from collections.abc import Callable

from suara.channels.gsm import fit, measure, plain
from suara.channels.invitation import Content, content
from suara.channels.phrases import phrases
from suara.channels.provider import HttpProvider, ProviderSettings
from suara.channels.receipts import note_sent
from suara.notify.channels import Delivery
from suara.store.app import AppStore


def sms_text(c: Content) -> str:
    """Question and link in one GSM-7 segment where possible; the unsubscribe link too when it still fits."""
    inv = c.invitation
    text = fit(c.lead.text, inv.survey_url)
    if inv.unsubscribe_url:
        longer = f"{text} {phrases(c.locale)['sms_stop']} {inv.unsubscribe_url}"
        if measure(longer).segments == 1:
            return longer
    return text


def whatsapp_text(c: Content) -> str:
    """Title in bold (WhatsApp's `*...*`), the question, the link, and the unsubscribe link when there is one."""
    inv, words = c.invitation, phrases(c.locale)
    parts = [f"*{c.survey.title}*"] if c.survey.title else []
    parts += [c.lead.text, inv.survey_url]
    if inv.unsubscribe_url:
        parts.append(f"{words['unsubscribe']}: {inv.unsubscribe_url}")
    return plain("\n\n".join(parts))


class MessagingChannel:
    """Sends survey invitations to the phone number in the message's target through an `HttpProvider`."""

    def __init__(self, name: str, store: AppStore, provider: HttpProvider, text: Callable[[Content], str]) -> None:
        self.name = name
        self.store = store
        self.provider = provider
        self.text = text

    def send(self, delivery: Delivery) -> None:
        body = self.text(content(self.store, delivery.workspace_id, delivery.payload))
        provider_id = self.provider.post(delivery.target, body, delivery.delivery_id)
        length = measure(body)
        detail = f"{length.encoding}, {length.units} units, {length.segments} segment(s)"
        note_sent(self.store, delivery, provider_id, detail)

    def close(self) -> None:
        self.provider.close()


TEXTS: dict[str, Callable[[Content], str]] = {"sms": sms_text, "whatsapp": whatsapp_text}


def messaging_channel(name: str, store: AppStore, settings: ProviderSettings | None = None) -> MessagingChannel | None:
    """The `sms` or `whatsapp` channel configured by `SUARA_SMS_*` / `SUARA_WHATSAPP_*` (or `settings`); None when
    no provider URL is set."""
    settings = settings or ProviderSettings.for_channel(name)
    if not settings.url:
        return None
    return MessagingChannel(name, store, HttpProvider(settings), TEXTS[name])
