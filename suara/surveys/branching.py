"""Show-if evaluation: which questions a customer sees, given the answers so far.

An answer value is a number (scale questions), a text (open text) or the set of chosen option ids (choice questions).
For a choice question `eq x` holds when x was chosen, `in [x, y]` when either was; `ne` and `not_in` need an answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from suara.surveys.definition import Condition, SurveyDefinition

AnswerValue = float | str | frozenset[str]


def _compare(op: str, value: AnswerValue, target: float | str | list[float | str] | None) -> bool:
    targets = target if isinstance(target, list) else [target]
    if isinstance(value, frozenset):
        hit = any(t in value for t in targets)
        return hit if op in ("eq", "in") else not hit if op in ("ne", "not_in") else False
    if op in ("eq", "in"):
        return value in targets
    if op in ("ne", "not_in"):
        return value not in targets
    if not isinstance(value, float | int) or not isinstance(target, float | int):
        return False
    return {"lt": value < target, "lte": value <= target, "gt": value > target, "gte": value >= target}[op]


def holds(condition: Condition, values: Mapping[str, AnswerValue]) -> bool:
    """Whether `condition` is true for `values` (answers by question id; a missing key is an unanswered question)."""
    if condition.all is not None:
        return all(holds(c, values) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, values) for c in condition.any)
    assert condition.question is not None and condition.op is not None
    value = values.get(condition.question)
    if condition.op == "answered":
        return value is not None
    if condition.op == "unanswered":
        return value is None
    return value is not None and _compare(condition.op, value, condition.value)


def visible_questions(defn: SurveyDefinition, values: Mapping[str, AnswerValue]) -> list[str]:
    """Ids of the questions shown for these answers, in order; answers to hidden questions count as unanswered."""
    shown: list[str] = []
    seen: dict[str, AnswerValue] = {}
    for q in defn.questions:
        # Conditions refer only to earlier questions, so `seen` already holds every answer one can read.
        if q.show_if is None or holds(q.show_if, seen):
            shown.append(q.id)
            if q.id in values:
                seen[q.id] = values[q.id]
    return shown
