"""GET /api/v1/metrics/{metric}: a measure with n, interval and tests, by period, field and segment; CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from suara.metrics import MEASURES, MetricResult, MetricSpec, run_metric
from suara.metrics.params import parse_filters, parse_options, parse_rake, result_csv, saved_segments
from suara.metrics.spec import Period
from suara.store.app import WorkspaceRepo
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/metrics", tags=["metrics"])


class OptionInfo(BaseModel):
    name: str
    default: str | int | float
    help: str


class MeasureInfo(BaseModel):
    name: str
    label: str
    group: str
    unit: str
    definition: str
    options: list[OptionInfo]


@router.get("", response_model=list[MeasureInfo])
def list_metrics(principal: CurrentPrincipal) -> list[MeasureInfo]:
    """The registered measures, their one-line definitions and options."""
    return [
        MeasureInfo(
            name=m.name,
            label=m.label,
            group=m.group,
            unit=m.unit,
            definition=m.definition,
            options=[OptionInfo(name=k, default=o.default, help=o.help) for k, o in m.options.items()],
        )
        for m in MEASURES.values()
    ]


@router.get(
    "/{metric}",
    response_model=MetricResult,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def get_metric(
    metric: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    by: Annotated[list[str], Query(description="Field to break down by; repeat for several.")] = [],  # noqa: B006
    period: Annotated[Period | None, Query(description="day, week or month")] = None,
    start: Annotated[datetime | None, Query(description="From this instant (inclusive, UTC).")] = None,
    end: Annotated[datetime | None, Query(description="Until this instant (exclusive, UTC).")] = None,
    filter: Annotated[list[str], Query(description="`field:value`; repeat for several.")] = [],  # noqa: B006
    segment: Annotated[list[str], Query(description="Saved segment; several break down by segment.")] = [],  # noqa: B006
    option: Annotated[list[str], Query(description="Measure option `key=value`, e.g. goal=purchase.")] = [],  # noqa: B006
    rake: Annotated[list[str], Query(description="Population share `trait:value=share`; repeat.")] = [],  # noqa: B006
    level: Annotated[float, Query(gt=0.5, lt=1, description="Confidence level of the intervals.")] = 0.95,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> MetricResult | Response:
    """A measure over the caller's workspace, e.g. `/api/v1/metrics/nps?by=country&period=week`."""
    spec = MetricSpec(
        metric=metric,
        by=by,
        period=period,
        start=start,
        end=end,
        filters=parse_filters(filter),
        segments=segment,
        options=parse_options(option),  # type: ignore[arg-type]
        rake=parse_rake(rake),
        level=level,
    )
    with runtime.app.session() as s:
        segments = saved_segments(WorkspaceRepo(s, principal.workspace_id)) if segment else {}
    result = await run_in_threadpool(run_metric, runtime.warehouse, principal.workspace_id, spec, segments)
    if format == "csv":
        return Response(
            result_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{metric}.csv"'},
        )
    return result
