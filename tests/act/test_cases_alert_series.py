"""The series the alerts page charts around an incident, against counts made by hand from the same events."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from suara.act.alert_series import AFTER_DAYS, BEFORE_DAYS, alert_series
from suara.act.alerts import evaluate_rule, parse_definition
from tests.act.test_alerts import AS_OF, DAY0, SPIKE_DAY, WS, shop_events
from tests.parity import fact_tables, warehouse_on


def test_event_count_series_around_the_spike_matches_hand_counts() -> None:
    events = shop_events()
    wh = warehouse_on("duckdb", fact_tables(WS, events=events))
    definition = {"kind": "anomaly", "series": "event_count", "events": ["page_view"]}
    (finding,) = evaluate_rule(wh, WS, parse_definition(definition), AS_OF)
    assert finding.started_on == DAY0 + timedelta(days=SPIKE_DAY)
    got = alert_series(wh, WS, definition, finding.series, finding.started_on, finding.last_flagged_on)

    by_day = Counter(e["timestamp"][:10] for e in events if e["event"] == "page_view")
    start = finding.started_on - timedelta(days=BEFORE_DAYS)
    days = (finding.last_flagged_on + timedelta(days=AFTER_DAYS) - start).days
    assert got.x == [(start + timedelta(days=i)).isoformat() for i in range(days)]
    assert got.value == [float(by_day.get(x, 0)) for x in got.x]
    assert max(got.value, key=lambda v: v or 0) == got.value[BEFORE_DAYS]  # the spike is the incident's first day


def test_threshold_series_is_the_measure_by_period() -> None:
    definition = {"kind": "threshold", "metric": "nps", "period": "week", "below": 0}
    wh = warehouse_on("duckdb", fact_tables(WS, events=shop_events()))
    got = alert_series(wh, WS, definition, "", DAY0, None)
    assert got.label == "NPS" and got.value == []  # no answers: an empty series, not an error
