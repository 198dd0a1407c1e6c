"""Every registered measure against an independent computation from the raw records, on DuckDB and on Spark.

The expected values are computed here in plain Python (and scipy for intervals) from the records `world.py` made,
never from the warehouse; the engines must agree with them and with each other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import mean

import numpy as np
import pytest
from scipy import stats as sps

from suara.errors import UnknownField, ValidationFailed
from suara.metrics import MEASURES, MetricSpec, run_metric
from suara.metrics.segments import SegmentDefinition
from suara.metrics.spec import MetricResult
from tests.metrics.world import DAYS, T0, WORLD, WS
from tests.parity import duckdb_warehouse, warehouse_on

GAP = 1800


@pytest.fixture(scope="module")
def duck():  # type: ignore[no-untyped-def]
    return duckdb_warehouse(WORLD.tables)


def run(engine: str, spec: MetricSpec, **kw) -> MetricResult:  # type: ignore[no-untyped-def]
    return run_metric(warehouse_on(engine, WORLD.tables), WS, spec, **kw)


def wilson(hits: float, n: int) -> tuple[float, float, float]:
    ci = sps.binomtest(int(hits), n).proportion_ci(0.95, method="wilson")
    return 100 * hits / n, 100 * ci.low, 100 * ci.high


def t_interval(xs: list[float]) -> tuple[float, float, float]:
    m = float(np.mean(xs))
    lo, hi = sps.t.interval(0.95, len(xs) - 1, loc=m, scale=sps.sem(xs))
    return m, float(lo), float(hi)


def assert_estimate(r: MetricResult, expected: tuple[float, float, float], n: int) -> None:
    assert r.n == n
    assert (r.value, r.ci_low, r.ci_high) == pytest.approx(expected, rel=1e-9, abs=1e-9)


# -- satisfaction --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("metric", "kind", "threshold"),
    [
        ("csat", "csat", 4),
        ("ces_easy", "ces", 5),
        ("attitudinal", "attitudinal", 4),
        ("repurchase_intent", "repurchase", 4),
    ],
)
def test_top_box_shares_match_scipy_wilson(engine: str, metric: str, kind: str, threshold: int) -> None:
    xs = [v for _, _, k, v in WORLD.answers if k == kind]
    hits = sum(v >= threshold for v in xs)
    assert_estimate(run(engine, MetricSpec(metric=metric)), wilson(hits, len(xs)), len(xs))


@pytest.mark.parametrize(("metric", "kind"), [("csat_mean", "csat"), ("ces", "ces"), ("ces_effort", "ces_effort")])
def test_means_match_scipy_t(engine: str, metric: str, kind: str) -> None:
    xs = [v for _, _, k, v in WORLD.answers if k == kind]
    assert_estimate(run(engine, MetricSpec(metric=metric)), t_interval(xs), len(xs))


def test_ces_effort_scale_says_lower_is_better() -> None:
    from suara.domain.scales import SCALES

    assert not SCALES["ces_effort"].higher_is_better and SCALES["ces"].higher_is_better
    assert "lower is better" in MEASURES["ces_effort"].unit


def test_review_rating_mean_and_distribution(engine: str) -> None:
    rows = [f for f in WORLD.feedback if f["source"] != "trustpilot"]
    xs = [f["rating"] for f in rows]
    r = run(engine, MetricSpec(metric="review_rating", options={"sources": "app_store,google_play"}))
    assert_estimate(r, t_interval(xs), len(xs))
    assert r.distribution is not None
    for level in r.distribution:
        count = sum(x == level.level for x in xs)
        assert level.count == count
        assert (level.share, level.ci_low, level.ci_high) == pytest.approx(wilson(count, len(xs)))


def test_sentiment_index_is_net_positive(engine: str) -> None:
    s = [e["sentiment"] for e in WORLD.enrichments]
    r = run(engine, MetricSpec(metric="sentiment_index"))
    assert r.n == len(s)
    assert r.value == pytest.approx(100 * (s.count(1) - s.count(-1)) / len(s))
    assert r.ci_low < r.value < r.ci_high


# -- retention -----------------------------------------------------------------------------------------------------
def _activity() -> dict[str, set[date]]:
    days: dict[str, set[date]] = defaultdict(set)
    for e in WORLD.events:
        if e["customer"]:
            days[e["customer"]].add(e["at"].date())
    for o in WORLD.orders:
        days[o["customer_id"]].add(o["ordered_at"].date())
    for c, at, _, _ in WORLD.answers:
        days[c].add(at.date())
    return days


def _month_starts() -> list[datetime]:
    return [datetime(2026, 2, 1), datetime(2026, 3, 1), datetime(2026, 4, 1)]


def test_churn_rate_by_inactivity_matches_brute_force(engine: str) -> None:
    days, window = _activity(), 30

    def active(c: str, t: datetime) -> bool:
        return any(t - timedelta(days=window) <= datetime(d.year, d.month, d.day) < t for d in days[c])

    spec = MetricSpec(metric="churn_rate", period="month", start="2026-02-01T00:00:00", end="2026-04-01T00:00:00",
                      options={"window_days": window})  # fmt: skip
    r = run(engine, spec)
    points = _month_starts()
    for (t, t_next), got in zip(zip(points, points[1:], strict=False), r.series, strict=True):
        at_start = [c for c in days if active(c, t)]
        lost = [c for c in at_start if not active(c, t_next)]
        assert got.key["period"] == t.date().isoformat()
        assert got.n == len(at_start) and got.value == pytest.approx(100 * len(lost) / len(at_start))


def test_churn_rate_by_subscription_status(engine: str) -> None:
    def status(c: str, t: datetime) -> str | None:
        seen = [(at, s) for cc, at, s in WORLD.status if cc == c and at < t]
        return max(seen)[1] if seen else None

    spec = MetricSpec(metric="churn_rate", start="2026-01-15T00:00:00", end="2026-03-15T00:00:00",
                      options={"status_trait": "subscription_status"})  # fmt: skip
    r = run(engine, spec)
    t, t_next = datetime(2026, 1, 15), datetime(2026, 3, 15)
    customers = {c for c, _, _ in WORLD.status}
    at_start = [c for c in customers if status(c, t) == "active"]
    lost = [c for c in at_start if status(c, t_next) != "active"]
    assert lost, "the world must have cancellations in the range"
    assert r.n == len(at_start) and r.value == pytest.approx(100 * len(lost) / len(at_start))


def test_cohort_retention_matches_brute_force(engine: str) -> None:
    days = _activity()

    def week(d: date) -> int:
        return (d - date(1970, 1, 5)).days // 7

    last = max(week(d) for ds in days.values() for d in ds)
    cohorts: dict[int, list[bool]] = defaultdict(list)
    for ds in days.values():
        first = min(week(d) for d in ds)
        if first + 2 <= last:
            cohorts[first].append(any(week(d) == first + 2 for d in ds))
    r = run(engine, MetricSpec(metric="retention", period="week", options={"offset": 2}))
    got = {g.key["period"]: (g.n, g.value) for g in r.series}
    expected = {
        (date(1970, 1, 5) + timedelta(weeks=w)).isoformat(): (len(v), 100 * sum(v) / len(v)) for w, v in cohorts.items()
    }
    assert got.keys() == expected.keys()
    for k, (n, value) in expected.items():
        assert got[k][0] == n and got[k][1] == pytest.approx(value)


def _paid_by_customer_month() -> dict[tuple[str, int], list[float]]:
    out: dict[tuple[str, int], list[float]] = defaultdict(list)
    for o in WORLD.orders:
        if o["status"] == "completed":
            out[(o["customer_id"], o["ordered_at"].month)].append(o["amount"])
    return out


def test_repeat_purchase_rate_and_revenue_per_customer(engine: str) -> None:
    per = _paid_by_customer_month()
    r = run(engine, MetricSpec(metric="repeat_purchase_rate", period="month"))
    clv = run(engine, MetricSpec(metric="clv", period="month"))
    for month, (got, got_clv) in zip((1, 2, 3), zip(r.series, clv.series, strict=True), strict=True):
        units = [v for (c, m), v in per.items() if m == month]
        assert got.n == len(units) and got.value == pytest.approx(100 * sum(len(u) >= 2 for u in units) / len(units))
        revenue = [sum(u) for u in units]
        assert (got_clv.value, got_clv.ci_low, got_clv.ci_high) == pytest.approx(t_interval(revenue))


# -- engagement ----------------------------------------------------------------------------------------------------
def _sessions() -> list[dict]:  # type: ignore[type-arg]
    by_visitor: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for e in WORLD.events:
        by_visitor[e["visitor"]].append(e)
    out = []
    for evs in by_visitor.values():
        evs.sort(key=lambda e: e["at"])
        current: list[dict] = []  # type: ignore[type-arg]
        for e in evs:
            if current and (e["at"] - current[-1]["at"]).total_seconds() > GAP:
                out.append(current)
                current = []
            current.append(e)
        out.append(current)
    return [
        {
            "visitor": s[0]["visitor"],
            "at": s[0]["at"],
            "events": len(s),
            "duration": (s[-1]["at"] - s[0]["at"]).total_seconds(),
            "converted": any(e["event"] == "order_completed" for e in s),
            "carted": any(e["event"] == "add_to_cart" for e in s),
            "failed": any(e["event"] == "payment_failed" for e in s),
        }
        for s in out
    ]


SESSIONS = _sessions()


@pytest.mark.parametrize(
    ("metric", "unit", "hit"),
    [
        ("conversion_rate", None, lambda s: s["converted"]),
        ("bounce_rate", None, lambda s: s["events"] == 1),
        ("error_rate", None, lambda s: s["failed"]),
        ("cart_abandonment_rate", "carted", lambda s: not s["converted"]),
    ],
)
def test_session_shares_match_brute_force(engine: str, metric: str, unit: str | None, hit) -> None:  # type: ignore[no-untyped-def]
    units = [s for s in SESSIONS if unit is None or s[unit]]
    hits = sum(bool(hit(s)) for s in units)
    assert_estimate(run(engine, MetricSpec(metric=metric)), wilson(hits, len(units)), len(units))


def test_visits_per_visitor_and_repeat_visitors_by_week(engine: str) -> None:
    per: dict[tuple[str, date], int] = defaultdict(int)
    for s in SESSIONS:
        d = s["at"].date()
        per[(s["visitor"], d - timedelta(days=d.weekday()))] += 1
    freq = run(engine, MetricSpec(metric="visit_frequency", period="week"))
    rep = run(engine, MetricSpec(metric="repeat_visit_rate", period="week"))
    for f, r in zip(freq.series, rep.series, strict=True):
        wk = date.fromisoformat(f.key["period"])
        visits = [v for (_, w), v in per.items() if w == wk]
        assert f.n == len(visits) and f.value == pytest.approx(mean(visits))
        assert r.value == pytest.approx(100 * sum(v >= 2 for v in visits) / len(visits))


def _check_quantile(r: MetricResult, xs: list[float], q: float) -> None:
    assert r.n == len(xs) and r.value == pytest.approx(float(np.quantile(xs, q)))
    # The interval is a percentile bootstrap; scipy's, with its own resamples, must land close to ours.
    ref = sps.bootstrap((np.array(xs),), lambda a, axis: np.quantile(a, q, axis=axis), method="percentile",
                        n_resamples=4000, random_state=1).confidence_interval  # fmt: skip
    spread = max(xs) - min(xs)
    assert abs(r.ci_low - ref.low) < 0.05 * spread and abs(r.ci_high - ref.high) < 0.05 * spread
    assert r.ci_low <= r.value <= r.ci_high


def test_time_on_site_median(engine: str) -> None:
    _check_quantile(run(engine, MetricSpec(metric="time_on_site")), [s["duration"] for s in SESSIONS], 0.5)


@pytest.mark.parametrize(("metric", "q"), [("page_load_p50", 0.5), ("page_load_p90", 0.9)])
def test_page_load_percentiles(engine: str, metric: str, q: float) -> None:
    xs = [float(e["props"]["load_ms"]) for e in WORLD.events if e["type"] == "page"]
    _check_quantile(run(engine, MetricSpec(metric=metric)), xs, q)


def test_task_success_and_time_on_task(engine: str) -> None:
    tasks = [e["props"] for e in WORLD.events if e["event"] == "task" and e["props"]["task"] == "search"]
    ok = [t for t in tasks if t["success"]]
    r = run(engine, MetricSpec(metric="task_success_rate", options={"task": "search"}))
    assert_estimate(r, wilson(len(ok), len(tasks)), len(tasks))
    _check_quantile(run(engine, MetricSpec(metric="time_on_task", options={"task": "search"})),
                    [float(t["duration_s"]) for t in ok], 0.5)  # fmt: skip


def test_adoption_rate_new_over_active(engine: str) -> None:
    first: dict[str, date] = {}
    active: dict[date, set[str]] = defaultdict(set)
    for e in WORLD.events:
        d = e["at"].date().replace(day=1)
        first[e["visitor"]] = min(first.get(e["visitor"], d), d)
        active[d].add(e["visitor"])
    r = run(engine, MetricSpec(metric="adoption_rate", period="month"))
    for g in r.series:
        month = date.fromisoformat(g.key["period"])
        who = active[month]
        assert g.n == len(who) and g.value == pytest.approx(100 * sum(first[v] == month for v in who) / len(who))


# -- support -------------------------------------------------------------------------------------------------------
def test_first_response_resolution_and_fcr(engine: str) -> None:
    t = WORLD.tickets
    first = [(x["first_response_at"] - x["created_at"]).total_seconds() / 3600 for x in t if x["first_response_at"]]
    resolved = [x for x in t if x["resolved_at"]]
    hours = [(x["resolved_at"] - x["created_at"]).total_seconds() / 3600 for x in resolved]
    _check_quantile(run(engine, MetricSpec(metric="first_response_time")), first, 0.5)
    _check_quantile(run(engine, MetricSpec(metric="resolution_time")), hours, 0.5)
    fcr = sum(x["contacts"] <= 1 and not x["reopened"] for x in resolved)
    assert_estimate(run(engine, MetricSpec(metric="fcr_rate")), wilson(fcr, len(resolved)), len(resolved))
    rated = [x["csat"] for x in resolved if x["csat"] is not None]
    assert 0 < len(rated) < len(resolved)
    satisfied = sum(c >= 4 for c in rated)
    assert_estimate(run(engine, MetricSpec(metric="ticket_csat")), wilson(satisfied, len(rated)), len(rated))


def test_backlog_by_age_at_the_end(engine: str) -> None:
    end = T0 + timedelta(days=40)
    open_then = [
        x for x in WORLD.tickets if x["created_at"] < end and (not x["resolved_at"] or x["resolved_at"] >= end)
    ]
    r = run(engine, MetricSpec(metric="backlog", end=end, by=["age"]))
    assert r.value == len(open_then) and r.ci_low is None
    ages = defaultdict(int)
    for x in open_then:
        d = (end - x["created_at"]).total_seconds() / 86400
        ages["0-1d" if d < 1 else "1-3d" if d < 3 else "3-7d" if d < 7 else "7-30d" if d < 30 else "30d+"] += 1
    assert {g.key["age"]: g.value for g in r.groups} == ages


# -- statistics across groups ---------------------------------------------------------------------------------------
def test_each_group_against_the_rest_with_benjamini_hochberg(engine: str) -> None:
    r = run(engine, MetricSpec(metric="csat", by=["country"]))
    xs = [(WORLD.traits[c]["country"], v >= 4) for c, _, k, v in WORLD.answers if k == "csat"]
    ps = []
    for g in r.groups:
        inside = [h for country, h in xs if country == g.key["country"]]
        rest = [h for country, h in xs if country != g.key["country"]]
        table = [[sum(inside), len(inside) - sum(inside)], [sum(rest), len(rest) - sum(rest)]]
        p = sps.chi2_contingency(table, correction=False).pvalue  # the pooled z-test's square is this chi-square
        assert g.vs_rest.p_value == pytest.approx(p, rel=1e-9)
        assert g.vs_rest.delta == pytest.approx(100 * (mean(inside) - mean(rest)))
        ps.append(p)
    assert [g.vs_rest.q_value for g in r.groups] == pytest.approx(list(sps.false_discovery_control(ps)))


def test_raking_to_one_trait_is_post_stratification(duck) -> None:  # type: ignore[no-untyped-def]
    targets = {"ID": 0.4, "MY": 0.4, "RU": 0.2}
    r = run_metric(duck, WS, MetricSpec(metric="csat", rake={"country": targets}))
    by = defaultdict(list)
    for c, _, k, v in WORLD.answers:
        if k == "csat":
            by[WORLD.traits[c]["country"]].append(v >= 4)
    expected = sum(share * 100 * mean(by[k]) for k, share in targets.items())
    assert r.weighted and r.value == pytest.approx(expected, rel=1e-9)
    n = sum(len(v) for v in by.values())
    w = {k: targets[k] * n / len(v) for k, v in by.items()}
    n_eff = sum(w[k] * len(v) for k, v in by.items()) ** 2 / sum(w[k] ** 2 * len(v) for k, v in by.items())
    assert r.n == round(n_eff) and r.n < n
    plain = run_metric(duck, WS, MetricSpec(metric="csat"))
    assert r.ci_high - r.ci_low > plain.ci_high - plain.ci_low  # weighting costs precision


def test_raking_two_traits_matches_unit_level_ipf(duck) -> None:  # type: ignore[no-untyped-def]
    targets = {"country": {"ID": 0.5, "MY": 0.3, "RU": 0.2}, "plan": {"free": 0.5, "pro": 0.5}}
    units = [(WORLD.traits[c], v) for c, _, k, v in WORLD.answers if k == "ces"]
    w = np.ones(len(units))
    for _ in range(500):  # raking on the units themselves, the textbook way
        for trait, shares in targets.items():
            for value, share in shares.items():
                mask = np.array([t[trait] == value for t, _ in units])
                w[mask] *= share * w.sum() / w[mask].sum()
    xs = np.array([v for _, v in units])
    r = run_metric(duck, WS, MetricSpec(metric="ces", rake=targets))
    assert r.value == pytest.approx(float((w * xs).sum() / w.sum()), rel=1e-9)


def test_segments_behavioural_and_by_trait(engine: str) -> None:
    end = datetime(2026, 3, 30)
    buyers = SegmentDefinition.model_validate({"all": [{"orders": {"min": 3, "within_days": 90}}]})
    pro = SegmentDefinition.model_validate({"all": [{"trait": "plan", "in": ["pro"]}]})
    spec = MetricSpec(metric="nps", segments=["buyers", "pro"], end=end)
    r = run(engine, spec, segments={"buyers": buyers, "pro": pro})
    counts = defaultdict(int)
    for o in WORLD.orders:
        if o["status"] == "completed" and end - timedelta(days=90) <= o["ordered_at"] < end:
            counts[o["customer_id"]] += 1
    members = {
        "buyers": {c for c, k in counts.items() if k >= 3},
        "pro": {c for c, t in WORLD.traits.items() if t["plan"] == "pro"},
    }
    for g in r.groups:
        xs = [v for c, at, k, v in WORLD.answers if k == "nps" and c in members[g.key["saved_segment"]] and at < end]
        assert g.n == len(xs)
        assert g.value == pytest.approx(100 * (sum(x >= 9 for x in xs) - sum(x <= 6 for x in xs)) / len(xs))
    one = run(engine, MetricSpec(metric="nps", segments=["pro"], end=end), segments={"pro": pro})
    assert one.groups == [] and one.n == next(g.n for g in r.groups if g.key["saved_segment"] == "pro")


# -- bad input -----------------------------------------------------------------------------------------------------
def test_bad_specs_are_clear_errors(duck) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match="no option 'goal'"):
        run_metric(duck, WS, MetricSpec(metric="nps", options={"goal": "x"}))
    with pytest.raises(ValidationFailed, match="must be int"):
        run_metric(duck, WS, MetricSpec(metric="churn_rate", options={"window_days": "soon"}))
    with pytest.raises(ValidationFailed, match="no segment"):
        run_metric(duck, WS, MetricSpec(metric="nps", segments=["ghosts"]))
    with pytest.raises(ValidationFailed, match="percentile"):
        run_metric(duck, WS, MetricSpec(metric="time_on_site", rake={"country": {"ID": 1}}))
    with pytest.raises(ValidationFailed, match="without a population share"):
        run_metric(duck, WS, MetricSpec(metric="csat", rake={"country": {"ID": 0.5, "MY": 0.5}}))
    with pytest.raises(UnknownField, match="age"):
        run_metric(duck, WS, MetricSpec(metric="conversion_rate", by=["age"]))
    with pytest.raises(ValueError, match="empty"):
        MetricSpec(metric="nps", start="2026-02-01T00:00:00", end="2026-01-01T00:00:00")


def test_a_period_without_data_is_an_explicit_empty_result(duck) -> None:  # type: ignore[no-untyped-def]
    for name in MEASURES:
        if name == "backlog":
            continue
        r = run_metric(duck, WS, MetricSpec(metric=name, start="2030-01-01T00:00:00", end="2030-02-01T00:00:00"))
        assert r.n == 0 and r.value is None and r.ci_low is None, name
        assert not (isinstance(r.value, float) and math.isnan(r.value))


def test_every_measure_is_documented_and_tested() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    for name, m in MEASURES.items():
        assert m.definition and m.label and m.unit
        assert f'"{name}"' in source, f"{name} has no test here"


def test_world_spans_the_range() -> None:
    assert min(e["at"] for e in WORLD.events) >= T0
    assert max(e["at"] for e in WORLD.events) < T0 + timedelta(days=DAYS + 1)
