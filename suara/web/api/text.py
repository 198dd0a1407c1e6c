"""Text insights: /api/v1/text/themes (list, run, rename or pin, merge), /verbatims, /heatmap, and the "you said,
we did" /announcements with their impact on scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from suara.act import yousaid
from suara.store.app import Role
from suara.text import insights, theme_store
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/text", tags=["text"])
ThemeId = Annotated[str, Path(max_length=40, description="The theme's id (th_...).")]


class ThemeUpdate(BaseModel):
    label: str | None = Field(default=None, max_length=200, description="The team's name; empty clears it.")
    pinned: bool | None = Field(default=None, description="A pinned theme survives re-runs.")


class ThemeMerge(BaseModel):
    sources: list[str] = Field(min_length=1, max_length=50, description="Themes to merge into this one.")


class RunPublic(BaseModel):
    themes: int
    matched: int
    new: int
    stale: int
    items: int
    assigned: int


@router.get("/themes", response_model=list[insights.ThemeSummary])
def get_themes(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[insights.ThemeSummary]:
    """The workspace's themes, largest first, with weekly trend, sentiment mix and examples."""
    return insights.summaries(runtime.app, runtime.warehouse, principal.workspace_id)


@router.post("/themes/run", response_model=RunPublic)
async def post_run(principal: CurrentPrincipal, runtime: RuntimeDep) -> RunPublic:
    """Fit the themes again over every item; ids, names, merges and pins are kept."""
    principal.require(Role.analyst)
    s = await run_in_threadpool(theme_store.run_themes, runtime.app, runtime.warehouse, principal.workspace_id)
    return RunPublic(**s.__dict__)


@router.patch("/themes/{theme_id}", response_model=insights.ThemeSummary)
def patch_theme(
    theme_id: ThemeId, body: ThemeUpdate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> insights.ThemeSummary:
    """Rename and/or pin a theme."""
    principal.require(Role.analyst)
    theme_store.edit(runtime.app, principal.workspace_id, theme_id, label=body.label, pinned=body.pinned)
    return _one(runtime, principal.workspace_id, theme_id)


@router.post("/themes/{theme_id}/merge", response_model=insights.ThemeSummary)
def post_merge(
    theme_id: ThemeId, body: ThemeMerge, principal: CurrentPrincipal, runtime: RuntimeDep
) -> insights.ThemeSummary:
    """Merge other themes into this one; later runs keep them merged."""
    principal.require(Role.analyst)
    theme_store.merge(runtime.app, principal.workspace_id, body.sources, into=theme_id)
    return _one(runtime, principal.workspace_id, theme_id)


def _one(runtime: RuntimeDep, workspace_id: str, theme_id: str) -> insights.ThemeSummary:
    found = [t for t in insights.summaries(runtime.app, runtime.warehouse, workspace_id) if t.theme_id == theme_id]
    if found:
        return found[0]
    row = next(r for r in theme_store.themes(runtime.app, workspace_id, include_all=True) if r.theme_id == theme_id)
    return insights.ThemeSummary(
        theme_id=row.theme_id,
        name=row.display_name,
        language=row.language,
        phrases=list(row.phrases),
        pinned=row.pinned,
        count=0,
        weeks=[],
        trend=[],
        sentiment={},
        examples=[],
    )


@router.get("/verbatims", response_model=insights.VerbatimPage)
def get_verbatims(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    theme: Annotated[str | None, Query(max_length=40)] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    sentiment: Annotated[str | None, Query(pattern="^(positive|neutral|negative)$")] = None,
    touchpoint: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> insights.VerbatimPage:
    """Feedback, comments and ticket subjects matching every filter given, newest first."""
    return insights.verbatims(
        runtime.app,
        runtime.warehouse,
        principal.workspace_id,
        theme=theme,
        language=language,
        sentiment=sentiment,
        touchpoint=touchpoint,
        page=page,
        per_page=per_page,
    )


@router.get("/heatmap", response_model=list[insights.HeatCell])
def get_heatmap(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[insights.HeatCell]:
    """Sentiment index (-100..100) with n for each aspect at each touchpoint."""
    return insights.heatmap(runtime.warehouse, principal.workspace_id)


# -- "you said, we did" -------------------------------------------------------------------------------------------
AnnouncementId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The announcement's id.")]


@router.post("/announcements", response_model=yousaid.AnnouncementPublic, status_code=201)
async def post_announcement(
    body: yousaid.AnnouncementCreate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> yousaid.AnnouncementPublic:
    """Mark a theme or an aspect addressed and e-mail each customer who raised it, once, within the contact policy."""
    principal.require(Role.analyst)
    return await run_in_threadpool(yousaid.announce, runtime.app, runtime.warehouse, principal.workspace_id, body)


@router.get("/announcements", response_model=list[yousaid.AnnouncementPublic])
def get_announcements(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[yousaid.AnnouncementPublic]:
    """Every announcement, newest first, with its customers by outcome."""
    return yousaid.announcements(runtime.app, principal.workspace_id)


@router.get("/announcements/{announcement_id}/impact", response_model=yousaid.Impact)
def get_impact(announcement_id: AnnouncementId, principal: CurrentPrincipal, runtime: RuntimeDep) -> yousaid.Impact:
    """NPS and CSAT of the customers told, before vs after the announcement, paired per customer, with n."""
    return yousaid.impact(runtime.app, runtime.warehouse, principal.workspace_id, announcement_id)
