"""Background work of a serving process: the consumers of new facts and the outbox, each pass on a timer.

Every job is idempotent and keeps its progress in the app store, so a restart resumes where the last pass stopped and
several processes may run the same jobs. A job is named here by its import path, so this module depends on nothing.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suara.runtime import Runtime

log = logging.getLogger(__name__)

# name -> "module:function"; the function takes the Runtime, does one pass and returns how many items it handled.
JOBS: dict[str, str] = {
    "outbox": "suara.notify.worker:deliver_pending",
    "cases": "suara.act.case_rules:case_rules_job",
    "case_sla": "suara.act.sla:check_sla_job",
    "outreach": "suara.outreach.scheduler:run_pass",
    "enrichment": "suara.text.enrich:enrich_new",
    "alerts": "suara.act.alerts:check_all",
}


# Jobs that read the new facts in bulk (and hold the GIL while they do): while ingestion is busy they wait, so a
# burst is acknowledged first and its derived work follows; never longer than MAX_DEFER_S since their last pass.
DEFERRABLE = frozenset({"cases", "outreach", "enrichment", "alerts"})
BUSY_S = 1.0  # the writer committed within this many seconds: ingestion is busy
MAX_DEFER_S = 30.0


def job(name: str) -> Callable[[Runtime], int]:
    module, _, attr = JOBS[name].partition(":")
    fn: Callable[[Runtime], int] = getattr(importlib.import_module(module), attr)
    return fn


def run_pass(runtime: Runtime, names: list[str] | None = None) -> dict[str, int]:
    """One pass of each job (all by default); a failing job is logged and the others still run."""
    done: dict[str, int] = {}
    for name in names or list(JOBS):
        try:
            done[name] = job(name)(runtime)
        except Exception:
            log.exception("background job %s failed; it runs again on the next pass", name)
            done[name] = -1
    return done


class Background:
    """A daemon thread running `run_pass` every `interval_s` seconds until `stop()`."""

    def __init__(self, runtime: Runtime, interval_s: float = 2.0, names: list[str] | None = None) -> None:
        self.runtime, self.interval_s, self.names = runtime, interval_s, names
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="suara-background", daemon=True)

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        last_full = time.monotonic()
        while not self._stop.is_set():
            names = self.names or list(JOBS)
            if self._ingesting() and time.monotonic() - last_full < MAX_DEFER_S:
                names = [n for n in names if n not in DEFERRABLE]
            else:
                last_full = time.monotonic()
            if names:
                run_pass(self.runtime, names)
            self._stop.wait(self.interval_s)

    def _ingesting(self) -> bool:
        writer = getattr(self.runtime, "writer", None)
        return writer is not None and writer.idle_for() < BUSY_S
