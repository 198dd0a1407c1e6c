"""`suara text train`: fit the sentiment model from ../shared/data/text, seeded, and write it with its model card.

Recipe: hashed word uni/bigrams + character 2-5-grams + polarity-cue counts (curated lexicon and VADER's MIT-licensed
valences), sublinear TF-IDF, and one-vs-rest linear SVMs with balanced class weights. Three heads: `id` serves
Indonesian and learns from Indonesian and Malay data (English and Russian at weight 0.1; the Malay data matters
because Malay tweets that mix in Indonesian are identified as Indonesian); `ru` serves Russian and is an NB-SVM
learnt from the Russian data only (each class's SVM sees the features scaled by that class's naive-Bayes log-count
ratio, and the ratio is folded into the coefficients); `shared` serves English and Malay and learns from all four
languages (English and Malay data are small and borrow from Indonesian, which shares vocabulary and the English
loanwords of customer talk). Head data, estimator and C were chosen on a hash hold-out of the training data, never on
the development sets. A 20% hash split of the training data calibrates each head's temperature, then the head is
refit on everything.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from suara.errors import ValidationFailed
from suara.text import datasets
from suara.text.features import Cues, Featurizer, cue_config
from suara.text.sentiment import LABELS, MODEL_DIR, SentimentModel, quantize

LICENSES = {
    "smsa": "CC BY-SA 4.0 (Apache-2.0 repository file; treated as CC BY-SA)",
    "prdect_id": "CC BY 4.0",
    "nusax": "CC BY-SA 4.0",
    "uci": "CC BY 4.0",
    "malay": "unclear (CC BY 4.0 / Apache-2.0 claims); research use",
    "sentirueval2015": "research use (no license stated)",
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the artifact besides the data; the defaults built the shipped model."""

    seed: int = 0
    n_features: int = 1 << 19
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: int = 2
    cue_weight: float = 4.0
    c: float = 0.5
    heads: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "id": {"languages": ["id"], "weights": {"id": 1.0, "ms": 1.0, "*": 0.1}},
            "ru": {"languages": ["ru"], "weights": {"ru": 1.0}, "nb": True},
            "shared": {"languages": ["en", "ms"], "weights": {"*": 1.0}},
        }
    )
    default_head: str = "shared"
    # leave out the Malay (unclear license) and SentiRuEval (research-only) sets
    permissive_only: bool = False


# words VADER rates positive that customer feedback uses as plain nouns or politeness ("support never replied",
# "please fix", "I hope you refund me")
VADER_SKIP = frozenset(
    "support supported supporting supports care help helps please hope like pretty sure credit promise promised "
    "chance share join yes yeah want no".split()
)


def vader_valences() -> dict[str, float]:
    """VADER's word valences (-4..4), MIT-licensed, read from the vadersentiment package's lexicon file (less
    VADER_SKIP)."""
    try:
        text = (importlib.resources.files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise ValidationFailed("training needs VADER's lexicon: pip install vadersentiment==3.3.2") from None
    out = {}
    for line in text.splitlines():
        parts = line.split("\t")
        # emoticons are rewritten before lookup, so only plain words can ever match
        if len(parts) >= 2 and re.fullmatch(r"[^\W\d_]+", parts[0]) and parts[0] not in VADER_SKIP:
            out[parts[0]] = float(parts[1])
    return out


def vader_license() -> str:
    """VADER's MIT license text, shipped beside the valences copied into the model (the license asks for it)."""
    try:
        text = importlib.metadata.distribution("vadersentiment").read_text("LICENSE.txt")
    except importlib.metadata.PackageNotFoundError:
        text = None
    if not text:
        raise ValidationFailed("training needs VADER's license file: pip install vadersentiment==3.3.2")
    return text


def _weights(sets: list[datasets.Labelled], spec: dict[str, float]) -> np.ndarray:
    """Per-row sample weights: by set name, else by language, else the '*' default."""
    return np.concatenate(
        [np.full(len(d), spec.get(d.name, spec.get(d.lang, spec.get("*", 0.0))), dtype=np.float64) for d in sets]
    )


def _fit(
    x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, cfg: TrainConfig, nb: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.svm import LinearSVC

    keep = w > 0
    if nb:
        return fit_nb(x[keep], y[keep], w[keep], cfg)
    model = LinearSVC(C=cfg.c, class_weight="balanced", random_state=cfg.seed, max_iter=5000)
    model.fit(x[keep], y[keep], sample_weight=w[keep])
    order = [list(model.classes_).index(label) for label in LABELS]
    return model.coef_[order].astype(np.float32), model.intercept_[order].astype(np.float32)


def nb_ratio(x: sp.csr_matrix, mine: np.ndarray, w: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio per column: log of (smoothed share of rows holding it, in the class) over (the
    same, outside the class); rows count by weight (Wang & Manning 2012, NB-SVM)."""
    b = x.copy()
    b.data[:] = 1
    p = alpha + np.asarray(b[mine].T @ w[mine]).ravel()
    q = alpha + np.asarray(b[~mine].T @ w[~mine]).ravel()
    return np.asarray(np.log((p / p.sum()) / (q / q.sum())), dtype=np.float32)


def fit_nb(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest NB-SVM: each class's SVM sees the features scaled by that class's ratio r, so its scores are
    x @ (r * coef) and the ratio folds into plain linear coefficients (the shipped format does not change).
    A class absent from the head's data gets no weights and a bias of -10, so it is never predicted."""
    from sklearn.svm import LinearSVC

    coefs, biases = [], []
    for label in LABELS:
        mine = y == label
        if not mine.any():
            coefs.append(np.zeros(x.shape[1], dtype=np.float32))
            biases.append(-10.0)
            continue
        r = nb_ratio(x, mine, w)
        model = LinearSVC(C=cfg.c, class_weight="balanced", random_state=cfg.seed, max_iter=5000)
        model.fit(x @ sp.diags(r), mine.astype(np.int8), sample_weight=w)
        coefs.append(r * model.coef_.ravel())
        biases.append(float(model.intercept_[0]))
    return np.asarray(coefs, dtype=np.float32), np.asarray(biases, dtype=np.float32)


def _temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature with the least log-loss on held-out scores (grid search)."""
    idx = np.array([LABELS.index(v) for v in y])
    best, best_t = np.inf, 1.0
    for t in np.arange(0.25, 8.01, 0.25):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(idx)), idx]))
        if loss < best - 1e-12:
            best, best_t = loss, float(t)
    return best_t


def array_hash(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def train(
    data: Path = datasets.DEFAULT_DATA,
    out: Path = MODEL_DIR,
    cfg: TrainConfig | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fit, write `sentiment.json`, `sentiment.npz`, `card.json` and `MODEL_CARD.md` to `out`; returns the card."""
    cfg = cfg or TrainConfig()
    t0 = time.perf_counter()
    sets = datasets.training_sets(data, cfg.permissive_only)
    cues = cue_config() | {"valence": vader_valences()}
    feat = Featurizer(Cues.from_config(cues), cfg.n_features, cfg.char_ngrams, cfg.word_ngrams, cfg.cue_weight)
    texts = [t for d in sets for t in d.texts]
    y = np.array([v for d in sets for v in d.labels])
    counts = feat.counts(texts)
    feat.fit_idf(counts)
    x = feat.weigh(counts)
    held = np.array([datasets.in_dev(t) for t in texts])
    log(f"features: {len(texts):,} texts in {time.perf_counter() - t0:.0f}s")
    arrays: dict[str, np.ndarray] = {"idf": feat.idf.astype(np.float16) if feat.idf is not None else np.zeros(0)}
    heads: dict[str, Any] = {}
    for name, spec in cfg.heads.items():
        w = _weights(sets, spec["weights"])
        if not (w > 0).any():
            # its data left out (permissive_only): its languages fall back to the default head
            log(f"head {name}: no training data, skipped")
            continue
        nb = bool(spec.get("nb", False))
        coef, bias = _fit(x, y, np.where(held, 0.0, w), cfg, nb)
        mask = held & (w >= 1.0)
        temperature = _temperature(np.asarray(x[mask] @ coef.T) + bias, y[mask])
        coef, bias = _fit(x, y, w, cfg, nb)
        q, scale = quantize(coef)
        arrays |= {f"coef_{name}": q, f"scale_{name}": scale, f"bias_{name}": bias}
        heads[name] = {"languages": spec["languages"], "weights": spec["weights"], "temperature": temperature}
        heads[name] |= {"estimator": "NB-SVM"} if nb else {}
        log(f"head {name}: temperature {temperature}, {time.perf_counter() - t0:.0f}s")
    config = {
        "format": 1,
        "labels": list(LABELS),
        "features": {
            "n_features": cfg.n_features,
            "char_ngrams": list(cfg.char_ngrams),
            "word_ngrams": cfg.word_ngrams,
            "cue_weight": cfg.cue_weight,
        },
        "cues": cues,
        "heads": heads,
        "default_head": cfg.default_head,
        "training": {
            "seed": cfg.seed,
            "c": cfg.c,
            "class_weight": "balanced",
            "estimator": "LinearSVC (liblinear)",
            "permissive_only": cfg.permissive_only,
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "sentiment.json").write_text(json.dumps(config, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    np.savez_compressed(out / "sentiment.npz", **cast(dict[str, Any], arrays))
    (out / "LICENSE-VADER.txt").write_text(vader_license(), "utf-8")
    card = model_card(data, sets, arrays, config, SentimentModel.load(out), log)
    (out / "card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", "utf-8")
    (out / "MODEL_CARD.md").write_text(card_markdown(card), "utf-8")
    log(f"wrote {out} in {time.perf_counter() - t0:.0f}s")
    return card


def model_card(
    data: Path,
    sets: list[datasets.Labelled],
    arrays: dict[str, np.ndarray],
    config: dict[str, Any],
    model: SentimentModel,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Training data with hashes and licenses, array hashes, and dev scores through the full analysis pipeline;
    nothing run-dependent (no dates or timings), so a rebuild from the same data writes the same card."""
    from suara.text.evaluation import evaluate_set

    def license_of(name: str) -> str:
        return next((v for k, v in LICENSES.items() if name.startswith(k)), "see SOURCE.txt")

    training = [
        {
            "name": d.name,
            "language": d.lang,
            "rows": len(d),
            "labels": {lab: d.labels.count(lab) for lab in LABELS},
            "license": license_of(d.name),
            "files": {str(p.relative_to(data)): datasets.sha256(p) for p in d.files},
        }
        for d in sets
    ]
    dev = []
    for d in datasets.dev_sets(data, with_airline=(data / "en" / "airline_tweets" / "dev.csv").is_file()):
        result = evaluate_set(d, model)
        log(f"dev {d.name}: macro-F1 {result['macro_f1']:.3f}")
        dev.append({"name": d.name, "language": d.lang, "files": [str(p.relative_to(data)) for p in d.files]} | result)
    return {
        "model": "suara text sentiment",
        "format": config["format"],
        "languages": ["en", "id", "ms", "ru"],
        "labels": list(LABELS),
        "score": "P(positive) - P(negative), in [-1, 1]",
        "recipe": " ".join(__doc__.split("\n\n")[1].split()) if __doc__ else "",
        "training": training,
        "seed": config["training"]["seed"],
        "permissive_only": config["training"]["permissive_only"],
        "versions": {p: importlib.metadata.version(p) for p in ("scikit-learn", "numpy", "scipy")},
        "arrays": {k: array_hash(v) for k, v in sorted(arrays.items())},
        "lexicons": "curated cues in suara/text/lexicon.py; VADER valences copied into sentiment.json "
        "(vaderSentiment 3.3.2, MIT License, Copyright (c) 2016 C.J. Hutto: see LICENSE-VADER.txt)",
        "not_used_for_training": "airline tweets (CC BY-NC-SA: evaluation only) and every dev split below",
        "dev": dev,
    }


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (generated; edit the code, not the file)."""
    lines = [
        "# Model card: suara text sentiment",
        "",
        f"Labels: {', '.join(card['labels'])}; score: {card['score']}. Languages: {', '.join(card['languages'])}.",
        "",
        card["recipe"],
        "",
        f"Seed {card['seed']}; {'permissive-licensed data only; ' if card['permissive_only'] else ''}trained with "
        + ", ".join(f"{k} {v}" for k, v in card["versions"].items())
        + ". Rebuild with `suara text train`; the array hashes below must come out the same.",
        "",
        "## Training data",
        "",
        "| set | language | rows | neg / neu / pos | license | SHA-256 of files |",
        "|---|---|---|---|---|---|",
    ]
    for t in card["training"]:
        hashes = "<br>".join(f"{k}: `{v[:16]}…`" for k, v in t["files"].items())
        labels = " / ".join(str(t["labels"][k]) for k in card["labels"])
        lines.append(f"| {t['name']} | {t['language']} | {t['rows']:,} | {labels} | {t['license']} | {hashes} |")
    lines += [
        "",
        f"Not used for training: {card['not_used_for_training']}. Lexicons: {card['lexicons']}.",
        "",
        "## Development scores (full pipeline: language identification, then the head of that language)",
        "",
        "| set | language | rows | macro-F1 | macro-F1 pos/neg | accuracy | unsupported |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in card["dev"]:
        lines.append(
            f"| {d['name']} | {d['language']} | {d['n']:,} | {d['macro_f1']:.3f} | {d['macro_f1_pos_neg']:.3f} "
            f"| {d['accuracy']:.3f} | {d['unsupported']} |"
        )
    lines += ["", "## Array hashes (SHA-256 of the raw bytes)", ""]
    lines += [f"- `{k}`: `{v}`" for k, v in card["arrays"].items()]
    return "\n".join(lines) + "\n"
