"""The outreach page: trigger rules (list, enable or disable, create from a template), the contact policy with its
edit form, the decision log with each reason (filtered, paginated), the suppression list and each survey's delivery
funnel as horizontal bars.

Actions are plain form posts that redirect back (they work without JavaScript); a refused action comes back as a
message on the page. The decision log's filters and pages swap in place with HTMX.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from suara.errors import SuaraError
from suara.outreach.decisions import count_decisions, decisions
from suara.outreach.funnel import SurveyFunnel, survey_funnel
from suara.outreach.policy import ContactPolicy
from suara.outreach.send import load_policy, save_policy
from suara.outreach.suppression import suppress, suppressions, unsuppress
from suara.outreach.triggers import TEMPLATES, TriggerCreate, get_rule, list_rules, save_rule
from suara.store.app import Role, WorkspaceRepo
from suara.web.deps import Principal, RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
OUTCOMES = ("queued", "skipped", "cancelled")
CHANNELS = ("survey_email", "sms", "whatsapp")


def _signin(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


def _back(error: str | None = None) -> RedirectResponse:
    return RedirectResponse("/outreach" + (f"?{urlencode({'error': error})}" if error else ""), status_code=303)


def _refusal(exc: ValidationError) -> str:
    """The first thing the schema refused, in words, for the message line above the page."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def conversions(funnel: SurveyFunnel) -> list[dict[str, Any]]:
    """Each step with its bar width (percent of the first step) and the share of the step before it that reached
    it (None for the first step, or when the step before had none)."""
    top = funnel.steps[0].count if funnel.steps else 0
    out: list[dict[str, Any]] = []
    before: int | None = None
    for step in funnel.steps:
        width = round(100 * step.count / top, 1) if top else 0.0
        rate: float | None = step.count / before if before else None
        out.append({"step": step.step, "count": step.count, "width": width, "from_previous": rate})
        before = step.count
    return out


def _decision_context(
    runtime: Any, workspace_id: str, outcome: str, rule: str, customer: str, page: int
) -> dict[str, Any]:
    rules = list_rules(runtime.app, workspace_id)
    by_id = {r.id: r.name for r in rules}
    rule_id = next((r.id for r in rules if r.name == rule), None)
    outcome = outcome if outcome in OUTCOMES else ""
    customer = customer.strip()
    # an unknown rule matches nothing rather than everything
    wanted = rule_id if rule_id is not None else (-1 if rule else None)
    with runtime.app.session() as s:
        total = count_decisions(s, workspace_id, outcome=outcome or None, customer_id=customer or None, rule_id=wanted)
        rows = decisions(
            s,
            workspace_id,
            outcome=outcome or None,
            customer_id=customer or None,
            rule_id=wanted,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    query = {k: v for k, v in {"outcome": outcome, "rule": rule, "customer": customer}.items() if v}
    return {
        "decisions": rows,
        "rule_names": by_id,
        "rules": rules,
        "outcomes": OUTCOMES,
        "outcome": outcome,
        "rule": rule,
        "customer": customer,
        "total": total,
        "page_no": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "query": urlencode(query),
    }


@router.get("/outreach", response_model=None)
def outreach_page(
    request: Request,
    runtime: RuntimeDep,
    outcome: Annotated[str, Query(max_length=20)] = "",
    rule: Annotated[str, Query(max_length=100)] = "",
    customer: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    error: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    ws = principal.workspace_id
    ctx = _decision_context(runtime, ws, outcome, rule, customer, page)
    ctx["principal"] = principal
    # the decision log's filters and pages swap only the log; a history restore wants the whole page
    if request.headers.get("hx-request") == "true" and not request.headers.get("hx-history-restore-request"):
        response: Response = templates.TemplateResponse(request, "outreach_decisions.html", ctx)
        response.headers["Vary"] = "HX-Request"
        return response
    with runtime.app.session() as s:
        policy = load_policy(s, ws)
        keys = sorted(sv.key for sv in WorkspaceRepo(s, ws).surveys())
        blocked = suppressions(s, ws)
    ctx.update(
        policy=policy,
        templates_=sorted(TEMPLATES),
        channels=CHANNELS,
        surveys=keys,
        suppressions=blocked,
        funnels=[(key, conversions(survey_funnel(runtime.app, runtime.warehouse, ws, key))) for key in keys],
        error=error,
    )
    response = templates.TemplateResponse(request, "outreach.html", ctx)
    response.headers["Vary"] = "HX-Request"
    return response


def _act(request: Request, role: Role, act: Any) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    try:
        principal.require(role)
        act(principal)
    except SuaraError as exc:
        return _back(exc.detail)
    except ValidationError as exc:
        return _back(_refusal(exc))
    return _back()


@router.post("/outreach/triggers", response_model=None)
def create_trigger(
    request: Request,
    runtime: RuntimeDep,
    template: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    survey: Annotated[str, Form()] = "",
    delay: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
) -> Response:
    """A rule from a template; the form may change its name, survey, delay and channel."""

    def act(p: Principal) -> None:
        if template not in TEMPLATES:
            raise SuaraError(f"pick a template: {', '.join(sorted(TEMPLATES))}")
        definition = dict(TEMPLATES[template])
        for field, value in (("survey", survey), ("delay", delay), ("channel", channel)):
            if value.strip():
                definition[field] = value.strip()
        body = TriggerCreate.model_validate(
            {"name": name.strip() or template, "enabled": bool(enabled), "definition": definition}
        )
        save_rule(runtime.app, p.workspace_id, body)

    return _act(request, Role.analyst, act)


@router.post("/outreach/triggers/{name}/toggle", response_model=None)
def toggle_trigger(request: Request, runtime: RuntimeDep, name: Annotated[str, Path(max_length=100)]) -> Response:
    """Enable a disabled rule or disable an enabled one."""

    def act(p: Principal) -> None:
        rule = get_rule(runtime.app, p.workspace_id, name)
        body = TriggerCreate.model_validate({"name": name, "enabled": not rule.enabled, "definition": rule.definition})
        save_rule(runtime.app, p.workspace_id, body, replace=True)

    return _act(request, Role.analyst, act)


@router.post("/outreach/policy", response_model=None)
def edit_policy(
    request: Request,
    runtime: RuntimeDep,
    survey_count: Annotated[str, Form()] = "",
    survey_days: Annotated[str, Form()] = "",
    message_count: Annotated[str, Form()] = "",
    message_days: Annotated[str, Form()] = "",
    quiet: Annotated[str, Form()] = "",
    quiet_start: Annotated[str, Form()] = "",
    quiet_end: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    base_url: Annotated[str, Form()] = "",
) -> Response:
    """The whole policy from one form; `ContactPolicy` refuses what it refuses on the API."""

    def act(p: Principal) -> None:
        policy = ContactPolicy.model_validate(
            {
                "survey_cap": {"count": survey_count, "days": survey_days},
                "message_cap": {"count": message_count, "days": message_days},
                "quiet_hours": {"start": quiet_start, "end": quiet_end} if quiet else None,
                "timezone": timezone.strip() or "UTC",
                "base_url": base_url.strip() or None,
            }
        )
        with runtime.app.session() as s:
            save_policy(s, p.workspace_id, policy)

    return _act(request, Role.admin, act)


@router.post("/outreach/suppressions", response_model=None)
def add_suppression(
    request: Request,
    runtime: RuntimeDep,
    value: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    def act(p: Principal) -> None:
        if not value.strip() or len(value.strip()) > 320:
            raise SuaraError("write a customer id, e-mail address or phone number (at most 320 characters)")
        with runtime.app.session() as s:
            suppress(s, p.workspace_id, value.strip(), reason.strip())

    return _act(request, Role.agent, act)


@router.post("/outreach/suppressions/remove", response_model=None)
def remove_suppression(request: Request, runtime: RuntimeDep, value: Annotated[str, Form()] = "") -> Response:
    def act(p: Principal) -> None:
        with runtime.app.session() as s:
            if not unsuppress(s, p.workspace_id, value):
                raise SuaraError(f"{value!r} is not on the suppression list")

    return _act(request, Role.admin, act)
