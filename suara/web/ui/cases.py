"""Pages of the loop: the cases inbox, one case (timeline, thread, controls) and the alerts with their charts.

Actions are plain form posts that redirect back (they work without JavaScript); a refused action comes back as a
message on the page. SLA timers are computed here and then tick in the browser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from suara.act import cases
from suara.act.alert_series import alert_series
from suara.act.alerts import acknowledge, list_alerts, list_rules
from suara.act.cases import (
    OPEN,
    PRIORITIES,
    TRANSITIONS,
    Actor,
    BulkAssign,
    CaseFilter,
    CaseUpdate,
    CommentCreate,
    ReplyCreate,
)
from suara.act.loop_metrics import loop_metrics
from suara.act.tables import Alert
from suara.act.timeline import customer_email, timeline
from suara.errors import NotFound, SuaraError
from suara.store.app import Role, WorkspaceRepo, utcnow
from suara.web.deps import Principal, RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
STATUSES = ("new", "contacted", "reopened", "resolved", "closed")


def sla_text(seconds: float) -> str:
    """'3h 05m left' or 'overdue 1d 2h': the same words the browser's ticking timer writes."""
    s = abs(int(seconds))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    span = f"{d}d {h}h" if d else f"{h}h {m:02d}m"
    return f"{span} left" if seconds >= 0 else f"overdue {span}"


templates.env.filters.update(sla_text=sla_text)


def _signin(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


def _actor(p: Principal) -> Actor:
    return Actor(p.user_id, p.name or "dashboard")


def _back(path: str, error: str | None = None) -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(path + (f"{sep}{urlencode({'error': error})}" if error else ""), status_code=303)


def _safe(path: str, default: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else default


def _users(runtime: Any, workspace_id: str) -> list[Any]:
    with runtime.app.session() as s:
        return [(u.id, u.name or u.email) for u in WorkspaceRepo(s, workspace_id).users()]


# -- inbox ------------------------------------------------------------------------------------------------------
@router.get("/cases", response_model=None)
def inbox(
    request: Request,
    runtime: RuntimeDep,
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    owner: str = "",
    priority: str = "",
    breached: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    error: str = "",
) -> Response:
    """Open cases by default, filters in the URL, SLA timers, bulk assignment."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    picked = [s for s in status if s in STATUSES] or list(OPEN)
    filters = CaseFilter(
        status=picked,
        owner_id=int(owner) if owner.isdigit() else None,
        unassigned=owner == "none",
        priority=[priority] if priority in PRIORITIES else [],
        breached={"yes": True, "no": False}.get(breached),
    )
    result = cases.list_cases(
        runtime.app, principal.workspace_id, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    query = request.url.query
    ctx = {
        "principal": principal,
        "page": result,
        "page_no": page,
        "pages": max(1, -(-result.total // PAGE_SIZE)),
        "statuses": STATUSES,
        "picked": picked,
        "owner": owner,
        "priority": priority,
        "priorities": PRIORITIES,
        "breached": breached,
        "users": _users(runtime, principal.workspace_id),
        "back": "/cases" + (f"?{query}" if query else ""),
        "error": error,
        "now": datetime.now(UTC),
        "metrics": loop_metrics(runtime.app, runtime.warehouse, principal.workspace_id),
    }
    return templates.TemplateResponse(request, "cases.html", ctx)


@router.post("/cases/assign", response_model=None)
def assign(
    request: Request,
    runtime: RuntimeDep,
    case_id: Annotated[list[int], Form()] = [],  # noqa: B006
    owner_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/cases",
) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    back = _safe(back, "/cases")
    try:
        principal.require(Role.agent)
        if not case_id or not owner_id.isdigit():
            raise SuaraError("tick one or more cases and pick an owner")
        cases.bulk_assign(
            runtime.app, principal.workspace_id, BulkAssign(case_ids=case_id, owner_id=int(owner_id)), _actor(principal)
        )
    except SuaraError as exc:
        return _back(back, exc.detail)
    return _back(back)


# -- one case ---------------------------------------------------------------------------------------------------
@router.get("/cases/{case_id}", response_model=None)
def case_page(
    request: Request,
    runtime: RuntimeDep,
    case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    error: str = "",
) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    try:
        case = cases.get_case(runtime.app, principal.workspace_id, case_id)
    except NotFound as exc:
        ctx = {"principal": principal, "message": exc.detail}
        return templates.TemplateResponse(request, "case_missing.html", ctx, status_code=404)
    ctx = {
        "principal": principal,
        "case": case,
        "timeline": timeline(runtime.warehouse, principal.workspace_id, case.customer_id),
        "users": _users(runtime, principal.workspace_id),
        "moves": sorted(TRANSITIONS.get(case.status, set())),
        "priorities": PRIORITIES,
        "error": error,
        "known_email": case.customer_email
        or customer_email(runtime.warehouse, principal.workspace_id, case.customer_id),
    }
    return templates.TemplateResponse(request, "case.html", ctx)


def _case_action(request: Request, case_id: int, act: Any) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    try:
        principal.require(Role.agent)
        act(principal)
    except SuaraError as exc:
        return _back(f"/cases/{case_id}", exc.detail)
    except ValidationError as exc:  # a form value the schema refuses
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return _back(f"/cases/{case_id}", f"{where}: {first['msg']}" if where else first["msg"])
    return _back(f"/cases/{case_id}")


@router.post("/cases/{case_id}/update", response_model=None)
def update(
    request: Request,
    runtime: RuntimeDep,
    case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    status: Annotated[str, Form()] = "",
    owner_id: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    root_cause: Annotated[str, Form()] = "",
    resolution_note: Annotated[str, Form()] = "",
) -> Response:
    """The status, owner and priority controls (one form); empty fields are left as they are."""

    def act(p: Principal) -> None:
        fields: dict[str, Any] = {}
        if status:
            fields["status"] = status
        if owner_id:
            # A value that is not an id fails the schema (ge=1) and comes back as a message.
            fields["owner_id"] = None if owner_id == "none" else int(owner_id) if owner_id.isdigit() else 0
        if priority:
            fields["priority"] = priority
        if root_cause.strip():
            fields["root_cause"] = root_cause.strip()
        if resolution_note.strip():
            fields["resolution_note"] = resolution_note.strip()
        cases.update_case(runtime.app, p.workspace_id, case_id, CaseUpdate(**fields), _actor(p))

    return _case_action(request, case_id, act)


@router.post("/cases/{case_id}/comment", response_model=None)
def comment(
    request: Request,
    runtime: RuntimeDep,
    case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Annotated[str, Form()] = "",
) -> Response:
    def act(p: Principal) -> None:
        cases.add_comment(runtime.app, p.workspace_id, case_id, CommentCreate(body=body.strip()), _actor(p))

    return _case_action(request, case_id, act)


@router.post("/cases/{case_id}/reply", response_model=None)
def reply(
    request: Request,
    runtime: RuntimeDep,
    case_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "About your feedback",
    to: Annotated[str, Form()] = "",
) -> Response:
    def act(p: Principal) -> None:
        form = ReplyCreate(body=body.strip(), subject=subject.strip() or "About your feedback", to=to.strip() or None)
        known = customer_email(
            runtime.warehouse, p.workspace_id, cases.get_case(runtime.app, p.workspace_id, case_id).customer_id
        )
        cases.send_reply(runtime.app, p.workspace_id, case_id, form, _actor(p), known)

    return _case_action(request, case_id, act)


# -- alerts -----------------------------------------------------------------------------------------------------
@router.get("/alerts", response_model=None)
def alerts_page(request: Request, runtime: RuntimeDep, status: str = "", error: str = "") -> Response:
    """Rules, and alerts with their series around the incident."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    ws = principal.workspace_id
    rules = {r.id: r for r in list_rules(runtime.app, ws)}
    raised = list_alerts(runtime.app, ws, status if status in ("open", "acknowledged", "resolved") else None)  # type: ignore[arg-type]
    charts: dict[int, Any] = {}
    for a in raised[:20]:  # the latest incidents get a chart; older ones list their reason
        rule = rules.get(a.rule_id)
        if rule is None:
            continue
        try:
            charts[a.id] = alert_series(
                runtime.warehouse, ws, rule.definition, a.series, a.started_on, a.recovered_on or a.last_flagged_on
            ).model_dump(mode="json")
        except SuaraError:
            continue
    ctx = {"principal": principal, "rules": rules, "alerts": raised, "charts": charts, "status": status, "error": error}
    return templates.TemplateResponse(request, "alerts.html", ctx)


@router.post("/alerts/{alert_id}/{action}", response_model=None)
def alert_action(
    request: Request,
    runtime: RuntimeDep,
    alert_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: Annotated[str, Path(pattern="^(ack|resolve)$")],
) -> Response:
    """Acknowledge (someone is on it) or resolve (it is over) an alert."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    try:
        principal.require(Role.agent)
        if action == "ack":
            acknowledge(runtime.app, principal.workspace_id, alert_id)
        else:
            _resolve(runtime, principal.workspace_id, alert_id)
    except SuaraError as exc:
        return _back("/alerts", exc.detail)
    return _back("/alerts")


def _resolve(runtime: Any, workspace_id: str, alert_id: int) -> None:
    with runtime.app.session() as s:
        alert = s.scalar(select(Alert).where(Alert.workspace_id == workspace_id, Alert.id == alert_id))
        if alert is None:
            raise NotFound(f"no alert {alert_id} in this workspace")
        if alert.status != "resolved":
            alert.status, alert.resolved_at = "resolved", utcnow()
