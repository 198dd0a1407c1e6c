"""The shipped sentiment model: sane labels in the four languages, scores in [-1, 1], safe loading."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from suara.text import analyze
from suara.text.sentiment import MODEL_DIR, SentimentModel, quantize, shipped
from suara.text.train import array_hash

CASES = [
    ("I love this shop, fast delivery and friendly staff!", "positive"),
    ("Terrible service, my order never arrived and nobody answers.", "negative"),
    ("Pelayanannya ramah dan pengiriman cepat, mantap!", "positive"),
    ("Barang rusak, penjual tidak respon, sangat kecewa", "negative"),
    ("Terbaik! Barang sampai cepat, seller pun ramah", "positive"),
    ("Teruk betul servis ni, tunggu 2 minggu barang tak sampai", "negative"),
    ("Отличный банк, всё быстро и удобно, спасибо!", "positive"),
    ("Ужасный сервис, деньги списали, а поддержка не отвечает", "negative"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_clear_cases(text: str, label: str) -> None:
    got = analyze([text])[0]
    assert got.sentiment == label, got
    assert got.sentiment_score is not None and (got.sentiment_score > 0) == (label == "positive")


def test_scores_are_bounded_and_match_labels() -> None:
    results = analyze([t for t, _ in CASES] + ["The store opens at nine.", "ok"])
    for r in results:
        assert r.sentiment_score is not None and -1 <= r.sentiment_score <= 1


def test_unsupported_languages_get_no_guess() -> None:
    for text in ("Le produit est arrivé cassé, très déçu", "Das Paket kam nie an, sehr enttäuschend", "配送太慢了"):
        got = analyze([text])[0]
        assert got.language == "und" and got.sentiment == "unsupported" and got.sentiment_score is None
        assert got.aspects == ()


def test_model_files_hold_no_pickle_and_match_the_card() -> None:
    with zipfile.ZipFile(MODEL_DIR / "sentiment.npz") as z:
        assert all(n.endswith(".npy") for n in z.namelist())
    with np.load(MODEL_DIR / "sentiment.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    card = json.loads((MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    assert card["arrays"] == {k: array_hash(v) for k, v in sorted(arrays.items())}
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 5 * 2**20


def test_loading_twice_gives_the_same_scores() -> None:
    texts = [t for t, _ in CASES]
    langs = ["en", "en", "id", "id", "ms", "ms", "ru", "ru"]
    np.testing.assert_array_equal(SentimentModel.load().scores(texts, langs), shipped().scores(texts, langs))


def test_quantize_round_trips_within_a_step() -> None:
    w = np.random.default_rng(0).normal(size=(3, 100)).astype(np.float32)
    q, scale = quantize(w)
    assert q.dtype == np.int8
    assert np.abs(q * scale[:, None] - w).max() <= scale.max() / 2 + 1e-6
