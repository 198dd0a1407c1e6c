"""'You said, we did': the customers who raised a theme or aspect are told once each, within the contact policy,
and their paired scores before vs after are reported with n."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from suara.act import yousaid
from suara.notify.tables import OutboxMessage
from suara.outreach.policy import Cap, ContactPolicy
from suara.outreach.send import save_policy
from suara.outreach.tables import Decision
from suara.runtime import Runtime
from suara.text import theme_store
from suara.text.enrich import enrich
from suara.web.app import create_app
from tests.conftest import Tenant, identify, response

NOW = datetime(2026, 3, 16, 12, 0)  # noon UTC: outside the default quiet hours
LATE = "The parcel arrived late again, delivery took two weeks."
PRICE = "Great prices, cheaper than other shops."
# customer -> (comment, NPS before, NPS after or None, e-mail or None)
PEOPLE = {
    "ana": (LATE, 3, 9, "ana@example.com"),
    "budi": (LATE, 6, 7, "budi@example.com"),
    "cici": (LATE, 8, None, "cici@example.com"),  # told, but no answer after: not paired
    "dina": (LATE, 2, 10, None),  # no e-mail: not told
    "eko": (LATE, 5, 9, "eko@example.com"),  # contacted yesterday: over the cap, skipped
    "fitri": (PRICE, 9, 9, "fitri@example.com"),  # raised something else
}


@pytest.fixture
def shop(runtime: Runtime) -> tuple[Runtime, Tenant]:
    tenant = Tenant(runtime, "yousaid")
    ws = tenant.workspace_id
    docs, after, traits = [], [], []
    for i, (c, (text, before, later, email)) in enumerate(PEOPLE.items()):
        docs.append(response(c, f"2026-03-0{1 + i}", nps=before, comment=text, response_id=f"b{c}"))
        if later is not None:
            after.append(response(c, "2026-03-20", nps=later, response_id=f"a{c}"))
        if email:
            traits.append(identify(c, email=email))
    runtime.ingestor.ingest("responses", ws, docs + after)
    runtime.ingestor.ingest("events", ws, traits)
    enrich(runtime.warehouse, ws)
    with runtime.app.session() as s:
        save_policy(s, ws, ContactPolicy(message_cap=Cap(count=1, days=7)))
        s.add(Decision(workspace_id=ws, customer_id="eko", survey_key="relational-nps", channel="survey_email",
                       kind="survey", outcome="queued", at=NOW - timedelta(days=1)))  # fmt: skip
    return runtime, tenant


def _outbox(rt: Runtime, ws: str) -> list[OutboxMessage]:
    with rt.app.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.workspace_id == ws)))


def test_customers_who_raised_an_aspect_are_told_once(shop: tuple[Runtime, Tenant]) -> None:
    rt, tenant = shop
    ws = tenant.workspace_id
    body = yousaid.AnnouncementCreate(kind="aspect", key="delivery", note="We changed our courier.")
    ann = yousaid.announce(rt.app, rt.warehouse, ws, body, now=NOW)
    assert ann.recipients == {"queued": 3, "skipped": 1, "no_email": 1}
    sent = _outbox(rt, ws)
    assert sorted(m.target for m in sent) == ["ana@example.com", "budi@example.com", "cici@example.com"]
    assert {m.channel for m in sent} == {"email"} and sent[0].payload["text"] == "We changed our courier."
    again = yousaid.notify(rt.app, rt.warehouse, ws, ann.id, now=NOW)  # a repeat tells nobody twice
    assert again.recipients == ann.recipients and len(_outbox(rt, ws)) == 3
    # a second announcement a day later: everyone told is now within the cap of 1 message in 7 days
    later = yousaid.announce(rt.app, rt.warehouse, ws, body, now=NOW + timedelta(days=1))
    assert later.recipients == {"skipped": 4, "no_email": 1} and len(_outbox(rt, ws)) == 3


def test_impact_pairs_scores_before_and_after(shop: tuple[Runtime, Tenant]) -> None:
    rt, tenant = shop
    ws = tenant.workspace_id
    body = yousaid.AnnouncementCreate(kind="aspect", key="delivery", note="We changed our courier.")
    ann = yousaid.announce(rt.app, rt.warehouse, ws, body, now=NOW)
    got = {s.metric: s for s in yousaid.impact(rt.app, rt.warehouse, ws, ann.id).scores}
    nps = got["nps"]
    # told: ana, budi, cici; cici has no later answer -> pairs (3, 9) and (6, 7)
    assert nps.n == 2 and nps.mean_before == 4.5 and nps.mean_after == 8.0 and nps.mean_change == 3.5
    assert nps.nps_before == -100.0 and nps.nps_after == 50.0  # two detractors; one promoter, one passive
    assert got["csat"].n == 0 and got["csat"].mean_before is None


def test_theme_announcement_and_api(shop: tuple[Runtime, Tenant]) -> None:
    rt, tenant = shop
    ws = tenant.workspace_id
    theme_store.run_themes(rt.app, rt.warehouse, ws, data=_theme_data())
    late = next(t for t in theme_store.themes(rt.app, ws) if "late" in t.name)
    assert yousaid.raisers(rt.app, rt.warehouse, ws, "theme", late.theme_id) == ["ana", "budi", "cici", "dina", "eko"]
    with TestClient(create_app(runtime=rt)) as client:
        h = tenant.headers
        r = client.post("/api/v1/text/announcements", headers=h,
                        json={"kind": "theme", "key": late.theme_id, "note": "New courier."})  # fmt: skip
        assert r.status_code == 201, r.text
        ann = r.json()
        assert ann["recipients"]["queued"] >= 1 and late.display_name in ann["title"]
        listed = client.get("/api/v1/text/announcements", headers=h).json()
        assert [a["id"] for a in listed] == [ann["id"]]
        impact = client.get(f"/api/v1/text/announcements/{ann['id']}/impact", headers=h).json()
        assert impact["told"] == ann["recipients"]["queued"]
        missing = client.post("/api/v1/text/announcements", headers=h,
                              json={"kind": "aspect", "key": "weather", "note": "x"})  # fmt: skip
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
        assert client.get("/api/v1/text/announcements/999/impact", headers=h).status_code == 404


def _theme_data() -> object:
    """The shop's comments padded with more of the same topics, so there is enough text to find themes in."""
    import pandas as pd

    rows = [{"item_kind": "answer", "item_id": f"b{c}:comment", "language": "en", "text": t[0],
             "at": pd.Timestamp("2026-03-01")} for c, t in PEOPLE.items()]  # fmt: skip
    for i in range(40):
        rows.append({"item_kind": "feedback", "item_id": f"pad{i}", "language": "en",
                     "text": [LATE, PRICE][i % 2] + f" order {i}", "at": pd.Timestamp("2026-03-02")})  # fmt: skip
    return pd.DataFrame(rows)
