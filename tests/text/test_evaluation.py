"""Scoring maths, labelled-file reading, and the shipped model's development score on SmSA (golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suara.errors import ValidationFailed
from suara.text.datasets import DEFAULT_DATA, smsa
from suara.text.evaluation import evaluate_set, read_labelled, scores

# the shipped model's macro-F1 on SmSA valid through the full pipeline (see suara/text/model/MODEL_CARD.md)
SMSA_VALID_MACRO_F1 = 0.869


def test_scores_by_hand() -> None:
    gold = ["positive", "positive", "negative", "neutral"]
    pred = ["positive", "negative", "negative", "unsupported"]
    got = scores(gold, pred)
    assert got["accuracy"] == 0.5 and got["unsupported"] == 1
    assert got["per_class"]["positive"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert got["per_class"]["negative"]["f1"] == pytest.approx(0.6667)
    assert got["macro_f1"] == pytest.approx((0.6667 + 0.6667 + 0) / 3, abs=1e-4)
    assert got["macro_f1_pos_neg"] == pytest.approx(0.6667)


def test_binary_gold_averages_two_classes() -> None:
    assert scores(["positive", "negative"], ["positive", "neutral"])["macro_f1"] == 0.5


def test_scores_reject_mismatch() -> None:
    with pytest.raises(ValidationFailed):
        scores(["positive"], [])
    with pytest.raises(ValidationFailed):
        scores([], [])


def test_read_labelled_accepts_aliases_and_names_bad_rows(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("text,label\nnice,positive\nbad,-1\nmeh,0\n", encoding="utf-8")
    assert read_labelled(good, "text", "label").labels == ["positive", "negative", "neutral"]
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nnice,great\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        read_labelled(bad, "text", "label")
    assert exc.value.errors[0]["row"] == 1


@pytest.mark.skipif(not (DEFAULT_DATA / "id" / "smsa").is_dir(), reason="needs ../shared/data/text")
def test_shipped_model_on_smsa_valid() -> None:
    got = evaluate_set(smsa(DEFAULT_DATA, "valid"))
    assert got["n"] == 1260
    assert got["macro_f1"] >= SMSA_VALID_MACRO_F1 - 0.01, got
