"""Workspace settings: case teams, SLA targets per priority, and the list of widget keys.

/api/v1/teams, /api/v1/sla-targets and GET /api/v1/widget/keys (creating and revoking keys is in `channels`).
Reading needs any role; changing needs the admin role.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path

from suara.act import cases, sla
from suara.act.cases import Priority, TeamIn, TeamPublic
from suara.act.sla import SlaTargetIn, SlaTargetPublic
from suara.channels.widget import list_widget_keys
from suara.store.app import Role
from suara.web.api.channels import WidgetKeyPublic
from suara.web.deps import CurrentPrincipal, RuntimeDep
from suara.web.problems import RESPONSES

CONFLICT = {409: {**RESPONSES[404], "description": "Another team routes one of the touchpoints"}}
router = APIRouter(tags=["settings"])
# A name a URL path can carry: no slash, no control characters, no surrounding blanks.
TEAM_NAME = r"^[^\s/\x00-\x1f](?:[^/\x00-\x1f]*[^\s/\x00-\x1f])?$"
TeamName = Annotated[str, Path(min_length=1, max_length=100, pattern=TEAM_NAME, description="The team's name.")]


@router.get("/teams", response_model=list[TeamPublic])
def get_teams(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[TeamPublic]:
    """The teams in the order routing tries them; a team without touchpoints takes every other case."""
    return cases.list_teams(runtime.app, principal.workspace_id)


@router.put("/teams/{name}", response_model=TeamPublic, responses=CONFLICT)  # type: ignore[arg-type]
def put_team(
    name: TeamName, body: Annotated[TeamIn, Body()], principal: CurrentPrincipal, runtime: RuntimeDep
) -> TeamPublic:
    """Create or replace a team: members by user id or email (422 naming an unknown one), touchpoints (409 when
    another team routes one already), the manager told about missed deadlines. Nothing is written on an error."""
    principal.require(Role.admin)
    return cases.save_team(
        runtime.app,
        principal.workspace_id,
        name,
        members=body.members,
        touchpoints=body.touchpoints,
        manager_email=body.manager_email,
    )


@router.delete("/teams/{name}", status_code=204)
def delete_team(name: TeamName, principal: CurrentPrincipal, runtime: RuntimeDep) -> None:
    """Remove a team. Its open cases keep their owner and deadlines; new cases of its touchpoints go to the
    catch-all team (if any), and missed deadlines of its former cases are told to the workspace's admins."""
    principal.require(Role.admin)
    cases.delete_team(runtime.app, principal.workspace_id, name)


@router.get("/sla-targets", response_model=list[SlaTargetPublic])
def get_sla_targets(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[SlaTargetPublic]:
    """Hours to first contact and to resolution for each priority, low to urgent (`default`: not set here)."""
    return sla.list_targets(runtime.app, principal.workspace_id)


@router.put("/sla-targets/{priority}", response_model=SlaTargetPublic)
def put_sla_target(
    priority: Annotated[Priority, Path(description="low, normal, high or urgent.")],
    body: Annotated[SlaTargetIn, Body()],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> SlaTargetPublic:
    """Set one priority's targets (hours > 0, first contact <= resolution). New cases use them, and open cases
    whose priority changes; deadlines already set stay as they are."""
    principal.require(Role.admin)
    target = SlaTargetPublic(priority=priority, **body.model_dump())
    sla.set_target(runtime.app, principal.workspace_id, target)
    return target


class WidgetKeyListed(WidgetKeyPublic):
    created_at: datetime
    revoked_at: datetime | None


@router.get("/widget/keys", response_model=list[WidgetKeyListed])
def get_widget_keys(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[WidgetKeyListed]:
    """The workspace's publishable keys, newest first, revoked ones included. Only the prefix is stored: the whole
    key was shown once, when it was made."""
    with runtime.app.session() as s:
        return [
            WidgetKeyListed(
                id=k.id,
                name=k.name,
                prefix=k.prefix,
                surveys=list(k.surveys or []),
                origins=list(k.origins or []),
                revoked=k.revoked_at is not None,
                created_at=k.created_at.replace(tzinfo=UTC),
                revoked_at=None if k.revoked_at is None else k.revoked_at.replace(tzinfo=UTC),
            )
            for k in list_widget_keys(s, principal.workspace_id)
        ]
