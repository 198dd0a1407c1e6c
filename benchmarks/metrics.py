"""NPS, CSAT and CES by week and by customer segment over 10 million responses (`--quick`: 1 million).

suara's `run_metric` against two anchors on the same DuckDB file: hand-written SQL (same connection) and pandas
(tables read into memory beforehand, reading not timed). Both anchors finish with the same interval and change
maths as suara (`Measure.estimate` and `Measure.difference` per group and per week), so every timing covers the
whole question: from the warehouse to estimates with intervals and week-on-week changes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from _common import interleaved, machine, median, table, write_section

from suara.metrics import MEASURES, MetricSpec, run_metric
from suara.metrics.measures import Estimator
from suara.store.warehouse import Warehouse, arrow_schema

WS = "ws_bench"
SEGMENTS = ["enterprise", "mid-market", "smb", "startup", "consumer"]
KINDS = {
    "nps": (0.50, range(0, 11), [2, 1, 2, 3, 3, 6, 8, 15, 20, 18, 22]),
    "csat": (0.25, range(1, 6), [5, 8, 15, 37, 35]),
    "ces": (0.25, range(1, 8), [3, 4, 8, 15, 25, 25, 20]),
}
AGGS = {
    "nps": "count(a.number) AS n, count_if(a.number >= 9) AS positive, count_if(a.number <= 6) AS negative",
    "csat": "count(a.number) AS n, count_if(a.number >= 4) AS hits",
    "ces": "count(a.number) AS n, sum(a.number) AS total, sum(a.number * a.number) AS total_sq",
}
HAND_SQL = """
WITH seg AS (
    SELECT customer_id, arg_max(value, observed_at) AS segment
    FROM identities WHERE workspace_id = $ws AND trait = 'segment' GROUP BY customer_id
)
SELECT s.segment, CAST(date_trunc('week', r.submitted_at) AS DATE) AS period, {aggs}
FROM answers a
JOIN responses r ON r.response_id = a.response_id AND r.workspace_id = $ws
LEFT JOIN seg s ON s.customer_id = r.customer_id
WHERE a.workspace_id = $ws AND a.kind = $kind AND a.number IS NOT NULL
GROUP BY ALL
"""
PANDAS_COLUMNS = {
    "answers": ["workspace_id", "response_id", "kind", "number"],
    "responses": ["workspace_id", "response_id", "customer_id", "submitted_at"],
    "identities": ["workspace_id", "customer_id", "trait", "value", "observed_at"],
}
PACKAGES = ["duckdb", "ibis-framework", "sqlglot", "pandas", "pyarrow", "numpy"]
Counts = dict[tuple[str | None, str], int]


def generate(wh: Warehouse, n: int, customers: int = 200_000, seed: int = 7) -> None:
    """n responses over 2025 with one nps/csat/ces answer each; customers with a segment (a quarter changed it later)
    and a country trait; 5% of responses come from customers without traits. Columns not given are null."""
    rng = np.random.default_rng(seed)
    year_us, start = 365 * 86_400 * 10**6, np.datetime64("2025-01-01T00:00:00", "us")
    names = pa.array([f"c{i}" for i in range(customers * 21 // 20)])

    def load(table: str, rows: int, **cols: Any) -> None:
        fields = arrow_schema(table)
        cols["workspace_id"] = pa.repeat(WS, rows)
        wh.load(table, pa.table({f.name: cols.get(f.name, pa.nulls(rows, f.type)) for f in fields}, schema=fields))

    chunk = 2_000_000
    for off in range(0, n, chunk):
        m = min(chunk, n - off)
        at = pa.array(start + np.sort(rng.integers(off * year_us // n, (off + m) * year_us // n, m)))
        rid = pc.binary_join_element_wise("r", pc.cast(pa.array(np.arange(off, off + m)), pa.string()), "")
        cust = pc.take(names, pa.array(rng.integers(0, len(names), m)))
        channel = pc.take(pa.array(["email", "web", "app"]), pa.array(rng.integers(0, 3, m)))
        load("responses", m, response_id=rid, customer_id=cust, submitted_at=at, ingested_at=at, channel=channel)
        kind = rng.choice(len(KINDS), m, p=[k[0] for k in KINDS.values()])
        number = np.empty(m)
        for i, (_, scale, weights) in enumerate(KINDS.values()):
            mask = kind == i
            number[mask] = rng.choice(list(scale), mask.sum(), p=np.array(weights) / sum(weights))
        kinds = pc.take(pa.array(list(KINDS)), pa.array(kind))
        load("answers", m, response_id=rid, question_id=kinds, kind=kinds, number=pa.array(number))
    moved = int((rng.random(customers) < 0.25).sum())
    who = np.concatenate([np.arange(customers), rng.choice(customers, moved, replace=False), np.arange(customers)])
    trait = pa.array(["segment"] * (customers + moved) + ["country"] * customers)
    value = [SEGMENTS[i] for i in rng.integers(0, len(SEGMENTS), customers + moved)]
    value += [["DE", "FR", "ID", "US"][i] for i in rng.integers(0, 4, customers)]
    seen = start + rng.integers(0, year_us // 2, len(who))
    seen[customers : customers + moved] += year_us // 2  # the change comes after the first observation
    cust = pc.take(names, pa.array(who))
    load("identities", len(who), customer_id=cust, trait=trait, value=pa.array(value), observed_at=pa.array(seen))
    wh.cursor().execute("CHECKPOINT")


def finish(measure: Estimator, df: pd.DataFrame, segment: str = "segment") -> Counts:
    """The interval and change maths suara does, per (segment, week) and per week; returns n per group."""
    df = df.fillna({c: 0 for c in df.columns if c not in (segment, "period")})
    rows = {(None if pd.isna(r[segment]) else r[segment], r["period"]): r for r in df.to_dict("records")}
    for (seg, period), r in rows.items():
        measure.estimate(r, 0.95)
        prev = rows.get((seg, period - timedelta(weeks=1)))
        if prev is not None:
            measure.difference(prev, r)
    weekly = df.drop(columns=segment).groupby("period").sum().sort_index().to_dict("index")
    previous = None
    for r in weekly.values():
        measure.estimate(r, 0.95)
        if previous is not None:
            measure.difference(previous, r)
        previous = r
    return {(seg, str(period)): int(r["n"]) for (seg, period), r in rows.items()}


def by_suara(wh: Warehouse, metric: str) -> Counts:
    result = run_metric(wh, WS, MetricSpec(metric=metric, by=["segment"], period="week"))
    return {(g.key["segment"], g.key["period"] or ""): g.n for g in result.groups}


def by_sql(con: Any, metric: str, clock: list[float] | None = None) -> Counts:
    """The hand-written query, then the same maths; `clock` collects the seconds of the query alone."""
    measure = MEASURES[metric].estimator
    t0 = time.perf_counter()
    df = con.execute(HAND_SQL.format(aggs=AGGS[metric]), {"ws": WS, "kind": metric}).df()
    if clock is not None:
        clock.append(time.perf_counter() - t0)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return finish(measure, df)


def by_pandas(frames: dict[str, pd.DataFrame], metric: str) -> Counts:
    measure = MEASURES[metric].estimator
    ans, resp, ident = frames["answers"], frames["responses"], frames["identities"]
    ans = ans[(ans.workspace_id == WS) & (ans.kind == metric) & ans.number.notna()]
    resp = resp[resp.workspace_id == WS]
    seg = ident[(ident.workspace_id == WS) & (ident.trait == "segment")].sort_values("observed_at")
    seg = seg.drop_duplicates("customer_id", keep="last")[["customer_id", "value"]].rename(columns={"value": "segment"})
    t = ans[["response_id", "number"]].merge(resp[["response_id", "customer_id", "submitted_at"]], on="response_id")
    t = t.merge(seg, on="customer_id", how="left")
    day = t.submitted_at.dt.normalize()
    t["period"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    x = t.number
    stats = {"nps": {"positive": x >= 9, "negative": x <= 6}, "csat": {"hits": x >= 4}}
    cols = stats.get(metric, {"total": x, "total_sq": x * x})
    t = t.assign(n=x.notna(), **cols)[["segment", "period", "n", *cols]]
    return finish(measure, t.groupby(["segment", "period"], dropna=False).sum().reset_index())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 million responses instead of 10 million")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of suara and SQL per metric, after a warm-up")
    parser.add_argument("--pandas-runs", type=int, default=3, help="timed runs of pandas per metric (it is slow)")
    opts = parser.parse_args()
    n, measured = (1_000_000 if opts.quick else 10_000_000), machine(PACKAGES)
    rows, total = [], dict.fromkeys(("suara", "sql", "sql only", "pandas"), 0.0)
    with tempfile.TemporaryDirectory(prefix="suara-bench-") as tmp:
        wh = Warehouse.open_duckdb(Path(tmp) / "warehouse.duckdb")
        t0 = time.perf_counter()
        generate(wh, n)
        gen_s, con = time.perf_counter() - t0, wh.cursor()
        print(f"generated {n:,} responses in {gen_s:.0f} s")
        t0 = time.perf_counter()
        frames = {name: con.table(name).select(*cols).df() for name, cols in PANDAS_COLUMNS.items()}
        read_s = time.perf_counter() - t0
        for metric in ("nps", "csat", "ces"):
            ours, sql, pd_ = by_suara(wh, metric), by_sql(con, metric), by_pandas(frames, metric)  # and warm-up
            assert ours == sql, f"{metric}: suara and the hand-written SQL disagree"
            assert ours == pd_, f"{metric}: suara and pandas disagree"
            clock: list[float] = []
            engines: dict[str, Callable[[], Counts]] = {
                "suara": partial(by_suara, wh, metric),
                "sql": partial(by_sql, con, metric, clock),
                "pandas": partial(by_pandas, frames, metric),
            }
            runs = interleaved(engines, opts.pandas_runs)
            del engines["pandas"]
            for k, v in interleaved(engines, max(0, opts.runs - opts.pandas_runs)).items():
                runs[k] += v
            t = {name: median(v) for name, v in {**runs, "sql only": clock}.items()}
            total = {k: total[k] + t[k] for k in total}
            rows.append([metric, f"{len(ours)} groups, n={sum(ours.values()):,}", *_cells(t)])
            print(" | ".join(rows[-1]))
        rows.append(["total", "", *_cells(total)])
        wh.close()
    head = [
        "metric",
        "checked identical",
        "suara",
        "SQL + maths",
        "SQL only",
        "pandas",
        "suara / SQL",
        "pandas / suara",
    ]
    ratio = total["suara"] / total["sql"], total["pandas"] / total["suara"]
    verdict = (
        f"suara takes {ratio[0]:.2f}x the time of the hand-written SQL ({'meets' if ratio[0] <= 1.3 else 'misses'} "
        f"the target of at most 1.3x) and is {ratio[1]:.1f}x faster than pandas "
        f"({'meets' if ratio[1] >= 10 else 'misses'} the target of at least 10x)"
    )
    text = "\n\n".join(
        [
            "## Metrics by week and segment (`benchmarks/metrics.py`)" + (" - QUICK RUN" if opts.quick else ""),
            f"Measured {measured}.",
            f"{n:,} responses over 2025 (one answer each: NPS 50%, CSAT 25%, CES 25%), 200,000 customers "
            "with a segment trait (a quarter changed segment later; the latest counts), 5% of responses from "
            "customers without one. Question: `MetricSpec(metric=m, by=['segment'], period='week')`. Data "
            f"generated in {gen_s:.0f} s (not timed). Medians of {opts.runs} runs (pandas: {opts.pandas_runs}), "
            "interleaved, after a warm-up. *SQL + maths*: hand-written DuckDB SQL on the same connection, then the "
            "same interval and change maths as suara in Python; *SQL only*: the query alone (fetched as a "
            f"DataFrame), timed inside the same runs. *pandas*: the columns it needs read into pandas first "
            f"({read_s:.0f} s, not timed), then filter, merge, groupby and the same maths. Before timing, the three "
            "agree on n in every (segment, week) group.",
            table(head, rows),
            f"Verdict: {verdict}.",
        ]
    )
    print(text)
    write_section("metrics", text)


def _cells(t: dict[str, float]) -> list[str]:
    times = [f"{t[k]:.3f} s" for k in ("suara", "sql", "sql only", "pandas")]
    return [*times, f"{t['suara'] / t['sql']:.2f}x", f"{t['pandas'] / t['suara']:.1f}x"]


if __name__ == "__main__":
    main()
