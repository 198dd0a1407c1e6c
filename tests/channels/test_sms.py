"""SMS and WhatsApp invitations through a fake provider (a real HTTP server): the configured body and auth header,
one GSM-7 segment where possible, retry on 429/5xx after Retry-After, dead letter on other 4xx."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from suara.channels import ProviderSettings, messaging_channel, receipts
from suara.channels.gsm import fit, measure
from suara.channels.invitation import Content, Invitation
from suara.channels.sms import MessagingChannel, sms_text, whatsapp_text
from suara.notify import RetryPolicy, Worker
from suara.notify.tables import OutboxMessage
from suara.store.app import utcnow
from suara.surveys.definition import SurveyDefinition
from suara.surveys.rendering import render
from tests.channels.conftest import Provider, invitation, queue, survey_definition
from tests.notify.conftest import FAST_RETRY, Store

CUSTOM_BODY = (
    '{"messages": [{"destination": {{ to|tojson }}, "body": {{ text|tojson }}}],'
    ' "sender": {{ sender|tojson }}, "ref": {{ reference|tojson }}}'
)


def channel(store: Store, provider: Provider, name: str = "sms", **extra: Any) -> MessagingChannel:
    settings = ProviderSettings(
        url=provider.url, auth_header="Authorization: Bearer tok-1", sender="ACME", id_field="data.message_id", **extra
    )
    found = messaging_channel(name, store.app, settings)
    assert found is not None
    return found


def row(store: Store, message_id: int) -> OutboxMessage:
    with store.app.session() as s:
        found = s.get(OutboxMessage, message_id)
        assert found is not None
        return found


def content(locale: str = "en", **payload: Any) -> Content:
    inv = Invitation.from_payload(invitation("ws_1", locale=locale, **payload))
    survey = render(SurveyDefinition.model_validate(survey_definition()), locale)
    return Content(inv, survey, survey.questions[0], one_click=True)


def test_the_sms_keeps_the_whole_link_and_the_fewest_segments() -> None:
    c = content(base_url="https://cx.example")
    text, link = sms_text(c), c.invitation.survey_url
    # A signed link is about 150 characters: with the question it takes two segments (153 septets each).
    assert text == f"How likely are you to recommend Acme to a friend? {link}"
    assert 160 < len(text) <= 306 and measure(text).segments == 2


def test_a_long_question_is_shortened_to_one_segment_when_the_link_is_short() -> None:
    question = (
        "Thinking of your last three orders and the help you got from our team, how likely are you to recommend"
        " Acme to a friend or a colleague?"
    )
    text = fit(question, "https://cx.example/s/abc123")
    # Counted by hand: 160 - 27 (link) - 1 (space) - 3 ("...") = 129 characters of the question are kept.
    assert text == question[:129].rstrip() + "... https://cx.example/s/abc123"
    assert measure(text) == measure("x" * len(text)) and len(text) <= 160 and measure(text).segments == 1


def test_a_text_outside_gsm7_is_fitted_to_70_ucs2_units() -> None:
    question = "Насколько вероятно, что вы порекомендуете нас?"
    text = fit(question, "https://cx.example/s/abc")
    # 70 - 24 (link) - 1 - 3 = 42 characters of the question are kept.
    assert text == question[:42].rstrip() + "... https://cx.example/s/abc"
    assert measure(text).encoding == "ucs2" and measure(text).segments == 1


def test_typographic_quotes_are_kept_7_bit() -> None:
    assert measure(fit("We’d love your view – takes 1 min…", "https://x.example/s/t")).encoding == "gsm7"


def test_whatsapp_carries_title_question_link_and_unsubscribe() -> None:
    c = content(locale="id")
    assert whatsapp_text(c) == (
        "*Masukan Anda*\n\nSeberapa besar kemungkinan Anda merekomendasikan Acme?\n\n"
        f"{c.invitation.survey_url}\n\nBerhenti berlangganan: https://cx.example/u/ana"
    )


def test_an_sms_goes_out_with_the_configured_body_and_header(surveyed: Store, provider: Provider) -> None:
    payload = invitation(surveyed.workspace_id)
    message = queue(surveyed.app, surveyed.workspace_id, "sms", "+6281234567", payload, "inv-1")
    assert Worker(surveyed.app, [channel(surveyed, provider, body_template=CUSTOM_BODY)]).run_once().sent == 1
    (request,) = provider.requests
    delivery_id = row(surveyed, message).delivery_id
    assert (
        request["headers"]["Authorization"] == "Bearer tok-1" and request["headers"]["Idempotency-Key"] == delivery_id
    )
    body = request["body"]
    assert body["sender"] == "ACME" and body["ref"] == delivery_id
    (sms,) = body["messages"]
    assert sms["destination"] == "+6281234567" and sms["body"].endswith(f"/s/{payload['token']}")
    with surveyed.app.session() as s:
        (receipt,) = receipts(s, message_id=message)
    assert (receipt.status, receipt.provider_id, receipt.channel) == ("sent", "prov-1", "sms")
    assert receipt.detail == f"gsm7, {len(sms['body'])} units, 2 segment(s)"  # the signed link alone is ~150


def test_the_default_body_template(surveyed: Store, provider: Provider) -> None:
    queue(surveyed.app, surveyed.workspace_id, "whatsapp", "+79001234567", invitation(surveyed.workspace_id), "k")
    assert Worker(surveyed.app, [channel(surveyed, provider, "whatsapp")]).run_once().sent == 1
    body = provider.requests[0]["body"]
    assert set(body) == {"to", "text", "from"} and body["to"] == "+79001234567" and body["text"].startswith("*Your")


def test_429_waits_as_long_as_retry_after_says(surveyed: Store, provider: Provider) -> None:
    provider.answer = lambda n: (429, {"Retry-After": "120"})
    message = queue(surveyed.app, surveyed.workspace_id, "sms", "+6281234567", invitation(surveyed.workspace_id), "k")
    worker = Worker(surveyed.app, [channel(surveyed, provider)], policy=RetryPolicy(base_s=0.05, cap_s=3600))
    before = utcnow()
    assert worker.run_once().retried == 1
    waiting = row(surveyed, message)
    # The policy alone would retry within 50 ms; the provider's Retry-After wins.
    assert waiting.status == "pending" and waiting.due_at >= before + timedelta(seconds=119)
    assert "429" in waiting.last_error and worker.run_once().handled == 0


@pytest.mark.parametrize(("status", "outcome"), [(503, "pending"), (500, "pending"), (400, "dead"), (404, "dead")])
def test_status_codes_decide_retry_or_dead_letter(
    surveyed: Store, provider: Provider, status: int, outcome: str
) -> None:
    provider.answer = lambda n: (status, {})
    message = queue(surveyed.app, surveyed.workspace_id, "sms", "+6281234567", invitation(surveyed.workspace_id), "k")
    Worker(surveyed.app, [channel(surveyed, provider)], policy=FAST_RETRY).run_once()
    assert row(surveyed, message).status == outcome and str(status) in row(surveyed, message).last_error
    with surveyed.app.session() as s:
        assert receipts(s, message_id=message) == []


def test_a_provider_that_is_down_is_retried_and_nothing_is_lost(surveyed: Store, provider: Provider) -> None:
    provider.stop()
    message = queue(surveyed.app, surveyed.workspace_id, "sms", "+6281234567", invitation(surveyed.workspace_id), "k")
    worker = Worker(surveyed.app, [channel(surveyed, provider)], policy=FAST_RETRY)
    assert worker.run_once().retried == 1 and "ConnectError" in row(surveyed, message).last_error
    provider.start()
    deadline = utcnow() + timedelta(seconds=10)
    while row(surveyed, message).status != "sent" and utcnow() < deadline:
        worker.run_once()
    assert row(surveyed, message).status == "sent" and len(provider.requests) == 1


def test_a_template_that_is_not_json_is_retried_with_a_clear_error(surveyed: Store, provider: Provider) -> None:
    message = queue(surveyed.app, surveyed.workspace_id, "sms", "+6281234567", invitation(surveyed.workspace_id), "k")
    worker = Worker(surveyed.app, [channel(surveyed, provider, body_template='{"to": {{ to }}}')], policy=FAST_RETRY)
    assert worker.run_once().retried == 1
    assert "does not render JSON" in row(surveyed, message).last_error and provider.requests == []


def test_the_channel_is_off_without_a_url(surveyed: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUARA_SMS_URL", raising=False)
    assert messaging_channel("sms", surveyed.app) is None
    monkeypatch.setenv("SUARA_SMS_URL", "http://127.0.0.1:9/x")
    monkeypatch.setenv("SUARA_SMS_BODY_TEMPLATE", CUSTOM_BODY)
    found = messaging_channel("sms", surveyed.app)
    assert found is not None and found.provider.settings.body_template == CUSTOM_BODY
    assert json.loads(found.provider.body("+1", "hi", "dlv_1"))["ref"] == "dlv_1"
