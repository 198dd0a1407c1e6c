"""Surveys of a workspace, each with its versions (a response keeps the version it answered)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from suara.errors import NotFound
from suara.store.app import Role, Survey, SurveyVersion, WorkspaceRepo
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/surveys", tags=["surveys"])


class SurveyCreate(BaseModel):
    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    definition: dict[str, Any] = Field(description="Questions, logic and translations of this version.")


class SurveyPublic(BaseModel):
    key: str
    name: str
    version: int
    definition: dict[str, Any]
    created_at: datetime


def _public(survey: Survey, version: SurveyVersion) -> SurveyPublic:
    return SurveyPublic(
        key=survey.key,
        name=survey.name,
        version=version.version,
        definition=version.definition,
        created_at=survey.created_at.replace(tzinfo=UTC),
    )


@router.get("", response_model=list[SurveyPublic])
def list_surveys(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[SurveyPublic]:
    """Every survey of the workspace at its latest version."""
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, principal.workspace_id)
        return [_public(sv, repo.survey_versions(sv)[-1]) for sv in repo.surveys()]


@router.get("/{key}", response_model=SurveyPublic)
def get_survey(key: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> SurveyPublic:
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, principal.workspace_id)
        survey = repo.survey(key)
        if survey is None:
            raise NotFound(f"no survey {key!r} in this workspace")
        return _public(survey, repo.survey_versions(survey)[-1])


@router.post("", response_model=SurveyPublic, status_code=201)
def save_survey(body: SurveyCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> SurveyPublic:
    """Create a survey, or publish a new version of it when the key exists."""
    principal.require(Role.analyst)
    with runtime.app.session() as s:
        survey, version = WorkspaceRepo(s, principal.workspace_id).save_survey(body.key, body.name, body.definition)
        return _public(survey, version)
