"""A 5-step funnel over 50 million events from 1 million customers (`--quick`: 5 million from 100,000).

suara's `run_funnel` (Ibis on the DuckDB warehouse) against ClickHouse's `windowFunnel` run by chdb on the same
events, loaded into a chdb MergeTree table from a Parquet file written by DuckDB. Both run in the same process,
alternating; before timing, both must give the same number of customers at every step, loose and strict.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from _common import interleaved, machine, median, table, write_section

from suara.journeys import FunnelSpec, run_funnel
from suara.store.warehouse import Warehouse, arrow_schema

WS = "ws_bench"
STEPS = ["catalog", "product_view", "add_to_cart", "payment_details", "purchase"]
OTHER = ["home", "search", "cart", "account_page", "support_chat"]
EVENTS = STEPS + OTHER
SESSIONS, PER_SESSION = 5, 10  # events per customer: 5 sessions of 10 events
DAYS = 180
WINDOW_S = 86_400
PACKAGES = ["duckdb", "ibis-framework", "sqlglot", "chdb", "chdb-core", "pyarrow", "numpy"]
TARGET = 2.0


def _weights(position: int) -> np.ndarray:
    """Event mix at a position in a session: browsing early, checkout steps later."""
    late = position / (PER_SESSION - 1)
    steps = np.array([0.30 - 0.2 * late, 0.30, 0.05 + 0.15 * late, 0.01 + 0.09 * late, 0.005 + 0.06 * late])
    other = np.array([0.15 - 0.1 * late, 0.15, 0.05 + 0.05 * late, 0.03, 0.02])
    w = np.concatenate([steps, other])
    return w / w.sum()


def generate(wh: Warehouse, customers: int, seed: int = 7, chunk: int = 5_000_000) -> int:
    """Sessions at random instants over 180 days, events a minute or two apart; loaded in timestamp order."""
    rng = np.random.default_rng(seed)
    n = customers * SESSIONS * PER_SESSION
    cust = np.repeat(np.arange(customers, dtype=np.int32), SESSIONS * PER_SESSION)
    starts = rng.integers(0, DAYS * 86_400, customers * SESSIONS)
    gaps = rng.exponential(90.0, n).astype(np.int64).reshape(-1, PER_SESSION)
    gaps[:, 0] = 0
    seconds = np.repeat(starts, PER_SESSION) + np.cumsum(gaps, axis=1).ravel()
    position = np.tile(np.arange(PER_SESSION), customers * SESSIONS)
    event = np.empty(n, dtype=np.int8)
    for p in range(PER_SESSION):
        mask = position == p
        event[mask] = rng.choice(len(EVENTS), int(mask.sum()), p=_weights(p))
    del position, gaps
    order = np.argsort(seconds, kind="stable")  # an append-only table arrives in time order
    seconds, cust, event = seconds[order], cust[order], event[order]
    del order
    names = pa.array([f"c{i:07d}" for i in range(customers)])
    vocab = pa.array(EVENTS)
    epoch = np.datetime64("2024-01-01T00:00:00", "s")
    fields = arrow_schema("events")
    for off in range(0, n, chunk):
        part = slice(off, min(n, off + chunk))
        m = part.stop - part.start
        cols: dict[str, Any] = {
            "workspace_id": pa.repeat(WS, m),
            "type": pa.repeat("track", m),
            "event": pc.take(vocab, pa.array(event[part])),
            "customer_id": pc.take(names, pa.array(cust[part])),
            "timestamp": pa.array((epoch + seconds[part]).astype("datetime64[us]")),
        }
        wh.load("events", pa.table({f.name: cols.get(f.name, pa.nulls(m, f.type)) for f in fields}, schema=fields))
    wh.cursor().execute("CHECKPOINT")
    return n


def chdb_session(wh: Warehouse, folder: Path) -> Any:
    """A chdb session holding the same events in a MergeTree table, loaded from a Parquet file."""
    from chdb import session

    parquet = folder / "events.parquet"
    wh.cursor().execute(
        f"COPY (SELECT workspace_id, customer_id, event, timestamp FROM events) TO '{parquet}' (FORMAT parquet)"
    )
    sess = session.Session(str(folder / "chdb"))
    sess.query("CREATE DATABASE IF NOT EXISTS bench")
    sess.query(
        "CREATE TABLE bench.events (workspace_id String, customer_id String, event String, timestamp DateTime) "
        "ENGINE = MergeTree ORDER BY tuple()"
    )
    sess.query(
        "INSERT INTO bench.events SELECT workspace_id, customer_id, event, toDateTime(timestamp, 'UTC') "
        f"FROM file('{parquet}', Parquet)"
    )
    return sess


def chdb_counts(sess: Any, strict: bool) -> list[int]:
    """Customers reaching each step by windowFunnel (reached step k = level >= k)."""
    conds = ", ".join(f"event = '{s}'" for s in STEPS)
    mode = ", 'strict_order'" if strict else ""
    sql = (
        f"SELECT level, count() FROM (SELECT customer_id, windowFunnel({WINDOW_S}{mode})(timestamp, {conds}) AS level "
        f"FROM bench.events WHERE workspace_id = '{WS}' GROUP BY customer_id) GROUP BY level"
    )
    by_level = dict.fromkeys(range(len(STEPS) + 1), 0)
    for line in sess.query(sql, "CSV").data().split():
        level, count = line.split(",")
        by_level[int(level)] = int(count)
    return [sum(by_level[j] for j in range(k, len(STEPS) + 1)) for k in range(1, len(STEPS) + 1)]


def suara_counts(wh: Warehouse, strict: bool) -> list[int]:
    spec = FunnelSpec(steps=STEPS, window=WINDOW_S, order="strict" if strict else "loose")
    return [s.count for s in run_funnel(wh, WS, spec).steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 customers (5 million events)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each engine per mode, after a warm-up")
    opts = parser.parse_args()
    customers = 100_000 if opts.quick else 1_000_000
    measured = machine(PACKAGES)
    rows, checked = [], []
    with tempfile.TemporaryDirectory(prefix="suara-bench-") as tmp:
        wh = Warehouse.open_duckdb(Path(tmp) / "warehouse.duckdb")
        t0 = time.perf_counter()
        n = generate(wh, customers)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sess = chdb_session(wh, Path(tmp))
        load_s = time.perf_counter() - t0
        print(f"generated {n:,} events in {gen_s:.0f} s; loaded into chdb in {load_s:.0f} s")
        for strict in (False, True):
            ours, theirs = suara_counts(wh, strict), chdb_counts(sess, strict)  # and warm-up
            mode = "strict_order" if strict else "default (loose)"
            assert ours == theirs, f"{mode}: suara {ours} != chdb {theirs}"
            checked.append(f"{mode}: {', '.join(f'{c:,}' for c in ours)}")
            runs = interleaved(
                {"suara": partial(suara_counts, wh, strict), "chdb": partial(chdb_counts, sess, strict)}, opts.runs
            )
            t = {k: median(v) for k, v in runs.items()}
            rows.append([mode, f"{t['suara']:.3f} s", f"{t['chdb']:.3f} s", f"{t['suara'] / t['chdb']:.2f}x"])
            print(" | ".join(rows[-1]))
        sess.close()
        wh.close()
    worst = max(float(r[-1][:-1]) for r in rows)
    meets = "meets" if worst <= TARGET else "misses"
    verdict = f"suara takes at most {worst:.2f}x chdb's time ({meets} the target of {TARGET:g}x)"
    text = "\n\n".join(
        [
            "## Funnel: 5 steps, 1-day window (`benchmarks/funnel.py`)" + (" - QUICK RUN" if opts.quick else ""),
            f"Measured {measured}.",
            f"{n:,} events from {customers:,} customers (5 sessions of 10 events each at random instants over "
            f"{DAYS} days, events a minute or two apart, 10 event names; rows stored in time order). Funnel "
            f"{' → '.join(STEPS)} with a 1-day window. *suara*: `run_funnel` (counts, Wilson intervals, median "
            "times between steps) on the DuckDB warehouse. *chdb*: `windowFunnel(86400)` (and `'strict_order'`) "
            "per customer, then customers per level, on a chdb MergeTree table (insertion order) loaded from a "
            f"Parquet copy of the same events ({load_s:.0f} s, not timed). Data generated in {gen_s:.0f} s "
            f"(not timed). Medians of {opts.runs} interleaved runs after a warm-up.",
            "Checked identical customers per step before timing: " + "; ".join(checked) + ".",
            table(["mode", "suara", "chdb", "suara / chdb"], rows),
            f"Verdict: {verdict}.",
        ]
    )
    print(text)
    write_section("funnel", text)


if __name__ == "__main__":
    main()
