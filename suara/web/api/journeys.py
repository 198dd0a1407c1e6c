"""Journeys and customer-value endpoints: the journey map, funnels and the customers dropped at a step, retention
cohorts, the workspace's event names; per-customer CLV with its holdout check, and the key drivers of NPS."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from suara.errors import ValidationFailed
from suara.journeys import (
    FunnelResult,
    FunnelSpec,
    RetentionResult,
    RetentionSpec,
    funnel_customers,
    run_funnel,
    run_retention,
    saved,
)
from suara.journeys.maps import JourneyMapResult, JourneySpec, run_journey_map
from suara.journeys.retention import Period
from suara.journeys.saved import JourneyPublic
from suara.models.customer_value import (
    CustomerValue,
    CustomerValueResult,
    CustomerValueSpec,
    HoldoutResult,
    customer_values,
    holdout_check,
)
from suara.models.nps_drivers import DriversResult, nps_drivers
from suara.store.app import AppStore, Role
from suara.store.warehouse import Warehouse
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["journeys"])
Start = Annotated[datetime | None, Query(description="From this instant (inclusive, UTC).")]
End = Annotated[datetime | None, Query(description="Until this instant (exclusive, UTC).")]
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


def _csv(rows: Sequence[Sequence[Any]], name: str) -> Response:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


# -- journeys -------------------------------------------------------------------------------------------------------
def journey_spec(
    app: AppStore,
    workspace_id: str,
    journey: str | None,
    spec: str | None,
    value: str,
    start: datetime | None,
    end: datetime | None,
) -> JourneySpec:
    """The JSON `spec` given inline, else the saved journey named `journey` (default: `default`), with the query's
    value and range."""
    if spec and journey:
        raise ValidationFailed("give `spec` or `journey`, not both")
    if not spec:
        return saved.journey_spec(app, workspace_id, journey, value=value, start=start, end=end)
    try:
        base = json.loads(spec)
    except ValueError as exc:
        raise ValidationFailed(f"`spec` is not JSON: {exc}") from None
    if not isinstance(base, dict):
        raise ValidationFailed("`spec` must be a JSON object with `stages`")
    extra = {"value": value} | ({"start": start} if start else {}) | ({"end": end} if end else {})
    return JourneySpec.model_validate(base | extra)


@router.get("/journeys/map", response_model=JourneyMapResult)
async def get_journey_map(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    journey: Annotated[str | None, Query(description="A saved journey's name; default: `default`.")] = None,
    spec: Annotated[str | None, Query(description="A JourneySpec as JSON, instead of a saved journey.")] = None,
    value: Annotated[Literal["historical", "clv"], Query(description="Value of a dropped customer.")] = "historical",
    start: Start = None,
    end: End = None,
) -> JourneyMapResult:
    """Touchpoints by stage with volume, conversion, NPS/CSAT/CES and sentiment, and the friction ranking."""
    js = journey_spec(runtime.app, principal.workspace_id, journey, spec, value, start, end)
    return await run_in_threadpool(run_journey_map, runtime.warehouse, principal.workspace_id, js)


@router.get("/journeys/specs", response_model=list[JourneyPublic])
def list_journey_specs(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[JourneyPublic]:
    """The workspace's journeys: `default` first (the built-in one unless a team saved its own), then by name."""
    return saved.list_journeys(runtime.app, principal.workspace_id)


@router.get("/journeys/specs/{name}", response_model=JourneyPublic)
def get_journey_spec(principal: CurrentPrincipal, runtime: RuntimeDep, name: str) -> JourneyPublic:
    return saved.get_journey(runtime.app, principal.workspace_id, name)


@router.put("/journeys/specs/{name}", response_model=JourneyPublic)
def put_journey_spec(
    principal: CurrentPrincipal, runtime: RuntimeDep, name: str, body: Annotated[dict[str, Any], Body()]
) -> JourneyPublic:
    """Create or replace a saved journey (stages, window, bootstrap settings; not the period or value)."""
    principal.require(Role.analyst)
    return saved.save_journey(runtime.app, principal.workspace_id, name, body)


@router.delete("/journeys/specs/{name}", status_code=204)
def delete_journey_spec(principal: CurrentPrincipal, runtime: RuntimeDep, name: str) -> Response:
    """Forget a saved journey; deleting a saved `default` brings back the built-in one."""
    principal.require(Role.analyst)
    saved.delete_journey(runtime.app, principal.workspace_id, name)
    return Response(status_code=204)


def funnel_spec(
    step: list[str], window: str, order: str, by: list[str], start: datetime | None, end: datetime | None
) -> FunnelSpec:
    return FunnelSpec.model_validate(
        {"steps": step, "window": window, "order": order, "by": by, "start": start, "end": end}
    )


Steps = Annotated[list[str], Query(description="Event names in funnel order; repeat the parameter.")]
Window = Annotated[str, Query(description="Time from step 1 to the last step: 90s, 30m, 2h, 1d.")]
Order = Annotated[Literal["loose", "strict"], Query(description="loose or strict (no other event between).")]


@router.get("/journeys/funnel", response_model=FunnelResult)
async def get_funnel(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    step: Steps,
    window: Window = "1d",
    order: Order = "loose",
    by: Annotated[list[str], Query(description="Break down by a trait or event property.")] = [],  # noqa: B006
    start: Start = None,
    end: End = None,
) -> FunnelResult:
    """Customers per step, conversion with Wilson intervals and median times, e.g. `?step=visit&step=browse`."""
    spec = funnel_spec(step, window, order, by, start, end)
    return await run_in_threadpool(run_funnel, runtime.warehouse, principal.workspace_id, spec)


class Dropped(BaseModel):
    step: int
    customers: list[str]


@router.get("/journeys/funnel/dropped", response_model=Dropped, responses=CSV)
async def get_funnel_dropped(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    step: Steps,
    at: Annotated[int, Query(ge=2, description="Customers who reached step at-1 but not step `at` (1-based).")],
    window: Window = "1d",
    order: Order = "loose",
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> Dropped | Response:
    """The customers who dropped before step `at`, sorted by id; CSV for a list to follow up."""
    spec = funnel_spec(step, window, order, [], start, end)
    if at > len(spec.steps):
        raise ValidationFailed(f"`at` must be a step number from 2 to {len(spec.steps)}")
    who = await run_in_threadpool(funnel_customers, runtime.warehouse, principal.workspace_id, spec, at, limit=limit)
    if format == "csv":
        return _csv([["customer_id"], *[[c] for c in who]], f"dropped-at-{spec.steps[at - 1]}")
    return Dropped(step=at, customers=who)


@router.get("/journeys/retention", response_model=RetentionResult)
async def get_retention(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    start_event: Annotated[str | None, Query(description="Event that enters a cohort (default: any).")] = None,
    return_event: Annotated[str | None, Query(description="Event that counts as coming back.")] = None,
    period: Annotated[Period, Query(description="day, week or month")] = "week",
    periods: Annotated[int, Query(ge=1, le=104)] = 8,
    start: Start = None,
    end: End = None,
) -> RetentionResult:
    """Cohorts by first event and the share back in each later period, with the size-weighted average."""
    spec = RetentionSpec(
        start_event=start_event, return_event=return_event, period=period, periods=periods, start=start, end=end
    )
    return await run_in_threadpool(run_retention, runtime.warehouse, principal.workspace_id, spec)


class EventName(BaseModel):
    event: str
    count: int


def event_names(wh: Warehouse, workspace_id: str) -> list[EventName]:
    """Named events of the workspace, most frequent first."""
    t = wh.table("events", workspace_id)
    t = t.filter(t.event.notnull())
    df = t.group_by("event").aggregate(n=t.count()).order_by([t.count().desc(), "event"]).execute()
    return [EventName(event=str(e), count=int(n)) for e, n in zip(df["event"], df["n"], strict=True)]


@router.get("/journeys/events", response_model=list[EventName])
async def get_event_names(principal: CurrentPrincipal, runtime: RuntimeDep) -> list[EventName]:
    """The event names a funnel or journey can use, with how often each happened."""
    return await run_in_threadpool(event_names, runtime.warehouse, principal.workspace_id)


# -- customer value -------------------------------------------------------------------------------------------------
class CustomerValuePage(BaseModel):
    """One page of customers, highest CLV first (or lowest P(alive) first when sorted by risk)."""

    model: CustomerValueResult = Field(description="The fit; its `customers` holds only this page.")
    total: int
    offset: int
    limit: int


def sort_customers(rows: list[CustomerValue], sort: str) -> list[CustomerValue]:
    """Highest CLV first (as fitted), or highest churn risk (no purchase over the horizon) first, then by CLV."""
    if sort == "risk":
        return sorted(rows, key=lambda c: (-c.p_no_purchase, -c.clv, c.customer_id))
    return rows


@router.get("/models/clv/customers", response_model=CustomerValuePage, responses=CSV)
async def get_customer_values(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    cutoff: Annotated[datetime | None, Query(description="Use orders before this instant.")] = None,
    currency: Annotated[str | None, Query(description="Orders in this currency (default: the most common).")] = None,
    months: Annotated[int, Query(ge=1, le=120, description="CLV horizon in months.")] = 12,
    discount_rate: Annotated[float, Query(ge=0, le=1, description="Monthly discount rate.")] = 0.01,
    sort: Annotated[
        Literal["clv", "risk"], Query(description="clv, or risk: P(no purchase over the horizon).")
    ] = "clv",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv (every customer).")] = "json",
) -> CustomerValuePage | Response:
    """Per-customer P(alive), expected purchases and CLV from the workspace's paid orders (BG/NBD + Gamma-Gamma)."""
    spec = CustomerValueSpec(cutoff=cutoff, currency=currency, horizon_months=months, discount_rate=discount_rate)
    result = await run_in_threadpool(customer_values, runtime.warehouse, principal.workspace_id, spec)
    rows = sort_customers(result.customers, sort)
    if format == "csv":
        head = list(CustomerValue.model_fields)
        body = [[getattr(c, k) for k in head] for c in rows]
        return _csv([head, *body], "customer-value")
    page = result.model_copy(update={"customers": rows[offset : offset + limit]})
    return CustomerValuePage(model=page, total=len(rows), offset=offset, limit=limit)


@router.get("/models/clv/holdout", response_model=HoldoutResult)
async def get_clv_holdout(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    calibration_end: Annotated[datetime, Query(description="Fit on orders before this instant.")],
    observation_end: Annotated[datetime | None, Query(description="Holdout until this instant.")] = None,
    currency: Annotated[str | None, Query(description="Orders in this currency.")] = None,
) -> HoldoutResult:
    """Predicted against actual purchases after the calibration end, by calibration frequency and overall."""
    return await run_in_threadpool(
        holdout_check, runtime.warehouse, principal.workspace_id, calibration_end, observation_end, currency
    )


@router.get("/models/drivers/nps", response_model=DriversResult)
async def get_nps_drivers(
    principal: CurrentPrincipal, runtime: RuntimeDep, start: Start = None, end: End = None
) -> DriversResult:
    """Key drivers of NPS: relative weights and Shapley shares of R^2 over response fields and other ratings."""
    return await run_in_threadpool(nps_drivers, runtime.warehouse, principal.workspace_id, start, end)
