"""GET /api/v1/metrics/{metric}: a measure with n, interval and change, by period and by field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from suara.errors import ValidationFailed
from suara.metrics import MEASURES, MetricResult, MetricSpec, run_metric
from suara.metrics.spec import Period
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/metrics", tags=["metrics"])


class MeasureInfo(BaseModel):
    name: str
    label: str
    unit: str
    definition: str


@router.get("", response_model=list[MeasureInfo])
def list_metrics(principal: CurrentPrincipal) -> list[MeasureInfo]:
    """The registered measures and their one-line definitions."""
    return [MeasureInfo(name=m.name, label=m.label, unit=m.unit, definition=m.definition) for m in MEASURES.values()]


def parse_filters(raw: list[str]) -> dict[str, list[str]]:
    """`field:value` pairs; repeating a field means any of its values."""
    out: dict[str, list[str]] = {}
    for i, item in enumerate(raw):
        field, sep, value = item.partition(":")
        if not sep or not field:
            raise ValidationFailed(
                f"filter {item!r} is not `field:value`",
                errors=[{"loc": ["query", "filter", i], "pointer": f"/filter/{i}", "message": "expected field:value"}],
            )
        out.setdefault(field, []).append(value)
    return out


@router.get("/{metric}", response_model=MetricResult)
async def get_metric(
    metric: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    by: Annotated[list[str], Query(description="Field to break down by; repeat for several.")] = [],  # noqa: B006
    period: Annotated[Period | None, Query(description="day, week or month")] = None,
    start: Annotated[datetime | None, Query(description="From this instant (inclusive, UTC).")] = None,
    end: Annotated[datetime | None, Query(description="Until this instant (exclusive, UTC).")] = None,
    filter: Annotated[list[str], Query(description="`field:value`; repeat for several.")] = [],  # noqa: B006
) -> MetricResult:
    """A measure over the caller's workspace, e.g. `/api/v1/metrics/nps?by=segment&period=week`."""
    spec = MetricSpec(metric=metric, by=by, period=period, start=start, end=end, filters=parse_filters(filter))
    return await run_in_threadpool(run_metric, runtime.warehouse, principal.workspace_id, spec)
