"""SLA targets per priority (hours to first contact and to resolution) and the breach check that escalates.

A breach is escalated once: the case's breach stamp is set by a guarded UPDATE (only where it is still empty) in the
transaction that raises the priority and queues the manager's email and the `case.breached` webhook event, each with a
dedupe key naming the case, the target and its deadline. A second run, or a second process, finds nothing to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from suara.act.case_tables import SlaTarget, Team
from suara.notify.outbox import enqueue
from suara.notify.webhooks import publish_event
from suara.store.app import AppStore, Case, Role, User, utcnow

if TYPE_CHECKING:
    from suara.runtime import Runtime

# Hours to first contact and to resolution when a workspace stores none for the priority.
DEFAULT_TARGETS: dict[str, tuple[float, float]] = {
    "urgent": (4.0, 24.0),
    "high": (24.0, 72.0),
    "normal": (48.0, 168.0),
    "low": (72.0, 336.0),
}
Target = Literal["first_contact", "resolution"]


class SlaTargetPublic(BaseModel):
    priority: str
    first_contact_hours: float = Field(gt=0, le=24 * 365)
    resolution_hours: float = Field(gt=0, le=24 * 365)
    default: bool = Field(False, description="True when the workspace stores none and the built-in target applies.")


class SlaTargetIn(BaseModel):
    """Hours to first contact and to resolution of one priority; first contact cannot be due after resolution."""

    model_config = ConfigDict(extra="forbid")

    first_contact_hours: float = Field(gt=0, le=24 * 365)
    resolution_hours: float = Field(gt=0, le=24 * 365)

    @field_validator("resolution_hours")
    @classmethod
    def _not_before_first_contact(cls, value: float, info: ValidationInfo) -> float:
        first = info.data.get("first_contact_hours")
        if first is not None and value < first:
            raise ValueError(f"must be at least first_contact_hours ({first:g} h)")
        return value


def targets(s: Session, workspace_id: str) -> dict[str, tuple[float, float]]:
    """(first contact, resolution) hours for every priority: the stored ones over the defaults."""
    out = dict(DEFAULT_TARGETS)
    for row in s.scalars(select(SlaTarget).where(SlaTarget.workspace_id == workspace_id)):
        out[row.priority] = (row.first_contact_hours, row.resolution_hours)
    return out


def deadlines(s: Session, workspace_id: str, priority: str, start: datetime) -> tuple[datetime, datetime]:
    key = ("case_sla_targets", workspace_id)
    if key not in s.info:  # read once per transaction: a batch opens many cases
        s.info[key] = targets(s, workspace_id)
    first, resolve = s.info[key].get(priority, DEFAULT_TARGETS["normal"])
    return start + timedelta(hours=first), start + timedelta(hours=resolve)


def list_targets(app: AppStore, workspace_id: str) -> list[SlaTargetPublic]:
    """Every priority's targets (low to urgent), marking those that are the built-in defaults."""
    from suara.act.cases import PRIORITIES

    with app.session() as s:
        stored = {row.priority for row in s.scalars(select(SlaTarget).where(SlaTarget.workspace_id == workspace_id))}
        hours = targets(s, workspace_id)
    return [
        SlaTargetPublic(
            priority=p, first_contact_hours=hours[p][0], resolution_hours=hours[p][1], default=p not in stored
        )
        for p in PRIORITIES
    ]


def set_target(app: AppStore, workspace_id: str, target: SlaTargetPublic) -> None:
    with app.session() as s:
        row = s.get(SlaTarget, (workspace_id, target.priority))
        if row is None:
            row = SlaTarget(workspace_id=workspace_id, priority=target.priority)
            s.add(row)
        row.first_contact_hours, row.resolution_hours = target.first_contact_hours, target.resolution_hours


# -- breaches --------------------------------------------------------------------------------------------------
def check_breaches(app: AppStore, workspace_id: str | None = None, now: datetime | None = None) -> int:
    """Escalate every open case whose first-contact or resolution deadline passed unmet; returns escalations made."""
    from suara.act.cases import OPEN

    now = now or utcnow()
    late_first = Case.first_contact_at.is_(None) & Case.first_breached_at.is_(None) & (Case.first_due_at < now)
    late_resolve = Case.resolved_at.is_(None) & Case.resolve_breached_at.is_(None) & (Case.resolve_due_at < now)
    q = select(Case.id, Case.workspace_id).where(Case.status.in_(OPEN), or_(late_first, late_resolve))
    if workspace_id is not None:
        q = q.where(Case.workspace_id == workspace_id)
    with app.session() as s:
        due = s.execute(q.order_by(Case.id)).all()
    done = 0
    for case_id, ws in due:
        for target in ("first_contact", "resolution"):
            with app.session() as s:
                done += _escalate(s, ws, case_id, target, now)  # type: ignore[arg-type]
    return done


def _escalate(s: Session, workspace_id: str, case_id: int, target: Target, now: datetime) -> int:
    from suara.act.cases import log_event, raise_priority

    stamp, due_col, met = (
        (Case.first_breached_at, Case.first_due_at, Case.first_contact_at)
        if target == "first_contact"
        else (Case.resolve_breached_at, Case.resolve_due_at, Case.resolved_at)
    )
    # The guard makes the stamp the lock: only one run (or process) gets rowcount 1 for a breach.
    claimed = s.execute(
        update(Case)
        .where(Case.id == case_id, stamp.is_(None), met.is_(None), due_col < now)
        .values({stamp.key: now})
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    case = s.get(Case, case_id)
    assert case is not None
    s.refresh(case)
    due = getattr(case, due_col.key)
    what = "first contact" if target == "first_contact" else "resolution"
    text = f"Case {case.id} ({case.topic}, customer {case.customer_id}) missed its {what} deadline"
    text += f" of {due:%Y-%m-%d %H:%M} UTC"
    raise_priority(s, case, now)
    note = _tighten(s, case, now)
    log_event(
        s,
        case,
        "escalation",
        f"{what} deadline missed; priority raised to {case.priority}{note}; manager notified",
        now,
    )
    key = f"case:{case.id}:breach:{target}:{due.isoformat()}"
    for address in _managers(s, workspace_id, case.team_id):
        enqueue(
            s,
            workspace_id,
            channel="email",
            target=address,
            payload={"subject": f"SLA missed: case {case.id}", "text": text + ".", "case_id": case.id},
            dedupe_key=f"{key}:{address}",
        )
    data = {"case_id": case.id, "target": target, "due_at": due.isoformat() + "Z", "priority": case.priority}
    publish_event(s, workspace_id, "case.breached", data, text=text, dedupe_key=key)
    return 1


def _tighten(s: Session, case: Case, now: datetime) -> str:
    """After an escalation, a deadline still pending follows the new priority counted from now, when that is sooner:
    an escalated case is worked faster, and is never given more time. Returns the change as a phrase for the log."""
    first, resolve = deadlines(s, case.workspace_id, case.priority, now)
    moved = []
    if (
        case.first_contact_at is None
        and case.first_breached_at is None
        and case.first_due_at
        and first < case.first_due_at
    ):
        case.first_due_at = first
        moved.append(f"first contact now due {first:%Y-%m-%d %H:%M} UTC")
    pending = case.resolved_at is None and case.resolve_breached_at is None
    if pending and case.resolve_due_at and resolve < case.resolve_due_at:
        case.resolve_due_at = resolve
        moved.append(f"resolution now due {resolve:%Y-%m-%d %H:%M} UTC")
    return "".join(f"; {m}" for m in moved)


def _managers(s: Session, workspace_id: str, team_id: int | None) -> list[str]:
    """The team's manager, else the workspace's admins: who hears about a missed deadline."""
    team = s.get(Team, team_id) if team_id is not None else None
    if team is not None and team.manager_email:
        return [team.manager_email]
    admins = s.scalars(
        select(User.email).where(User.workspace_id == workspace_id, User.role == Role.admin).order_by(User.id)
    )
    return list(admins)


def check_sla_job(runtime: Runtime) -> int:
    """Background pass: escalate every breach in every workspace."""
    return check_breaches(runtime.app)
