"""Neutral-wording linter: flags leading, loaded, double-barrelled, absolute, double-negative and jargon wording.

Works in English, Indonesian, Malay and Russian (other locales get the acronym check only). Each finding names the
question, the locale, the exact span, a stable rule id, a plain explanation and a suggested fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel, Field

from suara.surveys.definition import SurveyDefinition, texts
from suara.surveys.wording_rules import (
    ACRONYM_SUGGESTION,
    ACRONYMS,
    DOUBLE_NEGATIVE_SUGGESTION,
    EXPLANATIONS,
    JARGON,
    JARGON_SUGGESTION,
    NEGATIONS,
    RULES,
)

RULE_IDS = tuple(EXPLANATIONS)
_SENTENCE = re.compile(r"[^.?!…]+[.?!…]*")
_WORD = re.compile(r"\w+(?:'\w+)?")


class Finding(BaseModel):
    """One piece of wording to reconsider; `start`/`end` are character offsets into the text (end exclusive)."""

    rule: str = Field(description="Stable rule id: " + ", ".join(RULE_IDS) + ".")
    question_id: str | None = Field(None, description="The question, or null for the title, intro or thanks.")
    locale: str
    pointer: str = Field("", description="JSON pointer of the text within the survey definition.")
    start: int
    end: int
    excerpt: str
    explanation: str
    suggestion: str


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


def _double_negatives(text: str, language: str) -> Iterator[tuple[int, int]]:
    negations = NEGATIONS.get(language, frozenset())
    for sentence in _SENTENCE.finditer(text):
        hits = [
            w for w in _WORD.finditer(sentence.group()) if w.group().lower() in negations or w.group().endswith("n't")
        ]
        if len(hits) >= 2:
            yield sentence.start() + hits[0].start(), sentence.start() + hits[-1].end()


def _spans(text: str, language: str) -> Iterator[tuple[str, int, int, str | None]]:
    """(rule, start, end, suggestion or None for the rule's default) for every hit in `text`."""
    for rule in RULES.get(language, []):
        for m in rule.pattern.finditer(text):
            yield rule.id, m.start(), m.end(), rule.suggestion
    for start, end in _double_negatives(text, language):
        yield "double-negative", start, end, DOUBLE_NEGATIVE_SUGGESTION.get(language)
    for term, plain in JARGON.get(language, {}).items():
        for m in re.finditer(rf"\b(?:{term})\b", text, re.IGNORECASE):
            yield "jargon", m.start(), m.end(), JARGON_SUGGESTION[language].format(plain=plain)
    for m in ACRONYMS.finditer(text):
        yield "jargon", m.start(), m.end(), ACRONYM_SUGGESTION.get(language, ACRONYM_SUGGESTION["en"])


def lint_text(text: str, locale: str, *, question_id: str | None = None, pointer: str = "") -> list[Finding]:
    """Findings for one text in one locale, in order of position."""
    language = _language(locale)
    findings = [
        Finding(
            rule=rule,
            question_id=question_id,
            locale=locale,
            pointer=pointer,
            start=start,
            end=end,
            excerpt=text[start:end],
            explanation=EXPLANATIONS[rule],
            suggestion=suggestion or "",
        )
        for rule, start, end, suggestion in _spans(text, language)
    ]
    return sorted(findings, key=lambda f: (f.start, f.rule))


def lint_definition(defn: SurveyDefinition) -> list[Finding]:
    """Findings for every text of the survey (questions, help, labels, options, title) in every locale it has."""
    findings: list[Finding] = []
    for loc, localized in texts(defn):
        question_id = defn.questions[int(loc[1])].id if loc[0] == "questions" else None
        for locale, text in localized.items():
            pointer = "/" + "/".join(str(p) for p in (*loc, locale))
            findings += lint_text(text, locale, question_id=question_id, pointer=pointer)
    return findings
