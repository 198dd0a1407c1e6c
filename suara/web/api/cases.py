"""Cases, their rules, the loop metrics and the customer timeline: /api/v1/cases, /case-rules, /loop-metrics,
/customers/{customer_id}/timeline."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from suara.act import case_rules, cases
from suara.act.case_rules import CaseRuleIn, CaseRulePublic
from suara.act.cases import (
    Actor,
    BulkAssign,
    CaseCreate,
    CaseDetail,
    CaseEventPublic,
    CaseFilter,
    CasePage,
    CasePublic,
    CaseUpdate,
    CommentCreate,
    Priority,
    ReplyCreate,
    Status,
)
from suara.act.loop_metrics import LoopMetrics, loop_metrics
from suara.act.timeline import Timeline, customer_email, timeline
from suara.store.app import Role
from suara.web.deps import CurrentPrincipal, Principal, RuntimeDep
from suara.web.problems import RESPONSES

CONFLICT = {409: {**RESPONSES[404], "description": "The change conflicts with the case's state"}}
router = APIRouter(tags=["cases"], responses=CONFLICT)  # type: ignore[arg-type]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The case's id.")]
CSV_COLUMNS = (
    "id",
    "customer_id",
    "topic",
    "status",
    "priority",
    "owner_id",
    "owner_name",
    "rule",
    "touchpoint",
    "score",
    "created_at",
    "first_due_at",
    "first_contact_at",
    "resolved_at",
    "breached",
)


def _actor(p: Principal) -> Actor:
    return Actor(p.user_id, p.name or "API key")


def _csv(page: CasePage) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for c in page.items:
        row = c.model_dump(mode="json")
        w.writerow(["" if row[k] is None else row[k] for k in CSV_COLUMNS])
    return buf.getvalue()


@router.get(
    "/cases",
    response_model=CasePage,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_cases(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    status: Annotated[list[Status], Query(description="Repeat for several.")] = [],  # noqa: B006
    priority: Annotated[list[Priority], Query(description="Repeat for several.")] = [],  # noqa: B006
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Cases of this user.")] = None,
    unassigned: Annotated[bool, Query(description="Only cases without an owner.")] = False,
    breached: Annotated[bool | None, Query(description="true: a deadline was missed; false: none was.")] = None,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> CasePage | Response:
    """Cases of the workspace, open ones first, newest first; filters combine with AND."""
    filters = CaseFilter(
        status=status,
        priority=priority,
        owner_id=owner_id,
        unassigned=unassigned,
        breached=breached,
        customer_id=customer_id,
    )
    page = cases.list_cases(runtime.app, principal.workspace_id, filters, limit=limit, offset=offset)
    if format == "csv":
        return Response(
            _csv(page),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
        )
    return page


@router.post("/cases", response_model=CaseDetail, status_code=201)
def post_case(body: CaseCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> CaseDetail:
    """Open a case by hand (409 if the customer has an open case on the topic)."""
    principal.require(Role.agent)
    return cases.create_case(runtime.app, principal.workspace_id, body, _actor(principal))


@router.post("/cases/bulk-assign", response_model=list[CasePublic])
def post_bulk_assign(body: BulkAssign, principal: CurrentPrincipal, runtime: RuntimeDep) -> list[CasePublic]:
    """Give several cases to one owner: all of them or, if any id is unknown, none."""
    principal.require(Role.agent)
    return cases.bulk_assign(runtime.app, principal.workspace_id, body, _actor(principal))


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: CaseId, principal: CurrentPrincipal, runtime: RuntimeDep) -> CaseDetail:
    """One case with its thread (changes, comments, replies, escalations) and what triggered it."""
    return cases.get_case(runtime.app, principal.workspace_id, case_id)


@router.patch("/cases/{case_id}", response_model=CaseDetail)
def patch_case(case_id: CaseId, body: CaseUpdate, principal: CurrentPrincipal, runtime: RuntimeDep) -> CaseDetail:
    """Change status, owner, priority, tags, root cause or resolution note; each change joins the history."""
    principal.require(Role.agent)
    return cases.update_case(runtime.app, principal.workspace_id, case_id, body, _actor(principal))


@router.post("/cases/{case_id}/comments", response_model=CaseEventPublic, status_code=201)
def post_comment(
    case_id: CaseId, body: CommentCreate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> CaseEventPublic:
    """An internal comment (the customer never sees it)."""
    principal.require(Role.agent)
    return cases.add_comment(runtime.app, principal.workspace_id, case_id, body, _actor(principal))


@router.post("/cases/{case_id}/replies", response_model=CaseEventPublic, status_code=201)
def post_reply(case_id: CaseId, body: ReplyCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> CaseEventPublic:
    """Email the customer (through the outbox); the reply joins the thread with its delivery status."""
    principal.require(Role.agent)
    known = None
    if body.to is None:
        case = cases.get_case(runtime.app, principal.workspace_id, case_id)
        if case.customer_email is None:
            known = customer_email(runtime.warehouse, principal.workspace_id, case.customer_id)
    return cases.send_reply(runtime.app, principal.workspace_id, case_id, body, _actor(principal), known)


@router.get("/case-rules", response_model=list[CaseRulePublic])
def get_case_rules(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[CaseRulePublic]:
    """The rules that open cases (the defaults until the workspace changes them)."""
    return case_rules.list_rules(runtime.app, principal.workspace_id)


@router.put("/case-rules/{name}", response_model=CaseRulePublic)
def put_case_rule(
    name: Annotated[str, Path(pattern=r"^[\w.\-]{1,100}$", description="The rule's name.")],
    body: Annotated[CaseRuleIn, Body()],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> CaseRulePublic:
    """Create or replace a rule: nps_detractor, csat_low, review_low, negative_aspect or churn_risk."""
    principal.require(Role.analyst)
    return case_rules.save_rule(runtime.app, principal.workspace_id, name, body)


@router.get("/loop-metrics", response_model=LoopMetrics)
async def get_loop_metrics(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    start: Annotated[datetime | None, Query(description="Cases opened from this instant (UTC).")] = None,
    end: Annotated[datetime | None, Query(description="Cases opened before this instant (UTC).")] = None,
) -> LoopMetrics:
    """Time to first contact and to resolution (medians), detractors contacted within SLA, and recovery."""
    start_, end_ = (
        None if d is None else d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d for d in (start, end)
    )
    return await run_in_threadpool(
        loop_metrics, runtime.app, runtime.warehouse, principal.workspace_id, start=start_, end=end_
    )


@router.get("/customers/{customer_id}/timeline", response_model=Timeline)
async def get_timeline(
    customer_id: Annotated[str, Path(min_length=1, max_length=200)],
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    max_events: Annotated[int, Query(ge=0, le=1000, description="Behavioural events listed (latest first).")] = 50,
) -> Timeline:
    """Everything known about one customer, newest first: responses, feedback, orders, tickets, events, traits."""
    return await run_in_threadpool(
        timeline, runtime.warehouse, principal.workspace_id, customer_id, max_events=max_events
    )
