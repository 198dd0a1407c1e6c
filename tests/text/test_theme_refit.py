"""The re-fit policy: a workspace's themes are fitted again once its corpus grew enough or its fit aged, once per
trigger, and a team's pins, renames and merges survive the automatic re-fit."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from suara.runtime import Runtime
from suara.settings import Settings
from suara.text import enrich as enrich_mod
from suara.text import theme_store
from suara.text.enrich import enrich_new, refit_policy
from suara.text.theme_store import RefitPolicy, refit_reason
from suara.text.theme_tables import ThemeRun
from tests.conftest import Tenant, response

TOPICS = {
    "late": ["the parcel arrived late", "delivery was late again", "courier delivered my parcel late",
             "late delivery, parcel stuck in tracking"],
    "refund": ["still waiting for my refund", "refund not processed yet", "the refund takes forever",
               "asked for a refund twice"],
    "crash": ["the app keeps crashing", "app crashes at login", "app froze and crashed on payment",
              "crashing app on my phone"],
    "rude": ["the staff were rude to me", "rude staff at the counter", "the cashier was rude",
             "staff rude and unhelpful"],
}  # fmt: skip
NOW = datetime(2026, 3, 30, 12, 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", theme_refit_growth=0.25, theme_refit_min_items=10)


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reasons of every theme fit the job starts, counted where the fit is called."""
    real, seen = theme_store.run_themes, []

    def spy(*args: Any, **kwargs: Any) -> theme_store.RunSummary:
        seen.append(kwargs.get("reason", "manual"))
        return real(*args, **kwargs)

    monkeypatch.setattr(theme_store, "run_themes", spy)
    monkeypatch.setattr(enrich_mod, "FIRST_FIT", 80)
    monkeypatch.setattr(enrich_mod, "_age_checked", {})
    return seen


def _ingest(rt: Runtime, ws: str, n: int, start: int) -> None:
    rng, names = random.Random(start), list(TOPICS)
    docs = [response(f"c{i}", f"2026-03-{1 + i % 27:02d}", nps=5, comment=rng.choice(TOPICS[names[i % 4]]),
                     response_id=f"r{i}") for i in range(start, start + n)]  # fmt: skip
    rt.ingestor.ingest("responses", ws, docs)


def _age(rt: Runtime, ws: str, days: float) -> None:
    """Move the workspace's last fit back in time."""
    with rt.app.session() as s:
        row = s.get(ThemeRun, ws)
        assert row is not None
        row.fitted_at -= timedelta(days=days)


def _run(items: int, at: datetime) -> ThemeRun:
    return ThemeRun(workspace_id="w", items=items, fitted_at=at, reason="first", runs=1)


@pytest.mark.parametrize(
    ("items", "last", "expected"),
    [
        (199, None, None),  # too few for a first fit
        (200, None, "first"),
        (1000, _run(1000, NOW), None),  # nothing new
        (1249, _run(1000, NOW), None),  # 24.9% more: below the growth share
        (1250, _run(1000, NOW), "growth"),
        (60, _run(40, NOW), None),  # 50% more, but 20 new items are below the minimum of 50
        (90, _run(40, NOW), "growth"),
        (1001, _run(1000, NOW - timedelta(days=7)), "age"),  # one new item on a week-old fit
        (1000, _run(1000, NOW - timedelta(days=30)), None),  # old, but nothing new
        (1001, _run(1000, NOW - timedelta(days=6, hours=23)), None),
    ],
)
def test_refit_reason(items: int, last: ThemeRun | None, expected: str | None) -> None:
    assert refit_reason(RefitPolicy(), items, last, NOW) == expected


def test_policy_comes_from_the_settings(tmp_path: Path) -> None:
    custom = Settings(data_dir=tmp_path, theme_refit_growth=0.5, theme_refit_min_items=5, theme_refit_max_age_days=0)
    with Runtime.open(custom) as rt:
        assert refit_policy(rt) == RefitPolicy(enrich_mod.FIRST_FIT, 0.5, 5, None)  # 0 days: never by age
    with pytest.raises(ValueError, match="theme_refit_growth"):
        Settings(data_dir=tmp_path, theme_refit_growth=-0.1)


def test_a_growing_workspace_is_refitted_once_per_threshold(runtime: Runtime, fits: list[str]) -> None:
    ws = Tenant(runtime, "refit-growth").workspace_id
    _ingest(runtime, ws, 80, start=0)
    enrich_new(runtime)
    assert fits == ["first"]
    last = theme_store.last_run(runtime.app, ws)
    assert last is not None and (last.items, last.reason, last.runs) == (80, "first", 1)
    _ingest(runtime, ws, 12, start=100)  # 15% more: below the threshold
    enrich_new(runtime)
    assert fits == ["first"]
    _ingest(runtime, ws, 10, start=200)  # 102 = 27.5% more than 80, and 22 new >= 10
    enrich_new(runtime)
    assert fits == ["first", "growth"]
    last = theme_store.last_run(runtime.app, ws)
    assert last is not None and (last.items, last.reason, last.runs) == (102, "growth", 2)
    for _ in range(3):  # later ticks with nothing new fit nothing
        enrich_new(runtime)
    _ingest(runtime, ws, 4, start=300)  # counted from the new fit now: 4 of 102 is not enough
    enrich_new(runtime)
    assert fits == ["first", "growth"]


def test_a_workspace_below_the_threshold_is_left_alone(runtime: Runtime, fits: list[str]) -> None:
    ws = Tenant(runtime, "refit-small").workspace_id
    _ingest(runtime, ws, 60, start=0)
    enrich_new(runtime)
    assert fits == [] and theme_store.last_run(runtime.app, ws) is None  # not enough for a first fit


def test_an_aged_fit_is_refitted_once_new_items_came(
    runtime: Runtime, fits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Tenant(runtime, "refit-age").workspace_id
    _ingest(runtime, ws, 80, start=0)
    enrich_new(runtime)
    _age(runtime, ws, 8)
    assert enrich_mod._aged(runtime, set()) == [ws]
    assert enrich_mod._aged(runtime, set()) == []  # counted again only after AGE_CHECK_S
    monkeypatch.setattr(enrich_mod, "AGE_CHECK_S", 0.0)
    enrich_new(runtime)  # old, but nothing new since
    assert fits == ["first"]
    _ingest(runtime, ws, 2, start=100)
    enrich_new(runtime)
    assert fits == ["first", "age"]
    # new items that came while the fit was young, then nothing: the job's sweep of aged fits still finds them
    _ingest(runtime, ws, 2, start=200)
    enrich_new(runtime)
    assert fits == ["first", "age"]
    _age(runtime, ws, 8)
    enrich_new(runtime)
    assert fits == ["first", "age", "age"]
    _age(runtime, ws, 8)
    enrich_new(runtime)  # nothing new since that fit
    assert fits == ["first", "age", "age"]


def test_themes_fitted_before_fits_were_recorded_get_a_baseline_not_a_fit(runtime: Runtime, fits: list[str]) -> None:
    ws = Tenant(runtime, "refit-baseline").workspace_id
    _ingest(runtime, ws, 80, start=0)
    enrich_new(runtime)
    with runtime.app.session() as s:  # as after the upgrade that added the record
        s.execute(delete(ThemeRun).where(ThemeRun.workspace_id == ws))
    _ingest(runtime, ws, 60, start=100)
    enrich_new(runtime)
    last = theme_store.last_run(runtime.app, ws)
    assert fits == ["first"] and last is not None and (last.items, last.reason, last.runs) == (140, "baseline", 0)


def test_a_manual_run_is_recorded(runtime: Runtime, fits: list[str]) -> None:
    ws = Tenant(runtime, "refit-manual").workspace_id
    _ingest(runtime, ws, 20, start=0)
    enrich_new(runtime)
    theme_store.run_themes(runtime.app, runtime.warehouse, ws)
    last = theme_store.last_run(runtime.app, ws)
    assert last is not None and (last.items, last.reason, last.runs) == (20, "manual", 1)


def test_pins_renames_and_merges_survive_an_automatic_refit(runtime: Runtime, fits: list[str]) -> None:
    ws = Tenant(runtime, "refit-edits").workspace_id
    _ingest(runtime, ws, 80, start=0)
    enrich_new(runtime)
    first = theme_store.themes(runtime.app, ws)
    assert len(first) >= 3, [t.name for t in first]
    pinned, renamed, merged = first[0].theme_id, first[1].theme_id, first[2].theme_id
    theme_store.edit(runtime.app, ws, pinned, pinned=True)
    theme_store.edit(runtime.app, ws, renamed, label="Rude staff (team's name)")
    theme_store.merge(runtime.app, ws, [merged], into=renamed)
    _ingest(runtime, ws, 40, start=100)
    enrich_new(runtime)
    assert fits == ["first", "growth"]
    after = {t.theme_id: t for t in theme_store.themes(runtime.app, ws, include_all=True)}
    assert {t.theme_id for t in first} <= set(after)  # no id lost
    assert after[pinned].pinned and after[pinned].status == "active" and after[pinned].size > 0
    assert after[renamed].display_name == "Rude staff (team's name)" and after[renamed].status != "merged"
    assert after[merged].status == "merged" and after[merged].merged_into == renamed
    assigned = theme_store.assignments(runtime.app, ws)
    assert merged not in set(assigned.theme_id)  # its items count under the theme it was merged into


def test_a_failed_fit_holds_back_neither_other_workspaces_nor_a_later_try(
    runtime: Runtime, fits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = Tenant(runtime, "refit-broken").workspace_id, Tenant(runtime, "refit-fine").workspace_id
    real = theme_store.run_themes

    def fail_one(app: Any, wh: Any, workspace_id: str, **kwargs: Any) -> theme_store.RunSummary:
        if workspace_id == broken:
            raise RuntimeError("the theme model failed")
        return real(app, wh, workspace_id, **kwargs)

    monkeypatch.setattr(theme_store, "run_themes", fail_one)
    for ws in (broken, fine):
        _ingest(runtime, ws, 80, start=0)
    enrich_new(runtime)
    assert theme_store.last_run(runtime.app, broken) is None and theme_store.themes(runtime.app, broken) == []
    assert theme_store.last_run(runtime.app, fine) is not None
    monkeypatch.setattr(theme_store, "run_themes", real)
    _ingest(runtime, broken, 1, start=500)  # the next pass that touches it fits it
    enrich_new(runtime)
    last = theme_store.last_run(runtime.app, broken)
    assert last is not None and (last.items, last.reason) == (81, "first")
