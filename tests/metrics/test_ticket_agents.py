"""Support measures by agent: each agent's figures equal a pandas computation on the same ticket rows, on every engine.

The tickets go through the collect layer (so `agent` travels the way an API or import would store it); the expected
values are computed here in pandas (and scipy for Wilson intervals) from the raw records, never from the warehouse.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats as sps

from suara.collect.ingest import ticket_units
from suara.domain.records import TicketIn
from suara.errors import UnknownField
from suara.metrics import MetricSpec, run_metric
from suara.metrics.spec import MetricResult
from suara.store.warehouse import FACTS, to_arrow
from tests.parity import warehouse_on

WS = "ws_agents"
T0 = datetime(2026, 2, 2)  # a Monday
AGENTS = ("Sari", "Budi", "Aisyah", None)  # None: a ticket nobody was assigned


def _records(seed: int = 11) -> list[dict[str, Any]]:
    """Tickets whose speed and outcome depend on the agent, so the groups differ."""
    rng = random.Random(seed)
    pace = {"Sari": 1.0, "Budi": 2.5, "Aisyah": 0.6, None: 4.0}
    out = []
    for n in range(240):
        agent = AGENTS[n % 4] if n % 9 else rng.choice(AGENTS)
        opened = T0 + timedelta(days=rng.randrange(28), hours=rng.randrange(24), minutes=rng.randrange(60))
        first = (
            opened + timedelta(seconds=int(rng.expovariate(1 / (3600 * pace[agent])))) if rng.random() < 0.92 else None
        )
        resolved = (
            opened + timedelta(seconds=rng.randint(3600, int(86400 * 6 * pace[agent]))) if rng.random() < 0.8 else None
        )
        csat = rng.randint(1, 5) if resolved and rng.random() < 0.6 else None
        channel = rng.choice(["chat", "email"])
        out.append({"ticket_id": f"t{n}", "customer_id": f"c{rng.randrange(50)}", "channel": channel,
                    "created_at": opened, "first_response_at": first, "resolved_at": resolved,
                    "contacts": rng.choice([1, 1, 1, 2, 3]), "reopened": rng.random() < 0.1, "csat": csat,
                    "agent": agent})  # fmt: skip
    return out


RECORDS = _records()
TICKETS = pd.DataFrame(RECORDS)


def _tables() -> dict[str, pa.Table]:
    units = ticket_units([TicketIn.model_validate(r) for r in RECORDS], WS)
    rows = [row for u in units for row in u.rows["tickets"]]
    return {name: to_arrow(name, rows if name == "tickets" else []) for name in FACTS}


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return _tables()


def _by_agent(r: MetricResult) -> dict[str | None, Any]:
    return {g.key["agent"]: g for g in r.groups}


def _per_agent(frame: pd.DataFrame) -> dict[str | None, pd.DataFrame]:
    return {(None if pd.isna(k) else k): rows for k, rows in frame.groupby("agent", dropna=False)}


def _hours(frame: pd.DataFrame, column: str) -> pd.Series:
    return (frame[column] - frame["created_at"]).dt.total_seconds() / 3600


@pytest.mark.parametrize(("metric", "column"), [("first_response_time", "first_response_at"),
                                                ("resolution_time", "resolved_at")])  # fmt: skip
def test_median_hours_by_agent_equal_pandas(engine: str, tables: dict[str, pa.Table], metric: str, column: str) -> None:
    r = run_metric(warehouse_on(engine, tables), WS, MetricSpec(metric=metric, by=["agent"]))
    done = TICKETS[TICKETS[column].notna()]
    expected = {a: (len(rows), float(_hours(rows, column).median())) for a, rows in _per_agent(done).items()}
    got = {a: (g.n, g.value) for a, g in _by_agent(r).items()}
    assert got.keys() == expected.keys() == set(AGENTS)
    for agent, (n, median) in expected.items():
        assert got[agent][0] == n and got[agent][1] == pytest.approx(median, rel=1e-9), agent
    assert r.n == len(done) and r.value == pytest.approx(float(_hours(done, column).median()))
    assert len({round(v, 6) for _, v in got.values()}) == len(got)  # the agents really differ


def _wilson(hits: int, n: int) -> tuple[float, float, float]:
    ci = sps.binomtest(hits, n).proportion_ci(0.95, method="wilson")
    return 100 * hits / n, 100 * ci.low, 100 * ci.high


def test_fcr_and_ticket_csat_by_agent_equal_pandas(engine: str, tables: dict[str, pa.Table]) -> None:
    wh = warehouse_on(engine, tables)
    resolved = TICKETS[TICKETS.resolved_at.notna()]
    first_contact = (resolved.contacts.fillna(1) <= 1) & ~resolved.reopened
    fcr = _by_agent(run_metric(wh, WS, MetricSpec(metric="fcr_rate", by=["agent"])))
    rated = resolved[resolved.csat.notna()]
    csat = _by_agent(run_metric(wh, WS, MetricSpec(metric="ticket_csat", by=["agent"])))
    for agent, rows in _per_agent(resolved).items():
        hits = int(first_contact[rows.index].sum())
        g = fcr[agent]
        assert g.n == len(rows) and (g.value, g.ci_low, g.ci_high) == pytest.approx(_wilson(hits, len(rows)))
    for agent, rows in _per_agent(rated).items():
        g = csat[agent]
        hits = int((rows.csat >= 4).sum())
        assert g.n == len(rows) and (g.value, g.ci_low, g.ci_high) == pytest.approx(_wilson(hits, len(rows)))
    assert set(fcr) == set(csat) == set(AGENTS)


def test_backlog_by_agent_at_the_end_and_by_week(engine: str, tables: dict[str, pa.Table]) -> None:
    wh = warehouse_on(engine, tables)
    end = T0 + timedelta(days=20)
    open_then = TICKETS[(TICKETS.created_at < end) & (TICKETS.resolved_at.isna() | (TICKETS.resolved_at >= end))]
    r = run_metric(wh, WS, MetricSpec(metric="backlog", end=end, by=["agent"]))
    assert {a: g.value for a, g in _by_agent(r).items()} == {a: len(rows) for a, rows in _per_agent(open_then).items()}
    assert r.value == len(open_then)

    weekly = run_metric(wh, WS, MetricSpec(metric="backlog", start=T0, end=T0 + timedelta(weeks=3), period="week",
                                           by=["agent"]))  # fmt: skip
    for g in weekly.groups:
        at = pd.Timestamp(g.key["period"]) + pd.Timedelta(weeks=1)  # each week reports its backlog at its end
        mine = TICKETS.agent.isna() if g.key["agent"] is None else TICKETS.agent == g.key["agent"]
        count = int(
            (mine & (TICKETS.created_at < at) & (TICKETS.resolved_at.isna() | (TICKETS.resolved_at >= at))).sum()
        )
        assert g.value == count, g.key
    assert len(weekly.groups) == 3 * len(AGENTS)


def test_a_filter_on_agent_keeps_only_their_tickets(engine: str, tables: dict[str, pa.Table]) -> None:
    wh = warehouse_on(engine, tables)
    spec = MetricSpec(metric="first_response_time", filters={"agent": ["Sari", "Aisyah"]}, by=["channel"])
    r = run_metric(wh, WS, spec)
    mine = TICKETS[TICKETS.agent.isin(["Sari", "Aisyah"]) & TICKETS.first_response_at.notna()]
    assert r.n == len(mine) and r.value == pytest.approx(float(np.median(_hours(mine, "first_response_at"))))
    expected = {c: float(_hours(rows, "first_response_at").median()) for c, rows in mine.groupby("channel")}
    assert {g.key["channel"]: g.value for g in r.groups} == pytest.approx(expected)


def test_agent_is_not_a_field_of_survey_measures(tables: dict[str, pa.Table]) -> None:
    trait = {"workspace_id": WS, "customer_id": "c1", "trait": "plan", "value": "pro", "observed_at": T0}
    wh = warehouse_on("duckdb", tables | {"identities": to_arrow("identities", [trait])})
    with pytest.raises(UnknownField, match="no field is called 'agent'"):
        run_metric(wh, WS, MetricSpec(metric="nps", by=["agent"]))
