"""A workspace's saved journeys: named journey specs (stages of touchpoints, window, bootstrap settings) kept in the
app store, so the journey map page, the API and the CLI can show a team's own journeys, not only the demo shop's.

The period (`start`, `end`) and the value of a dropped customer are chosen when a map is drawn, so a saved spec
holds neither. The name `default` is the built-in journey until a workspace saves its own under that name.

The schema is owned by the migration `0011_journeys`; the model mirrors it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from suara.errors import NotFound, ValidationFailed, pydantic_errors
from suara.journeys.funnel import parse_duration
from suara.journeys.maps import DEFAULT_JOURNEY, JourneySpec
from suara.store.app import AppStore, Base, utcnow

DEFAULT = "default"
QUERY_TIME = ("start", "end", "value")  # chosen when a map is drawn, never saved
NAME = re.compile(r"[a-z0-9][a-z0-9 _-]{0,79}")


class SavedJourney(Base):
    __tablename__ = "journeys"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class JourneyPublic(BaseModel):
    name: str
    builtin: bool = Field(description="True for the built-in default journey (no saved spec of that name).")
    spec: dict[str, Any] = Field(description="The journey spec: stages, window (seconds) and bootstrap settings.")
    touchpoints: int
    updated_at: datetime | None


def check_name(name: str) -> str:
    """Lower-case letters, digits, spaces, '-' and '_', starting with a letter or digit, at most 80 characters."""
    if not NAME.fullmatch(name):
        raise ValidationFailed(
            f"journey name {name!r}: use lower-case letters, digits, spaces, '-' or '_' (at most 80 characters)",
            errors=[{"pointer": "/name", "message": "invalid journey name"}],
        )
    return name


def validate(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as it will be stored (window in seconds, defaults filled in), or ValidationFailed naming each field."""
    saved_at_query = [k for k in QUERY_TIME if k in spec]
    if saved_at_query:
        errors = [{"pointer": f"/{k}", "message": "chosen when the map is drawn; not part of a saved journey"}
                  for k in saved_at_query]  # fmt: skip
        raise ValidationFailed(f"a saved journey holds no {', '.join(saved_at_query)}", errors=errors)
    if spec.get("window") is not None:
        try:
            parse_duration(spec["window"])
        except ValueError as exc:  # the spec's own check has no field location: give it one
            errors = [{"pointer": "/window", "message": str(exc)}]
            raise ValidationFailed(f"journey spec /window: {exc}", errors=errors) from None
    try:
        parsed = JourneySpec.model_validate(spec)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        first = errors[0]
        raise ValidationFailed(f"journey spec {first['pointer']}: {first['message']}", errors=errors) from None
    return parsed.model_dump(mode="json", exclude=set(QUERY_TIME))


def _public(name: str, spec: dict[str, Any], updated_at: datetime | None, builtin: bool) -> JourneyPublic:
    count = sum(len(s["touchpoints"]) for s in spec["stages"])
    return JourneyPublic(name=name, builtin=builtin, spec=spec, touchpoints=count, updated_at=updated_at)


def _builtin() -> dict[str, Any]:
    return validate(DEFAULT_JOURNEY)


def list_journeys(app: AppStore, workspace_id: str) -> list[JourneyPublic]:
    """The default journey first (built-in unless saved), then the saved ones by name."""
    with app.session() as s:
        rows = s.scalars(select(SavedJourney).where(SavedJourney.workspace_id == workspace_id)).all()
        saved = {r.name: _public(r.name, r.spec, r.updated_at, False) for r in rows}
    first = saved.pop(DEFAULT, None) or _public(DEFAULT, _builtin(), None, True)
    return [first, *(saved[k] for k in sorted(saved))]


def get_journey(app: AppStore, workspace_id: str, name: str) -> JourneyPublic:
    with app.session() as s:
        row = s.scalar(select(SavedJourney).where(SavedJourney.workspace_id == workspace_id, SavedJourney.name == name))
        if row is not None:
            return _public(row.name, row.spec, row.updated_at, False)
    if name == DEFAULT:
        return _public(DEFAULT, _builtin(), None, True)
    raise NotFound(f"no saved journey {name!r}; see GET /api/v1/journeys/specs for the names")


def save_journey(app: AppStore, workspace_id: str, name: str, spec: dict[str, Any]) -> JourneyPublic:
    """Create or replace a named journey; nothing is written unless the whole spec is valid."""
    stored = validate(spec)
    try:
        return _upsert(app, workspace_id, name, stored)
    except IntegrityError:  # a concurrent first save of the same name won: replace its spec
        return _upsert(app, workspace_id, name, stored)


def _upsert(app: AppStore, workspace_id: str, name: str, stored: dict[str, Any]) -> JourneyPublic:
    with app.session() as s:
        row = s.scalar(
            select(SavedJourney).where(SavedJourney.workspace_id == workspace_id, SavedJourney.name == check_name(name))
        )
        if row is None:
            row = SavedJourney(workspace_id=workspace_id, name=name, spec=stored)
            s.add(row)
        else:
            row.spec = stored
        s.flush()
        return _public(row.name, row.spec, row.updated_at, False)


def delete_journey(app: AppStore, workspace_id: str, name: str) -> None:
    """Forget a saved journey; deleting a saved `default` brings the built-in one back."""
    with app.session() as s:
        row = s.scalar(select(SavedJourney).where(SavedJourney.workspace_id == workspace_id, SavedJourney.name == name))
        if row is not None:
            s.delete(row)
    if row is None:
        raise NotFound(f"no saved journey {name!r}")


def journey_spec(app: AppStore, workspace_id: str, name: str | None, **query_time: Any) -> JourneySpec:
    """The named journey (default: `default`) with the map's period and value."""
    spec = get_journey(app, workspace_id, name or DEFAULT).spec
    extra = {k: v for k, v in query_time.items() if k in QUERY_TIME and v is not None}
    return JourneySpec.model_validate(spec | extra)
