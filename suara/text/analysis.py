"""`analyze(texts)`: language, sentiment and aspect sentiment for each text, with a defined answer for bad input.

Input handling, per text:
- `None`, empty or blank: language `und`, sentiment `empty`, score None.
- no words but emoji or emoticons ("👍👍", ":("): language `und`, sentiment from the symbols (flag `no_words`);
  only digits, punctuation, URLs or @mentions: sentiment `empty` (flag `no_words`).
- HTML: tags, scripts and styles removed, entities decoded (flag `html_stripped`).
- longer than MAX_CHARS characters: cut at a word boundary (`truncated` true).
- another language (`und`, `other_language` names it when recognised): sentiment `unsupported`, score None.
- two supported languages mixed: the dominant one decides (flag `mixed_language`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from suara.errors import ValidationFailed
from suara.text import aspects as asp
from suara.text.language import SUPPORTED, UND, Detected, detect, has_words
from suara.text.sentiment import SentimentModel, shipped

MAX_CHARS = 5000
LID_CHARS = 600  # language identification reads the start only: as accurate, and lingua's cost grows with length
SENTIMENTS = ("negative", "neutral", "positive", "unsupported", "empty")

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>|<!--.*?-->", re.S)
_DROP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_SYMBOL = re.compile(r"[\U0001f300-\U0001faff\u2600-\u27bf\u2b50]|[:;=]-?[()dDpP]|\){2,}|\({2,}")


@dataclass(frozen=True)
class TextAnalysis:
    """One text's analysis. `sentiment` is one of SENTIMENTS; `sentiment_score` is in [-1, 1] (None when the
    sentiment is `unsupported` or `empty`); `aspects` lists the aspects mentioned, in text order."""

    language: str
    sentiment: str
    sentiment_score: float | None
    aspects: tuple[asp.AspectSentiment, ...] = ()
    truncated: bool = False
    flags: tuple[str, ...] = ()
    other_language: str | None = None
    text: str = field(default="", repr=False)


def prepare(raw: str | None) -> tuple[str, list[str], bool]:
    """The cleaned text, its flags and whether it was truncated."""
    flags: list[str] = []
    text = unicodedata.normalize("NFC", raw or "")
    if "<" in text and _TAG.search(text):
        text = _BLOCK.sub("\n", _DROP.sub(" ", text))
        text = html.unescape(_TAG.sub(" ", text))
        flags.append("html_stripped")
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    truncated = len(text) > MAX_CHARS
    if truncated:
        cut = text.rfind(" ", MAX_CHARS - 200, MAX_CHARS)
        text = text[: cut if cut > 0 else MAX_CHARS]
    return text, flags, truncated


def analyze(
    texts: Sequence[str | None],
    *,
    model: SentimentModel | None = None,
    language: str | None = None,
    with_aspects: bool = True,
) -> list[TextAnalysis]:
    """Analyse each text (see the module docstring for bad input). `language` forces one of en/id/ms/ru instead
    of identifying it; `with_aspects=False` skips aspect sentiment."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ValidationFailed("texts must be a list of strings")
    bad = [i for i, t in enumerate(texts) if t is not None and not isinstance(t, str)]
    if bad:
        errors = [{"loc": [i], "pointer": f"/{i}", "message": "not a string"} for i in bad[:20]]
        raise ValidationFailed(f"{len(bad)} items are not strings (first at index {bad[0]})", errors=errors)
    if language is not None and language not in SUPPORTED:
        raise ValidationFailed(f"language must be one of {', '.join(SUPPORTED)}, not {language!r}")
    model = model or shipped()
    prepared = [prepare(t) for t in texts]
    found: list[Detected | None] = []
    for text, flags, _ in prepared:
        if not has_words(text):
            found.append(None)
            flags.append("no_words" if text else "empty")
        else:
            found.append(Detected(language, 1.0) if language else detect(text[:LID_CHARS]))
    # the model scores supported texts, and symbol-only ones ("👍", ":(") with the default head
    langs: dict[int, str] = {}
    for i, (d, (text, _, _)) in enumerate(zip(found, prepared, strict=True)):
        if d is not None and d.language in SUPPORTED:
            langs[i] = d.language
        elif d is None and _SYMBOL.search(text):
            langs[i] = UND
    scored = list(langs)
    predictions = dict(zip(scored, model.predict([prepared[i][0] for i in scored], list(langs.values())), strict=True))
    aspect_results = _aspects(model, [(i, prepared[i][0], langs[i]) for i in scored]) if with_aspects else {}
    out = []
    for i, (d, (text, flags, truncated)) in enumerate(zip(found, prepared, strict=True)):
        lang = d.language if d is not None else UND
        if d is not None and d.mixed:
            flags.append("mixed_language")
        if i in predictions:
            label, score = predictions[i]
            out.append(TextAnalysis(lang, label, score, aspect_results.get(i, ()), truncated, tuple(flags), None, text))
        elif d is None:
            out.append(TextAnalysis(UND, "empty", None, (), truncated, tuple(flags), None, text))
        else:
            out.append(TextAnalysis(UND, "unsupported", None, (), truncated, tuple(flags), d.other, text))
    return out


def _aspects(model: SentimentModel, items: list[tuple[int, str, str]]) -> dict[int, tuple[asp.AspectSentiment, ...]]:
    """Aspect sentiment for each (index, text, language): every mentioning clause scored in one batch."""
    rows: list[tuple[int, str, str, str]] = []
    for i, text, lang in items:
        rows += [(i, aspect, clause, lang) for aspect, clause in asp.mentions(text, lang)]
    if not rows:
        return {}
    preds = model.predict([r[2] for r in rows], [r[3] for r in rows])
    grouped: dict[int, dict[str, list[tuple[str, float]]]] = {}
    for (i, aspect, _, _), pred in zip(rows, preds, strict=True):
        grouped.setdefault(i, {}).setdefault(aspect, []).append(pred)
    return {i: tuple(asp.combine(a, s) for a, s in by.items()) for i, by in grouped.items()}
