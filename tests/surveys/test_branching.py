"""Show-if evaluation: follow-ups appear for the answers they concern, and only for those."""

from __future__ import annotations

import pytest

from suara.surveys import Condition, holds, parse_definition, visible_questions
from tests.surveys.conftest import nps_survey, question


@pytest.mark.parametrize(("score", "shown"), [(0, True), (6, True), (7, False), (10, False)])
def test_the_reason_is_asked_of_detractors_only(score: int, shown: bool) -> None:
    defn = parse_definition(nps_survey())
    assert ("reason" in visible_questions(defn, {"nps": score})) is shown


def test_an_unanswered_question_satisfies_no_comparison() -> None:
    defn = parse_definition(nps_survey())
    assert visible_questions(defn, {}) == ["nps"]
    assert not holds(Condition(question="nps", op="ne", value=3), {})
    assert holds(Condition(question="nps", op="unanswered"), {})


def test_choice_conditions_read_the_chosen_options() -> None:
    chosen = {"why": frozenset({"price", "speed"})}
    assert holds(Condition(question="why", op="eq", value="price"), chosen)
    assert holds(Condition(question="why", op="in", value=["colour", "speed"]), chosen)
    assert not holds(Condition(question="why", op="not_in", value=["speed"]), chosen)
    assert holds(Condition(question="why", op="ne", value="colour"), chosen)


def test_groups_combine_conditions() -> None:
    both = Condition.model_validate(
        {
            "all": [
                {"question": "a", "op": "gte", "value": 7},
                {"any": [{"question": "b", "op": "answered"}, {"question": "c", "op": "eq", "value": 1}]},
            ]
        }
    )
    assert holds(both, {"a": 8, "c": 1}) and holds(both, {"a": 9, "b": "x"})
    assert not holds(both, {"a": 6, "b": "x"}) and not holds(both, {"a": 8})


def test_an_answer_to_a_hidden_question_does_not_open_its_own_follow_ups() -> None:
    defn = parse_definition(
        {
            "questions": [
                question("nps", "nps"),
                question("reason", "open_text", show_if={"question": "nps", "op": "lte", "value": 6}),
                question("contact", "open_text", show_if={"question": "reason", "op": "answered"}),
            ]
        }
    )
    assert visible_questions(defn, {"nps": 9, "reason": "stale"}) == ["nps"]
    assert visible_questions(defn, {"nps": 2, "reason": "slow"}) == ["nps", "reason", "contact"]
