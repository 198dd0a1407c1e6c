"""Churn-risk endpoints: every active customer's calibrated risk with the top reasons, and the model's backtest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from suara.errors import ValidationFailed, pydantic_errors
from suara.models.churn_risk import ChurnBacktest, ChurnRiskSpec, ChurnScores, CustomerRisk, backtest, cached_score
from suara.web.api.journeys import CSV, _csv
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["models"])
HorizonDays = Annotated[
    int, Query(ge=7, le=730, description="Churned: no activity (event, order, response) in this many days.")
]
Traits = Annotated[list[str], Query(description="Customer traits to use as features; repeat the parameter.")]
AsOf = Annotated[datetime | None, Query(description="Score at this instant (default: the day after the last data).")]


def churn_spec(horizon_days: int, trait: list[str], as_of: datetime | None) -> ChurnRiskSpec:
    try:
        return ChurnRiskSpec(horizon_days=horizon_days, traits=trait, as_of=as_of)
    except ValidationError as exc:
        raise ValidationFailed("invalid churn-risk options", errors=pydantic_errors(exc)) from None


class ChurnPage(BaseModel):
    """One page of customers, highest risk first (or by customer id)."""

    model: ChurnScores = Field(description="The fit; its `customers` holds only this page.")
    total: int
    offset: int
    limit: int


def sort_risks(rows: list[CustomerRisk], sort: str) -> list[CustomerRisk]:
    """Highest risk first (as scored), or by customer id."""
    return sorted(rows, key=lambda c: c.customer_id) if sort == "customer" else rows


@router.get("/models/churn/customers", response_model=ChurnPage, responses=CSV)
async def get_churn_customers(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    horizon_days: HorizonDays = 90,
    trait: Traits = [],  # noqa: B006
    as_of: AsOf = None,
    sort: Annotated[Literal["risk", "customer"], Query(description="risk (highest first) or customer id.")] = "risk",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv (every customer).")] = "json",
) -> ChurnPage | Response:
    """Calibrated churn risk of every customer active in the horizon before `as_of`, with up to 3 reasons each
    (`phrase`: "no order in 74 days", "NPS 3"), from behaviour, surveys, sentiment and tickets."""
    spec = churn_spec(horizon_days, trait, as_of)
    result = await run_in_threadpool(cached_score, runtime.warehouse, principal.workspace_id, spec)
    rows = sort_risks(result.customers, sort)
    if format == "csv":
        head = ["customer_id", "risk", "factor_1", "factor_2", "factor_3"]
        body = [[c.customer_id, c.risk, *[f.phrase for f in c.factors], *[""] * (3 - len(c.factors))] for c in rows]
        return _csv([head, *body], "churn-risk")
    page = result.model_copy(update={"customers": rows[offset : offset + limit]})
    return ChurnPage(model=page, total=len(rows), offset=offset, limit=limit)


@router.get("/models/churn/backtest", response_model=ChurnBacktest)
async def get_churn_backtest(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    horizon_days: HorizonDays = 90,
    trait: Traits = [],  # noqa: B006
    as_of: AsOf = None,
) -> ChurnBacktest:
    """Train on cut-offs before `as_of` minus the horizon, predict that cut-off: ROC-AUC, Brier score against the
    base rate, calibration by decile, and the factors that weigh most."""
    spec = churn_spec(horizon_days, trait, as_of)
    return await run_in_threadpool(backtest, runtime.warehouse, principal.workspace_id, spec)
