"""Ingestion over HTTP on loopback against a real `suara serve`, beside a bare ASGI anchor served the same way.

Phases: single responses at full speed (closed loop) and at the target rate (open loop), batches of 500 events,
then a crash test (SIGKILL mid-load, then every acknowledged id is looked up in the warehouse file).
The load generator is this process: raw HTTP/1.1 keep-alive connections on uvloop, cheap beside the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import uvloop
from _common import fmt_int, fmt_ms, machine, percentile, table, write_section

PY = sys.executable
BENCH = Path(__file__).resolve().parent
TS = b"2025-06-01T12:00:00Z"
TARGET_RATE, TARGET_P99, TARGET_EVENTS, BATCH = 1500, 0.050, 50_000, 500
PACKAGES = ["fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "duckdb", "orjson"]


class Http(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with one request in flight; answers the status code."""

    def __init__(self) -> None:
        self.buf = b""
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buf[:end].lower()
        at = head.find(b"content-length:") + 15
        size = int(head[at : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
        if len(self.buf) < end + 4 + size:
            return
        self.buf = self.buf[end + 4 + size :]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        if self.transport.is_closing():
            raise ConnectionError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


def post(path: str, key: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


def single(key: str, prefix: str) -> Callable[[int], tuple[list[str], bytes]]:
    def make(i: int) -> tuple[list[str], bytes]:
        rid = f"{prefix}-{i}"
        body = b'{"response_id":"%s","customer_id":"c%d","survey_id":"relationship","channel":"email",' % (
            rid.encode(), i % 20_000) + b'"submitted_at":"%s","answers":[{"kind":"nps","number":%d},' % (TS, i % 11)
        body += b'{"kind":"comment","text":"Delivery was quick and the support agent solved my problem."}]}'
        return [rid], post("/api/v1/responses", key, body)

    return make


def events(key: str, prefix: str) -> Callable[[int], tuple[list[str], bytes]]:
    def make(i: int) -> tuple[list[str], bytes]:
        ids = [f"{prefix}-{i}-{j}" for j in range(BATCH)]
        items = [
            b'{"type":"track","event":"Order Completed","userId":"c%d","timestamp":"%s","messageId":"%s",'
            b'"properties":{"order_id":"o%d","revenue":42.5,"currency":"EUR"}}' % (j % 20_000, TS, m.encode(), j)
            for j, m in enumerate(ids)
        ]
        return ids, post("/api/v1/events/batch", key, b'{"batch":[' + b",".join(items) + b"]}")

    return make


@dataclass
class Load:
    """What one phase measured: latencies and item counts inside the timed window, and every acknowledged id."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    items: int = 0
    errors: int = 0
    acked: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def row(self, name: str, unit: str, target: str) -> list[str]:
        rate = self.items / self.seconds if self.seconds else 0.0
        cpu = " / ".join(f"{v:.0%}" for v in self.cpu.values())
        return [name, f"{fmt_int(rate)} {unit}/s", fmt_ms(percentile(self.latencies, 50)),
                fmt_ms(percentile(self.latencies, 99)), str(self.errors), cpu, target]


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of the server's main (event loop) thread, of its other threads, and of this client."""
    tick = os.sysconf("SC_CLK_TCK")
    loop = other = 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent = (int(fields[11]) + int(fields[12])) / tick
        if int(tid) == pid:
            loop += spent
        else:
            other += spent
    me = os.times()
    return {"loop": loop, "threads": other, "client": me.user + me.system}


async def run_load(port: int, make: Callable[[int], tuple[list[str], bytes]], conns: int, seconds: float,
                   server: int, rate: float | None = None, warmup: float = 1.0, stop: float | None = None) -> Load:
    """Closed loop (each connection sends as soon as answered) or open loop at `rate`, latency from the send time
    it was scheduled for. Only answers inside [warmup, warmup + seconds] count toward the figures."""
    loop = asyncio.get_running_loop()
    pool = [(await loop.create_connection(Http, "127.0.0.1", port))[1] for _ in range(conns)]
    idle: asyncio.Queue[Http] = asyncio.Queue()
    for c in pool:
        idle.put_nowait(c)
    out, counter = Load(), iter(range(10**9))
    t0 = time.perf_counter()
    window = (t0 + warmup, t0 + warmup + seconds)
    before: dict[str, float] = {}

    async def one(due: float) -> bool:
        conn = await idle.get()
        ids, data = make(next(counter))
        try:
            status = await conn.request(data)
        except ConnectionError:
            out.errors += 1
            return False
        idle.put_nowait(conn)
        now = time.perf_counter()
        if 200 <= status < 300:
            out.acked.extend(ids)
        if window[0] <= now <= window[1]:
            out.latencies.append(now - due)
            out.items += len(ids) if 200 <= status < 300 else 0
            out.errors += not 200 <= status < 300
        return True

    async def closed() -> None:
        while time.perf_counter() < window[1] and await one(time.perf_counter()):
            pass

    async def watch() -> None:
        nonlocal before
        await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
        before = cpu_seconds(server)
        if stop is not None:
            await asyncio.sleep(stop - warmup)
            os.kill(server, signal.SIGKILL)
            return
        await asyncio.sleep(seconds)
        after = cpu_seconds(server)
        out.cpu = {k: (after[k] - before[k]) / seconds for k in after}

    watcher = asyncio.ensure_future(watch())
    if rate is None:
        await asyncio.gather(*(closed() for _ in range(conns)))
    else:
        tasks, i = set(), 0
        while (due := t0 + i / rate) < window[1]:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            while (due := t0 + i / rate) <= time.perf_counter():
                task = asyncio.ensure_future(one(due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
        await asyncio.gather(*tasks)
    await watcher
    out.seconds = seconds if stop is None else 0.0
    for c in pool:
        if c.transport is not None:
            c.transport.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stored(warehouse: Path, ids: list[str]) -> int:
    """How many of `ids` the warehouse file holds, read with DuckDB directly (after the server died)."""
    con = duckdb.connect(str(warehouse))
    con.register("acked", pa.table({"id": pa.array(ids, pa.string())}))
    found = con.execute("SELECT count(DISTINCT response_id) FROM responses JOIN acked ON response_id = id").fetchone()
    con.close()
    return int(found[0]) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 s phases instead of 10 s")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients posting single responses")
    parser.add_argument("--batch-connections", type=int, default=4, help="concurrent clients posting event batches")
    opts = parser.parse_args()
    secs = 3.0 if opts.quick else 10.0
    conns, bconns = opts.connections, opts.batch_connections
    uvloop.install()
    rows: list[list[str]] = []

    port = free_port()
    hello = start([PY, "-m", "uvicorn", "--app-dir", str(BENCH), "_hello:app", "--port", str(port), "--loop",
                   "uvloop", "--http", "httptools", "--lifespan", "off", "--log-level", "warning"], port)
    try:
        a_single = asyncio.run(run_load(port, single("-", "h"), conns, secs, hello.pid))
        a_events = asyncio.run(run_load(port, events("-", "h"), bconns, secs, hello.pid))
    finally:
        stop(hello)
    rows.append(a_single.row(f"anchor: bare ASGI, single ({conns} conns)", "req", "ceiling"))
    rows.append(a_events.row(f"anchor: bare ASGI, batch of {BATCH} ({bconns} conns)", "events", "ceiling"))

    with tempfile.TemporaryDirectory(prefix="suara-bench-") as tmp:
        cli = [PY, "-m", "suara.cli", "--data-dir", tmp]
        key = subprocess.run([*cli, "workspace", "create", "bench"], check=True, capture_output=True,
                             text=True, env={**os.environ, "COLUMNS": "500"}).stdout.strip()
        port = free_port()
        server = start([*cli, "serve", "--port", str(port)], port)
        try:
            s_single = asyncio.run(run_load(port, single(key, "s"), conns, secs, server.pid))
            s_open = asyncio.run(run_load(port, single(key, "o"), 2 * conns, secs, server.pid, rate=TARGET_RATE))
            s_events = asyncio.run(run_load(port, events(key, "e"), bconns, secs, server.pid))
            crash = asyncio.run(run_load(port, single(key, "k"), conns, secs, server.pid, stop=3.0))
        finally:
            server.kill()
            server.wait()
        kept = stored(Path(tmp) / "warehouse.duckdb", crash.acked)

    ratio = (s_single.items / a_single.items, s_events.items / a_events.items)
    rows.append(s_single.row(f"suara: single response ({conns} conns)", "responses",
                             f">= {TARGET_RATE:,}/s with p99 < {TARGET_P99 * 1000:.0f} ms"))
    rows.append(s_open.row(f"suara: single response, offered {TARGET_RATE:,}/s (open loop)", "responses",
                           f"p99 < {TARGET_P99 * 1000:.0f} ms"))
    rows.append(s_events.row(f"suara: batch of {BATCH} events ({bconns} conns)", "events",
                             f">= {TARGET_EVENTS:,}/s"))
    lost = len(crash.acked) - kept
    head = ["phase", "sustained rate", "p50", "p99", "errors", "CPU loop / threads / client", "target"]
    body = table(head, rows)
    crash_table = table(["crash test", "acknowledged", "stored", "lost", "target"],
                        [["SIGKILL after 3 s of single-response load", fmt_int(len(crash.acked)), fmt_int(kept),
                          fmt_int(lost), "0 lost"]])
    verdict = "; ".join([
        f"single responses {'meet' if s_single.items / secs >= TARGET_RATE else 'miss'} the rate target",
        f"p99 at {TARGET_RATE:,}/s {'meets' if percentile(s_open.latencies, 99) < TARGET_P99 else 'misses'} "
        "the latency target",
        f"events {'meet' if s_events.items / secs >= TARGET_EVENTS else 'miss'} the target",
        f"{'no' if lost == 0 else lost} acknowledged items lost",
    ])
    text = "\n\n".join([
        "## Ingestion over HTTP (`benchmarks/ingest.py`)" + (" - QUICK RUN" if opts.quick else ""),
        f"Measured {machine(PACKAGES)}.",
        f"Server and load generator share this machine's CPUs over loopback; {secs:.0f} s per phase after a 1 s "
        "warm-up. Latency is from send (open loop: from the scheduled send time) to the full answer. CPU is the "
        "share of one core used by the server's event-loop thread, by its other threads (warehouse writer, "
        "DuckDB) and by the load generator.",
        body,
        f"suara against the anchor in the same run: single responses {ratio[0]:.0%} of the bare ASGI rate, "
        f"event batches {ratio[1]:.0%}.",
        crash_table,
        f"Verdict: {verdict}.",
    ])
    print(text)
    write_section("ingest", text)
    if lost:
        sys.exit(f"{lost} acknowledged responses were lost")


if __name__ == "__main__":
    main()
