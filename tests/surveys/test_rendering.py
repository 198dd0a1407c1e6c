"""Rendering for a locale: texts fall back along ms -> id -> default locale; scale labels are built in."""

from __future__ import annotations

import pytest

from suara.surveys import locale_chain, parse_definition, render, resolve_locale
from tests.surveys.conftest import nps_survey, question


@pytest.mark.parametrize(
    ("requested", "chain"),
    [
        ("ms-MY", ["ms-MY", "ms", "id", "en"]),
        ("ms", ["ms", "id", "en"]),
        ("id_ID", ["id-ID", "id", "ms", "en"]),
        ("ru", ["ru", "en"]),
        ("en-GB", ["en-GB", "en"]),
        (None, ["en"]),
    ],
)
def test_locale_chain(requested: str | None, chain: list[str]) -> None:
    assert locale_chain(requested, "en") == chain


def test_malay_readers_get_indonesian_before_the_default() -> None:
    defn = parse_definition(nps_survey())
    survey = render(defn, "ms-MY")
    assert survey.locale == "id"
    assert survey.questions[0].text == "Seberapa besar kemungkinan Anda?"
    assert survey.questions[0].points[0].label == "Sangat tidak mungkin"  # built-in Malay NPS label
    russian = render(defn, "ru")
    assert russian.locale == "en" and russian.questions[1].text == "What is the main reason?"


def test_each_text_falls_back_on_its_own() -> None:
    defn = parse_definition(
        {
            "locales": ["en", "ru"],
            "title": {"en": "Feedback", "ru": "Отзыв"},
            "questions": [question("q", "csat", labels={"5": {"en": "Delighted"}})],
        }
    )
    survey = render(defn, "ru")
    assert survey.title == "Отзыв" and survey.questions[0].text == "Question?"
    labels = [p.label for p in survey.questions[0].points]
    assert labels == ["Очень недовольны", "Скорее недовольны", "Нейтрально", "Скорее довольны", "Delighted"]
    assert resolve_locale(defn, "ru-RU") == "ru" and resolve_locale(defn, "th") == "en"


def test_scales_and_options_render_in_order() -> None:
    options = [{"id": "b", "label": {"en": "Bee"}}, {"id": "a", "label": {"en": "Ay"}}]
    defn = parse_definition(
        {
            "questions": [
                question("nps", "nps"),
                question("effort", "ces", scale="effort_5"),
                question("pick", "multiple_choice", options=options),
            ]
        }
    )
    nps, effort, pick = render(defn, "en").questions
    assert [p.value for p in nps.points] == list(range(11))
    assert [p.label for p in nps.points if p.label] == ["Not at all likely", "Extremely likely"]
    assert effort.answer_kind == "ces_effort" and effort.points[-1].label == "Very high effort"
    assert pick.multiple and [o.id for o in pick.options] == ["b", "a"]
