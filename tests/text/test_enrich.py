"""Enrichment of feedback and comments: every item once, idempotent, and the sentiment index reads it."""

from __future__ import annotations

from suara.metrics import MetricSpec, run_metric
from suara.runtime import Runtime
from suara.text.enrich import enrich
from tests.conftest import response


def test_enrich_is_idempotent_and_feeds_the_sentiment_index(runtime: Runtime) -> None:
    ws = "ws_enrich"
    docs = [
        response("ana", "2026-03-02", nps=10, comment="Pengiriman cepat sekali, saya sangat puas!"),
        response("budi", "2026-03-03", nps=2, comment="Terrible service, the parcel arrived broken and late."),
        response("cici", "2026-03-04", nps=8),  # no comment: nothing to enrich
    ]
    runtime.ingestor.ingest("responses", ws, docs)
    text = "Приложение постоянно зависает, ужасно."
    feedback = [{"source": "app_store", "text": text, "created_at": "2026-03-05T00:00:00Z", "customer_id": "dina"}]
    runtime.ingestor.ingest("feedback", ws, feedback)
    assert enrich(runtime.warehouse, ws) == 3
    assert enrich(runtime.warehouse, ws) == 0  # a second run finds nothing new
    rows = runtime.warehouse.table("enrichments", ws).order_by("at").execute()
    assert list(rows.language) == ["id", "en", "ru"]
    assert list(rows.sentiment) == [1, -1, -1]
    assert list(rows.customer_id) == ["ana", "budi", "dina"]
    index = run_metric(runtime.warehouse, ws, MetricSpec(metric="sentiment_index"))
    assert index.n == 3 and index.value == 100 * (1 - 2) / 3
