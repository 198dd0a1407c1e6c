"""Survey definitions: what is accepted, and a JSON pointer for every rule a bad one breaks."""

from __future__ import annotations

from typing import Any

import pytest

from suara.errors import ValidationFailed
from suara.surveys import answer_kind, parse_definition, question_scale
from tests.surveys.conftest import nps_survey, question


def pointers(raw: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        parse_definition(raw)
    return [e["pointer"] for e in info.value.errors]


def test_a_survey_with_every_kind_is_accepted() -> None:
    options = [{"id": "a", "label": {"en": "A"}}, {"id": "b", "label": {"en": "B"}}]
    defn = parse_definition(
        {
            "questions": [
                question("nps", "nps", required=True),
                question("csat", "csat", labels={"1": {"en": "Awful"}}),
                question("ces", "ces"),
                question("effort", "ces", scale="effort_5"),
                question("stars", "rating"),
                question("pick", "single_choice", options=options),
                question("many", "multiple_choice", options=options, min_choices=1, max_choices=2),
                question("why", "open_text", max_length=500, show_if={"question": "nps", "op": "lte", "value": 6}),
                question("met", "attitudinal"),
                question("again", "repurchase_intent"),
            ]
        }
    )
    kinds = [answer_kind(q) for q in defn.questions]
    assert kinds == [
        "nps",
        "csat",
        "ces",
        "ces_effort",
        "rating",
        "choice",
        "choice",
        "text",
        "attitudinal",
        "repurchase",
    ]
    scales = {q.id: question_scale(q) for q in defn.questions}
    assert (scales["nps"].low, scales["nps"].high) == (0, 10)  # type: ignore[union-attr]
    assert scales["ces"].high == 7 and scales["ces"].higher_is_better  # type: ignore[union-attr]
    assert scales["effort"].high == 5 and not scales["effort"].higher_is_better  # type: ignore[union-attr]
    assert scales["pick"] is None and scales["why"] is None


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda d: d["questions"][0].update(kind="stars"), "/questions/0/kind"),
        (lambda d: d["questions"][0].update(id="Bad Id"), "/questions/0/id"),
        (lambda d: d["questions"][1].update(id="nps"), "/questions/1/id"),
        (lambda d: d["questions"][1]["text"].pop("en"), "/questions/1/text"),
        (lambda d: d.update(default_locale="ru"), "/default_locale"),
        (lambda d: d["questions"][0].update(surprise=True), "/questions/0/surprise"),
        (lambda d: d["questions"][0].update(scale="effort_5"), "/questions/0/scale"),
        (lambda d: d["questions"][0].update(labels={"11": {"en": "x"}}), "/questions/0/labels/11"),
        (lambda d: d["questions"][0].update(options=[]), "/questions/0/options"),
        (lambda d: d["questions"][1]["show_if"].update(question="ghost"), "/questions/1/show_if/question"),
        (lambda d: d["questions"][1]["show_if"].update(question="reason"), "/questions/1/show_if/question"),
        (lambda d: d["questions"][1]["show_if"].update(value=11), "/questions/1/show_if/value"),
        (lambda d: d["questions"][1]["show_if"].update(op="in"), "/questions/1/show_if"),
        (
            lambda d: d["questions"][1].update(show_if={"any": [{"question": "nps", "op": "gt", "value": "x"}]}),
            "/questions/1/show_if/any/0/value",
        ),
        (lambda d: d.update(questions=[]), "/questions"),
    ],
)
def test_each_broken_rule_is_named_by_pointer(change: Any, pointer: str) -> None:
    raw = nps_survey()
    change(raw)
    assert pointer in pointers(raw)


def test_a_condition_may_not_refer_to_a_later_question() -> None:
    raw = {
        "questions": [
            question("first", "open_text", show_if={"question": "second", "op": "answered"}),
            question("second", "nps"),
        ]
    }
    with pytest.raises(ValidationFailed) as info:
        parse_definition(raw)
    (error,) = info.value.errors
    assert error["pointer"] == "/questions/0/show_if/question" and "later" in error["message"]


def test_choice_conditions_name_real_options_and_take_no_number_comparisons() -> None:
    options = [{"id": "price", "label": {"en": "Price"}}, {"id": "other", "label": {"en": "Other"}}]
    base = [question("why", "single_choice", options=options)]
    assert pointers(
        {"questions": [*base, question("x", "open_text", show_if={"question": "why", "op": "eq", "value": "colour"})]}
    ) == ["/questions/1/show_if/value"]
    assert pointers(
        {"questions": [*base, question("x", "open_text", show_if={"question": "why", "op": "lt", "value": 3})]}
    ) == ["/questions/1/show_if/op"]
    ok = question("x", "open_text", show_if={"question": "why", "op": "in", "value": ["price", "other"]})
    assert parse_definition({"questions": [*base, ok]}).questions[1].show_if is not None


def test_open_text_conditions_only_ask_whether_it_was_answered() -> None:
    raw = {
        "questions": [
            question("a", "open_text"),
            question("b", "nps", show_if={"question": "a", "op": "eq", "value": "x"}),
        ]
    }
    assert pointers(raw) == ["/questions/1/show_if/op"]


def test_errors_carry_a_prefix_for_nesting_inside_a_request() -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_definition({"questions": [question("a", "nope")]}, prefix=("definition",))
    assert info.value.errors[0]["pointer"] == "/definition/questions/0/kind"
    assert "error(s) in the survey definition" in info.value.detail
