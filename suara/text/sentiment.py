"""The shipped sentiment model: hashed n-gram TF-IDF features into linear heads, one head per language group.

Files (written by `suara text train`, read here): `model/sentiment.json` (feature config, cue lexicons, heads) and
`model/sentiment.npz` (IDF and int8-quantised coefficients). Loading parses JSON and numpy arrays only: no pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from suara.errors import NotFound
from suara.text.features import Cues, Featurizer

MODEL_DIR = Path(__file__).resolve().parent / "model"
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Head:
    """One linear model: scores = x @ coef.T + bias; `temperature` turns scores into probabilities."""

    name: str
    languages: tuple[str, ...]
    coef: np.ndarray  # (n_features, 3) float32
    bias: np.ndarray  # (3,)
    temperature: float


def quantize(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class int8 coefficients and their scales (max |w| maps to 127)."""
    scale = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127
    return np.round(w / scale[:, None]).astype(np.int8), scale.astype(np.float32)


class SentimentModel:
    """Scores texts as negative/neutral/positive with a score in [-1, 1] (P(positive) - P(negative))."""

    def __init__(self, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.config = config
        feat = config["features"]
        self.featurizer = Featurizer(
            Cues.from_config(config["cues"]),
            n_features=int(feat["n_features"]),
            char_ngrams=(int(feat["char_ngrams"][0]), int(feat["char_ngrams"][1])),
            word_ngrams=int(feat["word_ngrams"]),
            cue_weight=float(feat["cue_weight"]),
            idf=arrays["idf"].astype(np.float32),
        )
        self.heads: dict[str, Head] = {}
        for name, spec in config["heads"].items():
            coef = arrays[f"coef_{name}"].astype(np.float32) * arrays[f"scale_{name}"][:, None]
            self.heads[name] = Head(
                name,
                tuple(spec["languages"]),
                np.ascontiguousarray(coef.T),
                arrays[f"bias_{name}"],
                float(spec["temperature"]),
            )
        self.routes = {lang: h for h in self.heads.values() for lang in h.languages}
        self.default = self.heads[config["default_head"]]

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> SentimentModel:
        cfg_path, npz_path = folder / "sentiment.json", folder / "sentiment.npz"
        if not cfg_path.is_file() or not npz_path.is_file():
            raise NotFound(f"no sentiment model in {folder}; build it with `suara text train`")
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        with np.load(npz_path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        return cls(config, arrays)

    def scores(self, texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
        """Raw head scores, (n, 3) in LABELS order; each text goes to the head of its language."""
        x = self.featurizer.transform(texts)
        out = np.zeros((len(texts), 3), dtype=np.float32)
        heads = [self.routes.get(lang, self.default) for lang in languages]
        for head in {id(h): h for h in heads}.values():
            rows = np.array([i for i, h in enumerate(heads) if h is head], dtype=np.int64)
            out[rows] = np.asarray(x[rows] @ head.coef) + head.bias
        return out

    def predict(self, texts: Sequence[str], languages: Sequence[str]) -> list[tuple[str, float]]:
        """(label, score) per text; score = P(positive) - P(negative), rounded to 3 decimals."""
        if not texts:
            return []
        s = self.scores(texts, languages)
        temps = np.array([self.routes.get(lang, self.default).temperature for lang in languages], dtype=np.float32)
        z = s * temps[:, None]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        score = np.clip(p[:, 2] - p[:, 0], -1.0, 1.0)
        return [(LABELS[int(i)], round(float(v), 3)) for i, v in zip(s.argmax(axis=1), score, strict=True)]


@lru_cache(maxsize=1)
def shipped() -> SentimentModel:
    """The model inside the package, loaded once per process."""
    return SentimentModel.load()
