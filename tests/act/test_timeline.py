"""The single customer view merges every fact of one customer, newest first, and caps long event streams."""

from __future__ import annotations

from datetime import datetime

from suara.act.timeline import customer_email, timeline
from suara.runtime import Runtime
from suara.store.app import create_workspace
from tests.conftest import identify, response


def test_timeline_merges_facts_newest_first_with_answers_and_traits(runtime: Runtime) -> None:
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    ing = runtime.ingestor.ingest
    ing("responses", ws, [response("ana", "2026-03-02", nps=3, comment="late", response_id="r1")])
    ing("responses", ws, [response("bob", "2026-03-09", nps=10, response_id="r2")])
    ing(
        "feedback",
        ws,
        [
            {
                "source": "app_store",
                "customer_id": "ana",
                "text": "slow",
                "rating": 2,
                "created_at": "2026-03-04T00:00:00Z",
            }
        ],
    )
    ing(
        "orders",
        ws,
        [
            {
                "order_id": "o1",
                "customer_id": "ana",
                "ordered_at": "2026-03-01T08:00:00Z",
                "amount": 120.5,
                "currency": "IDR",
            }
        ],
    )
    ing(
        "tickets",
        ws,
        [
            {
                "ticket_id": "t1",
                "customer_id": "ana",
                "subject": "Where is my parcel",
                "created_at": "2026-03-03T00:00:00Z",
            }
        ],
    )
    events = [
        {
            "type": "track",
            "event": "page_view" if i % 3 else "add_to_cart",
            "userId": "ana",
            "timestamp": f"2026-02-{1 + i:02d}T10:00:00Z",
        }
        for i in range(20)
    ]
    ing("events", ws, [*events, identify("ana", plan="premium", email="ana@example.com"), identify("bob", plan="free")])

    got = timeline(runtime.warehouse, ws, "ana", max_events=5)

    kinds = [(i.kind, i.id) for i in got.items]
    assert kinds[:4] == [("feedback", got.items[0].id), ("ticket", "t1"), ("response", "r1"), ("order", "o1")]
    assert [i.kind for i in got.items[4:]] == ["event"] * 5
    assert [i.at for i in got.items] == sorted((i.at for i in got.items), reverse=True)
    assert got.items[4].at == datetime.fromisoformat("2026-02-20T10:00:00+00:00")
    response_item = got.items[2]
    assert response_item.title.endswith("NPS 3")
    assert sorted((a["kind"], a["number"], a["text"]) for a in response_item.data["answers"]) == [
        ("comment", None, "late"),
        ("nps", 3.0, None),
    ]
    assert got.events.total == 20 and got.events.listed == 5
    assert got.events.by_event == {"add_to_cart": 7, "page_view": 13}
    assert got.traits == {"email": "ana@example.com", "plan": "premium"}
    assert "r2" not in {i.id for i in got.items}  # bob's answer is not ana's
    assert customer_email(runtime.warehouse, ws, "ana") == "ana@example.com"
    assert customer_email(runtime.warehouse, ws, "bob") is None


def test_an_unknown_customer_has_an_empty_timeline(runtime: Runtime) -> None:
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    got = timeline(runtime.warehouse, ws, "nobody")
    assert got.items == [] and got.traits == {} and got.events.total == 0 and got.events.first_at is None


def test_a_tickets_agent_and_a_posts_likes_show_when_present(runtime: Runtime) -> None:
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    post = {"source": "instagram", "customer_id": "ana", "text": "cepat!", "created_at": "2026-03-04T00:00:00Z"}
    runtime.ingestor.ingest(
        "feedback",
        ws,
        [
            post | {"feedback_id": "p1", "likes": 1204},
            post | {"feedback_id": "p2", "likes": 1},
            post | {"feedback_id": "p3"},
        ],
    )
    ticket = {"customer_id": "ana", "subject": "Where is my parcel", "created_at": "2026-03-03T00:00:00Z"}
    runtime.ingestor.ingest(
        "tickets", ws, [ticket | {"ticket_id": "t1", "agent": "Sari", "status": "solved"}, ticket | {"ticket_id": "t2"}]
    )

    items = {i.id: i for i in timeline(runtime.warehouse, ws, "ana").items}
    assert items["p1"].title == "instagram, 1,204 likes" and items["p1"].data["likes"] == 1204
    assert items["p2"].title == "instagram, 1 like" and items["p2"].data["likes"] == 1
    assert items["p3"].title == "instagram" and items["p3"].data["likes"] is None
    assert (
        items["t1"].title == "Ticket: Where is my parcel (solved), agent Sari" and items["t1"].data["agent"] == "Sari"
    )
    assert items["t2"].title == "Ticket: Where is my parcel (open)" and items["t2"].data["agent"] is None
