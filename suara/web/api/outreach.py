"""Outreach: the contact policy, trigger rules, transactional sends, the decision log, suppressions and the
delivery funnel of each survey. Surveys are addressed by key, as in `/surveys/{key}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from suara.errors import NotFound
from suara.outreach.decisions import DecisionPublic, Outcome, decisions
from suara.outreach.funnel import SurveyFunnel, survey_funnel
from suara.outreach.policy import Channel, ContactPolicy
from suara.outreach.send import load_policy, save_policy, send_one
from suara.outreach.suppression import suppress, suppressions, unsuppress
from suara.outreach.triggers import (
    TEMPLATES,
    TriggerCreate,
    TriggerDefinition,
    TriggerPublic,
    delete_rule,
    get_rule,
    list_rules,
    save_rule,
)
from suara.store.app import Role, WorkspaceRepo
from suara.web.api._ingest import idempotency_key
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["outreach"])


class TriggerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    definition: TriggerDefinition


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=200)
    channel: Channel = "survey_email"
    to: str | None = Field(
        None, min_length=3, max_length=320, description="E-mail address or phone number; default: the customer's trait."
    )
    locale: str | None = Field(None, min_length=2, max_length=20)
    at: datetime | None = Field(None, description="Send at this instant (with time zone); default: now.")


class SuppressionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=320, description="A customer id, e-mail address or phone number.")
    reason: str = Field("", max_length=200)


class SuppressionPublic(BaseModel):
    value: str
    reason: str
    created_at: datetime


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _survey(runtime: Any, workspace_id: str, key: str) -> None:
    with runtime.app.session() as s:
        if WorkspaceRepo(s, workspace_id).survey(key) is None:
            raise NotFound(f"no survey {key!r} in this workspace")


@router.get("/outreach/policy", response_model=ContactPolicy)
def get_policy(principal: CurrentPrincipal, runtime: RuntimeDep) -> ContactPolicy:
    """Caps per customer, quiet hours, the default time zone and the public base URL of links."""
    with runtime.app.session() as s:
        return load_policy(s, principal.workspace_id)


@router.put("/outreach/policy", response_model=ContactPolicy)
def put_policy(body: ContactPolicy, principal: CurrentPrincipal, runtime: RuntimeDep) -> ContactPolicy:
    principal.require(Role.admin)
    with runtime.app.session() as s:
        return save_policy(s, principal.workspace_id, body)


@router.get("/outreach/triggers", response_model=list[TriggerPublic])
def get_triggers(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[TriggerPublic]:
    return list_rules(runtime.app, principal.workspace_id)


@router.get("/outreach/trigger-templates", response_model=dict[str, TriggerDefinition])
def trigger_templates(principal: CurrentPrincipal) -> dict[str, TriggerDefinition]:
    """Rules to start from: post-purchase CSAT, support CES, exit survey, cart abandonment."""
    return {name: TriggerDefinition.model_validate(t) for name, t in TEMPLATES.items()}


@router.post("/outreach/triggers", response_model=TriggerPublic, status_code=201)
def add_trigger(body: TriggerCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> TriggerPublic:
    """Add a rule: on an event (and property values), after a delay or unless another event follows, send a survey."""
    principal.require(Role.analyst)
    return save_rule(runtime.app, principal.workspace_id, body)


@router.get("/outreach/triggers/{name}", response_model=TriggerPublic)
def one_trigger(name: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> TriggerPublic:
    return get_rule(runtime.app, principal.workspace_id, name)


@router.put("/outreach/triggers/{name}", response_model=TriggerPublic)
def replace_trigger(name: str, body: TriggerUpdate, principal: CurrentPrincipal, runtime: RuntimeDep) -> TriggerPublic:
    principal.require(Role.analyst)
    rule = TriggerCreate.model_validate({"name": name, **body.model_dump(mode="json", exclude_none=True)})
    return save_rule(runtime.app, principal.workspace_id, rule, replace=True)


@router.delete("/outreach/triggers/{name}", status_code=204)
def remove_trigger(name: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> Response:
    principal.require(Role.analyst)
    delete_rule(runtime.app, principal.workspace_id, name)
    return Response(status_code=204)


@router.get("/outreach/decisions", response_model=list[DecisionPublic])
def get_decisions(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    survey: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Outcome | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DecisionPublic]:
    """Every decision with its reason, latest first: queued (perhaps deferred past quiet hours), skipped, cancelled."""
    with runtime.app.session() as s:
        return decisions(
            s, principal.workspace_id, customer_id=customer_id, survey=survey, outcome=outcome, limit=limit
        )


@router.get("/outreach/suppressions", response_model=list[SuppressionPublic])
def get_suppressions(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[SuppressionPublic]:
    with runtime.app.session() as s:
        return [
            SuppressionPublic(value=r.value, reason=r.reason, created_at=r.created_at.replace(tzinfo=UTC))
            for r in suppressions(s, principal.workspace_id)
        ]


@router.post("/outreach/suppressions", response_model=SuppressionPublic, status_code=201)
def add_suppression(body: SuppressionIn, principal: CurrentPrincipal, runtime: RuntimeDep) -> SuppressionPublic:
    """Never contact this customer id, address or number again (until removed)."""
    principal.require(Role.agent)
    with runtime.app.session() as s:
        suppress(s, principal.workspace_id, body.value, body.reason)
        row = next(r for r in suppressions(s, principal.workspace_id) if r.value == body.value)
        return SuppressionPublic(value=row.value, reason=row.reason, created_at=row.created_at.replace(tzinfo=UTC))


@router.delete("/outreach/suppressions/{value}", status_code=204)
def remove_suppression(value: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> Response:
    principal.require(Role.admin)
    with runtime.app.session() as s:
        if not unsuppress(s, principal.workspace_id, value):
            raise NotFound(f"{value!r} is not on the suppression list")
    return Response(status_code=204)


@router.post("/surveys/{key}/send", response_model=DecisionPublic)
def send_survey(
    key: str, body: SendRequest, request: Request, principal: CurrentPrincipal, runtime: RuntimeDep
) -> DecisionPublic:
    """Send the survey to one customer now (or `at`), through the same caps, quiet hours and suppression as the
    triggers. The answer is the decision: queued with its outbox message, or skipped with the reason. The same
    `Idempotency-Key` answers the same decision again."""
    principal.require(Role.agent)
    _survey(runtime, principal.workspace_id, key)
    decision = send_one(
        runtime,
        principal.workspace_id,
        key,
        customer_id=body.customer_id,
        channel=body.channel,
        to=body.to,
        locale=body.locale,
        at=body.at,
        idempotency_key=idempotency_key(request),
        base_url=_base_url(request),
    )
    return DecisionPublic.of(decision)


@router.get("/surveys/{key}/funnel", response_model=SurveyFunnel)
def funnel(key: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> SurveyFunnel:
    """Invitations queued, sent, delivered, opened, started and completed, with partial answers counted."""
    _survey(runtime, principal.workspace_id, key)
    return survey_funnel(runtime.app, runtime.warehouse, principal.workspace_id, key)
