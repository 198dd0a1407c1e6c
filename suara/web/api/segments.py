"""Saved customer segments: named definitions every measure can use (`?segment=name`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from suara.errors import NotFound
from suara.metrics.segments import SegmentDefinition, members
from suara.store.app import Role, Segment, WorkspaceRepo
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/segments", tags=["segments"])
SegmentName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")]


class SegmentIn(BaseModel):
    description: str = Field("", max_length=1000)
    definition: SegmentDefinition


class SegmentOut(BaseModel):
    name: str
    description: str
    definition: SegmentDefinition
    size: int | None = Field(None, description="Customers in the segment now (on GET of one segment).")


def _out(seg: Segment, size: int | None = None) -> SegmentOut:
    return SegmentOut(name=seg.name, description=seg.description, definition=seg.definition, size=size)


@router.get("", response_model=list[SegmentOut])
def list_segments(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[SegmentOut]:
    with runtime.app.session() as s:
        return [_out(seg) for seg in WorkspaceRepo(s, principal.workspace_id).segments()]


@router.get("/{name}", response_model=SegmentOut)
async def get_segment(name: SegmentName, principal: CurrentPrincipal, runtime: RuntimeDep) -> SegmentOut:
    """A segment with its current size."""
    with runtime.app.session() as s:
        seg = WorkspaceRepo(s, principal.workspace_id).segment(name)
    if seg is None:
        raise NotFound(f"no segment {name!r} in this workspace")
    definition = SegmentDefinition.model_validate(seg.definition)

    def size() -> int:
        return int(members(runtime.warehouse, principal.workspace_id, definition, None).count().execute())

    return _out(seg, await run_in_threadpool(size))


@router.put("/{name}", response_model=SegmentOut)
def save_segment(name: SegmentName, body: SegmentIn, principal: CurrentPrincipal, runtime: RuntimeDep) -> SegmentOut:
    """Create or replace a segment."""
    principal.require(Role.analyst)
    with runtime.app.session() as s:
        seg = WorkspaceRepo(s, principal.workspace_id).save_segment(
            name, body.definition.model_dump(mode="json", by_alias=True, exclude_none=True), body.description
        )
        return _out(seg)


@router.delete("/{name}", status_code=204)
def delete_segment(name: SegmentName, principal: CurrentPrincipal, runtime: RuntimeDep) -> None:
    principal.require(Role.analyst)
    with runtime.app.session() as s:
        if not WorkspaceRepo(s, principal.workspace_id).delete_segment(name):
            raise NotFound(f"no segment {name!r} in this workspace")
