"""A survey definition: questions of known kinds, show-if branching and per-locale text, validated with pointers.

Shape (JSON):

    {"default_locale": "en", "locales": ["en", "id"],
     "title": {"en": "Your feedback", "id": "Masukan Anda"},
     "questions": [
       {"id": "nps", "kind": "nps", "required": true, "text": {"en": "How likely ...?", "id": "Seberapa ...?"}},
       {"id": "reason", "kind": "open_text", "text": {...},
        "show_if": {"question": "nps", "op": "lte", "value": 6}}]}

Every text is a map from locale to string and must hold the default locale. A show-if condition may only refer to an
earlier question, so evaluating questions in order always knows the answers a condition needs (and no cycle can form).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from suara.domain.scales import SCALES, Scale
from suara.errors import ValidationFailed, pydantic_errors

LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
Locale = Annotated[str, Field(pattern=LOCALE_PATTERN, max_length=35)]
QuestionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
OptionId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
LocalizedText = Annotated[
    dict[Locale, Annotated[str, Field(min_length=1, max_length=2000)]],
    Field(min_length=1, description='Text per locale, e.g. {"en": "...", "id": "..."}.'),
]

QuestionKind = Literal[
    "nps", "csat", "ces", "rating", "single_choice", "multiple_choice", "open_text", "attitudinal", "repurchase_intent"
]
CesScale = Literal["agreement_7", "effort_5"]
Op = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "answered", "unanswered"]

SCALE_KINDS = frozenset({"nps", "csat", "ces", "rating", "attitudinal", "repurchase_intent"})
CHOICE_KINDS = frozenset({"single_choice", "multiple_choice"})
NUMERIC_OPS = frozenset({"lt", "lte", "gt", "gte"})
LIST_OPS = frozenset({"in", "not_in"})
PRESENCE_OPS = frozenset({"answered", "unanswered"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Option(_Model):
    id: OptionId
    label: LocalizedText


class Condition(_Model):
    """Either one comparison (`question`, `op`, `value`) or a group: `all` of or `any` of several conditions."""

    question: QuestionId | None = None
    op: Op | None = None
    value: float | str | list[float | str] | None = None
    all: list[Condition] | None = Field(None, min_length=1, max_length=20)
    any: list[Condition] | None = Field(None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = sum(x is not None for x in (self.question, self.all, self.any))
        if forms != 1:
            raise ValueError("a condition is one comparison (`question`, `op`, `value`) or one group (`all` or `any`)")
        if self.question is None:
            if self.op is not None or self.value is not None:
                raise ValueError("a group (`all` or `any`) takes no `op` or `value`")
            return self
        if self.op is None:
            raise ValueError("a comparison needs `op`: eq, ne, lt, lte, gt, gte, in, not_in, answered or unanswered")
        if self.op in PRESENCE_OPS and self.value is not None:
            raise ValueError(f"`{self.op}` takes no `value`")
        if self.op in LIST_OPS and not (isinstance(self.value, list) and self.value):
            raise ValueError(f"`{self.op}` needs a non-empty list as `value`")
        if self.op not in LIST_OPS | PRESENCE_OPS and (self.value is None or isinstance(self.value, list)):
            raise ValueError(f"`{self.op}` needs a single number or option id as `value`")
        return self

    def references(self) -> Iterator[tuple[tuple[str | int, ...], Condition]]:
        """Every comparison inside, with its location relative to this condition."""
        if self.question is not None:
            yield (), self
        for name in ("all", "any"):
            for i, child in enumerate(getattr(self, name) or []):
                for loc, leaf in child.references():
                    yield (name, i, *loc), leaf


class Question(_Model):
    id: QuestionId
    kind: QuestionKind
    text: LocalizedText
    help: LocalizedText | None = None
    required: bool = False
    show_if: Condition | None = Field(None, description="Show the question only when this holds for earlier answers.")
    scale: CesScale | None = Field(
        None,
        description="CES only: agreement_7 (1-7, higher is easier, the default) or effort_5 (1-5, lower is better).",
    )
    labels: dict[int, LocalizedText] | None = Field(None, description="Label per scale point; defaults are built in.")
    options: list[Option] | None = Field(None, max_length=50)
    min_choices: int | None = Field(None, ge=0)
    max_choices: int | None = Field(None, ge=1)
    max_length: int | None = Field(None, ge=1, le=20_000, description="Open text only: longest answer accepted.")


class SurveyDefinition(_Model):
    """The questions, branching and translations of one survey version."""

    default_locale: Locale = "en"
    locales: list[Locale] = Field(default_factory=lambda: ["en"], min_length=1, max_length=50)
    title: LocalizedText | None = None
    intro: LocalizedText | None = None
    thanks: LocalizedText | None = None
    questions: list[Question] = Field(min_length=1, max_length=100)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


# -- what a question's answers look like ----------------------------------------------------------------------
def answer_kind(question: Question) -> str:
    """The warehouse answer kind of a question (see suara.domain.scales), the kind its metric reads: CES effort_5
    answers are `ces_effort`, so they never mix into the 1-7 CES mean."""
    if question.kind == "ces" and question.scale == "effort_5":
        return "ces_effort"
    if question.kind in CHOICE_KINDS:
        return "choice"
    if question.kind == "open_text":
        return "text"
    if question.kind == "repurchase_intent":
        return "repurchase"
    return question.kind


def question_scale(question: Question) -> Scale | None:
    """The numeric scale of a scale question (NPS 0-10, CSAT 1-5, CES 1-7 or 1-5, ...), None for choice and text."""
    return SCALES.get(answer_kind(question))


# -- validation ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DefinitionProblem:
    loc: tuple[str | int, ...]
    message: str


def texts(defn: SurveyDefinition) -> Iterator[tuple[tuple[str | int, ...], dict[str, str]]]:
    """Every translatable text with its location: title, intro, thanks, question texts, help, labels, options."""
    for name in ("title", "intro", "thanks"):
        if (text := getattr(defn, name)) is not None:
            yield (name,), text
    for i, q in enumerate(defn.questions):
        yield ("questions", i, "text"), q.text
        if q.help is not None:
            yield ("questions", i, "help"), q.help
        for point, label in (q.labels or {}).items():
            yield ("questions", i, "labels", point), label
        for j, option in enumerate(q.options or []):
            yield ("questions", i, "options", j, "label"), option.label


def _locale_problems(defn: SurveyDefinition) -> Iterator[DefinitionProblem]:
    if defn.default_locale not in defn.locales:
        yield DefinitionProblem(("default_locale",), f"the default locale {defn.default_locale!r} must be in `locales`")
    for i, (locale, n) in enumerate(Counter(defn.locales).items()):
        if n > 1:
            yield DefinitionProblem(("locales", i), f"locale {locale!r} is listed {n} times")
    for loc, text in texts(defn):
        if defn.default_locale not in text:
            yield DefinitionProblem(loc, f"a text needs the default locale {defn.default_locale!r}")


def _kind_problems(i: int, q: Question) -> Iterator[DefinitionProblem]:
    at = ("questions", i)
    if q.scale is not None and q.kind != "ces":
        yield DefinitionProblem((*at, "scale"), "`scale` applies to CES questions only")
    scale = question_scale(q)
    if q.labels is not None:
        if scale is None:
            yield DefinitionProblem((*at, "labels"), f"{q.kind} questions have no scale to label")
        else:
            for point in q.labels:
                if not scale.contains(point):
                    yield DefinitionProblem(
                        (*at, "labels", point), f"{point} is off the scale {scale.low}-{scale.high}"
                    )
    if q.kind in CHOICE_KINDS:
        if not q.options or len(q.options) < 2:
            yield DefinitionProblem((*at, "options"), f"a {q.kind} question needs at least two options")
        seen: set[str] = set()
        for j, option in enumerate(q.options or []):
            if option.id in seen:
                yield DefinitionProblem((*at, "options", j, "id"), f"option id {option.id!r} is used twice")
            seen.add(option.id)
    elif q.options is not None:
        yield DefinitionProblem((*at, "options"), f"{q.kind} questions take no options")
    if q.kind != "multiple_choice":
        for name in ("min_choices", "max_choices"):
            if getattr(q, name) is not None:
                yield DefinitionProblem((*at, name), f"`{name}` applies to multiple_choice questions only")
    else:
        low, high, count = q.min_choices or 0, q.max_choices or len(q.options or []), len(q.options or [])
        if low > high or high > count:
            yield DefinitionProblem(
                (*at, "max_choices"), f"need min_choices <= max_choices <= {count} options, got {low} and {high}"
            )
    if q.max_length is not None and q.kind != "open_text":
        yield DefinitionProblem((*at, "max_length"), "`max_length` applies to open_text questions only")


def _condition_problems(defn: SurveyDefinition, i: int, q: Question) -> Iterator[DefinitionProblem]:
    if q.show_if is None:
        return
    position = {other.id: n for n, other in enumerate(defn.questions)}
    for rel, leaf in q.show_if.references():
        at: tuple[str | int, ...] = ("questions", i, "show_if", *rel)
        ref = leaf.question
        assert ref is not None and leaf.op is not None
        if ref == q.id:
            yield DefinitionProblem((*at, "question"), "a question cannot depend on itself (a cycle)")
            continue
        if ref not in position:
            yield DefinitionProblem((*at, "question"), f"no question {ref!r} in this survey")
            continue
        if position[ref] > i:
            yield DefinitionProblem(
                (*at, "question"), f"{ref!r} comes later; a condition may only refer to an earlier question"
            )
            continue
        yield from _value_problems(defn.questions[position[ref]], leaf, at)


def _value_problems(target: Question, leaf: Condition, at: tuple[str | int, ...]) -> Iterator[DefinitionProblem]:
    op = leaf.op
    if op in PRESENCE_OPS:
        return
    values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
    scale = question_scale(target)
    if scale is not None:
        for v in values:
            if not isinstance(v, float | int) or not scale.contains(v):
                yield DefinitionProblem(
                    (*at, "value"), f"{target.id!r} is answered on {scale.low}-{scale.high}; {v!r} is not on it"
                )
    elif target.kind in CHOICE_KINDS:
        if op in NUMERIC_OPS:
            yield DefinitionProblem((*at, "op"), f"`{op}` compares numbers; {target.id!r} is a choice question")
            return
        known = {o.id for o in target.options or []}
        for v in values:
            if v not in known:
                yield DefinitionProblem(
                    (*at, "value"), f"{target.id!r} has no option {v!r}; use one of {sorted(known)}"
                )
    else:
        yield DefinitionProblem((*at, "op"), f"{target.id!r} is open text: only `answered` or `unanswered` apply")


def definition_problems(defn: SurveyDefinition) -> list[DefinitionProblem]:
    """Rules a schema cannot say: locales, unique ids, kind-specific fields and show-if references."""
    problems = list(_locale_problems(defn))
    seen: set[str] = set()
    for i, q in enumerate(defn.questions):
        if q.id in seen:
            problems.append(DefinitionProblem(("questions", i, "id"), f"question id {q.id!r} is used twice"))
        seen.add(q.id)
        problems += _kind_problems(i, q)
        problems += _condition_problems(defn, i, q)
    return problems


def _raise(errors: list[dict[str, Any]]) -> NoReturn:
    first = errors[0]
    raise ValidationFailed(
        f"{len(errors)} error(s) in the survey definition. First: {first['pointer']}: {first['message']}",
        errors=errors,
    )


def check_definition(defn: SurveyDefinition, prefix: tuple[str | int, ...] = ()) -> SurveyDefinition:
    """Raise ValidationFailed naming each broken rule by JSON pointer (under `prefix`); return the definition."""
    errors = []
    for p in definition_problems(defn):
        loc = [*prefix, *p.loc]
        errors.append(
            {"loc": loc, "pointer": "/" + "/".join(str(x) for x in loc), "message": p.message, "type": "definition"}
        )
    if errors:
        _raise(errors)
    return defn


def parse_definition(raw: Any, prefix: tuple[str | int, ...] = ()) -> SurveyDefinition:
    """A definition from JSON-like data, or ValidationFailed with a pointer per bad field."""
    try:
        defn = SurveyDefinition.model_validate(raw)
    except ValidationError as exc:
        _raise(pydantic_errors(exc, prefix=prefix))
    return check_definition(defn, prefix)
