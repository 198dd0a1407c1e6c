"""Loop metrics against a brute-force computation over the same cases and answers, written out by hand."""

from __future__ import annotations

import math
import random
import statistics
from datetime import datetime, timedelta

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import select

from suara.act.case_rules import run_case_rules
from suara.act.loop_metrics import loop_metrics
from suara.metrics.stats import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED
from suara.runtime import Runtime
from suara.store.app import Case, create_workspace
from tests.conftest import response

BASE = datetime(2026, 3, 1, 9, 0)
NOW = datetime(2026, 6, 1)


def _bootstrap_median(values: list[float]) -> tuple[float, float]:
    """The percentile bootstrap written plainly: resample with the module's seed and chunking, take quantiles."""
    x = np.sort(np.array(values))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    medians: list[float] = []
    while len(medians) < BOOTSTRAP_SAMPLES:
        idx = rng.integers(0, len(x), size=(min(250, BOOTSTRAP_SAMPLES - len(medians)), len(x)))
        medians += [float(np.quantile(x[row], 0.5)) for row in idx]
    return float(np.quantile(medians, 0.025)), float(np.quantile(medians, 0.975))


def _wilson(hits: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


def test_loop_metrics_match_a_brute_force_computation(runtime: Runtime) -> None:
    rng = random.Random(11)
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    opening = {f"c{i}": rng.randint(0, 6) for i in range(40)}
    csat_open = {f"k{i}": rng.randint(1, 2) for i in range(15)}
    docs = [response(c, "2026-03-01", nps=v) for c, v in opening.items()]
    docs += [response(c, "2026-03-01", csat=v) for c, v in csat_open.items()]
    runtime.ingestor.ingest("responses", ws, docs)
    run_case_rules(runtime.app, runtime.warehouse)

    # Write each case's own history: opened, first contact and resolution at chosen instants (some never).
    truth: dict[str, dict[str, datetime | None]] = {}
    with runtime.app.session() as s:
        for case in s.scalars(select(Case).where(Case.workspace_id == ws)):
            opened = BASE + timedelta(hours=rng.uniform(0, 200))
            contact = opened + timedelta(hours=rng.expovariate(1 / 20)) if rng.random() < 0.8 else None
            resolved = (contact + timedelta(hours=rng.expovariate(1 / 50))) if contact and rng.random() < 0.8 else None
            case.created_at, case.first_due_at = opened, opened + timedelta(hours=24)
            case.first_contact_at, case.resolved_at = contact, resolved
            truth[case.customer_id] = {"opened": opened, "contact": contact, "resolved": resolved}
    # Later answers: one before the resolution (ignored), then two after (the first counts).
    later: list[tuple[str, str, datetime, int]] = []
    for customer, t in truth.items():
        scale = "nps" if customer.startswith("c") else "csat"
        if t["resolved"] is None or rng.random() < 0.2:
            continue
        resolved = t["resolved"]
        assert resolved is not None
        low, top = (0, 10) if scale == "nps" else (1, 5)
        later.append((customer, scale, resolved - timedelta(hours=1), rng.randint(low, top)))
        later.append((customer, scale, resolved + timedelta(days=3), rng.randint(3, top)))
        later.append((customer, scale, resolved + timedelta(days=9), rng.randint(low, top)))
    runtime.ingestor.ingest(
        "responses",
        ws,
        [
            {"customer_id": c, "submitted_at": at.isoformat() + "Z", "answers": [{"kind": k, "number": v}]}
            for c, k, at, v in later
        ],
    )

    got = loop_metrics(runtime.app, runtime.warehouse, ws, now=NOW)

    assert got.cases == 55
    to_contact = [(t["contact"] - t["opened"]).total_seconds() / 3600 for t in truth.values() if t["contact"]]  # type: ignore[operator]
    to_resolve = [(t["resolved"] - t["opened"]).total_seconds() / 3600 for t in truth.values() if t["resolved"]]  # type: ignore[operator]
    for measured, values in ((got.hours_to_first_contact, to_contact), (got.hours_to_resolution, to_resolve)):
        assert measured.n == len(values)
        assert measured.value == pytest.approx(statistics.median(values), rel=1e-9)
        low, high = _bootstrap_median(values)
        assert (measured.ci_low, measured.ci_high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))

    detractors = [t for c, t in truth.items() if c.startswith("c")]
    hits = sum(1 for t in detractors if t["contact"] and t["contact"] <= t["opened"] + timedelta(hours=24))  # type: ignore[operator]
    share = got.detractors_contacted_in_sla
    assert share.n == len(detractors)  # NOW is long after every deadline: every case is decided
    assert share.value == pytest.approx(100 * hits / len(detractors))
    low, high = _wilson(hits, len(detractors))
    assert (share.ci_low, share.ci_high) == (pytest.approx(low), pytest.approx(high))

    for rec in got.recovery:
        start = opening if rec.scale == "nps" else csat_open
        diffs = []
        for customer, t in truth.items():
            after = sorted((at, v) for c, k, at, v in later if c == customer and k == rec.scale and at > t["resolved"])  # type: ignore[operator]
            if after:
                diffs.append(after[0][1] - start[customer])
        assert rec.n == len(diffs) and rec.n > 3
        assert rec.value == pytest.approx(float(np.mean(diffs)))
        low, high = sps.t.interval(0.95, len(diffs) - 1, loc=np.mean(diffs), scale=sps.sem(diffs))
        assert (rec.ci_low, rec.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_undecided_detractor_cases_are_left_out_of_the_sla_share(runtime: Runtime) -> None:
    with runtime.app.session() as s:
        ws = create_workspace(s, "acme", "Acme").id
    runtime.ingestor.ingest("responses", ws, [response(f"c{i}", "2026-03-01", nps=1) for i in range(3)])
    run_case_rules(runtime.app, runtime.warehouse)
    with runtime.app.session() as s:
        a, b, c = s.scalars(select(Case).order_by(Case.id))
        for case in (a, b, c):
            case.created_at, case.first_due_at = BASE, BASE + timedelta(hours=24)
        a.first_contact_at = BASE + timedelta(hours=2)  # in time
    # Before the deadline only the contacted case is decided; after it the two silent ones count as misses.
    early = loop_metrics(runtime.app, runtime.warehouse, ws, now=BASE + timedelta(hours=3))
    assert (early.detractors_contacted_in_sla.n, early.detractors_contacted_in_sla.value) == (1, 100.0)
    late = loop_metrics(runtime.app, runtime.warehouse, ws, now=BASE + timedelta(hours=30))
    assert late.detractors_contacted_in_sla.n == 3
    assert late.detractors_contacted_in_sla.value == pytest.approx(100 / 3)
    assert late.recovery[0].n == 0 and late.recovery[0].value is None
