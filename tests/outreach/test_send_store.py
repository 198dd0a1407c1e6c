"""The send path on SQLite and PostgreSQL: a batch of requests becomes one decision each, queued ones with exactly
one outbox message (a repeated dedupe key keeps the first), in the order given, and a due-job pass through the
background job runner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from suara.notify.tables import OutboxMessage
from suara.outreach.send import Request, process
from suara.store.app import WorkspaceRepo
from suara.surveys import TEMPLATES
from tests.notify.conftest import Store, store  # noqa: F401 (fixture)

NOON = datetime(2026, 3, 2, 12, 0)


def test_a_batch_of_requests_on_either_store(store: Store) -> None:  # noqa: F811
    with store.app.session() as s:
        t = TEMPLATES["exit-survey"]
        WorkspaceRepo(s, store.workspace_id).save_survey(t.key, t.name, t.definition.model_dump(mode="json"))
    reqs = [
        Request("ana", "exit-survey", "survey_email", NOON, "ana@x.io", dedupe_key="k1"),
        Request("ana", "exit-survey", "survey_email", NOON, "ana@x.io", dedupe_key="k2"),  # capped
        Request("ben", "exit-survey", "sms", NOON, None),  # no phone
        Request("cai", "exit-survey", "sms", NOON, "+62811", kind="message", dedupe_key="k3"),
        Request("dia", "nope", "sms", NOON, "+62812"),
    ]
    with store.app.session() as s:
        got = process(s, store.workspace_id, reqs, secret="k", base_url="http://x", now=NOON)
        assert [(d.customer_id, d.outcome) for d in got] == [
            ("ana", "queued"),
            ("ana", "skipped"),
            ("ben", "skipped"),
            ("cai", "queued"),
            ("dia", "skipped"),
        ]
        assert got[4].reason == "skipped: no survey 'nope'"
        ids = [got[0].message_id, got[3].message_id]
    again = [Request("eko", "exit-survey", "survey_email", NOON, "eko@x.io", dedupe_key="k1")]
    with store.app.session() as s:
        (d,) = process(s, store.workspace_id, again, secret="k", base_url="http://x", now=NOON)
        assert d.message_id == ids[0]  # the outbox keeps the first message of a dedupe key
        rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(m.id, m.target, m.channel) for m in rows] == [
        (ids[0], "ana@x.io", "survey_email"),
        (ids[1], "+62811", "sms"),
    ]
    assert rows[0].payload["customer_id"] == "ana" and rows[0].payload["base_url"] == "http://x"
