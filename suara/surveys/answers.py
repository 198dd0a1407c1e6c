"""Check a submitted response against the survey version it answers, and read answers from a plain HTML form.

A response keeps the version it answered: its answers are checked against that version's questions, scales, options
and branching, so a later version never reinterprets an earlier response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from suara.domain.records import AnswerIn
from suara.errors import ValidationFailed, pydantic_errors
from suara.surveys.branching import AnswerValue, visible_questions
from suara.surveys.definition import CHOICE_KINDS, Question, SurveyDefinition, answer_kind, question_scale

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class AnswerProblem:
    """`code` is one of: unknown_question, wrong_kind, unknown_option, too_long, repeated, choices, not_shown,
    required."""

    code: str
    loc: Loc
    message: str
    question_id: str | None = None


def answer_values(defn: SurveyDefinition, answers: Sequence[AnswerIn]) -> dict[str, AnswerValue]:
    """Answers by question id, as branching reads them: a number, a text, or the set of chosen options."""
    values: dict[str, AnswerValue] = {}
    for a in answers:
        q = defn.question(a.question_id or "")
        if q is None:
            continue
        if q.kind in CHOICE_KINDS and a.choice is not None:
            chosen = values.get(q.id)
            values[q.id] = (chosen if isinstance(chosen, frozenset) else frozenset()) | {a.choice}
        elif a.number is not None:
            values[q.id] = a.number
        elif a.text is not None:
            values[q.id] = a.text
    return values


def _item_problem(q: Question | None, a: AnswerIn, at: Loc) -> AnswerProblem | None:
    if q is None:
        return AnswerProblem("unknown_question", (*at, "question_id"), f"this survey has no question {a.question_id!r}")
    expected = answer_kind(q)
    if a.kind != expected:
        return AnswerProblem("wrong_kind", (*at, "kind"), f"question {q.id!r} takes {expected} answers", q.id)
    options = [o.id for o in q.options or []]
    if q.kind in CHOICE_KINDS and a.choice not in options:
        return AnswerProblem("unknown_option", (*at, "choice"), f"{q.id!r} has no option {a.choice!r}: {options}", q.id)
    if q.max_length is not None and len(a.text or "") > q.max_length:
        return AnswerProblem("too_long", (*at, "text"), f"{q.id!r} takes at most {q.max_length} characters", q.id)
    return None


def _count_problems(q: Question, indexes: list[int], answers: Sequence[AnswerIn], prefix: Loc) -> list[AnswerProblem]:
    if q.kind != "multiple_choice":
        if len(indexes) > 1:
            at = (*prefix, indexes[1], "question_id")
            return [AnswerProblem("repeated", at, f"question {q.id!r} is answered more than once", q.id)]
        return []
    chosen = [answers[i].choice for i in indexes]
    if len(set(chosen)) < len(chosen):
        return [AnswerProblem("repeated", (*prefix, indexes[0]), f"an option of {q.id!r} is chosen twice", q.id)]
    low, high = q.min_choices or 0, q.max_choices or len(q.options or [])
    if not low <= len(chosen) <= high:
        message = f"{q.id!r} takes {low} to {high} choices, got {len(chosen)}"
        return [AnswerProblem("choices", (*prefix, indexes[0]), message, q.id)]
    return []


def answer_problems(
    defn: SurveyDefinition, answers: Sequence[AnswerIn], prefix: Loc = ("answers",)
) -> list[AnswerProblem]:
    """Everything wrong with `answers` for this version: unknown questions, wrong kinds or options, repeats, choice
    counts, answers to questions their condition hides, and required questions left out. Scales are checked by
    `AnswerIn` itself."""
    problems: list[AnswerProblem] = []
    by_question: dict[str, list[int]] = {}
    for i, a in enumerate(answers):
        q = defn.question(a.question_id or "")
        problem = _item_problem(q, a, (*prefix, i))
        if problem is not None:
            problems.append(problem)
        elif q is not None:
            by_question.setdefault(q.id, []).append(i)
    for qid, indexes in by_question.items():
        problems += _count_problems(defn.question(qid), indexes, answers, prefix)  # type: ignore[arg-type]
    good = [answers[i] for indexes in by_question.values() for i in indexes]
    shown = set(visible_questions(defn, answer_values(defn, good)))
    for qid, indexes in by_question.items():
        if qid not in shown:
            message = f"question {qid!r} is not shown for these answers (its show-if condition is false)"
            problems.append(AnswerProblem("not_shown", (*prefix, indexes[0]), message, qid))
    for q in defn.questions:
        if q.required and q.id in shown and q.id not in by_question:
            problems.append(AnswerProblem("required", prefix, f"question {q.id!r} is required", q.id))
    return problems


def check_answers(defn: SurveyDefinition, answers: Sequence[AnswerIn], prefix: Loc = ("answers",)) -> None:
    """Raise ValidationFailed, with a JSON pointer per problem, unless `answers` fit this survey version."""
    problems = answer_problems(defn, answers, prefix)
    if problems:
        errors = [
            {"loc": list(p.loc), "pointer": "/" + "/".join(str(x) for x in p.loc), "message": p.message, "type": p.code}
            for p in problems
        ]
        raise ValidationFailed(f"the answers do not fit this survey version: {problems[0].message}", errors=errors)


def check_response(defn: SurveyDefinition, raw_answers: Sequence[Any], prefix: Loc = ("answers",)) -> list[AnswerIn]:
    """Answers parsed (each on its kind's scale) and checked against this version, or ValidationFailed."""
    parsed: list[AnswerIn] = []
    errors: list[dict[str, Any]] = []
    for i, raw in enumerate(raw_answers):
        try:
            parsed.append(AnswerIn.model_validate(raw))
        except ValidationError as exc:
            errors += pydantic_errors(exc, prefix=(*prefix, i))
    if errors:
        raise ValidationFailed(f"an answer is invalid: {errors[0]['pointer']}: {errors[0]['message']}", errors=errors)
    check_answers(defn, parsed, prefix)
    return parsed


def form_answers(defn: SurveyDefinition, form: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """Answer documents from an HTML form whose fields are named by question id. A value off the scale or not among
    the options counts as no answer; answers to questions hidden by branching are dropped, as the page hides them."""
    docs: dict[str, list[dict[str, Any]]] = {}
    for q in defn.questions:
        raw = [v.strip() for v in form.get(q.id, []) if v.strip()]
        kind = answer_kind(q)
        scale = question_scale(q)
        if scale is not None and raw and raw[0].isdecimal() and scale.contains(int(raw[0])):
            docs[q.id] = [{"question_id": q.id, "kind": kind, "number": int(raw[0])}]
        elif q.kind in CHOICE_KINDS:
            known = [o.id for o in q.options or []]
            picked = [v for v in dict.fromkeys(raw) if v in known][: 1 if q.kind == "single_choice" else None]
            if picked:
                docs[q.id] = [{"question_id": q.id, "kind": kind, "choice": c} for c in picked]
        elif q.kind == "open_text" and raw:
            docs[q.id] = [{"question_id": q.id, "kind": kind, "text": raw[0]}]
    shown = visible_questions(defn, doc_values([d for items in docs.values() for d in items]))
    return [doc for qid in shown for doc in docs.get(qid, [])]


def doc_values(docs: Sequence[Mapping[str, Any]]) -> dict[str, AnswerValue]:
    """Answers by question id from answer documents (`form_answers`' output), as branching reads them."""
    values: dict[str, AnswerValue] = {}
    for doc in docs:
        qid = doc["question_id"]
        if "choice" in doc:
            chosen = values.get(qid)
            values[qid] = (chosen if isinstance(chosen, frozenset) else frozenset()) | {doc["choice"]}
        else:
            values[qid] = doc["number"] if "number" in doc else doc["text"]
    return values
