"""Key drivers of NPS from the warehouse: each NPS answer (0..10) against the fields of its response (one indicator
per value, the most common value left out as the baseline) and the other numeric answers in the same response."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from pydantic import BaseModel, Field

from suara.errors import ValidationFailed
from suara.models.drivers import MAX_DRIVERS, KeyDrivers
from suara.store.warehouse import Warehouse

MAX_LEVELS = 12  # a field with more distinct values (an order id) is an identifier, not a driver
MIN_ROWS = 20


class Driver(BaseModel):
    name: str = Field(description="`field=value` for a response field, or an answer kind.")
    relative_weight: float = Field(description="Johnson's relative weight: share of R^2 (0..1).")
    shapley: float = Field(description="LMG / Shapley share of R^2 (0..1).")


class DriversResult(BaseModel):
    outcome: str
    r2: float = Field(description="R^2 of NPS answers on all drivers, 0..1.")
    n: int = Field(description="Responses used.")
    drivers: list[Driver] = Field(description="Largest Shapley share first.")


def driver_frame(
    wh: Warehouse, workspace_id: str, start: datetime | None = None, end: datetime | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """(X, y): one row per NPS response, indicator and numeric driver columns, the 0..10 answer."""
    ans = wh.table("answers", workspace_id)
    resp = wh.table("responses", workspace_id)
    if start is not None:
        resp = resp.filter(resp.submitted_at >= start.replace(tzinfo=None))
    if end is not None:
        resp = resp.filter(resp.submitted_at < end.replace(tzinfo=None))
    nps = ans.filter((ans.kind == "nps") & ans.number.notnull())
    nps = nps.semi_join(resp, "response_id").select("response_id", y=nps.number)
    y = nps.execute().drop_duplicates("response_id").set_index("response_id")["y"]
    if len(y) < MIN_ROWS:
        raise ValidationFailed(f"key drivers need at least {MIN_ROWS} NPS answers; this range has {len(y)}")
    rf = wh.table("response_fields", workspace_id)
    fields = rf.semi_join(nps, "response_id").select("response_id", "name", "value").execute()
    other = ans.filter((ans.kind != "nps") & ans.number.notnull()).semi_join(nps, "response_id")
    numbers = other.select("response_id", "kind", "number").execute()
    X = pd.DataFrame(index=y.index)
    for name, rows in fields.groupby("name"):
        values = rows.drop_duplicates("response_id").set_index("response_id")["value"].reindex(y.index)
        counts = values.value_counts()
        if not 2 <= len(counts) <= MAX_LEVELS:
            continue
        for level in counts.index[1:]:  # the most common value is the baseline
            X[f"{name}={level}"] = (values == level).astype(float).where(values.notna())
    for kind, rows in numbers.groupby("kind"):
        X[str(kind)] = rows.drop_duplicates("response_id").set_index("response_id")["number"].reindex(y.index)
    if X.shape[1] == 0:
        raise ValidationFailed("NPS responses carry no fields or other ratings to use as drivers")
    return X.iloc[:, :MAX_DRIVERS], y


def nps_drivers(
    wh: Warehouse, workspace_id: str, start: datetime | None = None, end: datetime | None = None
) -> DriversResult:
    """Relative weights and Shapley shares of R^2 for NPS answers against their response's fields and ratings."""
    X, y = driver_frame(wh, workspace_id, start, end)
    kd = KeyDrivers().fit(X, y)
    rows = [
        Driver(name=str(name), relative_weight=float(r["relative_weight"]), shapley=float(r["shapley"]))
        for name, r in kd.summary.iterrows()
    ]
    rows.sort(key=lambda d: (-d.shapley, d.name))
    return DriversResult(outcome="nps", r2=float(kd.r2_), n=int(kd.n_), drivers=rows)
