"""Alert rules and the alerts they raised: /api/v1/alerts/rules, /api/v1/alerts, acknowledging, checking now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from suara.act.alerts import (
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    Status,
    acknowledge,
    add_rule,
    check_alerts,
    list_alerts,
    list_rules,
)
from suara.store.app import Role
from suara.web.deps import CurrentPrincipal, RuntimeDep
from suara.web.problems import RESPONSES

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("/rules", response_model=list[AlertRulePublic])
def get_rules(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[AlertRulePublic]:
    """Every alert rule of the workspace."""
    return list_rules(runtime.app, principal.workspace_id)


@router.post(
    "/rules",
    response_model=AlertRulePublic,
    status_code=201,
    responses={409: {**RESPONSES[404], "description": "A rule by that name exists"}},
)
def post_rule(body: AlertRuleCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> AlertRulePublic:
    """Add a threshold rule (`kind: threshold`) or an anomaly rule (`kind: anomaly`); names are unique."""
    principal.require(Role.analyst)
    return add_rule(runtime.app, principal.workspace_id, body)


@router.get("", response_model=list[AlertPublic])
def get_alerts(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query(description="open, acknowledged or resolved")] = None,
) -> list[AlertPublic]:
    """Alerts of the workspace, the latest incidents first."""
    return list_alerts(runtime.app, principal.workspace_id, status)


@router.post("/check", response_model=list[AlertPublic])
async def post_check(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[AlertPublic]:
    """Evaluate every enabled rule now and return the alerts this raised (none when nothing new happened)."""
    principal.require(Role.analyst)
    return await run_in_threadpool(check_alerts, runtime.app, runtime.warehouse, principal.workspace_id)


@router.post("/{alert_id}/ack", response_model=AlertPublic)
def post_ack(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The alert's id.")],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> AlertPublic:
    """Acknowledge an open alert: someone is on it."""
    principal.require(Role.agent)
    return acknowledge(runtime.app, principal.workspace_id, alert_id)
