"""Survey invitations by email through a real local SMTP server: parts, one-click score links that work without
script, the unsubscribe header, and the outbox's failure semantics (refused: dead letter; down: retried, sent once)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from suara.channels import SurveyEmailChannel, receipts
from suara.notify import Worker, channels_for
from suara.notify.tables import OutboxMessage
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import create_workspace
from suara.web.app import create_app
from tests.channels.conftest import SECRET, form_fields, invitation, queue, save_survey
from tests.notify.conftest import FAST_RETRY, Inbox, Store, drain, free_port


def channel(store: Store, port: int) -> SurveyEmailChannel:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="Acme CX <cx@acme.example>")
    found = SurveyEmailChannel.for_store(settings, store.app)
    assert found is not None
    found.timeout_s = 5
    return found


def row(store: Store, message_id: int) -> OutboxMessage:
    with store.app.session() as s:
        found = s.get(OutboxMessage, message_id)
        assert found is not None
        return found


def score_links(text: str) -> dict[int, str]:
    text = text.replace("\r\n", "\n")  # SMTP carries CRLF line ends
    return {int(n): url for n, url in re.findall(r"^(\d+)(?: \([^)]*\))?: (\S+)$", text, re.M)}


def test_the_invitation_has_both_parts_score_buttons_and_an_unsubscribe_header(surveyed: Store, inbox: Inbox) -> None:
    payload = invitation(surveyed.workspace_id, locale="id")
    message = queue(surveyed.app, surveyed.workspace_id, "survey_email", "ana@example.com", payload, "inv-1")
    assert Worker(surveyed.app, [channel(surveyed, inbox.port)]).run_once().sent == 1
    (got,) = inbox.messages
    assert got["Subject"] == "Masukan Anda" and got["To"] == "ana@example.com"
    assert got["List-Unsubscribe"] == "<https://cx.example/u/ana>"
    assert got["Message-ID"] == f"<{row(surveyed, message).delivery_id}@acme.example>"
    text_part, html_part = got.get_body(("plain",)), got.get_body(("html",))
    assert text_part is not None and html_part is not None
    text, html = text_part.get_content().replace("\r\n", "\n"), html_part.get_content()
    survey_url = f"http://cx.example:8000/s/{payload['token']}"
    # Eleven one-click links, 0 to 10, each the survey link with its score; the question in Indonesian.
    assert score_links(text) == {n: f"{survey_url}?score={n}" for n in range(11)}
    assert "Seberapa besar kemungkinan Anda merekomendasikan Acme?" in text and f"Isi survei: {survey_url}\n" in text
    hrefs = re.findall(r'<a href="([^"]+)"', html)
    assert hrefs == [f"{survey_url}?score={n}" for n in range(11)] + [survey_url, "https://cx.example/u/ana"]
    # Mail clients drop scripts and style sheets: buttons are table cells with inline styles.
    assert "<script" not in html and "<style" not in html and html.count('style="border:1px solid #1f4e79') == 11
    assert "Sangat tidak mungkin" in html and "Berhenti berlangganan" in html
    with surveyed.app.session() as s:
        assert [(r.status, r.channel) for r in receipts(s, message_id=message)] == [("sent", "survey_email")]


def test_a_refused_recipient_is_a_dead_letter_with_no_receipt(surveyed: Store, inbox: Inbox) -> None:
    inbox.refuse.add("gone@example.com")
    payload = invitation(surveyed.workspace_id)
    message = queue(surveyed.app, surveyed.workspace_id, "survey_email", "gone@example.com", payload, "inv-1")
    assert Worker(surveyed.app, [channel(surveyed, inbox.port)]).run_once().dead == 1
    assert row(surveyed, message).status == "dead" and "550" in row(surveyed, message).last_error
    with surveyed.app.session() as s:
        assert receipts(s, message_id=message) == []


def test_an_invitation_to_a_missing_survey_is_a_dead_letter(surveyed: Store, inbox: Inbox) -> None:
    payload = invitation(surveyed.workspace_id, survey_id="nope")
    message = queue(surveyed.app, surveyed.workspace_id, "survey_email", "ana@example.com", payload, "inv-1")
    assert Worker(surveyed.app, [channel(surveyed, inbox.port)]).run_once().dead == 1
    assert "no survey 'nope'" in row(surveyed, message).last_error and inbox.messages == []


def test_a_server_that_is_down_is_retried_then_sent_once(surveyed: Store) -> None:
    port = free_port()
    message = queue(
        surveyed.app, surveyed.workspace_id, "survey_email", "ana@example.com", invitation(surveyed.workspace_id), "k"
    )
    worker = Worker(surveyed.app, [channel(surveyed, port)], policy=FAST_RETRY)
    assert worker.run_once().retried == 1
    assert row(surveyed, message).status == "pending" and "ConnectionRefusedError" in row(surveyed, message).last_error
    box = Inbox(port=port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        drain(worker, lambda: row(surveyed, message).status == "sent")
        for _ in range(5):  # nothing is left to send: more runs send nothing more
            worker.run_once()
    finally:
        controller.stop()
    assert list(box.ids().values()) == [1] and row(surveyed, message).attempts >= 2


def test_a_one_click_score_is_stored_in_the_warehouse(tmp_path: Path, inbox: Inbox) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key=SECRET,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        mail_from="cx@acme.example",
    )
    with Runtime.open(settings) as rt, TestClient(create_app(runtime=rt)) as client:
        with rt.app.session() as s:
            workspace_id = create_workspace(s, "acme", "Acme").id
        save_survey(rt.app, workspace_id)
        payload = invitation(workspace_id, "budi", base_url="http://testserver")
        queue(rt.app, workspace_id, "survey_email", "budi@example.com", payload, "inv-budi")
        # The worker as `suara outbox run` builds it: the survey channel is registered from the settings.
        worker = Worker(rt.app, channels_for(settings, rt.app))
        assert worker.run_once().sent == 1
        (mail,) = inbox.messages
        text = mail.get_body(("plain",))
        assert text is not None
        link = score_links(text.get_content())[9]
        assert parse_qs(urlsplit(link).query) == {"score": ["9"]}
        page = client.get(link)
        assert page.status_code == 200
        fields = form_fields(page.text)
        assert ("nps", "9") in fields  # the clicked score is selected; the customer only presses Send
        sent = client.post(urlsplit(link).path, data={k: [v for n, v in fields if n == k] for k, _ in fields})
        assert sent.status_code == 200 and "Thank you" in sent.text
        responses = rt.warehouse.table("responses", workspace_id).execute()
        answers = rt.warehouse.table("answers", workspace_id).execute()
        assert responses[["customer_id", "survey_id", "channel"]].values.tolist() == [["budi", "rnps", "link"]]
        assert answers[["question_id", "number"]].values.tolist() == [["nps", 9.0]]
