"""An acknowledged write survives SIGKILL: a writer process is killed mid-run and every acked id is found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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
    stored = set(wh.table("responses", "ws").response_id.execute())
    answers = wh.count("answers", "ws")
    wh.close()
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged responses were lost"
    assert answers == len(stored), "a response was stored without its answer (a torn write)"
