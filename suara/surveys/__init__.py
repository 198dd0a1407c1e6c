"""Survey definitions: questions, branching, translations, templates, the wording linter and answer checks."""

from suara.surveys.answers import AnswerProblem, answer_problems, check_answers, check_response, form_answers
from suara.surveys.branching import holds, visible_questions
from suara.surveys.definition import (
    Condition,
    Question,
    SurveyDefinition,
    answer_kind,
    check_definition,
    parse_definition,
    question_scale,
)
from suara.surveys.rendering import RenderedSurvey, locale_chain, render, resolve_locale
from suara.surveys.templates import TEMPLATES, Template
from suara.surveys.wording import Finding, lint_definition, lint_text

__all__ = [
    "TEMPLATES",
    "AnswerProblem",
    "Condition",
    "Finding",
    "Question",
    "RenderedSurvey",
    "SurveyDefinition",
    "Template",
    "answer_kind",
    "answer_problems",
    "check_answers",
    "check_definition",
    "check_response",
    "form_answers",
    "holds",
    "lint_definition",
    "lint_text",
    "locale_chain",
    "parse_definition",
    "question_scale",
    "render",
    "resolve_locale",
    "visible_questions",
]
