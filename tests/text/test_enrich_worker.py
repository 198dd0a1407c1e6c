"""The enrichment job: follows new responses and feedback, enriches each item exactly once across crashes."""

from __future__ import annotations

import pytest

from suara.background import run_pass
from suara.runtime import Runtime
from suara.text import enrich as enrich_mod
from suara.text import theme_store
from suara.text.enrich import enrich, enrich_new
from tests.conftest import Tenant, response

COMMENTS = [
    "The parcel arrived late again, tracking never updated.",
    "Pengiriman lambat sekali, paket telat tiga hari.",
    "Доставка опоздала на неделю, ужасно.",
    "Great prices and the checkout was quick.",
]


def _ingest(rt: Runtime, ws: str, n: int, start: int = 0) -> None:
    docs = [response(f"c{i}", f"2026-03-{1 + i % 27:02d}", nps=i % 11, comment=COMMENTS[i % 4],
                     response_id=f"r{i}") for i in range(start, start + n)]  # fmt: skip
    for i in range(0, n, 5):  # several commits, so the job reads them in several batches
        rt.ingestor.ingest("responses", ws, docs[i : i + 5])


def _enriched(rt: Runtime, ws: str) -> list[str]:
    return sorted(rt.warehouse.table("enrichments", ws).execute().item_id)


def test_job_enriches_every_item_exactly_once_across_a_crash(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = "ws_worker"
    _ingest(runtime, ws, 20)
    feedback = [{"source": "app_store", "text": "Приложение зависает", "created_at": "2026-03-05T00:00:00Z",
                 "customer_id": "dina", "feedback_id": "f1"}]  # fmt: skip
    runtime.ingestor.ingest("feedback", ws, feedback)
    real = enrich_mod._enrich_items
    calls = [0]

    def crash_on_second_batch(rt: Runtime, workspace_id: str, part: object) -> int:
        calls[0] += 1
        done = real(rt, workspace_id, part)  # type: ignore[arg-type]
        if calls[0] == 2:
            raise RuntimeError("the process died after writing, before moving its cursor")
        return done

    monkeypatch.setattr(enrich_mod, "_enrich_items", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        enrich_new(runtime, max_rows=5)
    half = _enriched(runtime, ws)
    assert 0 < len(half) < 21  # part done, the rest still to do
    monkeypatch.setattr(enrich_mod, "_enrich_items", real)
    assert run_pass(runtime, ["enrichment"])["enrichment"] == 21 - len(half)
    items = _enriched(runtime, ws)
    assert len(items) == len(set(items)) == 21  # every comment and the feedback item, once
    assert enrich_new(runtime) == 0  # nothing new: nothing done
    assert enrich(runtime.warehouse, ws) == 0  # the back-fill agrees that nothing is pending


def test_job_enriches_new_items_with_language_sentiment_aspects_and_themes(runtime: Runtime) -> None:
    ws = Tenant(runtime, "worker-themes").workspace_id
    _ingest(runtime, ws, 80)
    enrich_new(runtime)
    theme_store.run_themes(runtime.app, runtime.warehouse, ws)
    before = theme_store.assignments(runtime.app, ws).item_id.nunique()
    _ingest(runtime, ws, 8, start=500)  # arrives after the themes were fitted
    assert enrich_new(runtime) == 8
    rows = runtime.warehouse.table("enrichments", ws).execute().set_index("item_id")
    assert rows.loc["r500:comment", "language"] == "en" and rows.loc["r501:comment", "language"] == "id"
    assert rows.loc["r500:comment", "sentiment"] == -1
    assert "delivery" in str(rows.loc["r500:comment", "themes"])  # the aspects
    got = theme_store.assignments(runtime.app, ws).groupby("item_id").theme_id.apply(set).to_dict()
    assert len(got) > before
    for i in range(500, 508):  # a new item gets the themes of the fitted items with the same text
        twin = got.get(f"r{i % 4}:comment")
        assert got.get(f"r{i}:comment") == twin
    assert sum(f"r{i}:comment" in got for i in range(500, 508)) >= 2


def test_job_fits_a_workspaces_first_themes_once_it_has_enough_items(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enrich_mod, "FIRST_FIT", 40)
    ws = Tenant(runtime, "worker-first-fit").workspace_id
    _ingest(runtime, ws, 20)
    enrich_new(runtime)
    assert theme_store.themes(runtime.app, ws) == []  # too few items yet
    _ingest(runtime, ws, 40, start=100)
    enrich_new(runtime)
    fitted = theme_store.themes(runtime.app, ws)
    assert fitted and sum(t.size for t in fitted) > 0
    _ingest(runtime, ws, 4, start=900)
    enrich_new(runtime)
    assert {t.theme_id for t in theme_store.themes(runtime.app, ws)} == {t.theme_id for t in fitted}  # no re-fit
