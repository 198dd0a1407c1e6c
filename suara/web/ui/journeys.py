"""Journey and customer-value pages: the journey map, the funnel builder, the retention heatmap, at-risk customers
and the key drivers of NPS. Each page calls the same runner with the same spec as its API endpoint, so they agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from suara.errors import SuaraError, ValidationFailed
from suara.journeys import run_funnel, run_retention, saved
from suara.journeys.funnel import breakdown_fields
from suara.journeys.maps import run_journey_map
from suara.journeys.retention import RetentionSpec
from suara.models.churn_risk import ChurnRiskSpec, cached_score
from suara.models.customer_value import CustomerValueSpec, customer_values
from suara.models.nps_drivers import nps_drivers
from suara.store.app import Role
from suara.web.api.journeys import event_names, funnel_spec, journey_spec, sort_customers
from suara.web.deps import Principal, RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
MAX_STEPS = 8


def _signed_in(request: Request) -> Principal | RedirectResponse:
    principal = session_principal(request)
    if principal is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    return principal


def _render(request: Request, name: str, ctx: dict[str, Any]) -> Response:
    return templates.TemplateResponse(request, name, ctx)


def heat(share: float | None) -> str:
    """Background colour of a retention cell: white at 0%, the accent at 100% (alpha scales with the share)."""
    if share is None:
        return "transparent"
    return f"rgba(52, 81, 178, {min(max(share, 0.0), 100.0) / 100 * 0.85 + 0.05:.3f})"


def duration(seconds: int | None) -> str:
    """A window in the largest whole unit: 7 days, 12 hours, 90 minutes, 45 seconds."""
    if not seconds:
        return "any time"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


templates.env.globals.update(heat=heat)
templates.env.filters.update(duration=duration)


@router.get("/journeys", response_model=None)
def journey_page(
    request: Request,
    runtime: RuntimeDep,
    journey: str = saved.DEFAULT,
    value: str = "historical",
    start: datetime | None = None,
) -> Response:
    """Stages left to right with each touchpoint's numbers, and the friction ranking, for a saved journey."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    value = value if value in ("historical", "clv") else "historical"
    result, error, window = None, None, None
    journeys = saved.list_journeys(runtime.app, principal.workspace_id)
    try:
        spec = journey_spec(runtime.app, principal.workspace_id, journey, None, value, start, None)
        window = spec.window
        result = run_journey_map(runtime.warehouse, principal.workspace_id, spec)
    except SuaraError as exc:
        error = exc.detail
    api = "/api/v1/journeys/map?" + urlencode({"journey": journey, "value": value})
    ctx = {"principal": principal, "result": result, "error": error, "value": value, "api_url": api}
    return _render(request, "journey.html", ctx | {"journey": journey, "journeys": journeys, "window": window})


@router.get("/journeys/edit", response_model=None)
def journey_editor(request: Request, runtime: RuntimeDep, journey: str = "", new: bool = False) -> Response:
    """A saved journey's spec as JSON to edit (or a new one, starting from the default's)."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    try:
        found = saved.get_journey(runtime.app, principal.workspace_id, journey or saved.DEFAULT)
    except SuaraError as exc:
        return _editor(request, principal, journey, "", exc.detail, [])
    name = "" if new else found.name
    return _editor(request, principal, name, json.dumps(found.spec, indent=2, ensure_ascii=False), None, [])


@router.post("/journeys/edit", response_model=None)
def save_journey(
    request: Request,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    spec: Annotated[str, Form()] = "",
) -> Response:
    """Save the edited spec and show its map; a bad spec comes back with the errors and the text as typed."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    try:
        principal.require(Role.analyst)
        try:
            body = json.loads(spec)
        except ValueError as exc:
            raise ValidationFailed(f"the spec is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ValidationFailed("the spec must be a JSON object with `stages`")
        saved.save_journey(runtime.app, principal.workspace_id, name.strip(), body)
    except SuaraError as exc:
        return _editor(request, principal, name, spec, exc.detail, exc.errors or [], status=422)
    return RedirectResponse("/journeys?" + urlencode({"journey": name.strip()}), status_code=303)


@router.post("/journeys/delete", response_model=None)
def delete_journey(request: Request, runtime: RuntimeDep, name: Annotated[str, Form()] = "") -> Response:
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    try:
        principal.require(Role.analyst)
        saved.delete_journey(runtime.app, principal.workspace_id, name)
    except SuaraError as exc:
        return _editor(request, principal, name, "", exc.detail, [], status=exc.status)
    return RedirectResponse("/journeys", status_code=303)


def _editor(
    request: Request,
    principal: Principal,
    name: str,
    text: str,
    error: str | None,
    errors: list[dict[str, Any]],
    status: int = 200,
) -> Response:
    journeys = saved.list_journeys(request.app.state.runtime.app, principal.workspace_id)
    ctx = {"principal": principal, "name": name, "text": text, "error": error, "errors": errors}
    ctx |= {"journeys": journeys, "builtin": saved.DEFAULT}
    return templates.TemplateResponse(request, "journey_edit.html", ctx, status_code=status)


@router.get("/journeys/funnel", response_model=None)
def funnel_page(
    request: Request,
    runtime: RuntimeDep,
    step: Annotated[list[str], Query()] = [],  # noqa: B006
    window: str = "1d",
    order: str = "loose",
    by: str = "",
    add: str = "",
) -> Response:
    """Pick steps from the workspace's events, a window and order, and a breakdown; bars with drop-off."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    names = [e.event for e in event_names(runtime.warehouse, principal.workspace_id)]
    steps = [s for s in step if s]
    if not steps and len(names) >= 2:
        steps = names[:2]
    if add and len(steps) < MAX_STEPS:
        steps.append(next((n for n in names if n not in steps), ""))
    steps = [s for s in dict.fromkeys(steps) if s]
    order = order if order in ("loose", "strict") else "loose"
    result, error = None, None
    query: list[tuple[str, str]] = [("step", s) for s in steps] + [("window", window), ("order", order)]
    if steps:
        try:
            spec = funnel_spec(steps, window, order, [by] if by else [], None, None)
            result = run_funnel(runtime.warehouse, principal.workspace_id, spec)
        except (SuaraError, ValueError) as exc:
            error = getattr(exc, "detail", None) or str(exc).splitlines()[0]
    ctx = {
        "principal": principal,
        "names": names,
        "steps": steps,
        "window": window,
        "order": order,
        "by": by,
        "fields": breakdown_fields(runtime.warehouse, principal.workspace_id),
        "result": result,
        "error": error,
        "max_steps": MAX_STEPS,
        "api_url": "/api/v1/journeys/funnel?" + urlencode(query + ([("by", by)] if by else [])),
        "dropped_url": "/api/v1/journeys/funnel/dropped?" + urlencode(query + [("format", "csv")]),
    }
    return _render(request, "funnel.html", ctx)


@router.get("/journeys/retention", response_model=None)
def retention_page(
    request: Request, runtime: RuntimeDep, period: str = "week", periods: int = 8, start_event: str = ""
) -> Response:
    """Cohort x period heatmap of the share of customers back."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    period = period if period in ("day", "week", "month") else "week"
    periods = min(max(periods, 1), 26)
    spec = RetentionSpec(period=period, periods=periods, start_event=start_event or None)  # type: ignore[arg-type]
    result = run_retention(runtime.warehouse, principal.workspace_id, spec)
    names = [e.event for e in event_names(runtime.warehouse, principal.workspace_id)]
    query = {"period": period, "periods": periods} | ({"start_event": start_event} if start_event else {})
    ctx = {
        "principal": principal,
        "result": result,
        "period": period,
        "periods": periods,
        "start_event": start_event,
        "names": names,
        "api_url": "/api/v1/journeys/retention?" + urlencode(query),
    }
    return _render(request, "retention.html", ctx)


@router.get("/customers/at-risk", response_model=None)
def at_risk_page(request: Request, runtime: RuntimeDep, page: int = 1, sort: str = "risk") -> Response:
    """Customers by the CLV model's risk of no purchase (or by value at stake: churn risk x CLV), with the churn
    model's risk and top reasons beside; paginated, CSV export."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    sort = sort if sort in ("risk", "stake") else "risk"
    result, error, rows, total = None, None, [], 0
    churn, churn_error = None, None
    try:
        churn = cached_score(runtime.warehouse, principal.workspace_id, ChurnRiskSpec())
    except SuaraError as exc:
        churn_error = exc.detail
    risks = {c.customer_id: c for c in churn.customers} if churn else {}
    try:
        result = customer_values(runtime.warehouse, principal.workspace_id, CustomerValueSpec())
        ranked = sort_customers(result.customers, "risk")
        if sort == "stake":
            ranked = sorted(ranked, key=lambda c: -(risks[c.customer_id].risk * c.clv) if c.customer_id in risks else 1)
        total = len(ranked)
        page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
        rows = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    except SuaraError as exc:
        error = exc.detail
    ctx = {
        "principal": principal,
        "result": result,
        "error": error,
        "rows": rows,
        "churn": churn,
        "churn_error": churn_error,
        "risks": risks,
        "sort": sort,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "total": total,
        "offset": (page - 1) * PAGE_SIZE,
        "api_url": f"/api/v1/models/clv/customers?sort=risk&offset={(page - 1) * PAGE_SIZE}&limit={PAGE_SIZE}",
        "csv_url": "/api/v1/models/clv/customers?sort=risk&format=csv",
        "churn_csv_url": "/api/v1/models/churn/customers?format=csv",
    }
    return _render(request, "atrisk.html", ctx)


@router.get("/models/drivers", response_model=None)
def drivers_page(request: Request, runtime: RuntimeDep) -> Response:
    """Relative weights and Shapley shares of R^2 of NPS over response fields and other ratings."""
    principal = _signed_in(request)
    if isinstance(principal, RedirectResponse):
        return principal
    result, error = None, None
    try:
        result = nps_drivers(runtime.warehouse, principal.workspace_id)
    except SuaraError as exc:
        error = exc.detail
    top = max([max(d.shapley, d.relative_weight) for d in result.drivers] if result else [0.0]) or 1.0
    ctx = {
        "principal": principal,
        "result": result,
        "error": error,
        "top": top,
        "api_url": "/api/v1/models/drivers/nps",
    }
    return _render(request, "drivers.html", ctx)
