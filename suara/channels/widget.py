"""The web widget's server side: publishable keys, the survey it renders, and the response it posts.

A publishable key (`pk_...`) is meant to sit in a web page. It can do two things only: read the surveys it names
(text every visitor sees anyway) and add responses to them, each checked against the survey version it answers.
It cannot read responses, metrics or anything else, and it is revoked on its own without touching API keys.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from suara.channels.tables import WidgetKey
from suara.errors import NotAuthenticated, NotFound, PermissionDenied
from suara.store.app import Survey, SurveyVersion, WorkspaceRepo, hash_api_key, utcnow
from suara.surveys.answers import check_response
from suara.surveys.definition import SurveyDefinition
from suara.surveys.rendering import RenderedSurvey, render

# Widget response ids live in their own namespace, so a page can never take the id of a link or API response.
RESPONSE_PREFIX = "w_"


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


def response_document(session: Session, key: WidgetKey, body: WidgetResponse) -> dict[str, Any]:
    """The response to ingest: answers checked against the version the widget showed (422 with pointers if not)."""
    survey = WorkspaceRepo(session, key.workspace_id).survey(body.survey_id) if key.allows(body.survey_id) else None
    if survey is None:
        raise NotFound(f"no survey {body.survey_id!r} for this widget key")
    versions = {v.version: v for v in WorkspaceRepo(session, key.workspace_id).survey_versions(survey)}
    version = versions.get(body.survey_version)
    if version is None:
        raise NotFound(f"survey {body.survey_id!r} has no version {body.survey_version}")
    definition = SurveyDefinition.model_validate(version.definition)
    answers = check_response(definition, body.answers)
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
    }
