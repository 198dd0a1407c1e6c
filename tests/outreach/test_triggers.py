"""Trigger rules through the scheduler: delays, property filters, "no Y within the window" cancellation, quiet hours
in the customer's zone, sampling, quotas, and restarts that neither lose nor repeat a contact."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from suara.collect import feed
from suara.notify.tables import OutboxMessage
from suara.outreach import scheduler
from suara.outreach.decisions import decisions
from suara.outreach.policy import sampled
from suara.outreach.scheduler import CONSUMER, decide_due, run_pass, schedule
from suara.outreach.tables import OutreachJob
from suara.outreach.triggers import TEMPLATES, TriggerCreate, parse_duration
from suara.surveys.links import read_link
from tests.outreach.conftest import World, at


def _log(world: World) -> list[tuple[str, str, str]]:
    with world.rt.app.session() as s:
        return [(d.customer_id, d.outcome, d.reason) for d in reversed(decisions(s, world.workspace_id, limit=1000))]


def _outbox(world: World) -> list[OutboxMessage]:
    with world.rt.app.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_templates_and_durations_validate() -> None:
    for name, definition in TEMPLATES.items():
        TriggerCreate(name=name, definition=definition)  # type: ignore[arg-type]
    assert parse_duration("2h") == timedelta(hours=2) and parse_duration(90) == timedelta(seconds=90)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("2 hours")


def test_post_purchase_csat_two_hours_later_with_a_property_filter(world: World) -> None:
    world.identify("ana", email="ana@shop.example", timezone="Asia/Jakarta", locale="id")
    world.identify("ben", email="ben@shop.example")
    world.rule(
        "csat", on={"event": "order_delivered", "where": {"express": True}}, delay="2h", survey="post-purchase-csat"
    )
    world.track("ana", "order_delivered", "2026-03-02T01:00:00", express=True)
    world.track("ben", "order_delivered", "2026-03-02T01:00:00", express=False)
    world.track("ana", "page_view", "2026-03-02T01:05:00")
    run_pass(world.rt, now=at("2026-03-02T02:00"))
    assert _log(world) == [] and _outbox(world) == []  # not due yet
    run_pass(world.rt, now=at("2026-03-02T03:00"))
    assert _log(world) == [("ana", "queued", "queued")]
    (msg,) = _outbox(world)
    assert (msg.channel, msg.target, msg.due_at) == ("survey_email", "ana@shop.example", at("2026-03-02T03:00"))
    p = msg.payload
    link = read_link(world.rt.settings.resolved_secret(), p["token"])
    assert (link.survey_key, link.customer_id, link.locale) == ("post-purchase-csat", "ana", "id")
    assert (p["survey_id"], p["version"], p["locale"], p["customer_id"]) == ("post-purchase-csat", 1, "id", "ana")
    assert p["unsubscribe_url"].startswith(p["base_url"] + "/u/") and p["base_url"].startswith("http://")


def test_cart_abandonment_is_cancelled_when_checkout_follows(world: World) -> None:
    for c in ("ana", "ben", "cai"):
        world.identify(c, phone=f"+6281{len(c)}0000{ord(c[0])}")
    world.rule(
        "cart",
        on={"event": "add_to_cart"},
        unless={"event": "checkout", "within": "15m"},
        survey="repurchase-intent",
        channel="sms",
        kind="message",
    )
    world.track("ana", "add_to_cart", "2026-03-02T12:00:00")
    world.track("ana", "checkout", "2026-03-02T12:10:00")  # within the window: cancelled
    world.track("ben", "add_to_cart", "2026-03-02T12:00:00")
    world.track("ben", "checkout", "2026-03-02T12:20:00")  # too late to count
    world.track("cai", "add_to_cart", "2026-03-02T12:00:00")
    run_pass(world.rt, now=at("2026-03-02T12:14"))
    assert _log(world) == []
    run_pass(world.rt, now=at("2026-03-02T12:30"))
    assert sorted(_log(world)) == [
        ("ana", "cancelled", "cancelled: checkout within 15m"),
        ("ben", "queued", "queued"),
        ("cai", "queued", "queued"),
    ]
    assert [m.channel for m in _outbox(world)] == ["sms", "sms"]


def test_quiet_hours_defer_to_the_morning_in_the_customers_zone(world: World) -> None:
    world.identify("ana", email="ana@shop.example", timezone="Asia/Jakarta")
    world.identify("ben", email="ben@shop.example")  # the workspace zone, UTC
    world.rule("exit", on={"event": "app_uninstalled"}, survey="exit-survey")
    world.track("ana", "app_uninstalled", "2026-03-02T16:00:00")  # 23:00 in Jakarta
    world.track("ben", "app_uninstalled", "2026-03-02T16:00:00")  # 16:00 UTC: fine
    run_pass(world.rt, now=at("2026-03-02T16:00"))
    assert sorted(_log(world)) == [
        ("ana", "queued", "deferred: quiet hours until 08:00 Asia/Jakarta"),
        ("ben", "queued", "queued"),
    ]
    by_target = {m.target: m.due_at for m in _outbox(world)}
    assert by_target == {"ana@shop.example": at("2026-03-03T01:00"), "ben@shop.example": at("2026-03-02T16:00")}


def test_caps_suppression_sampling_and_quota_reasons(world: World) -> None:
    customers = [f"c{i:02d}" for i in range(40)]
    for i, c in enumerate(customers):
        world.identify(c, email=f"{c}@shop.example", plan="pro" if i % 2 else "free")
    rid = world.rule(
        "csat",
        on={"event": "order_delivered"},
        survey="post-purchase-csat",
        sample=0.5,
        quota={"trait": "plan", "limit": 3},
    )
    from suara.outreach.suppression import suppress

    with world.rt.app.session() as s:
        suppress(s, world.workspace_id, "c01")
    for c in customers:
        world.track(c, "order_delivered", "2026-03-02T10:00:00")
    run_pass(world.rt, now=at("2026-03-02T10:00"))
    log = {c: (o, r) for c, o, r in _log(world)}
    assert log["c01"] == ("skipped", "skipped: unsubscribed")
    key = f"rule:{rid}"
    picked = [c for c in customers if c != "c01" and sampled(key, c, 0.5)]
    for c in customers[2:]:
        if c not in picked:
            assert log[c] == ("skipped", "skipped: not sampled (share 0.5)")
    queued = [c for c, (o, _) in log.items() if o == "queued"]
    assert sorted(queued) == sorted(
        [c for c in picked if int(c[1:]) % 2][:3] + [c for c in picked if not int(c[1:]) % 2][:3]
    )
    full = [r for c, (o, r) in log.items() if o == "skipped" and "quota" in r]
    assert full and all(
        r in ("skipped: quota plan=pro full (3/3)", "skipped: quota plan=free full (3/3)") for r in full
    )
    # another survey a week later: the cap counts every survey, so each queued customer was surveyed 7 days ago
    world.rule("exit", on={"event": "app_uninstalled"}, survey="exit-survey")
    for c in queued:
        world.track(c, "app_uninstalled", "2026-03-09T10:00:00")
    run_pass(world.rt, now=at("2026-03-09T10:00"))
    later = [(o, r) for c, o, r in _log(world)[len(log) :]]
    assert later == [("skipped", "skipped: surveyed 7 days ago")] * len(queued)


def test_rereading_events_makes_no_second_job(world: World) -> None:
    world.identify("ana", email="ana@shop.example")
    world.rule("csat", on={"event": "order_delivered"}, delay="2h", survey="post-purchase-csat")
    world.track("ana", "order_delivered", "2026-03-02T01:00:00")
    schedule(world.rt, now=at("2026-03-02T01:00"))
    with world.rt.app.session() as s:
        s.execute(feed.FeedCursor.__table__.delete().where(feed.FeedCursor.consumer == CONSUMER))
    schedule(world.rt, now=at("2026-03-02T01:00"))  # the whole feed again
    with world.rt.app.session() as s:
        assert s.scalar(select(func.count()).select_from(OutreachJob)) == 1


def test_with_no_rule_enabled_the_feed_is_skipped_unread_and_a_new_rule_fires_on_later_events(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.identify("ana", email="ana@shop.example")
    world.track("ana", "order_delivered", "2026-03-02T01:00:00")
    monkeypatch.setattr(feed, "read", lambda *a, **k: pytest.fail("read with no rule enabled"))
    assert schedule(world.rt, now=at("2026-03-02T01:00")) == 0
    monkeypatch.undo()
    world.rule("csat", on={"event": "order_delivered"}, delay="2h", survey="post-purchase-csat")
    world.track("ana", "order_delivered", "2026-03-02T05:00:00")
    assert schedule(world.rt, now=at("2026-03-02T05:00")) == 1  # only the event after the rule
    with world.rt.app.session() as s:
        assert s.scalar(select(func.count()).select_from(OutreachJob)) == 1


def test_a_crash_mid_pass_loses_and_repeats_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for c in ("ana", "ben"):
        world.identify(c, email=f"{c}@shop.example")
    world.rule("csat", on={"event": "order_delivered"}, survey="post-purchase-csat")
    world.track("ana", "order_delivered", "2026-03-02T10:00:00")
    real = scheduler._insert_jobs

    def boom(*args: object, **kw: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(scheduler, "_insert_jobs", boom)  # dies while storing the jobs: the cursor stays
    with pytest.raises(RuntimeError):
        schedule(world.rt, now=at("2026-03-02T10:00"))
    monkeypatch.setattr(scheduler, "_insert_jobs", real)
    world.track("ben", "order_delivered", "2026-03-02T10:00:00")
    monkeypatch.setattr(scheduler, "process", boom)  # dies while deciding: nothing of the pass is stored
    schedule(world.rt, now=at("2026-03-02T10:00"))
    with pytest.raises(RuntimeError):
        decide_due(world.rt, now=at("2026-03-02T10:00"))
    assert _log(world) == [] and _outbox(world) == []
    monkeypatch.undo()
    run_pass(world.rt, now=at("2026-03-02T10:00"))
    run_pass(world.rt, now=at("2026-03-02T10:05"))
    assert sorted(_log(world)) == [("ana", "queued", "queued"), ("ben", "queued", "queued")]
    assert len(_outbox(world)) == 2


def test_history_is_not_a_reason_to_write_today(world: World) -> None:
    world.identify("ana", email="ana@shop.example")
    world.rule("csat", on={"event": "order_delivered"}, survey="post-purchase-csat")
    world.track("ana", "order_delivered", "2025-06-01T10:00:00")
    run_pass(world.rt, now=at("2026-03-02T10:00"))
    assert _log(world) == []


def test_jobs_for_is_pure_over_a_frame() -> None:
    from suara.outreach.triggers import TriggerDefinition

    rule = TriggerDefinition.model_validate({"on": {"event": "x", "where": {"n": 2}}, "delay": "1h", "survey": "s"})
    events = pd.DataFrame(
        {
            "workspace_id": ["w", "w", "w", "v"],
            "event_id": ["a", "b", "c", "d"],
            "event": ["x", "x", "y", "x"],
            "customer_id": ["ana", None, "ana", "ana"],
            "timestamp": pd.to_datetime(["2026-03-02 10:00"] * 4),
            "properties": ['{"n": 2.0}', '{"n": 2}', "{}", '{"n": 2}'],
        }
    )
    (job,) = scheduler.jobs_for(events, {"w": [(7, rule)]}, at("2026-03-02T10:00"))
    assert (job["source_id"], job["rule_id"], job["due_at"]) == ("a", 7, at("2026-03-02T11:00"))


def test_the_background_runner_runs_the_outreach_job(world: World) -> None:
    from datetime import UTC, datetime

    from suara.background import JOBS
    from suara.background import run_pass as background_pass

    assert JOBS["outreach"] == "suara.outreach.scheduler:run_pass"
    world.identify("ana", email="ana@shop.example")
    world.rule("exit", on={"event": "app_uninstalled"}, survey="exit-survey")
    world.track("ana", "app_uninstalled", (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert background_pass(world.rt, ["outreach"])["outreach"] >= 2  # the event read and its job decided
    assert [o for _, o, _ in _log(world)] == ["queued"]
