"""Rules on a small warehouse (DuckDB and Spark alike), and the check that records one alert per incident."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from suara.act.alerts import (
    AlertRuleCreate,
    AnomalyRule,
    ThresholdRule,
    acknowledge,
    add_rule,
    check_alerts,
    evaluate_rule,
    list_alerts,
    parse_definition,
)
from suara.runtime import Runtime
from suara.store.app import create_workspace
from tests.conftest import response
from tests.parity import fact_tables, warehouse_on

WS = "ws_shop"
DAY0 = date(2026, 1, 5)
DAYS = 45
ERROR_DAY = 40  # `checkout_error` first appears on mobile
SPIKE_DAY = 42  # page views triple


def _event(name: str, day: int, i: int, platform: str) -> dict[str, Any]:
    at = datetime.combine(DAY0 + timedelta(days=day), datetime.min.time()) + timedelta(minutes=10 + i)
    return {
        "type": "track",
        "event": name,
        "userId": f"u{i}",
        "messageId": f"{name}-{day}-{i}",
        "timestamp": at.isoformat() + "Z",
        "properties": {"platform": platform},
    }


def shop_events() -> list[dict[str, Any]]:
    """Steady page views on two platforms, a new error on mobile from ERROR_DAY, a spike on SPIKE_DAY."""
    out = []
    for day in range(DAYS):
        views = 20 + day % 3 + (40 if day == SPIKE_DAY else 0)
        out += [_event("page_view", day, i, "web" if i % 2 else "mobile") for i in range(views)]
        if day >= ERROR_DAY:
            out += [_event("checkout_error", day, 100 + i, "mobile") for i in range(6)]
    return out


AS_OF = datetime.combine(DAY0 + timedelta(days=DAYS), datetime.min.time())


def _anomaly(**fields: Any) -> AnomalyRule:
    return AnomalyRule(kind="anomaly", **fields)


def test_event_rules_find_the_new_error_and_the_spike(engine: str) -> None:
    wh = warehouse_on(engine, fact_tables(WS, events=shop_events()))
    counts = evaluate_rule(wh, WS, _anomaly(series="event_count"), AS_OF)
    started = {f.series: f.started_on for f in counts}
    assert started == {
        "event=checkout_error": DAY0 + timedelta(days=ERROR_DAY),
        "event=page_view": DAY0 + timedelta(days=SPIKE_DAY),
    }
    by_platform = evaluate_rule(wh, WS, _anomaly(series="event_count", events=["checkout_error"], by="platform"), AS_OF)
    assert [(f.series, f.started_on) for f in by_platform] == [
        ("event=checkout_error, platform=mobile", DAY0 + timedelta(days=ERROR_DAY))
    ]
    web_only = evaluate_rule(wh, WS, _anomaly(series="event_count", filters={"platform": ["web"]}), AS_OF)
    assert {f.series for f in web_only} == {"event=page_view"}
    share = evaluate_rule(wh, WS, _anomaly(series="error_share"), AS_OF)
    assert [(f.series, f.started_on, f.recovered_on) for f in share] == [
        ("share=errors", DAY0 + timedelta(days=ERROR_DAY), None)
    ]
    assert "error events share" in share[0].reason and "ongoing since" in share[0].reason


def _nps_responses() -> list[dict[str, Any]]:
    """Two weeks of 40 NPS answers: the first mostly promoters, the second mostly detractors."""
    out = []
    for week, scores in ((0, [10] * 30 + [5] * 10), (1, [10] * 10 + [3] * 30)):
        for i, score in enumerate(scores):
            day = DAY0 + timedelta(days=7 * week + i % 5)
            out.append(response(f"c{week}-{i}", day.isoformat(), nps=score, response_id=f"r{week}-{i}"))
    return out


def test_threshold_rules_judge_complete_periods(engine: str) -> None:
    wh = warehouse_on(engine, fact_tables(WS, responses=_nps_responses()))
    as_of = datetime.combine(DAY0 + timedelta(days=16), datetime.min.time())  # in the third week
    below = evaluate_rule(wh, WS, ThresholdRule(kind="threshold", metric="nps", below=20), as_of)
    assert [(f.started_on, f.recovered_on) for f in below] == [(DAY0 + timedelta(days=7), None)]
    assert "under 20" in below[0].reason and below[0].observed == pytest.approx(-50)
    drop = evaluate_rule(wh, WS, ThresholdRule(kind="threshold", metric="nps", change="drop"), as_of)
    assert len(drop) == 1 and "fell 100.0 against the previous week" in drop[0].reason
    rise = evaluate_rule(wh, WS, ThresholdRule(kind="threshold", metric="nps", change="rise"), as_of)
    assert rise == []
    too_few = evaluate_rule(wh, WS, ThresholdRule(kind="threshold", metric="nps", below=20, min_n=41), as_of)
    assert too_few == []


def test_rule_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        parse_definition({"kind": "threshold", "metric": "nope", "below": 1})
    with pytest.raises(ValueError, match="give a condition"):
        parse_definition({"kind": "threshold", "metric": "nps"})
    with pytest.raises(ValueError, match="needs `metric`"):
        parse_definition({"kind": "anomaly", "series": "metric"})
    with pytest.raises(ValueError, match="kind"):
        parse_definition({"series": "event_count"})


@pytest.fixture
def shop(runtime: Runtime) -> str:
    with runtime.app.session() as s:
        ws = create_workspace(s, "shop", "Shop").id
    for name, data in fact_tables(ws, events=shop_events()).items():
        runtime.warehouse.load(name, data)
    return ws


def test_checking_again_raises_nothing_new_and_keeps_one_alert_per_incident(runtime: Runtime, shop: str) -> None:
    add_rule(runtime.app, shop, AlertRuleCreate(name="events", definition=_anomaly(series="event_count")))
    add_rule(runtime.app, shop, AlertRuleCreate(name="errors", definition=_anomaly(series="error_share")))
    add_rule(runtime.app, shop, AlertRuleCreate(name="off", enabled=False, definition=_anomaly(series="event_count")))
    first = check_alerts(runtime.app, runtime.warehouse, shop, AS_OF)
    assert sorted(a.series for a in first) == ["event=checkout_error", "event=page_view", "share=errors"]
    assert all(a.status == "open" and a.reason for a in first)
    assert check_alerts(runtime.app, runtime.warehouse, shop, AS_OF) == []
    assert check_alerts(runtime.app, runtime.warehouse, shop, AS_OF + timedelta(hours=1)) == []
    assert len(list_alerts(runtime.app, shop)) == 3

    error = next(a for a in first if a.series == "event=checkout_error")
    acked = acknowledge(runtime.app, shop, error.id)
    assert acked.status == "acknowledged" and acked.acknowledged_at is not None
    assert acknowledge(runtime.app, shop, error.id).acknowledged_at == acked.acknowledged_at

    # A day later the page-view spike is over (three calm days are needed to call it recovered) and the error goes on.
    later = check_alerts(runtime.app, runtime.warehouse, shop, AS_OF + timedelta(days=1))
    assert later == []
    by_series = {a.series: a for a in list_alerts(runtime.app, shop)}
    assert by_series["event=checkout_error"].status == "acknowledged"
    assert by_series["event=checkout_error"].last_flagged_on == DAY0 + timedelta(days=DAYS - 1)
    assert by_series["event=page_view"].recovered_on == DAY0 + timedelta(days=SPIKE_DAY + 1)
    assert by_series["event=page_view"].status == "resolved"
    assert [a.series for a in list_alerts(runtime.app, shop, "resolved")] == ["event=page_view"]


def test_raised_and_resolved_alerts_reach_subscribed_webhooks_once(runtime: Runtime, shop: str) -> None:
    from sqlalchemy import select

    from suara.act.alerts import check_all
    from suara.notify.tables import OutboxMessage
    from suara.notify.webhooks import EndpointRepo

    with runtime.app.session() as s:
        repo = EndpointRepo(s, shop)
        hook = repo.create("https://hooks.example/alerts", events=["alert.*"])
        repo.create("https://hooks.example/cases", events=["case.*"])  # not subscribed: gets nothing
        hook_id = hook.id
    add_rule(runtime.app, shop, AlertRuleCreate(name="events", definition=_anomaly(series="event_count")))

    def queued() -> list[tuple[str, str, str]]:
        with runtime.app.session() as s:
            rows = s.scalars(select(OutboxMessage).where(OutboxMessage.workspace_id == shop).order_by(OutboxMessage.id))
            return [(m.target, m.payload["event"], m.payload["data"]["series"]) for m in rows]

    raised = check_alerts(runtime.app, runtime.warehouse, shop, AS_OF)
    assert sorted(a.series for a in raised) == ["event=checkout_error", "event=page_view"]
    first = queued()
    assert sorted(first) == sorted((str(hook_id), "alert.raised", a.series) for a in raised)
    check_alerts(runtime.app, runtime.warehouse, shop, AS_OF)  # the same incidents: nothing new to tell
    assert queued() == first
    # A day later the page-view spike has recovered: one `alert.resolved`, the ongoing error says nothing more.
    check_alerts(runtime.app, runtime.warehouse, shop, AS_OF + timedelta(days=1))
    assert queued()[len(first) :] == [(str(hook_id), "alert.resolved", "event=page_view")]
    # The background job checks each workspace at most every CHECK_EVERY_S: a second pass right after does nothing.
    check_all(runtime)
    after_job = queued()
    assert check_all(runtime) == 0 and queued() == after_job
