"""Every template is valid, fully translated into en, id, ms and ru, branches as documented, and lints clean."""

from __future__ import annotations

import pytest

from suara.surveys import TEMPLATES, lint_definition, parse_definition, render, visible_questions
from suara.surveys.definition import texts
from suara.surveys.templates import LOCALES

PROGRAMS = {"relational-nps", "post-purchase-csat", "post-support-ces", "exit-survey", "repurchase-intent"}


def test_the_standard_programs_are_covered() -> None:
    assert set(TEMPLATES) == PROGRAMS


@pytest.mark.parametrize("key", sorted(PROGRAMS))
def test_template_is_valid_and_translated_everywhere(key: str) -> None:
    defn = TEMPLATES[key].definition
    assert parse_definition(defn.model_dump(mode="json", exclude_none=True)) == defn
    assert defn.locales == LOCALES
    for loc, text in texts(defn):
        assert set(text) == set(LOCALES), f"{key} {loc} lacks {set(LOCALES) - set(text)}"
    for locale in LOCALES:
        survey = render(defn, locale)
        assert survey.locale == locale and survey.title and survey.thanks
        assert all(p.label for q in survey.questions for p in q.points if q.kind not in ("nps", "rating"))


@pytest.mark.parametrize("key", sorted(PROGRAMS))
def test_template_lints_clean_in_every_locale(key: str) -> None:
    assert lint_definition(TEMPLATES[key].definition) == []


def test_relational_nps_asks_detractors_why_and_the_others_what_to_improve() -> None:
    defn = TEMPLATES["relational-nps"].definition
    assert visible_questions(defn, {"nps": 4}) == ["nps", "reason"]
    assert visible_questions(defn, {"nps": 8}) == ["nps", "improve"]


def test_exit_survey_asks_for_the_new_provider_only_of_switchers() -> None:
    defn = TEMPLATES["exit-survey"].definition
    assert "provider" in visible_questions(defn, {"reason": frozenset({"switched"})})
    assert "provider" not in visible_questions(defn, {"reason": frozenset({"price"})})


def test_post_support_ces_uses_the_seven_point_agreement_scale() -> None:
    (ces, _) = render(TEMPLATES["post-support-ces"].definition, "en").questions
    assert ces.answer_kind == "ces" and [p.value for p in ces.points] == list(range(1, 8))
