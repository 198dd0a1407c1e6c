"""The settings page: case teams, SLA targets per priority and the widget's publishable keys.

Each section is a form that HTMX posts and swaps in place; a refusal comes back in the section with the API's words
next to the field it names (its problem pointer). Without JavaScript the forms post plainly: success redirects back,
a refusal renders the page with the messages. Every change goes through the same functions as the API.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from suara.act import cases, sla
from suara.act.cases import PRIORITIES, TeamIn
from suara.act.sla import SlaTargetIn, SlaTargetPublic
from suara.channels.widget import create_widget_key, list_widget_keys, revoke_widget_key
from suara.errors import SuaraError, pydantic_errors
from suara.store.app import Role, WorkspaceRepo
from suara.web.api.channels import WidgetKeyCreate
from suara.web.api.settings import TEAM_NAME
from suara.web.deps import Principal, RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)
Errors = dict[str, str]
# The whole form, not one field: a missing role, a team that is gone.
FORM = "_form"


def _signin(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)


def _hx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# What a field's pattern asks for, in words: the schema's own message quotes the regular expression.
PATTERN_HINTS = {
    "manager_email": "write an email address, like boss@shop.example",
    "origins": "write each site as scheme and host, like https://shop.example (no path, no trailing slash)",
}


def field_errors(exc: SuaraError | ValidationError) -> Errors:
    """Messages by form field, from the problem's pointers ("/members/1" -> members); the rest go to the form."""
    items = pydantic_errors(exc) if isinstance(exc, ValidationError) else exc.errors
    out: dict[str, list[str]] = {}
    for e in items:
        field = str(e.get("pointer", "/")).strip("/").split("/")[0] or FORM
        message = str(e["message"]).removeprefix("Value error, ")
        if e.get("type") == "string_pattern_mismatch" and field in PATTERN_HINTS:
            message = PATTERN_HINTS[field]
        if message not in out.get(field, []):
            out.setdefault(field, []).append(message)
    if not out and isinstance(exc, SuaraError):
        out[FORM] = [exc.detail]
    return {k: "; ".join(v) for k, v in out.items()}


def _split(text: str) -> list[str]:
    """Touchpoints and origins are typed comma- or line-separated."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


# -- context ----------------------------------------------------------------------------------------------------
def _teams_ctx(
    runtime: Any, p: Principal, form: dict[str, Any] | None = None, errors: Errors | None = None
) -> dict[str, Any]:
    with runtime.app.session() as s:
        users = [(u.id, u.name or u.email, u.email) for u in WorkspaceRepo(s, p.workspace_id).users()]
    return {
        "teams": cases.list_teams(runtime.app, p.workspace_id),
        "users": users,
        "team_form": form or {"name": "", "members": [], "touchpoints": "", "manager_email": "", "editing": False},
        "team_errors": errors or {},
    }


def _sla_ctx(runtime: Any, p: Principal) -> dict[str, Any]:
    return {"targets": sla.list_targets(runtime.app, p.workspace_id), "sla_errors": {}, "sla_saved": ""}


def _keys_ctx(
    runtime: Any,
    p: Principal,
    form: dict[str, Any] | None = None,
    errors: Errors | None = None,
    new_key: str = "",
) -> dict[str, Any]:
    with runtime.app.session() as s:
        keys = list_widget_keys(s, p.workspace_id)
        surveys = [(sv.key, sv.name) for sv in WorkspaceRepo(s, p.workspace_id).surveys()]
    return {
        "keys": keys,
        "surveys": surveys,
        "key_form": form or {"name": "", "origins": "", "surveys": []},
        "key_errors": errors or {},
        "new_key": new_key,
    }


def _page(request: Request, runtime: Any, p: Principal, status: int = 200, **parts: dict[str, Any]) -> Response:
    ctx: dict[str, Any] = {"principal": p, "priorities": PRIORITIES}
    ctx.update(parts.get("teams") or _teams_ctx(runtime, p))
    ctx.update(parts.get("sla") or _sla_ctx(runtime, p))
    ctx.update(parts.get("keys") or _keys_ctx(runtime, p))
    return templates.TemplateResponse(request, "settings.html", ctx, status_code=status)


def _section(request: Request, runtime: Any, p: Principal, name: str, ctx: dict[str, Any], failed: bool) -> Response:
    """HTMX gets the section (200, so it swaps even when refused); a plain post gets the page or a redirect."""
    if _hx(request):
        return templates.TemplateResponse(request, f"settings_{name}.html", {"principal": p, **ctx})
    if failed:
        return _page(request, runtime, p, status=422, **{name: ctx})
    return RedirectResponse(f"/settings#{name}", status_code=303)


@router.get("/settings", response_model=None)
def settings_page(request: Request, runtime: RuntimeDep, edit: str = "") -> Response:
    """Teams, SLA targets and widget keys; `?edit=<team>` opens a team in the form."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    return _page(
        request, runtime, principal, teams=_teams_ctx(runtime, principal, _edit_form(runtime, principal, edit))
    )


@router.get("/settings/teams", response_model=None)
def teams_section(request: Request, runtime: RuntimeDep, edit: str = "") -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    ctx = _teams_ctx(runtime, principal, _edit_form(runtime, principal, edit))
    return templates.TemplateResponse(request, "settings_teams.html", {"principal": principal, **ctx})


def _edit_form(runtime: Any, p: Principal, name: str) -> dict[str, Any] | None:
    team = next((t for t in cases.list_teams(runtime.app, p.workspace_id) if t.name == name), None)
    if team is None:
        return None
    return {
        "name": team.name,
        "members": [m.id for m in team.members],
        "touchpoints": ", ".join(team.touchpoints),
        "manager_email": team.manager_email or "",
        "editing": True,
    }


# -- teams ------------------------------------------------------------------------------------------------------
@router.post("/settings/teams", response_model=None)
def save_team(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    members: Annotated[list[str], Form()] = [],  # noqa: B006
    touchpoints: Annotated[str, Form()] = "",
    manager_email: Annotated[str, Form()] = "",
    editing: Annotated[str, Form()] = "",
) -> Response:
    """Create or replace a team from the form; the API's refusals land next to their fields."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    picked = [int(m) if m.isdigit() else m for m in members]
    team = name.strip()
    form: dict[str, Any] = {
        "name": team,
        "members": picked,
        "touchpoints": touchpoints,
        "manager_email": manager_email,
        "editing": bool(editing),
    }
    errors: Errors = {}
    try:
        principal.require(Role.admin)
        if len(team) > 100 or not re.fullmatch(TEAM_NAME, team):
            raise SuaraError("", errors=[{"pointer": "/name", "message": "1 to 100 characters, no slash"}])
        body = TeamIn.model_validate(
            {"members": picked, "touchpoints": _split(touchpoints), "manager_email": manager_email.strip() or None}
        )
        cases.save_team(
            runtime.app,
            principal.workspace_id,
            team,
            members=body.members,
            touchpoints=body.touchpoints,
            manager_email=body.manager_email,
        )
    except (SuaraError, ValidationError) as exc:
        errors = field_errors(exc)
    ctx = _teams_ctx(runtime, principal, form if errors else None, errors)
    ctx["team_saved"] = "" if errors else team
    return _section(request, runtime, principal, "teams", ctx, bool(errors))


@router.post("/settings/teams/{name}/delete", response_model=None)
def delete_team(request: Request, runtime: RuntimeDep, name: Annotated[str, Path(max_length=100)]) -> Response:
    """Remove a team; its open cases keep their owner."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    errors: Errors = {}
    try:
        principal.require(Role.admin)
        cases.delete_team(runtime.app, principal.workspace_id, name)
    except SuaraError as exc:
        errors = {FORM: exc.detail}
    return _section(request, runtime, principal, "teams", _teams_ctx(runtime, principal, None, errors), bool(errors))


# -- SLA targets ------------------------------------------------------------------------------------------------
@router.post("/settings/sla/{priority}", response_model=None)
def save_sla(
    request: Request,
    runtime: RuntimeDep,
    priority: Annotated[str, Path(max_length=20)],
    first_contact_hours: Annotated[str, Form()] = "",
    resolution_hours: Annotated[str, Form()] = "",
) -> Response:
    """One priority's row: saved and shown again, or shown with the refusal next to the hours it names."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    errors: Errors = {}
    try:
        principal.require(Role.admin)
        if priority not in PRIORITIES:
            raise SuaraError(f"priority must be one of {', '.join(PRIORITIES)}")
        body = SlaTargetIn.model_validate(
            {"first_contact_hours": first_contact_hours.strip(), "resolution_hours": resolution_hours.strip()}
        )
        sla.set_target(runtime.app, principal.workspace_id, SlaTargetPublic(priority=priority, **body.model_dump()))
    except (SuaraError, ValidationError) as exc:
        errors = field_errors(exc)
    targets = sla.list_targets(runtime.app, principal.workspace_id)
    if errors and priority in PRIORITIES:
        # The row keeps what was typed, so the person can correct it.
        typed = {"first_contact_hours": first_contact_hours, "resolution_hours": resolution_hours}
        targets = [t.model_copy(update=typed) if t.priority == priority else t for t in targets]
    ctx = {
        "targets": targets,
        "sla_errors": {priority: errors} if errors else {},
        "sla_saved": "" if errors else priority,
    }
    if _hx(request):
        target = next((t for t in targets if t.priority == priority), None)
        if target is not None:
            row = {"principal": principal, "t": target, **ctx}
            return templates.TemplateResponse(request, "settings_sla_row.html", row)
    return _section(request, runtime, principal, "sla", ctx, bool(errors))


# -- widget keys ------------------------------------------------------------------------------------------------
@router.post("/settings/widget-keys", response_model=None)
def create_key(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    origins: Annotated[str, Form()] = "",
    surveys: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    """A publishable key, shown once in the section that comes back."""
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    form = {"name": name, "origins": origins, "surveys": surveys}
    try:
        principal.require(Role.admin)
        body = WidgetKeyCreate.model_validate({"name": name.strip(), "surveys": surveys, "origins": _split(origins)})
        with runtime.app.session() as s:
            _, key = create_widget_key(s, principal.workspace_id, body.name, body.surveys, body.origins)
    except (SuaraError, ValidationError) as exc:
        ctx = _keys_ctx(runtime, principal, form, field_errors(exc))
        return _section(request, runtime, principal, "keys", ctx, True)
    ctx = _keys_ctx(runtime, principal, new_key=key)
    if _hx(request):
        return _section(request, runtime, principal, "keys", ctx, False)
    # No redirect: the key exists only in this response.
    return _page(request, runtime, principal, keys=ctx)


@router.post("/settings/widget-keys/{key_id}/revoke", response_model=None)
def revoke_key(request: Request, runtime: RuntimeDep, key_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    principal = session_principal(request)
    if principal is None:
        return _signin(request)
    errors: Errors = {}
    try:
        principal.require(Role.admin)
        with runtime.app.session() as s:
            revoke_widget_key(s, principal.workspace_id, key_id)
    except SuaraError as exc:
        errors = {FORM: exc.detail}
    return _section(request, runtime, principal, "keys", _keys_ctx(runtime, principal, None, errors), bool(errors))
