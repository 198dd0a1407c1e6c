"""The background runner: while ingestion is busy the bulk readers wait (the outbox does not), and never longer
than MAX_DEFER_S since their last pass."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from suara import background


class FakeWriter:
    def __init__(self) -> None:
        self.busy = True

    def idle_for(self) -> float:
        return 0.0 if self.busy else 60.0


class FakeRuntime:
    def __init__(self) -> None:
        self.writer = FakeWriter()


def _record(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    passes: list[list[str]] = []
    lock = threading.Lock()

    def fake_run_pass(runtime: Any, names: list[str] | None = None) -> dict[str, int]:
        with lock:
            passes.append(list(names or []))
        return {}

    monkeypatch.setattr(background, "run_pass", fake_run_pass)
    return passes


def _run_for(runner: background.Background, seconds: float) -> None:
    runner.start()
    time.sleep(seconds)
    runner.stop()


def test_busy_ingestion_defers_the_bulk_readers_but_not_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = _record(monkeypatch)
    rt = FakeRuntime()
    _run_for(background.Background(rt, interval_s=0.02), 0.2)  # type: ignore[arg-type]
    assert len(passes) > 2
    assert all(set(p) == set(background.JOBS) - background.DEFERRABLE for p in passes)
    passes.clear()
    rt.writer.busy = False
    _run_for(background.Background(rt, interval_s=0.02), 0.2)  # type: ignore[arg-type]
    assert passes and all(set(p) == set(background.JOBS) for p in passes)


def test_deferral_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = _record(monkeypatch)
    monkeypatch.setattr(background, "MAX_DEFER_S", 0.1)
    _run_for(background.Background(FakeRuntime(), interval_s=0.02), 0.5)  # type: ignore[arg-type]
    full = [p for p in passes if "enrichment" in p]
    assert full and len(full) < len(passes)  # busy all along, yet the readers ran every 0.1 s


def test_a_runner_of_deferrable_jobs_only_runs_nothing_while_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = _record(monkeypatch)
    _run_for(background.Background(FakeRuntime(), interval_s=0.02, names=["enrichment"]), 0.2)  # type: ignore[arg-type]
    assert passes == []  # never "all jobs" by accident
