"""The demo generator: deterministic, exact schemas, answers on their scales, the planted NusaCargo story visible."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from suara.demo import PLANTED_STORY, generate
from suara.domain.scales import SCALES
from suara.store.warehouse import FACTS, arrow_schema

SMALL = {"customers": 800, "days": 180}


@pytest.fixture(scope="module")
def demo() -> dict[str, pa.Table]:
    return generate("w", **SMALL)


@pytest.fixture(scope="module")
def nps(demo: dict[str, pa.Table]) -> pd.DataFrame:
    """One row per NPS response: score, submitted_at, delivery partner, order and how late that delivery was."""
    answers = demo["answers"].to_pandas()
    responses = demo["responses"].to_pandas()
    fields = demo["response_fields"].to_pandas().pivot(index="response_id", columns="name", values="value")
    events = demo["events"].to_pandas()
    delivered = pd.DataFrame([json.loads(p) for p in events.loc[events.event == "order_delivered", "properties"]])
    scores = answers.loc[answers.kind == "nps", ["response_id", "number"]]
    out = (
        scores.merge(responses[["response_id", "submitted_at"]], on="response_id")
        .merge(fields.reset_index(), on="response_id")
        .merge(delivered[["order_id", "late_days"]], on="order_id", how="left")
    )
    assert len(out) == len(scores) and out.late_days.notna().all()
    return out


def _equal(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> bool:
    return a.keys() == b.keys() and all(a[name].equals(b[name]) for name in a)


def test_default_size_is_deterministic_and_realistic() -> None:
    first, second = generate("w"), generate("w")
    assert _equal(first, second)
    assert 150_000 <= first["events"].num_rows <= 400_000
    assert 8_000 <= first["responses"].num_rows <= 15_000
    reviews = pc.sum(pc.not_equal(first["feedback"]["source"], "ticket")).as_py()
    assert 1_000 <= reviews <= 2_000


def test_same_seed_same_tables_other_seed_different(demo: dict[str, pa.Table]) -> None:
    assert _equal(generate("w", **SMALL), demo)
    other = generate("w", seed=8, **SMALL)
    assert not any(other[name].equals(demo[name]) for name in ("orders", "events", "responses", "feedback"))


def test_tables_have_the_warehouse_schemas(demo: dict[str, pa.Table]) -> None:
    # Enrichments are not generated: the demo build derives them from the comments with `suara text enrich`.
    assert set(demo) == set(FACTS) - {"enrichments"}
    for name, table in demo.items():
        assert table.schema == arrow_schema(name), name
        assert table.num_rows > 0, name


def test_answers_are_on_their_scales_and_belong_to_responses(demo: dict[str, pa.Table]) -> None:
    answers = demo["answers"].to_pandas()
    responses = demo["responses"].to_pandas()
    assert responses.response_id.is_unique and demo["events"].to_pandas().event_id.is_unique
    for kind in ("nps", "csat", "ces"):
        numbers = answers.loc[answers.kind == kind, "number"]
        assert len(numbers) > 0 and numbers.map(SCALES[kind].contains).all(), kind
        assert (answers.loc[answers.kind == kind, "question_id"] == kind).all()
    comments = answers[answers.kind == "comment"]
    assert comments.number.isna().all() and comments.text.str.len().gt(10).all()
    assert set(answers.response_id) <= set(responses.response_id)
    assert set(demo["response_fields"].to_pandas().response_id) <= set(responses.response_id)
    assert 0.3 < comments.response_id.nunique() / len(responses) < 0.5


def test_comments_in_all_four_languages(demo: dict[str, pa.Table]) -> None:
    answers = demo["answers"].to_pandas()
    comments = answers[answers.kind == "comment"].merge(demo["responses"].to_pandas(), on="response_id")
    assert set(comments.locale) == {"en", "id", "ms", "ru"}
    assert comments.loc[comments.locale == "ru", "text"].str.contains("[а-яё]", regex=True).all()
    assert comments.loc[comments.locale != "ru", "text"].str.contains("[а-яё]", regex=True).sum() == 0


def test_feedback_reviews_and_tickets(demo: dict[str, pa.Table]) -> None:
    feedback = demo["feedback"].to_pandas()
    assert set(feedback.source) == {"app_store", "google_play", "trustpilot", "ticket"}
    reviews = feedback[feedback.source != "ticket"]
    assert reviews.rating.between(1, 5).all() and feedback.loc[feedback.source == "ticket", "rating"].isna().all()
    assert feedback.text.notna().all() and feedback.author.notna().all()


def test_a_later_identify_changes_some_segments(demo: dict[str, pa.Table]) -> None:
    segments = demo["identities"].to_pandas().query("trait == 'segment'")
    changed = segments.groupby("customer_id").value.nunique()
    assert (changed == 2).sum() > 0


def test_planted_story_is_visible_by_delivery_partner(nps: pd.DataFrame) -> None:
    start, end = pd.Timestamp(PLANTED_STORY["start"]), pd.Timestamp(PLANTED_STORY["end"])
    inside = (nps.submitted_at >= start) & (nps.submitted_at < end)
    for partner in ("NusaCargo", "KilatExpress", "RapidPost"):
        mine = nps.delivery_partner == partner
        drop = nps.loc[mine & ~inside, "number"].mean() - nps.loc[mine & inside, "number"].mean()
        if partner == PLANTED_STORY["partner"]:
            assert drop >= 1.5, (partner, drop)
        else:
            assert drop <= 0.5, (partner, drop)


def test_late_deliveries_score_lower(nps: pd.DataFrame) -> None:
    late = nps.late_days > 0
    assert late.sum() > 30
    assert nps.loc[late, "number"].mean() < nps.loc[~late, "number"].mean() - 2
