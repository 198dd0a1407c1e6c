"""Trigger rules: on event X (with property filters), after a delay, or when no Y follows within a window, send
survey S through channel C. Validated with pydantic; stored per workspace in the app store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select

from suara.errors import Conflict, NotFound, ValidationFailed
from suara.outreach.policy import Channel, Kind
from suara.outreach.tables import TriggerRuleRow
from suara.store.app import AppStore, WorkspaceRepo

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
EventName = Field(min_length=1, max_length=200)


def parse_duration(value: str | int | float) -> timedelta:
    """`90` (seconds), `"15m"`, `"2h"`, `"3d"`, `"1w"` as a timedelta; ValueError otherwise."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a duration; write seconds or a number with s, m, h, d or w: '2h'")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 0 or seconds > 366 * 86400:
        raise ValueError("a duration must be between 0 and 366 days")
    return timedelta(seconds=seconds)


def _duration(value: Any) -> str | int | float:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as '2h'")
    parse_duration(value)
    return value


class EventMatch(BaseModel):
    """An event name and, optionally, properties that must equal the given values (compared as text)."""

    model_config = ConfigDict(extra="forbid")
    event: str = EventName
    where: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=20)


class Unless(BaseModel):
    """Cancel when the customer sends this event within `within` after the trigger event."""

    model_config = ConfigDict(extra="forbid")
    event: str = EventName
    within: str | int | float = Field(description="e.g. '15m'.")

    _check = field_validator("within")(lambda cls, v: _duration(v))


class Quota(BaseModel):
    """Stratified sampling: at most `limit` contacts per value of a customer trait per calendar month (UTC)."""

    model_config = ConfigDict(extra="forbid")
    trait: str = Field(min_length=1, max_length=100)
    limit: int = Field(ge=0, le=10_000_000)
    period: Literal["month"] = "month"


class TriggerDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: EventMatch
    delay: str | int | float = Field(0, description="Wait this long after the event, e.g. '2h'.")
    unless: Unless | None = None
    survey: str = Field(min_length=1, max_length=100, description="Key of the survey to send.")
    channel: Channel = "survey_email"
    kind: Kind = Field("survey", description="survey: counts towards the survey cap; message: only the weekly one.")
    locale: str | None = Field(None, max_length=20)
    sample: float = Field(1.0, gt=0, le=1, description="Share of customers asked, decided by a hash of the customer.")
    quota: Quota | None = None

    _check = field_validator("delay")(lambda cls, v: _duration(v))

    @model_validator(mode="after")
    def _distinct(self) -> TriggerDefinition:
        if self.unless is not None and self.unless.event == self.on.event:
            raise ValueError("`unless.event` must differ from `on.event`")
        return self

    @property
    def wait(self) -> timedelta:
        """From the event to the decision: the delay, and never before the `unless` window has passed."""
        base = parse_duration(self.delay)
        return max(base, parse_duration(self.unless.within)) if self.unless else base


class TriggerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    enabled: bool = True
    definition: TriggerDefinition


class TriggerPublic(BaseModel):
    id: int
    name: str
    enabled: bool
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


# Rule templates to start from; their surveys come from the survey templates of the same programs.
TEMPLATES: dict[str, dict[str, Any]] = {
    "post-purchase-csat": {
        "on": {"event": "order_delivered"},
        "delay": "2h",
        "survey": "post-purchase-csat",
        "kind": "survey",
    },
    "support-ces": {"on": {"event": "ticket_closed"}, "delay": "1h", "survey": "post-support-ces", "kind": "survey"},
    "exit-survey": {"on": {"event": "app_uninstalled"}, "delay": "10m", "survey": "exit-survey", "kind": "survey"},
    "cart-abandonment": {
        "on": {"event": "add_to_cart"},
        "unless": {"event": "checkout", "within": "15m"},
        "survey": "repurchase-intent",
        "kind": "message",
    },
}


def _public(row: TriggerRuleRow) -> TriggerPublic:
    return TriggerPublic(
        id=row.id,
        name=row.name,
        enabled=row.enabled,
        definition=row.definition,
        created_at=row.created_at.replace(tzinfo=UTC),
        updated_at=row.updated_at.replace(tzinfo=UTC),
    )


def _check_survey(repo: WorkspaceRepo, key: str) -> None:
    if repo.survey(key) is None:
        raise ValidationFailed(
            f"no survey {key!r} in this workspace; save it first",
            errors=[{"loc": ["definition", "survey"], "pointer": "/definition/survey", "message": "unknown survey"}],
        )


def list_rules(app: AppStore, workspace_id: str) -> list[TriggerPublic]:
    with app.session() as s:
        rows = s.scalars(select(TriggerRuleRow).where(TriggerRuleRow.workspace_id == workspace_id))
        return [_public(r) for r in sorted(rows, key=lambda r: r.name)]


def get_rule(app: AppStore, workspace_id: str, name: str) -> TriggerPublic:
    with app.session() as s:
        row = s.scalar(
            select(TriggerRuleRow).where(TriggerRuleRow.workspace_id == workspace_id, TriggerRuleRow.name == name)
        )
        if row is None:
            raise NotFound(f"no trigger rule {name!r} in this workspace")
        return _public(row)


def save_rule(app: AppStore, workspace_id: str, body: TriggerCreate, *, replace: bool = False) -> TriggerPublic:
    """Add a rule (409 when the name exists) or, with `replace`, create or replace it."""
    with app.session() as s:
        _check_survey(WorkspaceRepo(s, workspace_id), body.definition.survey)
        q = select(TriggerRuleRow).where(TriggerRuleRow.workspace_id == workspace_id, TriggerRuleRow.name == body.name)
        row = s.scalar(q)
        if row is not None and not replace:
            raise Conflict(f"a trigger rule named {body.name!r} exists; PUT /outreach/triggers/{body.name} replaces it")
        if row is None:
            row = TriggerRuleRow(workspace_id=workspace_id, name=body.name)
            s.add(row)
        row.enabled = body.enabled
        row.definition = body.definition.model_dump(mode="json", exclude_none=True)
        s.flush()
        return _public(row)


def delete_rule(app: AppStore, workspace_id: str, name: str) -> None:
    with app.session() as s:
        row = s.scalar(
            select(TriggerRuleRow).where(TriggerRuleRow.workspace_id == workspace_id, TriggerRuleRow.name == name)
        )
        if row is None:
            raise NotFound(f"no trigger rule {name!r} in this workspace")
        s.delete(row)
