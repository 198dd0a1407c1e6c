"""The demo generator: deterministic, exact schemas, answers on their scales, the planted NusaCargo story visible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from suara.demo import PLANTED_STORY, generate
from suara.domain.scales import SCALES
from suara.metrics.runner import run_metric
from suara.metrics.spec import MetricSpec
from suara.models.customer_value import CustomerValueSpec, customer_values
from suara.store.warehouse import FACTS, Warehouse, arrow_schema

SMALL = {"customers": 800, "days": 180}


@pytest.fixture(scope="module")
def demo() -> dict[str, pa.Table]:
    return generate("w", **SMALL)


@pytest.fixture(scope="module")
def full() -> dict[str, pa.Table]:
    """The demo at its default size, as `suara demo` builds it."""
    return generate("w")


@pytest.fixture(scope="module")
def full_wh(full: dict[str, pa.Table]) -> Warehouse:
    wh = Warehouse.open_duckdb()
    for name, table in full.items():
        wh.load(name, table)
    return wh


@pytest.fixture(scope="module")
def nps(demo: dict[str, pa.Table]) -> pd.DataFrame:
    """One row per NPS response: score, submitted_at, delivery partner, order and how late that delivery was."""
    answers = demo["answers"].to_pandas()
    responses = demo["responses"].to_pandas()
    fields = demo["response_fields"].to_pandas().pivot(index="response_id", columns="name", values="value")
    events = demo["events"].to_pandas()
    delivered = pd.DataFrame([json.loads(p) for p in events.loc[events.event == "order_delivered", "properties"]])
    scores = answers.loc[answers.kind == "nps", ["response_id", "number"]]
    out = (
        scores.merge(responses[["response_id", "submitted_at"]], on="response_id")
        .merge(fields.reset_index(), on="response_id")
        .merge(delivered[["order_id", "late_days"]], on="order_id", how="left")
    )
    assert len(out) == len(scores) and out.late_days.notna().all()
    return out


def _equal(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> bool:
    return a.keys() == b.keys() and all(a[name].equals(b[name]) for name in a)


def test_default_size_is_deterministic_and_realistic(full: dict[str, pa.Table]) -> None:
    first, second = full, generate("w")
    assert _equal(first, second)
    assert 150_000 <= first["events"].num_rows <= 400_000
    assert 8_000 <= first["responses"].num_rows <= 15_000
    reviews = pc.sum(pc.not_equal(first["feedback"]["source"], "ticket")).as_py()
    assert 1_000 <= reviews <= 2_000


def test_same_seed_same_tables_other_seed_different(demo: dict[str, pa.Table]) -> None:
    assert _equal(generate("w", **SMALL), demo)
    other = generate("w", seed=8, **SMALL)
    assert not any(other[name].equals(demo[name]) for name in ("orders", "events", "responses", "feedback"))


def test_tables_have_the_warehouse_schemas(demo: dict[str, pa.Table]) -> None:
    # Enrichments are not generated: the demo build derives them from the comments with `suara text enrich`.
    assert set(demo) == set(FACTS) - {"enrichments"}
    for name, table in demo.items():
        assert table.schema == arrow_schema(name), name
        assert table.num_rows > 0, name


def test_answers_are_on_their_scales_and_belong_to_responses(demo: dict[str, pa.Table]) -> None:
    answers = demo["answers"].to_pandas()
    responses = demo["responses"].to_pandas()
    assert responses.response_id.is_unique and demo["events"].to_pandas().event_id.is_unique
    for kind in ("nps", "csat", "ces", "attitudinal", "repurchase"):
        numbers = answers.loc[answers.kind == kind, "number"]
        assert len(numbers) > 0 and numbers.map(SCALES[kind].contains).all(), kind
        assert (answers.loc[answers.kind == kind, "question_id"] == kind).all()
    comments = answers[answers.kind == "comment"]
    assert comments.number.isna().all() and comments.text.str.len().gt(10).all()
    assert set(answers.response_id) <= set(responses.response_id)
    assert set(demo["response_fields"].to_pandas().response_id) <= set(responses.response_id)
    assert 0.3 < comments.response_id.nunique() / len(responses) < 0.5


def test_comments_in_all_four_languages(demo: dict[str, pa.Table]) -> None:
    answers = demo["answers"].to_pandas()
    comments = answers[answers.kind == "comment"].merge(demo["responses"].to_pandas(), on="response_id")
    assert set(comments.locale) == {"en", "id", "ms", "ru"}
    assert comments.loc[comments.locale == "ru", "text"].str.contains("[а-яё]", regex=True).all()
    assert comments.loc[comments.locale != "ru", "text"].str.contains("[а-яё]", regex=True).sum() == 0


def test_feedback_reviews_and_tickets(demo: dict[str, pa.Table]) -> None:
    feedback = demo["feedback"].to_pandas()
    assert set(feedback.source) == {"app_store", "google_play", "trustpilot", "ticket"}
    reviews = feedback[feedback.source != "ticket"]
    assert reviews.rating.between(1, 5).all() and feedback.loc[feedback.source == "ticket", "rating"].isna().all()
    assert feedback.text.notna().all() and feedback.author.notna().all()


def test_tickets_are_shared_by_the_care_team_and_only_social_posts_have_likes(full_wh: Warehouse) -> None:
    tickets = full_wh.table("tickets").execute()
    shares = tickets.agent.value_counts(normalize=True)
    assert set(shares.index) == {"Sari", "Budi", "Aisyah"} and tickets.agent.notna().all()
    assert shares.max() < 0.6  # every agent carries a real share of the load
    assert full_wh.table("feedback").execute().likes.isna().all()  # the demo has reviews and tickets, no posts
    by_agent = run_metric(full_wh, "w", MetricSpec(metric="first_response_time", by=["agent"]))
    assert {g.key["agent"] for g in by_agent.groups} == {"Sari", "Budi", "Aisyah"}
    assert sum(g.n for g in by_agent.groups) == by_agent.n > 0


def test_a_later_identify_changes_some_segments(demo: dict[str, pa.Table]) -> None:
    segments = demo["identities"].to_pandas().query("trait == 'segment'")
    changed = segments.groupby("customer_id").value.nunique()
    assert (changed == 2).sum() > 0


def test_planted_story_is_visible_by_delivery_partner(nps: pd.DataFrame) -> None:
    start, end = pd.Timestamp(PLANTED_STORY["start"]), pd.Timestamp(PLANTED_STORY["end"])
    inside = (nps.submitted_at >= start) & (nps.submitted_at < end)
    for partner in ("NusaCargo", "KilatExpress", "RapidPost"):
        mine = nps.delivery_partner == partner
        drop = nps.loc[mine & ~inside, "number"].mean() - nps.loc[mine & inside, "number"].mean()
        if partner == PLANTED_STORY["partner"]:
            assert drop >= 1.5, (partner, drop)
        else:
            assert drop <= 0.5, (partner, drop)


def test_late_deliveries_score_lower(nps: pd.DataFrame) -> None:
    late = nps.late_days > 0
    assert late.sum() > 30
    assert nps.loc[late, "number"].mean() < nps.loc[~late, "number"].mean() - 2


# -- customers who leave, follow-up questions, tasks, page loads and errors ----------------------------------------
@pytest.fixture(scope="module")
def full_events(full: dict[str, pa.Table]) -> pd.DataFrame:
    return full["events"].to_pandas()


def _props(events: pd.DataFrame, name: str) -> pd.DataFrame:
    """The `name` events with their JSON properties as columns."""
    rows = events[events.event == name]
    props = pd.DataFrame([json.loads(p) for p in rows.properties], index=rows.index)
    return rows[["customer_id", "timestamp"]].join(props)


def _end(events: pd.DataFrame) -> pd.Timestamp:
    return events.timestamp.max().normalize() + pd.Timedelta(days=1)


def _quiet(events: pd.DataFrame, days: int = 90) -> pd.Series:
    """Per customer: no activity of any kind in the last `days` days of the demo."""
    return events.groupby("customer_id").timestamp.max() < _end(events) - pd.Timedelta(days=days)


def test_customers_drop_out_more_after_a_late_delivery(full: dict[str, pa.Table], full_events: pd.DataFrame) -> None:
    assert 0.12 <= _quiet(full_events).mean() <= 0.3
    delivered = _props(full_events, "order_delivered")
    orders = full["orders"].to_pandas().merge(delivered[["order_id", "late_days"]], on="order_id")
    orders = orders.sort_values(["customer_id", "ordered_at"])
    orders["again"] = orders.groupby("customer_id").ordered_at.shift(-1).notna()
    # Orders with four months left to come back in: a late parcel makes leaving much likelier.
    orders = orders[orders.ordered_at < _end(full_events) - pd.Timedelta(days=120)]
    gone_late = 1 - orders.loc[orders.late_days > 0, "again"].mean()
    gone_on_time = 1 - orders.loc[orders.late_days == 0, "again"].mean()
    assert gone_late > 1.4 * gone_on_time, (gone_late, gone_on_time)


def test_bgnbd_fits_the_demo_orders_and_p_alive_follows_inactivity(
    full_wh: Warehouse, full_events: pd.DataFrame
) -> None:
    result = customer_values(full_wh, "w", CustomerValueSpec())
    assert result.model == "bgnbd" and result.params["a"] > 0 and result.params["b"] > 0, result.params
    p_alive = pd.Series({c.customer_id: c.p_alive for c in result.customers})
    assert p_alive.std() > 0.05 and p_alive.min() < 0.5
    quiet = _quiet(full_events).reindex(p_alive.index)
    assert p_alive[quiet].mean() < p_alive[~quiet].mean() - 0.15


def test_monthly_churn_is_a_few_percent(full_wh: Warehouse) -> None:
    series = run_metric(full_wh, "w", MetricSpec(metric="churn_rate", period="month")).series
    # The first three months have no full 90-day look-back yet, so nobody can be lost in them.
    values = [g.value for g in series[3:]]
    assert len(values) >= 8 and all(v is not None and 2 <= v <= 9 for v in values), values


@pytest.mark.parametrize(
    "metric",
    ["attitudinal", "repurchase_intent", "task_success_rate", "time_on_task", "page_load_p50", "page_load_p90",
     "error_rate", "churn_rate"],
)  # fmt: skip
def test_the_measures_have_data_on_the_demo(full_wh: Warehouse, metric: str) -> None:
    result = run_metric(full_wh, "w", MetricSpec(metric=metric))
    assert result.n > 0 and result.value is not None


def test_follow_up_answers_agree_with_the_nps(full: dict[str, pa.Table]) -> None:
    answers = full["answers"].to_pandas()
    scores = answers[answers.kind.isin(["nps", "attitudinal", "repurchase"])]
    wide = scores.pivot(index="response_id", columns="kind", values="number").dropna(subset=["nps"])
    answered = wide.dropna()
    assert 0.5 < len(answered) / len(wide) < 0.9
    assert wide.loc[wide.attitudinal.notna()].index.equals(wide.loc[wide.repurchase.notna()].index)
    corr = answered.corr()
    assert corr.loc["nps", "attitudinal"] > 0.5 and corr.loc["nps", "repurchase"] > 0.5
    promoters, detractors = answered[answered.nps >= 9], answered[answered.nps <= 6]
    assert (promoters.repurchase >= 4).mean() > 2 * (detractors.repurchase >= 4).mean()


def test_tasks_succeed_at_plausible_rates_and_feed_the_measures(full_wh: Warehouse, full_events: pd.DataFrame) -> None:
    tasks = _props(full_events, "task")
    rates = tasks.groupby("task").success.mean()
    assert set(rates.index) == {"checkout", "track_order", "change_address"}
    assert 0.85 <= rates["checkout"] <= 0.97 and 0.85 <= rates["track_order"] <= 0.97
    assert 0.65 <= rates["change_address"] <= 0.85
    for task in rates.index:
        result = run_metric(full_wh, "w", MetricSpec(metric="task_success_rate", options={"task": task}))
        assert result.n == (tasks.task == task).sum() and result.value == pytest.approx(100 * rates[task])
    done = tasks[tasks.success & (tasks.task == "checkout")]
    result = run_metric(full_wh, "w", MetricSpec(metric="time_on_task", options={"task": "checkout"}))
    assert result.value == pytest.approx(done.duration_s.median()) and 60 <= result.value <= 150


def test_page_loads_are_slower_in_the_app_and_feed_the_measures(full_wh: Warehouse, full_events: pd.DataFrame) -> None:
    visits = _props(full_events, "visit")
    medians = visits.groupby("device").load_ms.median()
    assert 500 <= medians["desktop"] <= 800 and medians["mobile"] > 1.3 * medians["desktop"]
    loads = pd.concat([visits.load_ms, _props(full_events, "checkout_started").load_ms])
    for metric, q in (("page_load_p50", 0.5), ("page_load_p90", 0.9)):
        result = run_metric(full_wh, "w", MetricSpec(metric=metric))
        assert result.n == len(loads) and result.value == pytest.approx(np.quantile(loads, q)), metric


def test_checkout_errors_peak_on_sale_days_and_tracking_fails_in_the_incident(full_events: pd.DataFrame) -> None:
    def per_checkout(on: pd.Series) -> float:
        day = full_events.timestamp.dt
        sale = (day.month == day.day) & (day.month >= 9)  # the 9.9, 10.10, 11.11 and 12.12 sales
        rows = full_events[sale == on]
        return float((rows.event == "checkout_error").sum() / (rows.event == "checkout_started").sum())

    assert 0 < per_checkout(False) < 0.05 and per_checkout(True) > 2 * per_checkout(False)
    errors = _props(full_events, "tracking_error")
    nusa = errors[errors.partner == PLANTED_STORY["partner"]]
    start, end = pd.Timestamp(PLANTED_STORY["start"]), pd.Timestamp(PLANTED_STORY["end"])
    inside = (nusa.timestamp >= start) & (nusa.timestamp < end)
    days = (end - start).days
    assert inside.sum() / days > 3 * (~inside).sum() / (365 - days)


def test_the_built_workspace_has_cases_and_the_planted_alert(tmp_path: Path) -> None:
    """`suara demo` leaves work in the inbox and the NusaCargo drop raised as an alert, as if suara had been serving."""
    from suara.act.alerts import list_alerts, list_rules
    from suara.act.loop_metrics import loop_metrics
    from suara.demo_workspace import DEMO_ALERT_RULES, build_demo
    from suara.runtime import Runtime
    from suara.settings import Settings
    from suara.store.app import WorkspaceRepo

    with Runtime.open(Settings(data_dir=tmp_path / "data")) as rt:
        info = build_demo(rt, customers=2000)
        rules = {r.id: r.name for r in list_rules(rt.app, info.workspace_id)}
        alerts = list_alerts(rt.app, info.workspace_id)
        with rt.app.session() as s:
            cases = WorkspaceRepo(s, info.workspace_id).cases()
        loop = loop_metrics(rt.app, rt.warehouse, info.workspace_id)
    assert sorted(rules.values()) == sorted(DEMO_ALERT_RULES)
    assert cases and all(c.customer_id for c in cases)
    # The care team's past months: old cases were worked, recent ones wait in the inbox.
    by_status = {st: sum(c.status == st for c in cases) for st in ("new", "contacted", "resolved", "closed")}
    assert all(by_status.values()), by_status
    assert all(c.created_at <= (c.first_contact_at or c.created_at) <= (c.resolved_at or c.updated_at) for c in cases)
    assert loop.hours_to_first_contact.n == info.counts["cases_worked"] > 100
    assert 2 < (loop.hours_to_first_contact.value or 0) < 12 and loop.hours_to_resolution.n > 100
    assert 50 < (loop.detractors_contacted_in_sla.value or 0) < 100
    partner = [a for a in alerts if rules[a.rule_id] == "NusaCargo NPS under 10"]
    # The planted story: NusaCargo's NPS falls in August and September 2026; the monthly rule raises it once.
    assert len(partner) == 1 and partner[0].started_on.month in (8, 9), [(a.series, a.started_on) for a in alerts]
    assert info.counts["alerts"] == len(alerts)
