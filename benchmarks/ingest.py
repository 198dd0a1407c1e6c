"""Ingestion over HTTP on loopback against a real `suara serve`, beside two anchors served the same way.

Anchors: a bare ASGI app (the server's ceiling) and a one-route FastAPI app (the framework's ceiling); both parse
the JSON and answer 201 without validating or storing. Phases: single responses at full speed (closed loop), at the
target rate (open loop), batches of 500 events; then a crash test: SIGKILL mid-load, then every acknowledged id is
looked up in the warehouse file. The load generator (`_loadgen.py`) runs in this process, the servers in their own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import uvloop
from _common import fmt_int, machine, median, percentile, table, write_section
from _loadgen import Load, Make, cpu_seconds, free_port, post, run_load, serve

PY = sys.executable
TS = b"2025-06-01T12:00:00Z"
TARGET_RATE, TARGET_P99, TARGET_EVENTS, BATCH = 1500, 0.050, 50_000, 500
IDLE_CPU, SETTLE_LIMIT_S = 0.10, 60.0  # a phase starts once the server uses under 10% of a core (at most 60 s on)
PACKAGES = ["fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "duckdb", "orjson"]
UVICORN = ["--loop", "uvloop", "--http", "httptools", "--lifespan", "off", "--log-level", "warning"]
RESPONSE = (
    b'{"response_id":"%s","customer_id":"c%d","survey_id":"relationship","channel":"email","submitted_at":"%s",'
    b'"answers":[{"kind":"nps","number":%d},{"kind":"comment","text":"Quick delivery, and support solved it."}]}'
)
EVENT = (
    b'{"type":"track","event":"Order Completed","userId":"c%d","timestamp":"%s","messageId":"%s",'
    b'"properties":{"order_id":"o%d","revenue":42.5,"currency":"EUR"}}'
)
ANCHORS = {"bare ASGI": "_hello:app", "FastAPI hello": "_hello:fastapi_app"}
QUIET = "suara, background jobs off"  # a diagnostic: the ingestion path without enrichment and the consumers


def single(key: str, prefix: str) -> Make:
    """One survey response per request (an NPS answer and a comment) with a unique response_id."""

    def make(i: int) -> tuple[list[str], bytes]:
        rid = f"{prefix}-{i}"
        return [rid], post("/api/v1/responses", key, RESPONSE % (rid.encode(), i % 20_000, TS, i % 11))

    return make


def events(key: str, prefix: str) -> Make:
    """A batch of 500 Segment-shaped track calls, each with a unique messageId."""

    def make(i: int) -> tuple[list[str], bytes]:
        ids = [f"{prefix}-{i}-{j}" for j in range(BATCH)]
        items = b",".join(EVENT % (j % 20_000, TS, m.encode(), j) for j, m in enumerate(ids))
        return ids, post("/api/v1/events/batch", key, b'{"batch":[' + items + b"]}")

    return make


def workspace_key(cli: list[str]) -> str:
    """Create the bench workspace in the data folder `cli` names; returns its API key."""
    env = {**os.environ, "COLUMNS": "500"}
    made = subprocess.run([*cli, "workspace", "create", "bench"], check=True, capture_output=True, text=True, env=env)
    return made.stdout.strip()


def stored(warehouse: Path, ids: list[str]) -> int:
    """How many of `ids` the warehouse file holds, read with DuckDB directly (after the server died)."""
    con = duckdb.connect(str(warehouse))
    con.register("acked", pa.table({"id": pa.array(ids, pa.string())}))
    (found,) = con.execute(
        "SELECT count(DISTINCT response_id) FROM responses JOIN acked ON response_id = id"
    ).fetchone() or (0,)
    con.close()
    return int(found)


def settle(pid: int) -> float:
    """Wait until the server is idle (its background work on the previous phase's items, such as text enrichment,
    done), so that a phase measures its own load; returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < SETTLE_LIMIT_S:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        after = cpu_seconds(pid)
        if (after["loop"] + after["threads"] - before["loop"] - before["threads"]) / 0.5 < IDLE_CPU:
            break
    return time.monotonic() - start


def summary(name: str, runs: list[Load], unit: str, target: str, anchors: dict[str, float] | None = None) -> list[str]:
    """A table row: medians over the runs of rate, p50, p99 and CPU; ratios to the anchors' median rates."""
    rate = median([r.items / r.seconds for r in runs])
    ms = [f"{median([percentile(r.latencies, q) for r in runs]) * 1000:.1f} ms" for q in (50, 99)]
    cpu = " / ".join(f"{median([r.cpu.get(k, 0.0) for r in runs]):.0%}" for k in ("loop", "threads", "client"))
    ratio = ", ".join(f"{rate / v:.0%} of {k}" for k, v in (anchors or {}).items())
    return [name, f"{fmt_int(rate)} {unit}/s", *ms, str(sum(r.errors for r in runs)), cpu, ratio, target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round of 3 s phases instead of three of 10 s")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients posting single responses")
    parser.add_argument("--batch-connections", type=int, default=4, help="concurrent clients posting event batches")
    opts = parser.parse_args()
    secs, rounds = (3.0, 1) if opts.quick else (10.0, 3)
    conns, bconns, measured = opts.connections, opts.batch_connections, machine(PACKAGES)
    uvloop.install()
    runs: dict[str, list[Load]] = {}
    settled: list[float] = []
    with tempfile.TemporaryDirectory(prefix="suara-bench-") as tmp:
        quiet_dir = Path(tmp) / "quiet"
        cli = [PY, "-m", "suara.cli", "--data-dir", tmp]
        keys = {"suara": workspace_key(cli), QUIET: workspace_key([*cli[:-1], str(quiet_dir)])}
        ports = {name: free_port() for name in [*ANCHORS, "suara", QUIET]}
        app_dir = [PY, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent)]
        commands = {name: [*app_dir, app, "--port", str(ports[name]), *UVICORN] for name, app in ANCHORS.items()}
        commands["suara"] = [*cli, "serve", "--port", str(ports["suara"])]
        off = ["env", "SUARA_BACKGROUND_INTERVAL_S=0", *cli[:-1], str(quiet_dir)]
        commands[QUIET] = [*off, "serve", "--port", str(ports[QUIET])]
        servers = {name: serve(command, ports[name]) for name, command in commands.items()}
        try:
            for r in range(rounds):  # each round visits every server, so background load falls on all alike
                for name, proc in servers.items():
                    k, tag = keys.get(name, "-"), f"{'q' if name == QUIET else name[0]}{r}"
                    phases: dict[str, tuple[Make, int, float | None]] = {
                        "single": (single(k, f"{tag}s"), conns, None),
                        "events": (events(k, f"{tag}e"), bconns, None),
                    }
                    if name in ("suara", QUIET):
                        phases["open"] = (single(k, f"{tag}o"), 2 * conns, float(TARGET_RATE))
                    for phase, (make, n, offered) in phases.items():
                        settled.append(settle(proc.pid))
                        load = asyncio.run(run_load(ports[name], make, n, secs, proc.pid, rate=offered))
                        runs.setdefault(f"{name}/{phase}", []).append(load)
            proc = servers["suara"]
            settled.append(settle(proc.pid))
            crash = asyncio.run(
                run_load(ports["suara"], single(keys["suara"], "k"), conns, secs, proc.pid, kill_after=3.0)
            )
        finally:
            for proc in servers.values():
                proc.kill()
                proc.wait()
        kept = stored(Path(tmp) / "warehouse.duckdb", crash.acked)

    def rate(k: str) -> float:
        return median([r.items / r.seconds for r in runs[k]])

    p99, lost = f"p99 < {TARGET_P99 * 1000:.0f} ms", len(crash.acked) - kept
    rows = []
    for phase, what, unit, target, conn in [
        ("single", "single response", "responses", f">= {TARGET_RATE:,}/s", conns),
        ("events", f"batch of {BATCH} events", "events", f">= {TARGET_EVENTS:,}/s", bconns),
    ]:
        anchors = {name: rate(f"{name}/{phase}") for name in ANCHORS}
        rows += [
            summary(f"{name}: {what} ({conn} conns)", runs[f"{name}/{phase}"], unit, "ceiling") for name in ANCHORS
        ]
        rows.append(summary(f"suara: {what} ({conn} conns)", runs[f"suara/{phase}"], unit, target, anchors))
        rows.append(summary(f"{QUIET}: {what} ({conn} conns)", runs[f"{QUIET}/{phase}"], unit, "diagnostic", anchors))
        if phase == "single":
            at_rate = f"{what}, {TARGET_RATE:,}/s offered (open loop, {2 * conns} conns)"
            rows.append(summary(f"suara: {at_rate}", runs["suara/open"], unit, p99))
            rows.append(summary(f"{QUIET}: {at_rate}", runs[f"{QUIET}/open"], unit, "diagnostic"))
    open_p99 = median([percentile(r.latencies, 99) for r in runs["suara/open"]])
    verdict = "; ".join(
        [
            f"single responses {'meet' if rate('suara/single') >= TARGET_RATE else 'miss'} {TARGET_RATE:,}/s",
            f"p99 at {TARGET_RATE:,}/s offered {'meets' if open_p99 < TARGET_P99 else 'misses'} {p99}",
            f"event batches {'meet' if rate('suara/events') >= TARGET_EVENTS else 'miss'} {TARGET_EVENTS:,}/s",
            f"{'no' if lost == 0 else lost} acknowledged responses lost in the crash test",
        ]
    )
    crash_row = ["SIGKILL 3 s into single-response load", *map(fmt_int, (len(crash.acked), kept, lost)), "0 lost"]
    text = "\n\n".join(
        [
            "## Ingestion over HTTP (`benchmarks/ingest.py`)" + (" - QUICK RUN" if opts.quick else ""),
            f"Measured {measured}.",
            "Servers and load generator share the machine over loopback; uvicorn with uvloop and httptools for "
            f"all three. Medians over {rounds} round(s) of {secs:.0f} s phases (each after a 1 s warm-up), the "
            "servers in turn; each phase starts once its server is idle, so that suara's background work on the "
            f"previous phase's items is done (waits: median {median(settled):.1f} s, longest {max(settled):.1f} s); "
            "the background work on a phase's own items (text enrichment of comments, the event consumers) runs "
            "during it, as in production. Latency: from send (open loop: from the scheduled send time) to the full "
            "answer. CPU: share of one core used by the server's event-loop thread / its other threads (warehouse "
            "writer, DuckDB, background jobs) / the load generator. The rows marked diagnostic serve the same build "
            "with its background jobs off (`SUARA_BACKGROUND_INTERVAL_S=0`): the ingestion path's own ceiling on this "
            "machine; the targets are for the default server.",
            table(
                [
                    "phase",
                    "sustained rate",
                    "p50",
                    "p99",
                    "errors",
                    "CPU loop / threads / client",
                    "vs anchors",
                    "target",
                ],
                rows,
            ),
            table(["crash test", "acknowledged", "stored", "lost", "target"], [crash_row]),
            f"Verdict: {verdict}.",
        ]
    )
    print(text)
    write_section("ingest", text)
    if lost:
        sys.exit(f"{lost} acknowledged responses were lost")


if __name__ == "__main__":
    main()
