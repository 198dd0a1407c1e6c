"""Ground truth: the ecom clickstream's planted incidents, found through the rules a product would run.

The file plants a mobile checkout loop bug (9 April to 9 May 2024: `checkout_bug`, mobile sessions looping back to
add_to_cart), a payment gateway incident (19 May to 7 June: `payment_error`) and, besides, a viral-article traffic
spike (29 February to 3 March). The rules watch event volume per event name and the share of error events, overall
and per platform. Each incident must be raised within a day of its first trace in the data, with at most one false
alert per clean month.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import orjson
import pandas as pd
import pytest

from suara.act.alerts import AnomalyRule, Finding, evaluate_rule
from suara.store.warehouse import Warehouse, to_arrow
from tests.conftest import SHARED_DATA

ECOM = SHARED_DATA / "clickstream" / "ecom" / "ecom.csv.gz"
WS = "ws_ecom"
# The planted stories (inclusive days, as the generator draws them) and the series each one moves.
BUG = (date(2024, 4, 9), date(2024, 5, 10), {"checkout_bug", "add_to_cart", "cart", "shipping_details", "errors"})
PAYMENT = (date(2024, 5, 19), date(2024, 6, 8), {"payment_error", "payment_details", "support_chat", "errors"})
VIRAL = (date(2024, 2, 29), date(2024, 3, 3), None)  # more traffic of every kind
STORIES = {"checkout bug": BUG, "payment incident": PAYMENT, "viral article": VIRAL}
RULES = [
    {"series": "event_count"},
    {"series": "event_count", "by": "platform"},
    {"series": "error_share"},
    {"series": "error_share", "by": "platform"},
]

pytestmark = pytest.mark.skipif(not ECOM.exists(), reason="the shared ecom clickstream is not here")


@pytest.fixture(scope="module")
def clicks() -> pd.DataFrame:
    df = pd.read_csv(ECOM)
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


@pytest.fixture(scope="module")
def findings(clicks: pd.DataFrame) -> list[Finding]:
    n = len(clicks)
    properties = [
        orjson.dumps({"platform": p, "session_id": s}).decode()
        for p, s in zip(clicks.platform, clicks.session_id, strict=True)
    ]
    events = to_arrow(
        "events",
        {
            "workspace_id": [WS] * n,
            "event_id": [f"e{i}" for i in range(n)],
            "type": ["track"] * n,
            "event": clicks.event.tolist(),
            "customer_id": clicks.user_id.tolist(),
            "anonymous_id": [None] * n,
            "timestamp": clicks.timestamp.tolist(),
            "properties": properties,
            "ingested_at": clicks.timestamp.tolist(),
        },
    )
    wh = Warehouse.open_duckdb()
    wh.load("events", events)
    as_of = datetime.combine(clicks.timestamp.max().date() + timedelta(days=1), datetime.min.time())
    out: list[Finding] = []
    for extra in RULES:
        rule = AnomalyRule(kind="anomaly", lookback_days=200, **extra)  # type: ignore[arg-type]
        out += evaluate_rule(wh, WS, rule, as_of)
    wh.close()
    return out


def _name(f: Finding) -> str:
    first = f.series.split(", ")[0]
    return first.split("=", 1)[1]


def _story(f: Finding) -> str | None:
    for story, (start, end, moved) in STORIES.items():
        if start <= f.started_on <= end and (moved is None or _name(f) in moved):
            return story
    return None


def _first_trace(clicks: pd.DataFrame, event: str, window: tuple[date, date, object]) -> date:
    days = clicks.loc[clicks.event == event, "timestamp"].dt.date
    return min(d for d in days if window[0] <= d <= window[1])


def test_the_checkout_bug_is_raised_within_a_day_of_its_first_trace(
    clicks: pd.DataFrame, findings: list[Finding]
) -> None:
    # No mobile session reached the broken shipping step before the first `checkout_bug`: that is the first trace.
    first = _first_trace(clicks, "checkout_bug", BUG)
    raised = min(f.started_on for f in findings if _story(f) == "checkout bug")
    assert first <= raised <= first + timedelta(days=1)
    bug = [f for f in findings if f.series == "event=checkout_bug"]
    assert len(bug) == 1, "one alert for the whole incident"
    assert bug[0].recovered_on is not None and BUG[1] <= bug[0].recovered_on <= BUG[1] + timedelta(days=3)
    assert any(f.series == "event=checkout_bug, platform=mobile" for f in findings)


def test_the_payment_incident_is_raised_within_a_day_of_its_start(
    clicks: pd.DataFrame, findings: list[Finding]
) -> None:
    first = _first_trace(clicks, "payment_error", PAYMENT)
    assert first == PAYMENT[0]
    raised = min(f.started_on for f in findings if _story(f) == "payment incident")
    assert PAYMENT[0] <= raised <= PAYMENT[0] + timedelta(days=1)
    for series in ("event=payment_error", "share=errors"):
        alerts = [f for f in findings if f.series == series]
        assert len(alerts) == 1, f"{series}: one alert for the whole incident, got {len(alerts)}"
        assert alerts[0].started_on <= PAYMENT[0] + timedelta(days=1)
        assert alerts[0].recovered_on is not None and alerts[0].recovered_on > PAYMENT[1]


def test_at_most_one_false_alert_per_clean_month(clicks: pd.DataFrame, findings: list[Finding]) -> None:
    days = pd.date_range(clicks.timestamp.min().normalize(), clicks.timestamp.max().normalize(), freq="D")
    judged = days[28:]  # the first four weeks are the baseline's warm-up
    clean = [d.date() for d in judged if not any(s <= d.date() <= e for s, e, _ in STORIES.values())]
    months = len(clean) / 30.44
    false = [f for f in findings if _story(f) is None]
    print(f"\nfalse alerts: {len(false)} over {months:.2f} clean months ({len(clean)} days)")
    for f in false:
        print(f"  {f.started_on} {f.series}: {f.reason}")
    assert months > 2.5
    assert len(false) <= months
