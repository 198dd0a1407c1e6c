"""Metric questions and answers: the spec the API, CLI and dashboard send, and the typed result they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Period = Literal["day", "week", "month"]

# Below this many answers a value is flagged: its interval is wide and its change rarely meaningful.
LOW_N = 30


class MetricSpec(BaseModel):
    """What to measure: a registered metric, optionally by fields and by period, over a time range and filters."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="Registered measure: nps, csat, csat_mean, ces.")
    by: list[str] = Field(
        default_factory=list,
        max_length=3,
        description="Fields to break down by: response columns, response fields or customer traits.",
    )
    period: Period | None = Field(None, description="Bucket by day, week (ISO, Monday) or month.")
    start: datetime | None = Field(None, description="Include answers submitted at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Include answers submitted before this instant (UTC).")
    filters: dict[str, list[str]] = Field(
        default_factory=dict, description="Keep only answers whose field takes one of these values."
    )
    level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of every interval.")


class Change(BaseModel):
    """Change of a value against the previous period, with a two-sided test of the difference."""

    previous: float | None
    delta: float | None
    p_value: float | None
    significant: bool | None


class GroupResult(BaseModel):
    key: dict[str, str | None]
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    low_n: bool
    change: Change | None = None


class MetricResult(BaseModel):
    """A value with its interval and n, the groups asked for and, when bucketed by period, the overall series."""

    metric: str
    label: str
    unit: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    low_n: bool
    level: float
    change: Change | None = None
    groups: list[GroupResult] = Field(default_factory=list)
    series: list[GroupResult] = Field(default_factory=list)
