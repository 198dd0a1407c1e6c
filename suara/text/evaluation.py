"""Scoring predicted sentiment labels against gold labels: macro-F1, accuracy and per-class figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suara.errors import NotFound, ValidationFailed
from suara.text.datasets import LABELS, Labelled
from suara.text.sentiment import SentimentModel

LABEL_ALIASES = {
    "negative": "negative", "neg": "negative", "-1": "negative", "-1.0": "negative",
    "neutral": "neutral", "neu": "neutral", "0": "neutral", "0.0": "neutral",
    "positive": "positive", "pos": "positive", "1": "positive", "+1": "positive", "1.0": "positive",
}  # fmt: skip


def _prf(gold: Sequence[str], pred: Sequence[str], label: str) -> dict[str, float]:
    tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
    n_pred = sum(p == label for p in pred)
    n_gold = sum(g == label for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": n_gold}


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """`macro_f1` averages the classes present in `gold` (so a binary set scores over positive/negative);
    `macro_f1_pos_neg` is SentiRuEval's measure; predictions outside the three labels (e.g. `unsupported`) count
    as wrong and are tallied in `unsupported`."""
    if len(gold) != len(pred):
        raise ValidationFailed(f"{len(gold)} gold labels but {len(pred)} predictions")
    if not gold:
        raise ValidationFailed("nothing to score: no labelled rows")
    per_class = {label: _prf(gold, pred, label) for label in LABELS}
    present = [label for label in LABELS if per_class[label]["support"]]
    return {
        "n": len(gold),
        "macro_f1": round(sum(per_class[c]["f1"] for c in present) / len(present), 4),
        "macro_f1_pos_neg": round((per_class["positive"]["f1"] + per_class["negative"]["f1"]) / 2, 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4),
        "unsupported": sum(p not in LABELS for p in pred),
        "per_class": per_class,
    }


def evaluate_set(d: Labelled, model: SentimentModel | None = None, language: str | None = None) -> dict[str, Any]:
    """Scores of the full pipeline (`suara.text.analyze`) on a labelled set; `language` skips identification."""
    from suara.text.analysis import analyze

    results = analyze(d.texts, model=model, language=language)
    return scores(d.labels, [r.sentiment for r in results])


def read_labelled(path: Path, text_column: str, label_column: str) -> Labelled:
    """A CSV (or, by extension, TSV) file with a text and a label column; labels may be words or -1/0/1."""
    if not path.is_file():
        raise NotFound(f"no file {path}")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{path} is not UTF-8 (byte {exc.start}); re-save it as UTF-8") from None
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.DictReader(io.StringIO(raw, newline=""), delimiter=delimiter)
    missing = [c for c in (text_column, label_column) if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(f"{path} has no column {', '.join(map(repr, missing))}; columns: {reader.fieldnames}")
    texts, labels, errors = [], [], []
    for i, row in enumerate(reader, start=1):
        label = LABEL_ALIASES.get((row.get(label_column) or "").strip().lower())
        if label is None:
            message = f"unknown label {row[label_column]!r}"
            errors.append({"row": i, "pointer": f"/{i}/{label_column}", "message": message})
            continue
        texts.append(row.get(text_column) or "")
        labels.append(label)
    if errors:
        raise ValidationFailed(
            f"{len(errors)} rows of {path} have a label other than negative/neutral/positive or -1/0/1", errors=errors
        )
    return Labelled(path.stem, "", texts, labels, (path,))
