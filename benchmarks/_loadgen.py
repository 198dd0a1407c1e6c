"""A cheap HTTP/1.1 load generator for the ingestion benchmark: raw keep-alive connections on the running loop
(uvloop), closed or open loop, with per-thread CPU accounting of the server under test."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Make = Callable[[int], tuple[list[str], bytes]]  # request number -> (ids it carries, request bytes)


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
        stop = head.find(b"\r\n", at)
        size = int(head[at : stop if stop > 0 else None])
        if len(self.buf) >= end + 4 + size:
            self.buf = self.buf[end + 4 + size :]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    async def request(self, data: bytes) -> int:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


def post(path: str, key: str, body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


@dataclass
class Load:
    """One run of a phase: latencies and items acknowledged inside the timed window, every acknowledged id, and
    CPU used over the window (share of one core) by the server's event-loop thread, its other threads, the client."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    items: int = 0
    errors: int = 0
    acked: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


def cpu_seconds(pid: int) -> dict[str, float]:
    tick, loop, other = os.sysconf("SC_CLK_TCK"), 0.0, 0.0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent = (int(fields[11]) + int(fields[12])) / tick
        loop, other = (loop + spent, other) if int(tid) == pid else (loop, other + spent)
    me = os.times()
    return {"loop": loop, "threads": other, "client": me.user + me.system}


async def run_load(
    port: int,
    make: Make,
    conns: int,
    seconds: float,
    server: int,
    rate: float | None = None,
    warmup: float = 1.0,
    kill_after: float | None = None,
) -> Load:
    """Closed loop (each connection sends again once answered) or open loop at `rate` (latency counted from the
    scheduled send time, so queueing shows). Only answers inside [warmup, warmup + seconds] count."""
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[Http] = asyncio.Queue()
    for _ in range(conns):
        idle.put_nowait((await loop.create_connection(Http, "127.0.0.1", port))[1])
    out, counter = Load(seconds=seconds), iter(range(10**9))
    t0 = time.perf_counter()
    start, end = t0 + warmup, t0 + warmup + seconds

    async def one(due: float) -> bool:
        conn = await idle.get()
        if time.perf_counter() > end:  # the window closed while this request queued for a connection
            idle.put_nowait(conn)
            return False
        ids, data = make(next(counter))
        try:
            status = await conn.request(data)
        except ConnectionError:
            out.errors += 1
            return False
        idle.put_nowait(conn)
        now, ok = time.perf_counter(), 200 <= status < 300
        if ok:
            out.acked.extend(ids)
        if start <= now <= end:
            out.latencies.append(now - due)
            out.items += len(ids) if ok else 0
            out.errors += not ok
        return True

    async def closed() -> None:
        while time.perf_counter() < end and await one(time.perf_counter()):
            pass

    async def watch() -> None:
        await asyncio.sleep(warmup)
        before = cpu_seconds(server)
        if kill_after is not None:
            await asyncio.sleep(kill_after - warmup)
            os.kill(server, signal.SIGKILL)
            return
        await asyncio.sleep(seconds)
        after = cpu_seconds(server)
        out.cpu = {k: (after[k] - before[k]) / seconds for k in after}

    tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(watch())]
    if rate is None:
        tasks += [asyncio.ensure_future(closed()) for _ in range(conns)]
    else:
        i = 0
        while (due := t0 + i / rate) < end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            while (due := t0 + i / rate) <= time.perf_counter():
                tasks.append(asyncio.ensure_future(one(due)))
                i += 1
    await asyncio.gather(*tasks)
    while not idle.empty():
        if (transport := idle.get_nowait().transport) is not None:
            transport.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(args: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{' '.join(args)} did not start")
