"""SLA breaches escalate once (priority, history, the manager's email, a webhook event); replies go out by email.

Runs on the notification tests' app store (SQLite, and PostgreSQL when configured) and a real local SMTP server.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select

from suara.act import cases, sla
from suara.act.cases import Actor, CaseCreate, CaseUpdate, ReplyCreate, create_case, get_case, save_team
from suara.errors import ValidationFailed
from suara.notify import Worker
from suara.notify.mail import EmailChannel
from suara.notify.tables import OutboxMessage
from suara.notify.webhook import WebhookChannel
from suara.notify.webhooks import EndpointRepo, endpoint_lookup
from suara.settings import Settings
from suara.store.app import Role, WorkspaceRepo, utcnow
from tests.notify import conftest as notify
from tests.notify.conftest import Inbox, Receiver, Store, drain

# The notification tests' fixtures: a migrated store (SQLite, PostgreSQL when configured), a local SMTP server and a
# local webhook receiver that checks signatures.
store, inbox, receiver = notify.store, notify.inbox, notify.receiver

ANA = Actor(None, "Ana")


def _channel(port: int) -> EmailChannel:
    channel = EmailChannel.from_settings(Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="cx@shop.example"))
    assert channel is not None
    return channel


def _messages(store: Store) -> list[OutboxMessage]:
    with store.app.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_missed_first_contact_escalates_once_per_breach(store: Store, inbox: Inbox, receiver: Receiver) -> None:
    ws = store.workspace_id
    save_team(store.app, ws, "care", manager_email="boss@shop.example")
    with store.app.session() as s:
        receiver.secret = EndpointRepo(s, ws).create(receiver.url, events=["case.*"]).secret
    receiver.start()
    case = create_case(store.app, ws, CaseCreate(customer_id="ana", topic="nps", priority="high"), ANA)
    assert case.first_due_at is not None
    assert sla.check_breaches(store.app, ws) == 0  # nothing is late yet
    later = utcnow() + timedelta(hours=25)  # high: 24 h to first contact, 72 h to resolve
    assert sla.check_breaches(store.app, ws, now=later) == 1
    assert sla.check_breaches(store.app, ws, now=later) == 0
    assert sla.check_breaches(store.app, ws, now=later + timedelta(hours=1)) == 0
    got = get_case(store.app, ws, case.id)
    assert got.priority == "urgent" and got.breached
    assert [e.kind for e in got.events].count("escalation") == 1
    assert [(e.field, e.old, e.new, e.actor) for e in got.events if e.field == "priority"] == [
        ("priority", "high", "urgent", "suara")
    ]
    sent = _messages(store)
    assert sorted(m.channel for m in sent) == ["email", "webhook"]
    email = next(m for m in sent if m.channel == "email")
    assert email.target == "boss@shop.example" and "missed its first contact deadline" in email.payload["text"]
    channels = [_channel(inbox.port), WebhookChannel(endpoint_lookup(store.app), timeout_s=2)]
    drain(Worker(store.app, channels), lambda: len(inbox.messages) == 1 and len(receiver.accepted) == 1)
    assert inbox.messages[0]["To"] == "boss@shop.example"
    (hook,) = receiver.requests
    assert hook["signed"] and hook["body"]["event"] == "case.breached"
    assert hook["body"]["data"]["case_id"] == case.id and hook["body"]["data"]["target"] == "first_contact"
    # The resolution deadline is a breach of its own: one more escalation, then none.
    much_later = utcnow() + timedelta(hours=73)
    assert sla.check_breaches(store.app, ws, now=much_later) == 1
    assert sla.check_breaches(store.app, ws, now=much_later) == 0
    assert len([m for m in _messages(store) if m.channel == "email"]) == 2


def test_an_escalation_brings_the_pending_deadline_forward_never_back(store: Store) -> None:
    ws = store.workspace_id
    case = create_case(store.app, ws, CaseCreate(customer_id="ana", topic="nps", priority="normal"), ANA)
    assert case.first_due_at and case.resolve_due_at
    opened = case.first_due_at.replace(tzinfo=None) - timedelta(
        hours=48
    )  # normal: 48 h to first contact, 168 h to resolve
    later = opened + timedelta(hours=49)
    assert sla.check_breaches(store.app, ws, now=later) == 1
    got = get_case(store.app, ws, case.id)
    # high: 72 h to resolve, counted from the escalation, is sooner than the 168 h it had
    assert got.priority == "high" and got.resolve_due_at == later.replace(tzinfo=UTC) + timedelta(hours=72)
    assert got.first_due_at == case.first_due_at  # the missed deadline stays what was missed
    assert "resolution now due" in next(e.body for e in got.events if e.kind == "escalation")
    # A second escalation (resolution missed) leaves nothing pending to move.
    assert sla.check_breaches(store.app, ws, now=later + timedelta(hours=73)) == 1
    assert get_case(store.app, ws, case.id).resolve_due_at == got.resolve_due_at


def test_without_a_team_manager_the_admins_hear_of_breaches(store: Store) -> None:
    ws = store.workspace_id
    with store.app.session() as s:
        WorkspaceRepo(s, ws).add_user("admin@shop.example", "pw", Role.admin)
        WorkspaceRepo(s, ws).add_user("agent@shop.example", "pw", Role.agent)
    create_case(store.app, ws, CaseCreate(customer_id="bob", topic="csat", priority="low"), ANA)
    assert sla.check_breaches(store.app, ws, now=utcnow() + timedelta(days=4)) == 1
    assert [m.target for m in _messages(store)] == ["admin@shop.example"]


def test_a_contacted_case_does_not_breach_first_contact(store: Store) -> None:
    ws = store.workspace_id
    case = create_case(store.app, ws, CaseCreate(customer_id="ana", topic="nps"), ANA)
    cases.update_case(store.app, ws, case.id, CaseUpdate(status="contacted"), ANA)
    assert sla.check_breaches(store.app, ws, now=utcnow() + timedelta(hours=49)) == 0
    assert not get_case(store.app, ws, case.id, now=utcnow() + timedelta(hours=49)).breached


def test_stored_targets_replace_the_defaults(store: Store) -> None:
    ws = store.workspace_id
    sla.set_target(store.app, ws, sla.SlaTargetPublic(priority="normal", first_contact_hours=1, resolution_hours=2))
    case = create_case(store.app, ws, CaseCreate(customer_id="ana", topic="nps"), ANA)
    assert case.first_due_at is not None and case.first_due_at - case.created_at == timedelta(hours=1)
    assert sla.check_breaches(store.app, ws, now=utcnow() + timedelta(minutes=90)) == 1


def test_a_reply_is_emailed_kept_in_the_thread_and_counts_as_first_contact(store: Store, inbox: Inbox) -> None:
    ws = store.workspace_id
    case = create_case(store.app, ws, CaseCreate(customer_id="ana", topic="nps"), ANA)
    try:
        cases.send_reply(store.app, ws, case.id, ReplyCreate(body="Sorry!"), ANA)
        raise AssertionError("a reply without an address must be refused")
    except ValidationFailed as exc:
        assert exc.errors[0]["pointer"] == "/to"
    reply = cases.send_reply(
        store.app, ws, case.id, ReplyCreate(body="Sorry about the delay.", to="ana@example.com"), ANA
    )
    assert reply.direction == "out" and reply.delivery_status == "pending"
    drain(Worker(store.app, [_channel(inbox.port)]), lambda: len(inbox.messages) == 1)
    (mail,) = inbox.messages
    assert mail["To"] == "ana@example.com" and "Sorry about the delay." in mail.get_body().get_content()  # type: ignore[union-attr]
    got = get_case(store.app, ws, case.id)
    assert got.status == "contacted" and got.first_contact_at is not None and got.customer_email == "ana@example.com"
    (line,) = [e for e in got.events if e.kind == "reply"]
    assert line.delivery_status == "sent" and line.body == "Sorry about the delay."
