"""A response checked against the version it answers: questions, kinds, scales, options, branching, required."""

from __future__ import annotations

from typing import Any

import pytest

from suara.domain.records import AnswerIn
from suara.errors import ValidationFailed
from suara.surveys import answer_problems, check_response, form_answers, parse_definition
from tests.surveys.conftest import nps_survey, question

OPTIONS = [
    {"id": "price", "label": {"en": "Price"}},
    {"id": "speed", "label": {"en": "Speed"}},
    {"id": "other", "label": {"en": "Other"}},
]


def survey() -> Any:
    raw = nps_survey()
    raw["questions"] += [
        question("effort", "ces", scale="effort_5"),
        question("why", "multiple_choice", options=OPTIONS, max_choices=2),
    ]
    return parse_definition(raw)


def errors(answers: list[dict[str, Any]]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        check_response(survey(), answers)
    return [(e["pointer"], e.get("type", "")) for e in info.value.errors]


def test_a_fitting_response_passes() -> None:
    answers = [
        {"question_id": "nps", "kind": "nps", "number": 3},
        {"question_id": "reason", "kind": "text", "text": "Late"},
        {"question_id": "effort", "kind": "ces_effort", "number": 5},
        {"question_id": "why", "kind": "choice", "choice": "price"},
        {"question_id": "why", "kind": "choice", "choice": "speed"},
    ]
    assert len(check_response(survey(), answers)) == 5


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([{"question_id": "nps", "kind": "nps", "number": 11}], ("/answers/0", "value_error")),
        (
            [{"question_id": "nps", "kind": "nps", "number": 9}, {"question_id": "ghost", "kind": "text", "text": "x"}],
            ("/answers/1/question_id", "unknown_question"),
        ),
        ([{"question_id": "nps", "kind": "csat", "number": 4}], ("/answers/0/kind", "wrong_kind")),
        (
            [{"question_id": "nps", "kind": "nps", "number": 9}, {"question_id": "effort", "kind": "ces", "number": 6}],
            ("/answers/1/kind", "wrong_kind"),
        ),
        (
            [
                {"question_id": "nps", "kind": "nps", "number": 9},
                {"question_id": "why", "kind": "choice", "choice": "x"},
            ],
            ("/answers/1/choice", "unknown_option"),
        ),
        (
            [
                {"question_id": "nps", "kind": "nps", "number": 9},
                {"question_id": "reason", "kind": "text", "text": "x"},
            ],
            ("/answers/1", "not_shown"),
        ),
        ([{"question_id": "reason", "kind": "text", "text": "x"}], ("/answers", "required")),
        (
            [{"question_id": "nps", "kind": "nps", "number": 9}, {"question_id": "nps", "kind": "nps", "number": 8}],
            ("/answers/1/question_id", "repeated"),
        ),
        (
            [{"question_id": "nps", "kind": "nps", "number": 9}]
            + [{"question_id": "why", "kind": "choice", "choice": c} for c in ("price", "speed", "other")],
            ("/answers/1", "choices"),
        ),
    ],
)
def test_each_problem_is_named_by_pointer(answers: list[dict[str, Any]], expected: tuple[str, str]) -> None:
    assert expected in errors(answers)


def test_problems_name_their_question_for_the_form() -> None:
    problems = answer_problems(survey(), [AnswerIn(question_id="reason", kind="text", text="x")])
    assert {(p.code, p.question_id) for p in problems} == {("required", "nps"), ("not_shown", "reason")}


def test_form_answers_keep_what_the_page_shows() -> None:
    form = {
        "nps": ["9"],
        "reason": ["typed before changing the score"],
        "why": ["price", "price", "bogus"],
        "effort": ["7"],
    }
    docs = form_answers(survey(), form)
    assert docs == [
        {"question_id": "nps", "kind": "nps", "number": 9},
        {"question_id": "why", "kind": "choice", "choice": "price"},
    ]
    detractor = form_answers(survey(), {"nps": ["2"], "reason": ["  slow  "]})
    assert detractor[1] == {"question_id": "reason", "kind": "text", "text": "slow"}
