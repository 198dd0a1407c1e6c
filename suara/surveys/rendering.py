"""A survey as one customer sees it: every text picked for their locale along a fallback chain.

Fallback chain for a requested locale, first hit wins:

1. the exact tag (`ms-MY`), then its language (`ms`);
2. a closely related language: Malay and Indonesian are two standards of one language, so `ms` falls back to `id`
   and `id` to `ms` before anything else (a Malay reader understands Indonesian far better than English);
3. the survey's default locale;
4. English, for built-in labels only, when the default locale has none.

So with texts in `en` and `id`, a reader asking for `ms-MY` gets Indonesian; one asking for `ru` gets the default.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from suara.surveys.definition import Condition, Question, SurveyDefinition, answer_kind, question_scale
from suara.surveys.labels import DEFAULT_LABELS

RELATED_LOCALES: dict[str, tuple[str, ...]] = {"ms": ("id",), "id": ("ms",)}


def locale_chain(requested: str | None, default: str) -> list[str]:
    """Locales to try, best first: `locale_chain("ms-MY", "en") == ["ms-MY", "ms", "id", "en"]`."""
    chain: list[str] = []
    if requested:
        tag = requested.strip().replace("_", "-")
        language = tag.split("-")[0].lower()
        chain += [tag, language, *RELATED_LOCALES.get(language, ())]
    chain.append(default)
    return list(dict.fromkeys(chain))


def pick(text: Mapping[str, str], chain: list[str]) -> str | None:
    """The text in the first locale of `chain` it has."""
    return next((text[loc] for loc in chain if loc in text), None)


def resolve_locale(defn: SurveyDefinition, requested: str | None) -> str:
    """The offered locale a reader asking for `requested` is served (one of `defn.locales`)."""
    return next(
        (loc for loc in locale_chain(requested, defn.default_locale) if loc in defn.locales), defn.default_locale
    )


class Point(BaseModel):
    value: int
    label: str | None = None


class RenderedOption(BaseModel):
    id: str
    label: str


class RenderedQuestion(BaseModel):
    id: str
    kind: str
    answer_kind: str
    text: str
    help: str | None = None
    required: bool
    points: list[Point] = []
    options: list[RenderedOption] = []
    multiple: bool = False
    max_length: int | None = None
    show_if: Condition | None = None


class RenderedSurvey(BaseModel):
    locale: str
    title: str | None = None
    intro: str | None = None
    thanks: str | None = None
    questions: list[RenderedQuestion]


def _points(question: Question, chain: list[str]) -> list[Point]:
    scale = question_scale(question)
    if scale is None:
        return []
    builtin = DEFAULT_LABELS.get(answer_kind(question), {})
    default = builtin.get(next((loc for loc in [*chain, "en"] if loc in builtin), ""), {})
    own = question.labels or {}
    return [
        Point(value=v, label=pick(own[v], chain) if v in own else default.get(v))
        for v in range(scale.low, scale.high + 1)
    ]


def render_question(question: Question, chain: list[str]) -> RenderedQuestion:
    def text(value: Mapping[str, str] | None) -> str | None:
        return None if value is None else pick(value, chain)

    return RenderedQuestion(
        id=question.id,
        kind=question.kind,
        answer_kind=answer_kind(question),
        text=text(question.text) or question.id,
        help=text(question.help),
        required=question.required,
        points=_points(question, chain),
        options=[RenderedOption(id=o.id, label=pick(o.label, chain) or o.id) for o in question.options or []],
        multiple=question.kind == "multiple_choice",
        max_length=question.max_length,
        show_if=question.show_if,
    )


def render(defn: SurveyDefinition, locale: str | None) -> RenderedSurvey:
    """Every text of the survey for a reader of `locale`, each falling back on its own along `locale_chain`."""
    chain = locale_chain(locale, defn.default_locale)
    questions = [render_question(q, chain) for q in defn.questions]
    return RenderedSurvey(
        locale=resolve_locale(defn, locale),
        title=pick(defn.title, chain) if defn.title else None,
        intro=pick(defn.intro, chain) if defn.intro else None,
        thanks=pick(defn.thanks, chain) if defn.thanks else None,
        questions=questions,
    )
