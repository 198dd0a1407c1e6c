"""The overview set over 10 million responses and 1, 10 and 100 million events (`--quick`: 1M and 0.1M, 1M events).

The set: NPS, CSAT and CES by week for five customer segments, conversion rate by week, churn rate by month.
suara's `run_metric` against two anchors on the same DuckDB file: hand-written SQL (same connection) and pandas
(tables read into memory beforehand, reading not timed). Both anchors finish with the same interval and change
maths as suara (`Measure.estimate` and `Measure.difference` per group and per period), so every timing covers the
whole question: from the warehouse to estimates with intervals and period-on-period changes. Peak memory is the
largest resident size of a fresh process answering the whole set on the largest warehouse; Spark (local, on the
same data as Parquet) is timed at one scale.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
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
from _behaviour import CONVERSION_SQL, churn_pandas, churn_sql, conversion_pandas, generate_events
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
PACKAGES = ["duckdb", "ibis-framework", "sqlglot", "pandas", "pyarrow", "numpy", "pyspark"]
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


# -- behaviour: conversion and churn --------------------------------------------------------------------------------
BEHAVIOUR = {"conversion_rate": "week", "churn_rate": "month"}


def behaviour_suara(wh: Warehouse, metric: str) -> Counts:
    result = run_metric(wh, WS, MetricSpec(metric=metric, period=BEHAVIOUR[metric]))  # type: ignore[arg-type]
    return {(None, g.key["period"] or ""): g.n for g in result.groups}


def _finish_series(metric: str, df: pd.DataFrame) -> Counts:
    df = df.assign(segment=None)
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return finish(MEASURES[metric].estimator, df[["segment", "period", "n", "hits"]])


def behaviour_sql(con: Any, metric: str) -> Counts:
    df = con.execute(CONVERSION_SQL, {"ws": WS}).df() if metric == "conversion_rate" else churn_sql(con, WS)
    return _finish_series(metric, df)


def behaviour_pandas(frames: dict[str, pd.DataFrame], metric: str) -> Counts:
    df = conversion_pandas(frames["events"]) if metric == "conversion_rate" else churn_pandas(frames)
    return _finish_series(metric, df)


# -- peak memory and Spark ------------------------------------------------------------------------------------------
def _overview_child(path: str, memory_limit: str, out: Any) -> None:
    wh = Warehouse.open_duckdb(path, memory_limit or None)  # as `SUARA_WAREHOUSE_MEMORY_LIMIT` opens it
    t0 = time.perf_counter()
    for metric in KINDS:
        by_suara(wh, metric)
    for metric in BEHAVIOUR:
        behaviour_suara(wh, metric)
    seconds = time.perf_counter() - t0
    wh.close()
    out.put((seconds, _peak_rss_gib()))


def _peak_rss_gib() -> float:
    """This process's peak resident size since its exec (VmHWM): pages of the parent it forked from do not count."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def peak_memory(path: Path, memory_limit: str) -> tuple[float, float]:
    """(peak resident GiB, seconds) of a fresh process that opens the warehouse and answers the whole set once."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=_overview_child, args=(str(path), memory_limit, out))
    child.start()
    seconds, peak = out.get()
    child.join()
    return peak, seconds


def spark_times(con: Any, folder: Path) -> dict[str, float]:
    """Each query of the set once on Spark local[2] over Parquet copies of the facts, after one warm-up query."""
    import ibis
    from pyspark.sql import SparkSession

    for name in ("responses", "answers", "identities", "events", "orders"):
        con.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("suara-bench")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "6g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    wh = Warehouse.on_backend(ibis.pyspark.connect(session))
    for name in ("responses", "answers", "identities", "events", "orders"):
        session.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(name)
    by_suara(wh, "csat")  # warm-up: JVM start-up and code generation
    times = {}
    for metric in KINDS:
        t0 = time.perf_counter()
        by_suara(wh, metric)
        times[metric] = time.perf_counter() - t0
    for metric in BEHAVIOUR:
        t0 = time.perf_counter()
        behaviour_suara(wh, metric)
        times[metric] = time.perf_counter() - t0
    session.stop()
    session.sparkContext._gateway.shutdown()  # the JVM would otherwise hold its memory until this process ends
    return times


def _default_limit() -> str:
    import duckdb

    return str(duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]


# -- the run ---------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 million responses; 0.1 and 1 million events")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of suara and SQL per query, after a warm-up")
    parser.add_argument("--pandas-runs", type=int, default=2, help="timed runs of pandas per query (it is slow)")
    parser.add_argument("--pandas-max-events", type=int, default=10_000_000, help="largest event count for pandas")
    parser.add_argument("--spark-events", type=int, default=1_000_000, help="event count to time Spark at (0: off)")
    parser.add_argument("--largest-runs", type=int, default=1, help="timed runs at the largest scale (each is long)")
    parser.add_argument(
        "--memory-limit", default="3GB", help="DuckDB memory limit of the peak-memory process ('': DuckDB's default)"
    )
    opts = parser.parse_args()
    n = 1_000_000 if opts.quick else 10_000_000
    scales = [100_000, 1_000_000] if opts.quick else [1_000_000, 10_000_000, 100_000_000]
    measured = machine(PACKAGES)
    with tempfile.TemporaryDirectory(prefix="suara-bench-") as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        wh = Warehouse.open_duckdb(path)
        t0 = time.perf_counter()
        generate(wh, n)
        gen_s, con = time.perf_counter() - t0, wh.cursor()
        print(f"generated {n:,} responses in {gen_s:.0f} s")
        frames = {name: con.table(name).select(*cols).df() for name, cols in PANDAS_COLUMNS.items()}
        answers: dict[str, dict[str, float]] = {}
        checked: dict[str, str] = {}
        for metric in KINDS:
            ours, sql, pd_ = by_suara(wh, metric), by_sql(con, metric), by_pandas(frames, metric)  # and warm-up
            assert ours == sql == pd_, f"{metric}: suara, the hand-written SQL and pandas disagree"
            checked[metric] = f"{len(ours)} groups, n={sum(ours.values()):,}"
            runs = interleaved(
                {
                    "suara": partial(by_suara, wh, metric),
                    "sql": partial(by_sql, con, metric),
                    "pandas": partial(by_pandas, frames, metric),
                },
                opts.pandas_runs,
            )
            more = interleaved(
                {"suara": partial(by_suara, wh, metric), "sql": partial(by_sql, con, metric)},
                max(0, opts.runs - opts.pandas_runs),
            )
            answers[metric] = {k: median(v + more.get(k, [])) for k, v in runs.items()}
            print(metric, answers[metric])
        frames.clear()
        per_scale: dict[int, dict[str, dict[str, float]]] = {}
        spark: dict[str, float] = {}
        gen_events = {}
        for events in scales:
            con.execute("DELETE FROM events")
            t0 = time.perf_counter()
            customers = generate_events(con, WS, events)
            con.execute("CHECKPOINT")
            gen_events[events] = (time.perf_counter() - t0, customers)
            print(f"generated {events:,} events from {customers:,} customers in {gen_events[events][0]:.0f} s")
            with_pandas = events <= opts.pandas_max_events
            if with_pandas:
                ev = con.execute("SELECT type, event, event_id, customer_id, anonymous_id, timestamp FROM events").df()
                frames = {
                    "events": ev,
                    "orders": con.execute("SELECT customer_id, ordered_at FROM orders").df(),
                    "responses": con.execute("SELECT customer_id, submitted_at FROM responses").df(),
                }
            per_scale[events] = {}
            for metric in BEHAVIOUR:
                if events == scales[-1] and not with_pandas:  # each run is long: the timed runs are the check
                    got: dict[str, list[Counts]] = {"suara": [], "sql": []}
                    runs = interleaved(
                        {
                            "suara": lambda m=metric, g=got: g["suara"].append(behaviour_suara(wh, m)),
                            "sql": lambda m=metric, g=got: g["sql"].append(behaviour_sql(con, m)),
                        },
                        opts.largest_runs,
                    )
                    ours = got["suara"][0]
                    assert all(x == ours for x in got["suara"] + got["sql"]), f"{metric}: suara and SQL disagree"
                    per_scale[events][metric] = {k: median(v) for k, v in runs.items()}
                    checked[metric] = f"{len(ours)} periods, n={sum(ours.values()):,}"
                    print(events, metric, per_scale[events][metric])
                    continue
                ours, sql = behaviour_suara(wh, metric), behaviour_sql(con, metric)
                assert ours == sql, f"{metric}: suara and the hand-written SQL disagree at {events:,} events"
                engines: dict[str, Callable[[], Counts]] = {
                    "suara": partial(behaviour_suara, wh, metric),
                    "sql": partial(behaviour_sql, con, metric),
                }
                if with_pandas:
                    assert ours == behaviour_pandas(frames, metric), f"{metric}: pandas disagrees"
                    engines["pandas"] = partial(behaviour_pandas, frames, metric)
                    runs = interleaved(engines, opts.pandas_runs)
                    del engines["pandas"]
                    for k, v in interleaved(engines, max(0, opts.runs - opts.pandas_runs)).items():
                        runs[k] += v
                else:
                    runs = interleaved(engines, opts.runs)
                per_scale[events][metric] = {k: median(v) for k, v in runs.items()}
                checked.setdefault(metric, "")
                checked[metric] = f"{len(ours)} periods, n={sum(ours.values()):,}"
                print(events, metric, per_scale[events][metric])
            frames = {}
            if events == opts.spark_events:
                folder = Path(tmp) / "parquet"
                folder.mkdir()
                spark = spark_times(con, folder)
                print("spark", spark)
        wh.close()
        peak_gib, child_s = peak_memory(path, opts.memory_limit)
        print(f"peak memory {peak_gib:.2f} GiB in {child_s:.1f} s")
    report(opts, n, scales, measured, gen_s, gen_events, answers, per_scale, checked, spark, peak_gib, child_s)


def report(
    opts: argparse.Namespace,
    n: int,
    scales: list[int],
    measured: str,
    gen_s: float,
    gen_events: dict[int, tuple[float, int]],
    answers: dict[str, dict[str, float]],
    per_scale: dict[int, dict[str, dict[str, float]]],
    checked: dict[str, str],
    spark: dict[str, float],
    peak_gib: float,
    child_s: float,
) -> None:
    largest, pandas_scale = scales[-1], max(s for s in scales if s <= opts.pandas_max_events)

    def at(events: int) -> dict[str, dict[str, float]]:
        return {**answers, **per_scale[events]}

    def cells(t: dict[str, float]) -> list[str]:
        p = f"{t['pandas']:.2f} s" if "pandas" in t else ""
        r = f"{t['pandas'] / t['suara']:.1f}x" if "pandas" in t else ""
        return [f"{t['suara']:.2f} s", f"{t['sql']:.2f} s", p, f"{t['suara'] / t['sql']:.2f}x", r]

    label = {
        "nps": "NPS by week x segment",
        "csat": "CSAT by week x segment",
        "ces": "CES by week x segment",
        "conversion_rate": "conversion rate by week",
        "churn_rate": "churn rate by month",
    }
    rows = []
    for events in (largest, pandas_scale) if pandas_scale != largest else (largest,):
        sets = at(events)
        for metric, t in sets.items():
            if events != largest and metric in KINDS:
                continue
            rows.append([f"{events:,}", label[metric], checked[metric] if events == largest else "", *cells(t)])
        total = {k: sum(t[k] for t in sets.values()) for k in ("suara", "sql")}
        if all("pandas" in t for t in sets.values()):
            total["pandas"] = sum(t["pandas"] for t in sets.values())
        rows.append([f"{events:,}", "**whole set**", "", *cells(total)])
    head = [
        "events",
        "query",
        "checked identical (at the largest scale)",
        "suara",
        "SQL + maths",
        "pandas",
        "suara / SQL",
        "pandas / suara",
    ]
    grow = []
    for events in scales:
        t = per_scale[events]
        s_ours = sum(x["suara"] for x in t.values())
        s_sql = sum(x["sql"] for x in t.values())
        base = sum(x["suara"] for x in per_scale[scales[0]].values())
        grow.append(
            [
                f"{events:,}",
                f"{gen_events[events][1]:,}",
                f"{t['conversion_rate']['suara']:.2f} s",
                f"{t['churn_rate']['suara']:.2f} s",
                f"{s_ours:.2f} s",
                f"{s_sql:.2f} s",
                f"{s_ours / s_sql:.2f}x",
                f"{s_ours / base:.1f}x",
            ]
        )
    grow_head = [
        "events",
        "customers",
        "conversion",
        "churn",
        "suara",
        "SQL + maths",
        "suara / SQL",
        f"time vs {scales[0]:,}",
    ]
    full = at(largest)
    ratio_sql = sum(t["suara"] for t in full.values()) / sum(t["sql"] for t in full.values())
    pand = at(pandas_scale)
    ratio_pd = sum(t["pandas"] for t in pand.values()) / sum(t["suara"] for t in pand.values())
    spark_line = (
        f"Spark (local[2], 6 GB driver, Parquet copies of the same facts, {opts.spark_events:,} events, each query "
        "once after a warm-up): "
        + ", ".join(f"{label[m]} {s:.1f} s" for m, s in spark.items())
        + f"; whole set {sum(spark.values()):.1f} s against suara on DuckDB "
        f"{sum(t['suara'] for t in at(opts.spark_events).values()):.1f} s."
        if spark
        else "Spark was not timed in this run."
    )
    verdict = (
        f"at {n:,} responses and {largest:,} events the set takes {ratio_sql:.2f}x the hand-written SQL "
        f"({'meets' if ratio_sql <= 1.3 else 'misses'} at most 1.3x); at {pandas_scale:,} events suara is "
        f"{ratio_pd:.1f}x faster than pandas ({'meets' if ratio_pd >= 10 else 'misses'} at least 10x); "
        f"peak memory {peak_gib:.2f} GiB ({'meets' if peak_gib < 4 else 'misses'} under 4 GB)"
    )
    text = "\n\n".join(
        [
            "## Metrics overview set (`benchmarks/metrics.py`)" + (" - QUICK RUN" if opts.quick else ""),
            f"Measured {measured}.",
            f"{n:,} responses over 2025 (one answer each: NPS 50%, CSAT 25%, CES 25%) from 210,000 customers, "
            "200,000 with a segment trait among five (a quarter changed segment later; the latest counts); events in "
            "sessions of ten, a minute and a half apart, at random instants over 2025, ten sessions per customer, an "
            "eighth ending in "
            f"`order_completed` (responses generated in {gen_s:.0f} s, events in "
            + ", ".join(f"{gen_events[e][0]:.0f} s" for e in scales)
            + ", not timed). "
            "Queries: `MetricSpec(metric=m, by=['segment'], period='week')` for nps, csat, ces; `conversion_rate` by "
            "week (30-minute visits; goal `order_completed`); `churn_rate` by month (90-day inactivity over events, "
            f"orders and responses). Medians of {opts.runs} runs (pandas: {opts.pandas_runs}), interleaved, after a "
            f"warm-up; at {largest:,} events {opts.largest_runs} run(s) each, interleaved, without a warm-up. "
            "*SQL + maths*: hand-written DuckDB SQL on the same connection, then the same interval and change "
            "maths as suara in Python. *pandas*: the columns it needs read into memory first (not timed), then filter, "
            "merge, sort, groupby and the same maths; run up to "
            f"{opts.pandas_max_events:,} events (at 100 million the frames alone outgrow a laptop's memory). Before "
            "timing, the three agree on n in every group.",
            table(head, rows),
            "How time grows with the event count (conversion and churn; responses fixed):",
            table(grow_head, grow),
            f"Peak memory: a fresh process opening the {largest:,}-event warehouse and answering the whole set once "
            f"peaked at {peak_gib:.2f} GiB resident ({child_s:.1f} s, cold caches), with DuckDB's memory limit "
            + (
                f"set to {opts.memory_limit} (`SUARA_WAREHOUSE_MEMORY_LIMIT`; it spills to disk beyond it)."
                if opts.memory_limit
                else "at its default."
            )
            + f" The timed runs above use DuckDB's default limit ({_default_limit()}).",
            spark_line,
            f"Verdict: {verdict}.",
        ]
    )
    print(text)
    write_section("metrics", text)


if __name__ == "__main__":
    main()
