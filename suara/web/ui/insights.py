"""The text insights page: themes with trend sparklines and sentiment bars, verbatims filtered by theme,
language, sentiment and touchpoint, and the aspect x touchpoint sentiment heatmap."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from suara.act import yousaid
from suara.errors import SuaraError
from suara.store.app import Role
from suara.text import insights
from suara.text.language import SUPPORTED
from suara.web.deps import RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)
PER_PAGE = 20


@router.get("/insights", response_model=None)
def insights_page(
    request: Request,
    runtime: RuntimeDep,
    theme: Annotated[str, Query(max_length=40)] = "",
    language: Annotated[str, Query(max_length=8)] = "",
    sentiment: Annotated[str, Query(max_length=10)] = "",
    touchpoint: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    announced: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    principal = session_principal(request)
    if principal is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
    ws, app, wh = principal.workspace_id, runtime.app, runtime.warehouse
    # Unknown filter values are dropped: they come from links and selects.
    sentiment = sentiment if sentiment in insights.SENTIMENT_CODES else ""
    language = language if language in SUPPORTED else ""
    themes = insights.summaries(app, wh, ws)
    theme = theme if theme in {t.theme_id for t in themes} else ""
    found = insights.verbatims(
        app,
        wh,
        ws,
        theme=theme or None,
        language=language or None,
        sentiment=sentiment or None,
        touchpoint=touchpoint or None,
        page=page,
        per_page=PER_PAGE,
    )
    cells = insights.heatmap(wh, ws)
    touchpoints = sorted({c.touchpoint for c in cells})
    filters = {"theme": theme, "language": language, "sentiment": sentiment, "touchpoint": touchpoint}
    query = {k: v for k, v in filters.items() if v}
    ctx = {
        "principal": principal,
        "themes": themes,
        "verbatims": found,
        "filters": filters,
        "languages": SUPPORTED,
        "sentiments": list(insights.SENTIMENT_CODES),
        "touchpoints": touchpoints,
        "aspects": sorted({c.aspect for c in cells}),
        "cells": {(c.aspect, c.touchpoint): c for c in cells},
        "pages": max(1, -(-found.total // PER_PAGE)),
        "page_url": lambda n: "/insights?" + urlencode({**query, "page": n}),
        "theme_url": lambda tid: "/insights?" + urlencode({**query, "theme": tid}),
        "sparks": {t.theme_id: {"x": t.weeks, "y": t.trend} for t in themes},
        "announced": next((a for a in yousaid.announcements(app, ws) if a.id == announced), None),
        "can_announce": principal.role in (Role.analyst, Role.admin),
    }
    return templates.TemplateResponse(request, "insights.html", ctx)


@router.post("/insights/announce", response_model=None)
def announce(
    request: Request,
    runtime: RuntimeDep,
    theme_id: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=4000)],
) -> Response:
    """The page's "Mark addressed" button: announce it to the customers who raised the theme."""
    principal = session_principal(request)
    if principal is None:
        return RedirectResponse("/login?next=/insights", status_code=303)
    try:
        principal.require(Role.analyst)
        if not note.strip():
            return RedirectResponse(f"/insights?{urlencode({'theme': theme_id})}", status_code=303)
        body = yousaid.AnnouncementCreate(kind="theme", key=theme_id, note=note.strip())
        ann = yousaid.announce(runtime.app, runtime.warehouse, principal.workspace_id, body)
    except SuaraError as exc:
        return Response(exc.detail, status_code=exc.status, media_type="text/plain")
    return RedirectResponse(f"/insights?{urlencode({'theme': theme_id, 'announced': ann.id})}", status_code=303)
