"""Metric questions and answers: the spec the API, CLI and dashboard send, and the typed result they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Period = Literal["day", "week", "month"]

# Below this many answers a value is flagged: its interval is wide and its change rarely meaningful.
LOW_N = 30


class MetricSpec(BaseModel):
    """What to measure: a registered metric, optionally by fields and by period, over a time range and filters."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="Registered measure, e.g. nps, csat, churn_rate, conversion_rate (GET /metrics).")
    by: list[str] = Field(
        default_factory=list,
        max_length=3,
        description="Fields to break down by: the measure's own fields, response columns, response fields or traits.",
    )
    segments: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Saved segments: one keeps only its customers; several break the measure down by segment.",
    )
    period: Period | None = Field(None, description="Bucket by day, week (ISO, Monday) or month.")
    start: datetime | None = Field(None, description="Include answers submitted at or after this instant (UTC).")
    end: datetime | None = Field(None, description="Include answers submitted before this instant (UTC).")
    filters: dict[str, list[str]] = Field(
        default_factory=dict, description="Keep only answers whose field takes one of these values."
    )
    level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of every interval.")
    options: dict[str, str | int | float] = Field(
        default_factory=dict, description="The measure's own options, e.g. goal=purchase for conversion_rate."
    )
    rake: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        max_length=4,
        description="Weight the sample so these traits' shares match the population's: {trait: {value: share}}.",
    )

    @model_validator(mode="after")
    def _check(self) -> MetricSpec:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("the period is empty: `start` must be before `end`")
        if len(set(self.by)) != len(self.by):
            raise ValueError("`by` names a field twice")
        return self


class Change(BaseModel):
    """Change of a value against the previous period, with a two-sided test of the difference."""

    previous: float | None
    delta: float | None
    p_value: float | None
    significant: bool | None


class Comparison(BaseModel):
    """A group against every other unit of the same period: difference, p-value and Benjamini-Hochberg q-value."""

    rest: float | None
    delta: float | None
    p_value: float | None
    q_value: float | None
    significant: bool | None


class LevelShare(BaseModel):
    """Share of answers at one level of a scale (a star rating's distribution), Wilson interval."""

    level: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    count: float


class GroupResult(BaseModel):
    key: dict[str, str | None]
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    low_n: bool
    change: Change | None = None
    vs_rest: Comparison | None = None
    distribution: list[LevelShare] | None = None


class MetricResult(BaseModel):
    """A value with its interval and n, the groups asked for and, when bucketed by period, the overall series."""

    metric: str
    label: str
    unit: str
    definition: str = ""
    weighted: bool = Field(False, description="Values are raked to population shares; n is the effective sample size.")
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    low_n: bool
    level: float
    change: Change | None = None
    distribution: list[LevelShare] | None = None
    groups: list[GroupResult] = Field(default_factory=list)
    series: list[GroupResult] = Field(default_factory=list)
