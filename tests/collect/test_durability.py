"""An acknowledged write survives SIGKILL: a writer process is killed mid-run and every acked id is found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.warehouse import Warehouse

WRITER = textwrap.dedent("""
    import sys, threading
    from suara.runtime import Runtime
    from suara.settings import Settings

    rt = Runtime.open(Settings(data_dir=sys.argv[1]))
    lock = threading.Lock()

    def client(worker):
        for batch in range(10_000):
            items = [{"response_id": f"w{worker}-b{batch}-{i}", "customer_id": f"c{i}",
                      "submitted_at": "2026-03-02T00:00:00Z", "answers": [{"kind": "nps", "number": i % 11}]}
                     for i in range(25)]
            result = rt.ingestor.ingest("responses", "ws", items)
            with lock:  # printed only after the commit answered
                sys.stdout.write("\\n".join(result.accepted_keys) + "\\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=client, args=(w,)) for w in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
""")


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 120
    while len(acked) < 3000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.strip():
            acked.append(line.strip())
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    acked += [x for x in rest.splitlines() if x.strip()]  # lines already written before the kill
    assert len(acked) >= 3000, "the writer process did not get going"

    wh = Warehouse.open_duckdb(data / "warehouse.duckdb")
    ids = list(wh.table("responses", "ws").response_id.execute())
    stored = set(ids)
    answers = wh.count("answers", "ws")
    keys = wh.cursor().execute("SELECT count(*) FROM ingest_keys WHERE kind = 'responses'").fetchone()[0]
    wh.close()
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged responses were lost"
    assert len(ids) == len(stored), "a response was stored twice"
    assert answers == len(stored), "a response was stored without its answer (a torn write)"
    assert keys == len(stored), "an idempotency key was committed apart from its response"


def test_retries_after_a_crash_count_once(tmp_path: Path) -> None:
    """Whatever a killed writer committed, a client resending everything gets each item written exactly once."""
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acked: list[str] = []
    while len(acked) < 500 and (line := proc.stdout.readline()):
        acked += [line.strip()] if line.strip() else []
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    with Runtime.open(Settings(data_dir=data, background_interval_s=0)) as rt:
        before = rt.warehouse.count("responses", "ws")
        sent = [*acked[:200], *(f"w0-b{b}-{i}" for b in range(40) for i in range(25))]  # acked, lost and never sent
        items = [
            {
                "response_id": rid,
                "customer_id": "c",
                "submitted_at": "2026-03-02T00:00:00Z",
                "answers": [{"kind": "nps", "number": 7}],
            }
            for rid in dict.fromkeys(sent)
        ]
        results = [rt.ingestor.ingest("responses", "ws", items[i : i + 100]) for i in range(0, len(items), 100)]
        accepted = sum(r.accepted for r in results)
        assert accepted + sum(r.duplicates for r in results) == len(items)
        assert rt.warehouse.count("responses", "ws") == before + accepted  # each new one once, no repeat stored
        assert rt.warehouse.count("answers", "ws") == rt.warehouse.count("responses", "ws")
        assert set(acked[:200]).isdisjoint(k for r in results for k in r.accepted_keys)  # acked ones were there
        assert set(sent) <= set(rt.warehouse.table("responses", "ws").response_id.execute())  # no key without its row
