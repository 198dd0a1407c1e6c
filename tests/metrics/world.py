"""A small, fully known workspace for the measure tests: every fact table, plus the raw records behind it.

Tests compute the expected answers from the raw records in plain Python, independently of the engines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from suara.store.warehouse import to_arrow
from tests.conftest import identify, response
from tests.parity import fact_tables

WS = "ws_world"
T0 = datetime(2026, 1, 5)  # a Monday
DAYS = 84  # twelve weeks


@dataclass
class World:
    tables: dict[str, pa.Table]
    answers: list[tuple[str, datetime, str, float]] = field(default_factory=list)  # customer, at, kind, number
    traits: dict[str, dict[str, str]] = field(default_factory=dict)  # latest trait values
    status: list[tuple[str, datetime, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # visitor, customer, at, event, type, props
    orders: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    enrichments: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(seed: int = 5) -> World:
    rng = random.Random(seed)
    customers = [f"c{i:02d}" for i in range(60)]
    docs: list[dict[str, Any]] = []
    event_docs: list[dict[str, Any]] = []
    world = World(tables={})
    for i, c in enumerate(customers):
        country = rng.choices(["ID", "MY", "RU"], weights=[6, 3, 1])[0]
        plan = "pro" if i % 3 == 0 else "free"
        world.traits[c] = {"country": country, "plan": plan}
        event_docs.append(identify(c, "2025-12-01", country=country, plan=plan))
        if i % 4 == 0:  # a subscription that some customers cancel
            world.status.append((c, datetime(2025, 12, 1), "active"))
            event_docs.append(identify(c, "2025-12-01", subscription_status="active"))
            if i % 8 == 0:
                gone = T0 + timedelta(days=rng.randrange(10, 70))
                world.status.append((c, gone, "cancelled"))
                event_docs.append(
                    {
                        "type": "identify",
                        "userId": c,
                        "timestamp": _iso(gone),
                        "traits": {"subscription_status": "cancelled"},
                    }
                )
    # Survey answers: every kind, a few per customer.
    for _ in range(420):
        c = rng.choice(customers)
        at = T0 + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        answers = {
            "nps": rng.randint(0, 10),
            "csat": rng.randint(1, 5),
            "ces": rng.randint(1, 7),
            "ces_effort": rng.randint(1, 5),
            "attitudinal": rng.randint(1, 5),
            "repurchase": rng.randint(1, 5),
        }
        doc = response(c, at.strftime("%Y-%m-%d"), **answers, touchpoint=rng.choice(["delivery", "support"]))
        doc["submitted_at"] = _iso(at)
        docs.append(doc)
        world.answers += [(c, at, kind, float(v)) for kind, v in answers.items()]
    # Visits: bursts of events less than 30 minutes apart, from customers and from anonymous visitors.
    visitors = [(c, c) for c in customers] + [(f"anon{j}", None) for j in range(25)]
    for vid, cust in visitors:
        start_day = rng.randrange(DAYS)
        for _ in range(rng.randint(1, 6)):
            at = T0 + timedelta(days=rng.randrange(start_day, DAYS), minutes=rng.randrange(24 * 60))
            for step in range(rng.choice([1, 1, 2, 3, 5])):
                at += timedelta(minutes=rng.choice([1, 5, 12, 29]))
                kind = "page" if step == 0 or rng.random() < 0.4 else "track"
                name = None
                props: dict[str, Any] = {}
                if kind == "page":
                    props = {"path": "/", "load_ms": rng.randint(200, 4000)}
                else:
                    name = rng.choice(["add_to_cart", "order_completed", "payment_failed", "task", "browse"])
                    if name == "task":
                        props = {"task": rng.choice(["search", "return"]), "success": rng.random() < 0.7,
                                 "duration_s": rng.randint(5, 300)}  # fmt: skip
                ev = {"visitor": vid, "customer": cust, "at": at, "event": name, "type": kind, "props": props}
                world.events.append(ev)
                doc = {"type": kind, "timestamp": _iso(at), "properties": props, "messageId": f"e{len(world.events)}"}
                doc |= {"userId": cust} if cust else {"anonymousId": vid}
                if name:
                    doc["event"] = name
                event_docs.append(doc)
    world.tables = fact_tables(WS, docs, event_docs)
    # Orders, reviews, enrichments and tickets go straight to their tables.
    for n in range(150):
        c = rng.choice(customers[:40])
        at = T0 + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        status = "refunded" if n % 17 == 0 else "completed"
        amount = float(rng.randint(5, 200))
        world.orders.append({"order_id": f"o{n}", "customer_id": c, "ordered_at": at, "amount": amount,
                             "status": status})  # fmt: skip
    for n in range(90):
        at = T0 + timedelta(days=rng.randrange(DAYS))
        src = rng.choice(["app_store", "google_play", "trustpilot"])
        world.feedback.append({"feedback_id": f"f{n}", "source": src, "customer_id": rng.choice(customers),
                               "text": "ok", "rating": float(rng.randint(1, 5)), "created_at": at})  # fmt: skip
    for n in range(120):
        at = T0 + timedelta(days=rng.randrange(DAYS))
        world.enrichments.append({"item_kind": "feedback", "item_id": f"x{n}", "customer_id": rng.choice(customers),
                                  "source": rng.choice(["review", "comment"]), "at": at,
                                  "sentiment": rng.choice([-1, 0, 1, 1])})  # fmt: skip
    for n in range(80):
        opened = T0 + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        # Whole seconds, as help desks export them.
        first = opened + timedelta(seconds=rng.randint(360, 30 * 3600)) if rng.random() < 0.9 else None
        resolved = opened + timedelta(seconds=rng.randint(3600, 20 * 86400)) if rng.random() < 0.75 else None
        csat = rng.randint(1, 5) if resolved and rng.random() < 0.6 else None  # asked after resolution; some answer
        world.tickets.append({"ticket_id": f"t{n}", "customer_id": rng.choice(customers), "channel": "email",
                              "created_at": opened, "first_response_at": first, "resolved_at": resolved,
                              "contacts": rng.choice([1, 1, 2, 3]), "reopened": rng.random() < 0.1,
                              "csat": csat})  # fmt: skip
    world.tables["orders"] = _table("orders", world.orders, currency="USD")
    world.tables["feedback"] = _table("feedback", world.feedback)
    world.tables["enrichments"] = _table("enrichments", world.enrichments)
    world.tables["tickets"] = _table("tickets", world.tickets)
    return world


def _table(name: str, rows: list[dict[str, Any]], **extra: Any) -> pa.Table:
    from suara.store.warehouse import FACTS

    full = [{c: None for c in FACTS[name]} | {"workspace_id": WS} | extra | r for r in rows]
    return to_arrow(name, full)


WORLD = build()
