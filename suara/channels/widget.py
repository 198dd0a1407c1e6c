"""The web widget's server side: publishable keys, the survey it renders, and the response it posts.

A publishable key (`pk_...`) is meant to sit in a web page. It can do two things only: read the surveys it names
(text every visitor sees anyway) and add responses to them, each checked against the survey version it answers.
It cannot read responses, metrics or anything else, and it is revoked on its own without touching API keys.

Each display of a survey has one id, made by the page. The display's events (`survey shown`, `survey dismissed`)
are warehouse events with ids derived from it, and its response is stored under it: the completed answers, or, when
the visitor closes the survey or leaves the page after answering some questions, the partial answers (marked by the
response field `partial` = "true"). The page sends a display's partial answers only once the display has ended
without completion, and the writer keeps the first response under an id, so a display counts in metrics once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from suara.channels.tables import WidgetKey
from suara.collect.survey_versions import LENIENT
from suara.domain.records import AnswerIn
from suara.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed, pydantic_errors
from suara.store.app import Survey, SurveyVersion, WorkspaceRepo, hash_api_key, utcnow
from suara.surveys.answers import answer_problems, check_response
from suara.surveys.definition import SurveyDefinition
from suara.surveys.rendering import RenderedSurvey, render

# Widget response ids live in their own namespace, so a page can never take the id of a link or API response.
RESPONSE_PREFIX = "w_"
# Warehouse event names of a display, by the widget's word for them.
DISPLAY_EVENTS = {"shown": "survey shown", "dismissed": "survey dismissed"}
# The response field that marks answers left unfinished (a closed survey, a page left).
PARTIAL_FIELD = "partial"


class WidgetResponse(BaseModel):
    """What the widget posts: the answers to one survey version, under an id the page made up once (its retries
    carry the same id, so a response posted twice is stored once)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    response_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Made by the page; the same on retries.")
    survey_id: str = Field(min_length=1, max_length=100)
    survey_version: int = Field(ge=1)
    customer_id: str = Field(min_length=1, max_length=200, description="The page's visitor id or its anonymous id.")
    locale: str | None = Field(None, max_length=20)
    touchpoint: str | None = Field(None, max_length=100, description="Where it was answered, e.g. the page path.")
    submitted_at: datetime | None = None
    answers: list[dict[str, Any]] = Field(min_length=1, max_length=100)
    partial: bool = Field(False, description="True when the visitor left before the end: required answers may lack.")


class WidgetDisplay(BaseModel):
    """A display event: the widget showed a survey, or the visitor closed it before completing it. One display
    has one id (its response's id too), so each event counts once per display however often it is sent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Made by the page once per display.")
    event: Literal["shown", "dismissed"]
    survey_id: str = Field(min_length=1, max_length=100)
    survey_version: int = Field(ge=1)
    customer_id: str = Field(min_length=1, max_length=200)
    touchpoint: str | None = Field(None, max_length=100)
    at: datetime | None = Field(None, description="When it happened on the page; default: when it arrives.")


def new_widget_key() -> str:
    return f"pk_{secrets.token_urlsafe(24)}"


def create_widget_key(
    session: Session, workspace_id: str, name: str, surveys: list[str], origins: list[str]
) -> tuple[WidgetKey, str]:
    """Store a publishable key; returns the row and the key, which is shown once and stored only hashed."""
    key = new_widget_key()
    row = WidgetKey(
        workspace_id=workspace_id,
        name=name,
        prefix=key[:10],
        key_hash=hash_api_key(key),
        surveys=surveys,
        origins=origins,
    )
    session.add(row)
    session.flush()
    return row, key


def list_widget_keys(session: Session, workspace_id: str) -> list[WidgetKey]:
    """The workspace's publishable keys, newest first, revoked ones included; only a key's prefix is stored."""
    q = select(WidgetKey).where(WidgetKey.workspace_id == workspace_id).order_by(WidgetKey.id.desc())
    return list(session.scalars(q))


def revoke_widget_key(session: Session, workspace_id: str, key_id: int) -> WidgetKey:
    row = session.scalar(select(WidgetKey).where(WidgetKey.workspace_id == workspace_id, WidgetKey.id == key_id))
    if row is None:
        raise NotFound(f"no widget key {key_id} in this workspace")
    row.revoked_at = row.revoked_at or utcnow()
    return row


def widget_key(session: Session, key: str | None, origin: str | None) -> WidgetKey:
    """The live key presented by a page; 401 when unknown or revoked, 403 when the page's origin is not allowed."""
    if not key:
        raise NotAuthenticated("send the widget's publishable key in the X-Suara-Key header")
    row = session.scalar(select(WidgetKey).where(WidgetKey.key_hash == hash_api_key(key)))
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("the widget key is unknown or revoked")
    if row.origins and origin not in row.origins:
        raise PermissionDenied(f"this widget key is not allowed on {origin or 'a page without an Origin'}")
    return row


def latest_version(session: Session, key: WidgetKey, survey_key: str) -> tuple[Survey, SurveyVersion]:
    repo = WorkspaceRepo(session, key.workspace_id)
    survey = repo.survey(survey_key) if key.allows(survey_key) else None
    if survey is None:
        raise NotFound(f"no survey {survey_key!r} for this widget key")
    return survey, repo.survey_versions(survey)[-1]


def widget_survey(session: Session, key: WidgetKey, survey_key: str, locale: str | None) -> dict[str, Any]:
    """The survey's latest version rendered for `locale`: what the widget shows."""
    survey, version = latest_version(session, key, survey_key)
    rendered: RenderedSurvey = render(SurveyDefinition.model_validate(version.definition), locale)
    return {
        "survey_id": survey.key,
        "version": version.version,
        "survey": rendered.model_dump(mode="json", exclude_none=True),
    }


def _version(session: Session, key: WidgetKey, survey_key: str, number: int) -> tuple[Survey, SurveyVersion]:
    survey = WorkspaceRepo(session, key.workspace_id).survey(survey_key) if key.allows(survey_key) else None
    if survey is None:
        raise NotFound(f"no survey {survey_key!r} for this widget key")
    versions = {v.version: v for v in WorkspaceRepo(session, key.workspace_id).survey_versions(survey)}
    version = versions.get(number)
    if version is None:
        raise NotFound(f"survey {survey_key!r} has no version {number}")
    return survey, version


def _partial_answers(definition: SurveyDefinition, raw: list[dict[str, Any]]) -> list[AnswerIn]:
    """Answers checked like a full response's, except that required questions may be left out."""
    parsed: list[AnswerIn] = []
    errors: list[dict[str, Any]] = []
    for i, a in enumerate(raw):
        try:
            parsed.append(AnswerIn.model_validate(a))
        except ValidationError as exc:
            errors += pydantic_errors(exc, prefix=("answers", i))
    if errors:
        raise ValidationFailed(f"an answer is invalid: {errors[0]['pointer']}: {errors[0]['message']}", errors=errors)
    problems = [p for p in answer_problems(definition, parsed) if p.code not in LENIENT]
    if problems:
        errors = [
            {"loc": list(p.loc), "pointer": "/" + "/".join(map(str, p.loc)), "message": p.message, "type": p.code}
            for p in problems
        ]
        message = f"the partial answers do not fit this survey version: {problems[0].message}"
        raise ValidationFailed(message, errors=errors)
    return parsed


def response_document(session: Session, key: WidgetKey, body: WidgetResponse) -> dict[str, Any]:
    """The response to ingest: answers checked against the version the widget showed (422 with pointers if not)."""
    survey, version = _version(session, key, body.survey_id, body.survey_version)
    definition = SurveyDefinition.model_validate(version.definition)
    answers = _partial_answers(definition, body.answers) if body.partial else check_response(definition, body.answers)
    submitted = body.submitted_at or datetime.now(UTC)
    return {
        "response_id": RESPONSE_PREFIX + body.response_id,
        "customer_id": body.customer_id,
        "survey_id": survey.key,
        "survey_version": version.version,
        "channel": "widget",
        "touchpoint": body.touchpoint,
        "locale": body.locale,
        "submitted_at": submitted.isoformat(),
        "answers": [a.model_dump(mode="json", exclude_none=True) for a in answers],
        "fields": {PARTIAL_FIELD: "true"} if body.partial else {},
    }


def display_document(session: Session, key: WidgetKey, body: WidgetDisplay) -> dict[str, Any]:
    """The warehouse event of a display (a Segment-shaped track call, as `POST /api/v1/events` takes it); its id
    is derived from the display, so a retried or repeated event is stored once."""
    survey, version = _version(session, key, body.survey_id, body.survey_version)
    display = RESPONSE_PREFIX + body.display_id
    return {
        "type": "track",
        "event": DISPLAY_EVENTS[body.event],
        "userId": body.customer_id,
        "messageId": f"{display}.{body.event}",
        "timestamp": (body.at or datetime.now(UTC)).isoformat(),
        "properties": {
            "survey": survey.key,
            "survey_version": version.version,
            "display_id": display,
            "channel": "widget",
            "touchpoint": body.touchpoint,
        },
    }
