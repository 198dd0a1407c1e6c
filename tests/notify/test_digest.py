"""The weekly digest: measures read through the metrics API, rendered for email clients, queued once per recipient,
delivered through a real SMTP server."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from suara.errors import ValidationFailed
from suara.notify import Worker
from suara.notify.digest import build_digest, last_full_week, send_digest
from suara.notify.mail import EmailChannel
from tests.conftest import response
from tests.notify.conftest import Inbox, Store
from tests.parity import duckdb_warehouse, fact_tables

WEEK = date(2026, 3, 9)


def _week(day: str, promoters: int, passives: int, detractors: int, start: int) -> list[dict[str, Any]]:
    scores = [10] * promoters + [7] * passives + [3] * detractors
    return [
        response(f"c{start + i}", day, nps=s, csat=5 if s > 6 else 2, ces=6 if s > 8 else 3)
        for i, s in enumerate(scores)
    ]


@pytest.fixture
def warehouse(store: Store) -> Any:
    docs = _week("2026-03-02", 200, 150, 150, 0) + _week("2026-03-10", 260, 120, 120, 1000)
    return duckdb_warehouse(fact_tables(store.workspace_id, docs))


def test_the_digest_compares_this_week_with_last(store: Store, warehouse: Any) -> None:
    digest = build_digest(warehouse, store.workspace_id, "marketing", WEEK)
    nps, csat, ces = digest.metrics
    assert [m.metric for m in digest.metrics] == ["nps", "csat", "ces"]
    assert nps.this_week is not None and nps.last_week is not None
    assert (nps.this_week.value, nps.this_week.n) == (pytest.approx(28.0), 500)
    assert nps.last_week.value == pytest.approx(10.0)
    assert nps.change is not None and nps.change.significant and nps.change.delta == pytest.approx(18.0)
    assert csat.this_week is not None and csat.this_week.value == pytest.approx(76.0)
    assert [g.key["period"] for g in ces.series] == ["2026-03-02", "2026-03-09"]
    assert [m.metric for m in build_digest(warehouse, store.workspace_id, "support", WEEK).metrics][0] == "csat"
    with pytest.raises(ValidationFailed):
        build_digest(warehouse, store.workspace_id, "finance", WEEK)


def test_last_full_week_is_the_monday_before_this_weeks() -> None:
    assert last_full_week(date(2026, 3, 18)) == WEEK  # a Wednesday
    assert last_full_week(date(2026, 3, 16)) == WEEK  # a Monday


def test_the_digest_is_queued_once_per_recipient_and_arrives_as_html_and_text(
    store: Store, warehouse: Any, inbox: Inbox
) -> None:
    digest = build_digest(warehouse, store.workspace_id, "sales", WEEK)
    recipients = ["ana@shop.example", "budi@shop.example", "ana@shop.example"]
    with store.app.session() as s:
        first = [m.id for m in send_digest(s, store.workspace_id, digest, recipients)]
    with store.app.session() as s:
        again = [m.id for m in send_digest(s, store.workspace_id, digest, recipients)]
    assert len(first) == 2 and again == first

    channel = EmailChannel("127.0.0.1", inbox.port, mail_from="cx@shop.example")
    assert Worker(store.app, [channel], batch_size=5).run_once().sent == 2
    assert sorted(str(m["To"]) for m in inbox.messages) == ["ana@shop.example", "budi@shop.example"]
    mail = inbox.messages[0]
    assert mail["Subject"] == "Sales CX digest, week of 09 Mar 2026"
    html_part, text_part = mail.get_body(("html",)), mail.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()
    assert "<script" not in html and "<img" not in html and "http" not in html.replace("<!doctype html>", "")
    assert "28.0" in html and "n=500" in html and 'bgcolor="#1f6feb"' in html  # this week's bar
    assert "NPS 28.0" in text and "+18.0 against last week (significant" in text
