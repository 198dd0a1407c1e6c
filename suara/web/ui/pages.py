"""Dashboard pages: sign-in and the CX overview, server-rendered with Jinja2 and swapped in place by HTMX.

Every number on a page comes from `run_metric` with the same spec the API builds, so page and API always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from suara.metrics import MetricResult, MetricSpec, run_metric
from suara.metrics.runner import PERIOD_KEY
from suara.metrics.spec import Period
from suara.runtime import Runtime
from suara.store.app import Role, find_api_key, find_user, verify_password
from suara.store.warehouse import Warehouse
from suara.web.deps import Principal, RuntimeDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

TILES = {"nps": "Net Promoter Score", "csat": "Customer satisfaction", "ces": "Customer effort"}
BREAKDOWN_METRICS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
# The scale each measure lives on: the table's interval bars are drawn against it.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}
PERIODS = {"week": "Week", "month": "Month"}
RANGES = {"90": 90, "180": 180, "365": 365, "all": None}
FIELDS = ("segment", "plan", "country", "language", "delivery_partner", "touchpoint", "channel")
PARTNER = "delivery_partner"


# -- formatting -----------------------------------------------------------------------------------------------
def fmt1(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def raw(value: float | int | None) -> str:
    """The unrounded number as Python prints it: parses back to the same float the API sends as JSON."""
    return "" if value is None else repr(value)


def label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def interval_bar(lo: float | None, hi: float | None, value: float | None, metric: str) -> dict[str, float] | None:
    """Left offset, width and value mark of an interval, in percent of the measure's scale."""
    if lo is None or hi is None or value is None:
        return None
    low, high = SCALES[metric]

    def pos(v: float) -> float:
        return round(100 * (min(max(v, low), high) - low) / (high - low), 2)

    return {"left": pos(lo), "width": max(pos(hi) - pos(lo), 0.5), "mark": pos(value)}


templates.env.filters.update(fmt1=fmt1, raw=raw, label=label)
templates.env.globals.update(interval_bar=interval_bar)


# -- session --------------------------------------------------------------------------------------------------
def session_principal(request: Request) -> Principal | None:
    s = request.session
    if "workspace_id" not in s:
        return None
    return Principal(s["workspace_id"], Role(s["role"]), s.get("user_id"), s.get("name", ""))


def _safe_next(target: str) -> str:
    # Only same-site paths: an open redirect after sign-in would make phishing links look trusted.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/overview"


@router.get("/")
def home(request: Request) -> RedirectResponse:
    return RedirectResponse("/overview" if session_principal(request) else "/login", status_code=303)


@router.get("/login", response_model=None)
def login_form(request: Request, next_url: Annotated[str, Query(alias="next")] = "/overview") -> Response:
    if session_principal(request):
        return RedirectResponse(_safe_next(next_url), status_code=303)
    ctx = {"next": _safe_next(next_url), "error": None, "email": "", "mode": "password"}
    return templates.TemplateResponse(request, "login.html", ctx)


@router.post("/login", response_model=None)
def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    api_key: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/overview",
) -> Response:
    """Sign in with email and password, or with an API key; the session keeps who and which workspace."""
    who: dict[str, Any] | None
    with runtime.app.session() as s:
        if api_key.strip():
            row = find_api_key(s, api_key.strip())
            who = (
                None
                if row is None
                else {
                    "workspace_id": row.workspace_id,
                    "role": row.role,
                    "user_id": None,
                    "name": f"API key {row.name}",
                }
            )
            error = "That API key is unknown or has been revoked."
        else:
            # An email may exist in several workspaces: the first whose password matches signs in.
            users = find_user(s, email.strip()) if email.strip() and password else []
            user = next((u for u in users if verify_password(password, u.password_hash)), None)
            who = (
                None
                if user is None
                else {
                    "workspace_id": user.workspace_id,
                    "role": user.role,
                    "user_id": user.id,
                    "name": user.name or user.email,
                }
            )
            error = "The email or password is not right."
    if who is None:
        ctx = {"next": _safe_next(next_url), "error": error, "email": email, "mode": "key" if api_key else "password"}
        return templates.TemplateResponse(request, "login.html", ctx, status_code=401)
    request.session.clear()
    request.session.update(who)
    return RedirectResponse(_safe_next(next_url), status_code=303)


@router.get("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# -- overview -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The date range a page shows: `start` inclusive, `end` exclusive, both None for all data."""

    start: datetime | None
    end: datetime | None

    @property
    def last_day(self) -> datetime | None:
        return None if self.end is None else self.end - timedelta(days=1)


def data_window(wh: Warehouse, workspace_id: str, days: int | None) -> Window:
    """The last `days` days up to the latest response, so a demo or an import from the past still shows data."""
    if days is None:
        return Window(None, None)
    latest = wh.table("responses", workspace_id).submitted_at.max().execute()
    if latest is None or pd.isna(latest):
        return Window(None, None)
    end = datetime.combine(pd.Timestamp(latest).date() + timedelta(days=1), time())
    return Window(end - timedelta(days=days), end)


def available_fields(wh: Warehouse, workspace_id: str) -> list[str]:
    """The breakdown fields this workspace has: response columns with values, response fields, customer traits."""
    names = set(wh.table("response_fields", workspace_id).select("name").distinct().execute()["name"])
    names |= set(wh.table("identities", workspace_id).select("trait").distinct().execute()["trait"])
    resp = wh.table("responses", workspace_id)
    present = resp.aggregate(touchpoint=resp.touchpoint.notnull().any(), channel=resp.channel.notnull().any())
    names |= {k for k, v in present.execute().iloc[0].items() if v is True or v == 1}
    return [f for f in FIELDS if f in names]


def _has_agents(wh: Warehouse, workspace_id: str) -> bool:
    t = wh.table("tickets", workspace_id)
    return "agent" in t.columns and int(t.filter(t.agent.notnull()).limit(1).count().execute()) > 0


def _series(result: MetricResult) -> dict[str, list[Any]]:
    """The period series as parallel columns for the trend chart."""
    rows = result.series
    return {
        "x": [r.key[PERIOD_KEY] for r in rows],
        "value": [r.value for r in rows],
        "lo": [r.ci_low for r in rows],
        "hi": [r.ci_high for r in rows],
        "n": [r.n for r in rows],
    }


def _lines(result: MetricResult, field: str) -> dict[str, Any]:
    """One line per value of `field` over the periods, with gaps where a value had no answers."""
    points = [(g.key[field], g.key[PERIOD_KEY], g.value) for g in result.groups]
    periods = sorted({p for _, p, _ in points if p is not None})
    at = {p: i for i, p in enumerate(periods)}
    lines: dict[str, list[float | None]] = {}
    for name, period, value in points:
        if name is not None and period is not None:
            lines.setdefault(name, [None] * len(periods))[at[period]] = value
    return {"x": periods, "series": [{"name": k, "values": v} for k, v in sorted(lines.items())]}


def overview_context(
    runtime: Runtime, workspace_id: str, period: Period, range_key: str, by: str, metric: str
) -> dict[str, Any]:
    wh = runtime.warehouse
    window = data_window(wh, workspace_id, RANGES[range_key])
    common: dict[str, Any] = {"period": period, "start": window.start, "end": window.end}
    tiles = {m: run_metric(wh, workspace_id, MetricSpec(metric=m, **common)) for m in TILES}
    fields = available_fields(wh, workspace_id)
    by = by if by in fields else (fields[0] if fields else "")
    breakdown = None
    if by:
        result = run_metric(wh, workspace_id, MetricSpec(metric=metric, by=[by], start=window.start, end=window.end))
        # Best first; groups without a value (no answers) last.
        breakdown = sorted(result.groups, key=lambda g: (g.value is None, -(g.value or 0)))
    partners = None
    if PARTNER in fields:
        partners = _lines(run_metric(wh, workspace_id, MetricSpec(metric="nps", by=[PARTNER], **common)), PARTNER)
    return {
        "tiles": tiles,
        "tile_titles": TILES,
        "period": period,
        "periods": PERIODS,
        "range_key": range_key,
        "ranges": RANGES,
        "window": window,
        "fields": fields,
        "by": by,
        "metric": metric,
        "metrics": BREAKDOWN_METRICS,
        "breakdown": breakdown,
        "trend": _series(tiles["nps"]),
        "partners": partners,
        "has_data": tiles["nps"].n + tiles["csat"].n + tiles["ces"].n > 0,
    }


@router.get("/overview", response_model=None)
def overview(
    request: Request,
    runtime: RuntimeDep,
    period: str = "week",
    range_key: Annotated[str, Query(alias="range")] = "90",
    by: str = "segment",
    metric: str = "nps",
) -> Response:
    """NPS, CSAT and CES tiles, the NPS trend, a breakdown table and, when known, NPS by delivery partner."""
    principal = session_principal(request)
    if principal is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    # Unknown values fall back to defaults: these come from links and selects, a 422 page would help nobody.
    period_: Period = "month" if period == "month" else "week"
    ctx = overview_context(
        runtime,
        principal.workspace_id,
        period_,
        range_key if range_key in RANGES else "90",
        by,
        metric if metric in BREAKDOWN_METRICS else "nps",
    )
    ctx["principal"] = principal
    # HTMX asks for the content only; a history restore wants the whole page.
    partial = request.headers.get("hx-request") == "true" and not request.headers.get("hx-history-restore-request")
    response = templates.TemplateResponse(request, "overview_content.html" if partial else "overview.html", ctx)
    response.headers["Vary"] = "HX-Request"
    return response


# -- metrics explorer -------------------------------------------------------------------------------------------
EXPLORER_PERIODS = {"day": "Day", "week": "Week", "month": "Month"}


def explorer_context(
    runtime: Runtime, workspace_id: str, metric: str, segment: str, by: str, period: Period, range_key: str
) -> dict[str, Any]:
    """One measure for one segment, by period (chart and table) or by a field (table), with its CSV link."""
    from suara.errors import SuaraError
    from suara.metrics import MEASURES
    from suara.metrics.params import saved_segments
    from suara.store.app import WorkspaceRepo

    wh = runtime.warehouse
    with runtime.app.session() as s:
        segments = saved_segments(WorkspaceRepo(s, workspace_id))
    metric = metric if metric in MEASURES else "nps"
    segment = segment if segment in segments else ""
    fields = available_fields(wh, workspace_id)
    if MEASURES[metric].group == "support" and _has_agents(wh, workspace_id):
        fields.append("agent")  # the support measures also break down by the ticket's agent
    by = by if by in fields else ""
    window = data_window(wh, workspace_id, RANGES[range_key])
    spec = MetricSpec(
        metric=metric,
        by=[by] if by else [],
        period=period,
        start=window.start,
        end=window.end,
        segments=[segment] if segment else [],
    )
    result, error = None, None
    try:
        result = run_metric(wh, workspace_id, spec, segments)
    except SuaraError as exc:
        error = exc.detail
    query = [("period", period)] + ([("segment", segment)] if segment else []) + ([("by", by)] if by else [])
    if window.start:
        query += [("start", window.start.isoformat()), ("end", window.end.isoformat() if window.end else "")]
    groups: dict[str, list[Any]] = {}
    for m in MEASURES.values():
        groups.setdefault(m.group, []).append(m)
    rows = []
    if result is not None:
        rows = sorted(
            result.groups, key=lambda g: (g.key.get(by) is None, g.key.get(by) or "", g.key.get(PERIOD_KEY) or "")
        )
        rows = rows if by else list(reversed(result.series))
    return {
        "measure": MEASURES[metric],
        "measure_groups": groups,
        "metric": metric,
        "segment": segment,
        "segments": sorted(segments),
        "by": by,
        "fields": fields,
        "period": period,
        "periods": EXPLORER_PERIODS,
        "range_key": range_key,
        "ranges": RANGES,
        "window": window,
        "result": result,
        "error": error,
        "rows": rows,
        "trend": _series(result) if result is not None else None,
        "csv_url": f"/api/v1/metrics/{metric}?"
        + "&".join(f"{k}={quote(v, safe='')}" for k, v in query + [("format", "csv")]),
    }


@router.get("/metrics", response_model=None)
def metrics_explorer(
    request: Request,
    runtime: RuntimeDep,
    metric: str = "nps",
    segment: str = "",
    by: str = "",
    period: str = "week",
    range_key: Annotated[str, Query(alias="range")] = "180",
) -> Response:
    """Pick a measure, segment and period: the chart with its interval band, the table, and a CSV export."""
    principal = session_principal(request)
    if principal is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    period_: Period = period if period in EXPLORER_PERIODS else "week"  # type: ignore[assignment]
    ctx = explorer_context(
        runtime, principal.workspace_id, metric, segment, by, period_, range_key if range_key in RANGES else "180"
    )
    ctx["principal"] = principal
    partial = request.headers.get("hx-request") == "true" and not request.headers.get("hx-history-restore-request")
    response = templates.TemplateResponse(request, "explorer_content.html" if partial else "explorer.html", ctx)
    response.headers["Vary"] = "HX-Request"
    return response
