"""The shipped sentiment model: sane labels in the four languages, scores in [-1, 1], safe loading."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp

from suara.text import analyze
from suara.text.sentiment import LABELS, MODEL_DIR, SentimentModel, quantize, shipped
from suara.text.train import TrainConfig, array_hash, fit_nb, nb_ratio

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


def test_russian_has_its_own_head() -> None:
    model = shipped()
    assert model.routes["ru"].name == "ru" and model.routes["id"].name == "id"
    assert model.routes["en"] is model.routes["ms"] is model.default
    assert model.config["heads"]["ru"]["estimator"] == "NB-SVM"


def test_nb_ratio_by_hand() -> None:
    # rows 0,1 in the class (weights 1, 2), row 2 outside; column 0 in rows 0 and 2, column 1 in row 1 only
    x = sp.csr_matrix(np.array([[0.5, 0.0], [0.0, 3.0], [2.0, 0.0]], dtype=np.float32))
    r = nb_ratio(x, np.array([True, True, False]), np.array([1.0, 2.0, 1.0]))
    p, q = np.array([2.0, 3.0]), np.array([2.0, 1.0])  # alpha 1 plus the weighted row counts
    np.testing.assert_allclose(r, np.log((p / 5) / (q / 3)), rtol=1e-6)


def test_nb_svm_folds_its_ratio_into_the_coefficients() -> None:
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(1)
    x = sp.random(60, 40, density=0.2, format="csr", random_state=1, dtype=np.float64)
    y = np.array(LABELS)[rng.integers(0, 3, 60)]
    w = np.ones(60)
    coef, bias = fit_nb(x, y, w, TrainConfig(c=0.5))
    # independent check: each class's SVM on the ratio-scaled features must score exactly as the folded weights do
    for k, label in enumerate(LABELS):
        mine = y == label
        svm = LinearSVC(C=0.5, class_weight="balanced", random_state=0, max_iter=5000)
        svm.fit(x @ sp.diags(nb_ratio(x, mine, w)), mine.astype(np.int8))
        want = svm.decision_function(x @ sp.diags(nb_ratio(x, mine, w)))
        np.testing.assert_allclose(np.asarray(x @ coef[k]) + bias[k], want, rtol=1e-4, atol=1e-4)


def test_nb_svm_gives_an_absent_class_no_votes() -> None:
    x = sp.csr_matrix(np.eye(6, dtype=np.float32))
    y = np.array(["positive", "negative"] * 3)
    coef, bias = fit_nb(x, y, np.ones(6), TrainConfig())
    scores = np.asarray(x @ coef.T) + bias
    assert not (scores.argmax(axis=1) == LABELS.index("neutral")).any()
    assert [LABELS[i] for i in scores.argmax(axis=1)] == list(y)
