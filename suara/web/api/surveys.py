"""Surveys of a workspace, each with its versions (a response keeps the version it answered), templates and linting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from suara.errors import NotFound
from suara.store.app import Role, Survey, SurveyVersion, WorkspaceRepo
from suara.surveys import TEMPLATES, Finding, SurveyDefinition, check_definition, lint_definition, lint_text
from suara.surveys.definition import Locale
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/surveys", tags=["surveys"])

# Paths under /surveys that are not survey keys.
RESERVED_KEYS = frozenset({"templates", "lint"})


class SurveyCreate(BaseModel):
    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    definition: SurveyDefinition = Field(description="Questions, branching and translations of this version.")

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        if key in RESERVED_KEYS:
            raise ValueError(f"{key!r} is reserved; pick another key")
        return key


class SurveyPublic(BaseModel):
    key: str
    name: str
    version: int
    definition: dict[str, Any]
    created_at: datetime


class SurveySaved(SurveyPublic):
    findings: list[Finding] = Field(description="Wording to reconsider (leading, double-barrelled, ...); advisory.")


class TemplatePublic(BaseModel):
    key: str
    name: str
    program: str = Field(description="nps, csat, ces, exit or repurchase.")
    description: str
    locales: list[str]
    definition: dict[str, Any]


class LintRequest(BaseModel):
    """Either a whole `definition`, or one `text` in one `locale`."""

    model_config = ConfigDict(extra="forbid")

    definition: SurveyDefinition | None = None
    text: str | None = Field(None, min_length=1, max_length=2000)
    locale: Locale = "en"

    @model_validator(mode="after")
    def _one_of(self) -> LintRequest:
        if (self.definition is None) == (self.text is None):
            raise ValueError("send either `definition` or `text` (with `locale`)")
        return self


class LintReport(BaseModel):
    clean: bool
    findings: list[Finding]


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


@router.get("/templates", response_model=list[TemplatePublic])
def list_templates(principal: CurrentPrincipal) -> list[TemplatePublic]:
    """Ready-made surveys for the standard programs (relational NPS, post-purchase CSAT, post-support CES, exit,
    repurchase intent), in English, Indonesian, Malay and Russian. Save one with `POST /surveys` to use it."""
    return [
        TemplatePublic(
            key=t.key,
            name=t.name,
            program=t.program,
            description=t.description,
            locales=t.definition.locales,
            definition=t.definition.model_dump(mode="json", exclude_none=True),
        )
        for t in TEMPLATES.values()
    ]


@router.post("/lint", response_model=LintReport)
def lint(body: LintRequest, principal: CurrentPrincipal) -> LintReport:
    """Neutral-wording findings for a definition (every text in every locale) or for one text."""
    if body.definition is not None:
        findings = lint_definition(check_definition(body.definition, prefix=("definition",)))
    else:
        findings = lint_text(body.text or "", body.locale)
    return LintReport(clean=not findings, findings=findings)


@router.get("/{key}", response_model=SurveyPublic)
def get_survey(key: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> SurveyPublic:
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, principal.workspace_id)
        survey = repo.survey(key)
        if survey is None:
            raise NotFound(f"no survey {key!r} in this workspace")
        return _public(survey, repo.survey_versions(survey)[-1])


@router.post("", response_model=SurveySaved, status_code=201)
def save_survey(body: SurveyCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> SurveySaved:
    """Create a survey, or publish a new version of it when the key exists. The definition is validated (422 with a
    JSON pointer per problem); wording findings come back with the saved version but do not block it."""
    principal.require(Role.analyst)
    definition = check_definition(body.definition, prefix=("definition",))
    stored = definition.model_dump(mode="json", exclude_none=True)
    with runtime.app.session() as s:
        survey, version = WorkspaceRepo(s, principal.workspace_id).save_survey(body.key, body.name, stored)
        public = _public(survey, version)
    return SurveySaved(**public.model_dump(), findings=lint_definition(definition))
