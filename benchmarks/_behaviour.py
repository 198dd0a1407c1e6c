"""The behavioural half of the metrics benchmark: a generated clickstream, and churn and conversion by hand.

Each customer comes in sessions of ten events a minute and a half apart at random instants over 2025; an eighth of
sessions end in `order_completed`. The hand-written SQL and the pandas code answer exactly what `run_metric` answers
for `conversion_rate` by week and `churn_rate` by month (90-day inactivity window), checked group by group.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from suara.metrics.sources import SESSION_GAP_S

WINDOW_DAYS = 90
GOAL = "order_completed"
NAMES = ["page_view", "product_view", "search", "add_to_cart", "checkout", "page_view", "product_view", "page_view"]
EVENTS_PER_SESSION = 10


def generate_events(con: Any, ws: str, n: int, seed: int = 11) -> int:
    """`n` events from `n / 100` customers (ten sessions each) in one SQL statement; returns the customer count."""
    customers = max(1, n // (EVENTS_PER_SESSION * 10))
    year_us = 365 * 86_400 * 10**6
    names = "[" + ", ".join(f"'{x}'" for x in NAMES) + "]"
    con.execute(f"SELECT setseed({seed / 100})")
    con.execute(
        f"""
        INSERT INTO events BY NAME
        WITH e AS (
            SELECT i, i // {EVENTS_PER_SESSION} AS s, i % {EVENTS_PER_SESSION} AS k FROM range({n}) t(i)
        )
        SELECT '{ws}' AS workspace_id, 'e' || i AS event_id, 'track' AS type,
               CASE WHEN k = {EVENTS_PER_SESSION - 1} AND hash(s, {seed}) % 8 = 0 THEN '{GOAL}'
                    ELSE {names}[1 + (hash(i, {seed}) % {len(NAMES)})::BIGINT] END AS event,
               'c' || (s % {customers}) AS customer_id,
               TIMESTAMP '2025-01-01' + to_microseconds((hash(s, {seed} + 1) % {year_us})::BIGINT)
                   + to_seconds(90 * k) AS timestamp,
               timestamp AS ingested_at
        FROM e
        """
    )
    return customers


# -- conversion rate by week ---------------------------------------------------------------------------------------
CONVERSION_SQL = f"""
WITH ev AS (
    SELECT coalesce(customer_id, anonymous_id) AS visitor, timestamp AS ts, event_id, event,
           floor(epoch(timestamp)) AS secs
    FROM events WHERE workspace_id = $ws AND type != 'identify'
), marked AS (
    SELECT *, CASE WHEN secs - lag(secs) OVER w IS NULL OR secs - lag(secs) OVER w > {SESSION_GAP_S}
                   THEN 1 ELSE 0 END AS starts
    FROM ev WINDOW w AS (PARTITION BY visitor ORDER BY ts, event_id)
), numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY visitor ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS session
    FROM marked
), visits AS (
    SELECT visitor, session, min(ts) AS ts, bool_or(event = '{GOAL}') AS converted FROM numbered GROUP BY ALL
)
SELECT CAST(date_trunc('week', ts) AS DATE) AS period, count(*) AS n, count_if(converted) AS hits
FROM visits GROUP BY ALL
"""


def conversion_pandas(events: pd.DataFrame) -> pd.DataFrame:
    ev = events[events.type != "identify"]
    ev = ev.assign(visitor=ev.customer_id.fillna(ev.anonymous_id)).sort_values(["visitor", "timestamp", "event_id"])
    secs = ev.timestamp.astype("int64") // 10**6  # whole seconds, as suara counts them
    gap = secs.groupby(ev.visitor, sort=False).diff()
    ev = ev.assign(starts=(gap.isna() | (gap > SESSION_GAP_S)).astype("int64"), hit=ev.event == GOAL)
    ev["session"] = ev.groupby("visitor", sort=False).starts.cumsum()
    visits = ev.groupby(["visitor", "session"], sort=False).agg(first=("timestamp", "min"), hits=("hit", "any"))
    day = visits["first"].dt.normalize()
    visits["period"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    return visits.assign(n=1).groupby("period").agg(n=("n", "sum"), hits=("hits", "sum")).reset_index()


# -- churn rate by month -------------------------------------------------------------------------------------------
def month_boundaries(last_activity_day: datetime) -> list[datetime]:
    """The period starts suara uses for `period='month'` with no start or end given (see sources.boundaries)."""
    end = last_activity_day + timedelta(days=1)
    start = end - timedelta(days=365)
    out = [datetime(start.year, start.month, 1)]
    while (nxt := (out[-1] + timedelta(days=32)).replace(day=1)) <= end:
        out.append(nxt)
    return out


ACTIVITY_SQL = """
SELECT DISTINCT customer_id, date_trunc('day', ts) AS day FROM (
    SELECT customer_id, timestamp AS ts FROM events WHERE workspace_id = $ws {cond}
    UNION ALL SELECT customer_id, ordered_at FROM orders WHERE workspace_id = $ws {cond2}
    UNION ALL SELECT customer_id, submitted_at FROM responses WHERE workspace_id = $ws {cond3}
) WHERE customer_id IS NOT NULL
"""


def _activity(lo: str = "", hi: str = "") -> str:
    conds = [f"AND {col} >= {lo} AND {col} < {hi}" if lo else "" for col in ("timestamp", "ordered_at", "submitted_at")]
    return ACTIVITY_SQL.format(cond=conds[0], cond2=conds[1], cond3=conds[2])


def churn_sql(con: Any, ws: str) -> pd.DataFrame:
    newest = con.execute(f"SELECT max(day) FROM ({_activity()})", {"ws": ws}).fetchone()[0]
    points = month_boundaries(pd.Timestamp(newest).to_pydatetime())
    values = ", ".join(
        f"(TIMESTAMP '{t}', {f'TIMESTAMP {chr(39)}{n}{chr(39)}' if n else 'NULL'})"
        for t, n in zip(points, [*points[1:], None], strict=True)
    )
    lo, hi = f"TIMESTAMP '{points[0] - timedelta(days=WINDOW_DAYS)}'", f"TIMESTAMP '{points[-1]}'"
    sql = f"""
    WITH days AS ({_activity(lo, hi)}),
    b AS (SELECT * FROM (VALUES {values}) b(t, t_next)),
    active AS (
        SELECT DISTINCT customer_id, t, t_next FROM days JOIN b
        ON days.day < b.t AND days.day >= b.t - INTERVAL {WINDOW_DAYS} DAY
    ),
    marked AS (SELECT t, t_next, lead(t) OVER (PARTITION BY customer_id ORDER BY t) AS following FROM active)
    SELECT CAST(t AS DATE) AS period, count(*) AS n, count_if(following IS DISTINCT FROM t_next) AS hits
    FROM marked WHERE t_next IS NOT NULL GROUP BY ALL
    """
    return con.execute(sql, {"ws": ws}).df()


def churn_pandas(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [
        frames["events"][["customer_id", "timestamp"]].rename(columns={"timestamp": "ts"}),
        frames["orders"][["customer_id", "ordered_at"]].rename(columns={"ordered_at": "ts"}),
        frames["responses"][["customer_id", "submitted_at"]].rename(columns={"submitted_at": "ts"}),
    ]
    act = pd.concat(parts, ignore_index=True).dropna(subset=["customer_id"])
    act["day"] = act.ts.dt.normalize()
    days = act[["customer_id", "day"]].drop_duplicates()
    points = month_boundaries(days.day.max().to_pydatetime())
    t = np.array(points, dtype="datetime64[us]")
    d = days.day.to_numpy(dtype="datetime64[us]")
    window = np.timedelta64(WINDOW_DAYS, "D")
    # A day activates the boundaries t with day < t <= day + window: an index range in the sorted boundaries.
    lo, hi = np.searchsorted(t, d, side="right"), np.searchsorted(t, d + window, side="right")
    span = hi - lo
    rows = np.repeat(np.arange(len(days)), span)
    idx = np.repeat(lo, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    active = pd.DataFrame({"customer_id": days.customer_id.to_numpy()[rows], "i": idx}).drop_duplicates()
    starts = active[active.i < len(points) - 1]
    later = active.assign(i=active.i - 1, back=True)
    j = starts.merge(later, on=["customer_id", "i"], how="left")
    j["hits"] = j.back.isna()
    out = j.groupby("i").agg(n=("customer_id", "size"), hits=("hits", "sum")).reset_index()
    out["period"] = [points[i].date() for i in out.i]
    return out[["period", "n", "hits"]]
