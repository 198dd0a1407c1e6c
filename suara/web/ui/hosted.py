"""The hosted survey page `/s/<token>`: a personal link opens one survey version in the customer's language.

One response per link, written through the same ingestion path as the API with channel "link". The page is a plain
form: branching works without JavaScript (the server shows a follow-up once the answer that calls for it arrives),
and a small script only reveals follow-ups as soon as they apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from suara.domain.records import AnswerIn
from suara.outreach.funnel import record_step
from suara.runtime import Runtime
from suara.store.app import WorkspaceRepo
from suara.surveys.answers import AnswerProblem, answer_problems, doc_values, form_answers
from suara.surveys.branching import AnswerValue, visible_questions
from suara.surveys.definition import SurveyDefinition, question_scale
from suara.surveys.links import BadLink, ExpiredLink, SurveyLink, read_link
from suara.surveys.rendering import render
from suara.web.deps import RuntimeDep
from suara.web.ui.hosted_phrases import phrases

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass(frozen=True)
class Opened:
    link: SurveyLink
    definition: SurveyDefinition


class PageError(Exception):
    """Ends the request with a message page: `key` names the phrase, `status` the HTTP status."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def _accept_language(request: Request) -> str | None:
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first if first and first != "*" else None


def _locale(request: Request, link: SurveyLink | None) -> str | None:
    """The link's locale, else `?lang=`, else the browser's first language."""
    return (link.locale if link else None) or request.query_params.get("lang") or _accept_language(request)


def _open(runtime: Runtime, token: str) -> Opened:
    try:
        link = read_link(runtime.settings.resolved_secret(), token)
    except ExpiredLink:
        raise PageError(410, "expired") from None
    except BadLink:
        raise PageError(404, "invalid") from None
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, link.workspace_id)
        survey = repo.survey(link.survey_key)
        versions = [v for v in repo.survey_versions(survey) if v.version == link.version] if survey else []
        raw = versions[0].definition if versions else None
    if raw is None:
        raise PageError(404, "missing")
    try:
        return Opened(link, SurveyDefinition.model_validate(raw))
    except ValueError:  # a version saved before definitions were validated cannot be shown
        raise PageError(404, "missing") from None


def _answered(runtime: Runtime, link: SurveyLink) -> bool:
    responses = runtime.warehouse.table("responses", link.workspace_id)
    return bool(responses.filter(responses.response_id == link.response_id).count().execute())


def _message(request: Request, locale: str | None, status: int, key: str, text: str | None = None) -> Response:
    language, words = phrases(locale)
    heading = words.get(f"{key}_title", words["title"])
    ctx = {"lang": language, "words": words, "heading": heading, "message": text or words[key]}
    return templates.TemplateResponse(request, "hosted_message.html", ctx, status_code=status)


def _problem_text(problem: AnswerProblem, defn: SurveyDefinition, words: dict[str, str]) -> str:
    if problem.code == "too_long":
        return words["too_long"]
    q = defn.question(problem.question_id or "")
    if problem.code == "choices" and q is not None:
        return words["choices"].format(low=q.min_choices or 1, high=q.max_choices or len(q.options or []))
    return words["answer_this"]


def _page(
    request: Request,
    opened: Opened,
    values: dict[str, AnswerValue],
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    locale = _locale(request, opened.link)
    survey = render(opened.definition, locale)
    ctx: dict[str, Any] = {
        "lang": survey.locale,
        "words": phrases(survey.locale)[1],
        "survey": survey,
        "values": values,
        "visible": set(visible_questions(opened.definition, values)),
        "errors": errors or {},
        "notice": notice,
        "action": request.url.path,
    }
    return templates.TemplateResponse(request, "hosted.html", ctx, status_code=status)


def _prefill(defn: SurveyDefinition, score: str | None) -> dict[str, AnswerValue]:
    """`?score=9` answers the first scale question (one-click NPS from an email), when the score is on its scale."""
    first = next((q for q in defn.questions if question_scale(q) is not None), None)
    scale = question_scale(first) if first else None
    if first is None or scale is None or score is None or not score.isdecimal() or not scale.contains(int(score)):
        return {}
    return {first.id: int(score)}


@router.get("/s/{token}", response_model=None)
def show_survey(request: Request, token: str, runtime: RuntimeDep, score: str | None = None) -> Response:
    """The survey form; a score in the link is pre-selected but not stored until the customer sends the form
    (mail scanners open links, so a GET must never count as an answer)."""
    try:
        opened = _open(runtime, token)
    except PageError as exc:
        return _message(request, _locale(request, None), exc.status, exc.key)
    if _answered(runtime, opened.link):
        return _message(request, _locale(request, opened.link), 200, "already")
    record_step(runtime.app, opened.link, "opened")  # the delivery funnel's `opened`
    return _page(request, opened, _prefill(opened.definition, score))


@router.post("/s/{token}", response_model=None)
async def submit_survey(request: Request, token: str, runtime: RuntimeDep) -> Response:
    """Store the answers and thank the customer, or show the form again with a follow-up or what is missing."""
    try:
        opened = await run_in_threadpool(_open, runtime, token)
    except PageError as exc:
        return _message(request, _locale(request, None), exc.status, exc.key)
    link, defn = opened.link, opened.definition
    locale = _locale(request, link)
    if await run_in_threadpool(_answered, runtime, link):
        return _message(request, locale, 409, "already")
    form = await request.form()
    fields = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    docs = form_answers(defn, fields)
    await run_in_threadpool(record_step, runtime.app, link, "started", docs)  # partial answers kept
    values = doc_values(docs)
    presented = set(fields.get("_shown", []))
    survey = render(defn, locale)
    words = phrases(survey.locale)[1]
    conditional = {q.id for q in defn.questions if q.show_if is not None}
    # Without JavaScript a follow-up appears only once its condition holds: show it before storing anything.
    if (set(visible_questions(defn, values)) & conditional) - presented:
        return _page(request, opened, values, notice=words["more"])
    if not docs:
        return _page(request, opened, values, errors={"_form": words["answer_one"]}, status=422)
    problems = answer_problems(defn, [AnswerIn.model_validate(d) for d in docs])
    if problems:
        errors = {p.question_id or "_form": _problem_text(p, defn, words) for p in problems}
        return _page(request, opened, values, errors=errors, status=422)
    document = {
        # One response per link: its id derives from the token, so warehouse idempotency makes a resubmit a no-op.
        "response_id": link.response_id,
        "customer_id": link.customer_id,
        "survey_id": link.survey_key,
        "survey_version": link.version,
        "channel": "link",
        "locale": survey.locale,
        "submitted_at": datetime.now(UTC).isoformat(),
        "answers": docs,
    }
    result = await runtime.ingestor.ingest_async("responses", link.workspace_id, [document], location="body")
    if result.accepted == 0:
        return _message(request, locale, 409, "already")
    return _message(request, locale, 200, "thanks", survey.thanks)
