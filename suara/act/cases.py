"""Close-the-loop cases: open (by a rule or by hand), assign, move through their statuses, comment, reply, history.

A case is one customer's problem on one topic (an NPS detractor, a low CSAT, a bad review ...). There is at most one
open case per customer and topic: a second trigger lands in the open case's thread instead of opening another. Every
change is written to the thread (`case_events`) in the transaction that makes it: who, when, from, to.

Statuses: new -> contacted -> resolved -> closed, and resolved or closed -> reopened -> contacted/resolved/closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suara.act import sla
from suara.act.case_tables import CaseEvent, CaseTrigger, Team
from suara.errors import Conflict, NotFound, ValidationFailed
from suara.notify.outbox import enqueue
from suara.notify.tables import OutboxMessage
from suara.store.app import AppStore, Case, User, utcnow

Status = Literal["new", "contacted", "resolved", "closed", "reopened"]
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
OPEN: tuple[Status, ...] = ("new", "contacted", "reopened")
TRANSITIONS: dict[str, set[str]] = {
    "new": {"contacted", "resolved", "closed"},
    "contacted": {"resolved", "closed"},
    "reopened": {"contacted", "resolved", "closed"},
    "resolved": {"closed", "reopened"},
    "closed": {"reopened"},
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user (id and name) or the system (no id)."""

    user_id: int | None
    name: str


SYSTEM = Actor(None, "suara")


# A plain shape check: delivery is the real test of an address.
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]


def open_key(customer_id: str, topic: str) -> str:
    return f"{customer_id}\x1f{topic}"


# -- schemas -------------------------------------------------------------------------------------------------------
class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=200)
    topic: str = Field(min_length=1, max_length=200, description="What the case is about: nps, csat, delivery ...")
    priority: Priority = "normal"
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1, description="A user of the workspace; default: by team.")
    touchpoint: str | None = Field(None, max_length=200, description="Routes the case to the team of this touchpoint.")
    customer_email: Email | None = None
    note: str = Field("", max_length=10_000)
    tags: list[str] = Field(default_factory=list, max_length=20)


class CaseUpdate(BaseModel):
    """Only the fields present change; `owner_id: null` unassigns."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    owner_id: int | None = Field(None, ge=1, le=2**31 - 1)
    priority: Priority | None = None
    tags: list[str] | None = Field(None, max_length=20)
    root_cause: str | None = Field(None, max_length=200)
    resolution_note: str | None = Field(None, max_length=10_000)


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=10_000)


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)
    subject: str = Field("About your feedback", min_length=1, max_length=200)
    to: Email | None = Field(None, description="The customer's address; default: the one the case knows.")


class BulkAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[int] = Field(min_length=1, max_length=500)
    owner_id: int = Field(ge=1, le=2**31 - 1)


class SlaClock(BaseModel):
    """The next deadline of an open case: first contact, then resolution; negative seconds: overdue."""

    target: Literal["first_contact", "resolution"]
    due_at: datetime
    seconds_left: float


class CasePublic(BaseModel):
    id: int
    customer_id: str
    topic: str
    status: Status
    priority: Priority
    owner_id: int | None
    owner_name: str | None
    team_id: int | None
    rule: str | None
    touchpoint: str | None
    score: float | None
    score_kind: str | None
    customer_email: str | None
    tags: list[str]
    root_cause: str | None
    resolution_note: str | None
    note: str
    created_at: datetime
    updated_at: datetime
    first_due_at: datetime | None
    resolve_due_at: datetime | None
    first_contact_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    breached: bool = Field(description="A deadline passed unmet (now or when it was due).")
    sla: SlaClock | None


class CaseEventPublic(BaseModel):
    id: int
    kind: str
    field: str | None
    old: str | None
    new: str | None
    body: str
    actor: str
    direction: str | None
    delivery_status: str | None = Field(description="Replies: pending, sending, sent or dead (the outbox's state).")
    created_at: datetime


class CaseTriggerPublic(BaseModel):
    rule: str
    fact: str
    item_id: str
    score: float | None
    detail: str
    occurred_at: datetime | None


class CaseDetail(CasePublic):
    events: list[CaseEventPublic]
    triggers: list[CaseTriggerPublic]


class CasePage(BaseModel):
    items: list[CasePublic]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CaseFilter:
    status: Sequence[str] = ()
    owner_id: int | None = None
    unassigned: bool = False
    priority: Sequence[str] = ()
    breached: bool | None = None
    customer_id: str | None = None


# -- opening -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A rule firing on one fact row: what the case will be about and where it came from."""

    customer_id: str
    topic: str
    rule: str
    kind: str
    priority: Priority
    fact: str
    item_id: str
    score: float | None = None
    score_kind: str | None = None
    touchpoint: str | None = None
    occurred_at: datetime | None = None
    detail: str = ""

    @property
    def source_key(self) -> str:
        return f"{self.kind}:{self.fact}:{self.item_id}"


def record_hit(s: Session, workspace_id: str, hit: Hit, now: datetime | None = None) -> Case | None:
    """Open a case for the hit, or add it to the customer's open case on the topic; None if already recorded.

    Keyed on the hit's source key: a rule that fires again on the same row (a re-read batch) changes nothing.
    """
    now = now or utcnow()
    done = s.scalar(
        select(CaseTrigger.id).where(CaseTrigger.workspace_id == workspace_id, CaseTrigger.source_key == hit.source_key)
    )
    if done is not None:
        return None
    case = s.scalar(
        select(Case).where(Case.workspace_id == workspace_id, Case.open_key == open_key(hit.customer_id, hit.topic))
    )
    if case is None:
        case = _new_case(
            s,
            workspace_id,
            customer_id=hit.customer_id,
            topic=hit.topic,
            priority=hit.priority,
            touchpoint=hit.touchpoint,
            rule=hit.rule,
            score=hit.score,
            score_kind=hit.score_kind,
            now=now,
        )
        _log(s, case, SYSTEM, "trigger", body=f"opened by rule {hit.rule}: {hit.detail}".rstrip(": "), now=now)
    else:
        _log(s, case, SYSTEM, "trigger", body=f"rule {hit.rule} fired again: {hit.detail}".rstrip(": "), now=now)
        if PRIORITIES.index(hit.priority) > PRIORITIES.index(case.priority):  # type: ignore[arg-type]
            _change(s, case, SYSTEM, "priority", hit.priority, now)
    s.add(
        CaseTrigger(
            workspace_id=workspace_id,
            case_id=case.id,
            source_key=hit.source_key,
            rule=hit.rule,
            fact=hit.fact,
            item_id=hit.item_id,
            score=hit.score,
            detail=hit.detail,
            occurred_at=hit.occurred_at,
            created_at=now,
        )
    )
    s.flush()
    return case


def _new_case(
    s: Session, workspace_id: str, *, customer_id: str, topic: str, priority: str, now: datetime, **fields: Any
) -> Case:
    owner_id = fields.pop("owner_id", None)
    case = Case(
        workspace_id=workspace_id,
        customer_id=customer_id,
        topic=topic,
        status="new",
        priority=priority,
        open_key=open_key(customer_id, topic),
        created_at=now,
        updated_at=now,
        tags=fields.pop("tags", None) or [],
        **fields,
    )
    team = team_for(s, workspace_id, case.touchpoint)
    if team is not None:
        case.team_id = team.id
        if owner_id is None and team.members:
            # Round-robin: the team row is locked so two openers never deal the same turn.
            s.refresh(team, with_for_update=True)
            owner_id = team.members[team.dealt % len(team.members)]
            team.dealt += 1
    case.owner_id = owner_id
    first, resolve = sla.deadlines(s, workspace_id, priority, now)
    case.first_due_at, case.resolve_due_at = first, resolve
    s.add(case)
    s.flush()
    return case


def team_for(s: Session, workspace_id: str, touchpoint: str | None) -> Team | None:
    """The team of the touchpoint, else the first team that lists no touchpoints (a catch-all), else None."""
    # Cached for the transaction: a batch of hits opens many cases against the same few teams.
    key = ("case_teams", workspace_id)
    if key not in s.info:
        s.info[key] = list(s.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id)))
    teams: list[Team] = s.info[key]
    if touchpoint is not None:
        for team in teams:
            if touchpoint in (team.touchpoints or []):
                return team
    return next((t for t in teams if not t.touchpoints), None)


def _member(value: Any) -> int | str:
    # One check for both forms, so an error points at the member itself rather than at each union branch.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1:
        return value
    if isinstance(value, str) and 1 <= len(value.strip()) <= 320:
        return value.strip()
    raise ValueError("a member is a user id (a positive number) or a user's email (1 to 320 characters)")


Member = Annotated[
    int | str,
    PlainValidator(_member),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                {"type": "string", "minLength": 1, "maxLength": 320},
            ]
        }
    ),
]


class TeamIn(BaseModel):
    """A team as the API and the settings page write it: members (user ids or emails) in turn order."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    members: list[Member] = Field(
        default_factory=list, max_length=200, description="User ids or emails; cases are dealt in this order."
    )
    touchpoints: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100, description="Cases of these touchpoints go to the team; none: catch-all."
    )
    manager_email: Email | None = Field(None, description="Told about missed deadlines; default: the admins.")


class TeamMember(BaseModel):
    id: int
    name: str
    email: str


class TeamPublic(BaseModel):
    id: int
    name: str
    members: list[TeamMember]
    touchpoints: list[str]
    manager_email: str | None
    catch_all: bool = Field(description="No touchpoints: the team takes cases no other team routes.")


def save_team(
    app: AppStore,
    workspace_id: str,
    name: str,
    *,
    members: Sequence[int | str] = (),
    touchpoints: Sequence[str] = (),
    manager_email: str | None = None,
) -> TeamPublic:
    """Create or replace a team; members are user ids or emails of the workspace, in turn order.

    An unknown member is a 422 naming it; a touchpoint another team routes already is a 409. Either writes nothing.
    """
    with app.session() as s:
        ids = _member_ids(s, workspace_id, members)
        points = list(dict.fromkeys(t.strip() for t in touchpoints if t.strip()))
        _check_touchpoints(s, workspace_id, name, points)
        team = s.scalar(select(Team).where(Team.workspace_id == workspace_id, Team.name == name))
        if team is None:
            team = Team(workspace_id=workspace_id, name=name, dealt=0)
            s.add(team)
        team.members, team.touchpoints, team.manager_email = ids, points, manager_email
        s.flush()
        return _team_public(team, _users(s, workspace_id))


def list_teams(app: AppStore, workspace_id: str) -> list[TeamPublic]:
    """The workspace's teams in the order routing tries them (oldest first)."""
    with app.session() as s:
        users = _users(s, workspace_id)
        teams = s.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))
        return [_team_public(t, users) for t in teams]


def delete_team(app: AppStore, workspace_id: str, name: str) -> None:
    """Remove a team (404 if none). Its cases keep their owner and deadlines; they lose the team, so a missed
    deadline is told to the workspace's admins instead of the team's manager."""
    with app.session() as s:
        team = s.scalar(select(Team).where(Team.workspace_id == workspace_id, Team.name == name))
        if team is None:
            raise NotFound(f"no team {name!r} in this workspace")
        # Case.team_id has no foreign key: clear it, so a later team that reuses the id inherits nothing.
        s.execute(
            update(Case)
            .where(Case.workspace_id == workspace_id, Case.team_id == team.id)
            .values(team_id=None)
            .execution_options(synchronize_session=False)
        )
        s.delete(team)


def _users(s: Session, workspace_id: str) -> dict[int, User]:
    return {u.id: u for u in s.scalars(select(User).where(User.workspace_id == workspace_id))}


def _team_public(team: Team, users: dict[int, User]) -> TeamPublic:
    members = [users[i] for i in team.members or [] if i in users]
    return TeamPublic(
        id=team.id,
        name=team.name,
        members=[TeamMember(id=u.id, name=u.name or u.email, email=u.email) for u in members],
        touchpoints=list(team.touchpoints or []),
        manager_email=team.manager_email,
        catch_all=not team.touchpoints,
    )


def _member_ids(s: Session, workspace_id: str, members: Sequence[int | str]) -> list[int]:
    """The members' user ids in their order (repeats dropped); 422 with a pointer at each unknown one."""
    users = _users(s, workspace_id)
    by_email = {u.email.lower(): u.id for u in users.values()}
    ids: list[int] = []
    errors: list[dict[str, Any]] = []
    for i, m in enumerate(members):
        uid = (m if m in users else None) if isinstance(m, int) else by_email.get(m.strip().lower())
        if uid is None:
            what = str(m) if isinstance(m, int) else repr(m)
            message = f"no user {what} in this workspace"
            errors.append({"loc": ["members", i], "pointer": f"/members/{i}", "message": message, "type": "unknown"})
        elif uid not in ids:
            ids.append(uid)
    if errors:
        unknown = "; ".join(e["message"] for e in errors)
        raise ValidationFailed(f"{unknown}; members are user ids or emails of its users", errors=errors)
    return ids


def _check_touchpoints(s: Session, workspace_id: str, name: str, touchpoints: Sequence[str]) -> None:
    """409 when another team routes one of the touchpoints already: routing would ignore this team's claim."""
    others = s.scalars(select(Team).where(Team.workspace_id == workspace_id, Team.name != name).order_by(Team.id))
    for other in others:
        for i, point in enumerate(touchpoints):
            if point in (other.touchpoints or []):
                message = f"touchpoint {point!r} belongs to team {other.name!r}; remove it there first"
                errors = [{"loc": ["touchpoints", i], "pointer": f"/touchpoints/{i}", "message": message}]
                raise Conflict(message, errors=errors)


def create_case(app: AppStore, workspace_id: str, body: CaseCreate, actor: Actor) -> CaseDetail:
    """Open a case by hand; 409 when the customer already has an open case on the topic."""
    with app.session() as s:
        if body.owner_id is not None:
            _check_users(s, workspace_id, [body.owner_id])
        existing = s.scalar(
            select(Case.id).where(
                Case.workspace_id == workspace_id, Case.open_key == open_key(body.customer_id, body.topic)
            )
        )
        if existing is not None:
            raise Conflict(f"customer {body.customer_id!r} has an open case on {body.topic!r} already: case {existing}")
        now = utcnow()
        case = _new_case(
            s,
            workspace_id,
            customer_id=body.customer_id,
            topic=body.topic,
            priority=body.priority,
            now=now,
            owner_id=body.owner_id,
            touchpoint=body.touchpoint,
            customer_email=body.customer_email,
            note=body.note,
            tags=body.tags,
            rule=None,
        )
        _log(s, case, actor, "change", field="status", new="new", body="opened by hand", now=now)
        s.flush()
        return _detail(s, case, now)


# -- reading -------------------------------------------------------------------------------------------------------
def _breached_clause(now: datetime) -> Any:
    open_ = Case.status.in_(OPEN)
    late_first = Case.first_contact_at.is_(None) & (Case.first_due_at < now) & open_
    late_resolve = Case.resolved_at.is_(None) & (Case.resolve_due_at < now) & open_
    return late_first | late_resolve | Case.first_breached_at.is_not(None) | Case.resolve_breached_at.is_not(None)


def list_cases(
    app: AppStore,
    workspace_id: str,
    filters: CaseFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> CasePage:
    """Cases matching the filters: open ones first, then the newest first."""
    now = now or utcnow()
    q = select(Case).where(Case.workspace_id == workspace_id)
    if filters.status:
        q = q.where(Case.status.in_(list(filters.status)))
    if filters.priority:
        q = q.where(Case.priority.in_(list(filters.priority)))
    if filters.unassigned:
        q = q.where(Case.owner_id.is_(None))
    elif filters.owner_id is not None:
        q = q.where(Case.owner_id == filters.owner_id)
    if filters.customer_id is not None:
        q = q.where(Case.customer_id == filters.customer_id)
    if filters.breached is not None:
        clause = _breached_clause(now)
        q = q.where(clause if filters.breached else ~clause)
    with app.session() as s:
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = s.scalars(q.order_by(Case.open_key.is_(None), Case.id.desc()).limit(limit).offset(offset)).all()
        names = _user_names(s, workspace_id)
        return CasePage(items=[_public(c, now, names) for c in rows], total=total, limit=limit, offset=offset)


def get_case(app: AppStore, workspace_id: str, case_id: int, now: datetime | None = None) -> CaseDetail:
    with app.session() as s:
        return _detail(s, _get(s, workspace_id, case_id), now or utcnow())


def _get(s: Session, workspace_id: str, case_id: int, lock: bool = False) -> Case:
    q = select(Case).where(Case.workspace_id == workspace_id, Case.id == case_id)
    case = s.scalar(q.with_for_update() if lock else q)
    if case is None:
        raise NotFound(f"no case {case_id} in this workspace")
    return case


# -- changing ------------------------------------------------------------------------------------------------------
def update_case(app: AppStore, workspace_id: str, case_id: int, body: CaseUpdate, actor: Actor) -> CaseDetail:
    """Apply the present fields, each logged in the history; a status move must follow TRANSITIONS (else 409)."""
    now = utcnow()
    try:
        with app.session() as s:
            case = _get(s, workspace_id, case_id, lock=True)
            present = body.model_fields_set
            if "owner_id" in present:
                if body.owner_id is not None:
                    _check_users(s, workspace_id, [body.owner_id])
                _change(s, case, actor, "owner_id", body.owner_id, now)
            if body.priority is not None:
                _change(s, case, actor, "priority", body.priority, now)
                _reschedule(s, case, now)
            if body.tags is not None:
                _change(s, case, actor, "tags", sorted(set(body.tags)), now)
            if body.root_cause is not None:
                _change(s, case, actor, "root_cause", body.root_cause, now)
            if body.resolution_note is not None:
                _change(s, case, actor, "resolution_note", body.resolution_note, now)
            if body.status is not None and body.status != case.status:
                move(s, case, body.status, actor, now)
            s.flush()
            return _detail(s, case, now)
    except IntegrityError:
        raise Conflict(f"case {case_id} cannot reopen: the customer has another open case on the topic") from None


def move(s: Session, case: Case, to: str, actor: Actor, now: datetime) -> None:
    """Change the status (checked against TRANSITIONS), stamping contact, resolution and closing times."""
    if to not in TRANSITIONS.get(case.status, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(case.status, set()))) or "nothing"
        raise Conflict(f"a {case.status} case cannot become {to}; from {case.status} it can become {allowed}")
    _change(s, case, actor, "status", to, now)
    if to == "contacted" and case.first_contact_at is None:
        case.first_contact_at = now
    if to == "resolved":
        case.resolved_at = now
    if to == "closed":
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    if to == "reopened":
        # A reopened case runs a fresh resolution clock; its first contact stays what it was.
        case.resolved_at, case.closed_at, case.resolve_breached_at = None, None, None
        case.resolve_due_at = sla.deadlines(s, case.workspace_id, case.priority, now)[1]
    case.open_key = open_key(case.customer_id, case.topic) if to in OPEN else None


def _reschedule(s: Session, case: Case, now: datetime) -> None:
    """After a priority change, deadlines not yet met nor breached follow the new priority's targets."""
    first, resolve = sla.deadlines(s, case.workspace_id, case.priority, case.created_at)
    if case.first_contact_at is None and case.first_breached_at is None:
        case.first_due_at = first
    if case.resolved_at is None and case.resolve_breached_at is None and case.status != "reopened":
        case.resolve_due_at = resolve


def add_comment(app: AppStore, workspace_id: str, case_id: int, body: CommentCreate, actor: Actor) -> CaseEventPublic:
    """An internal note on the case (never sent to the customer)."""
    with app.session() as s:
        case = _get(s, workspace_id, case_id)
        event = _log(s, case, actor, "comment", body=body.body, now=utcnow())
        s.flush()
        return _event_public(event, None)


def send_reply(
    app: AppStore, workspace_id: str, case_id: int, body: ReplyCreate, actor: Actor, known_email: str | None = None
) -> CaseEventPublic:
    """Email the customer through the outbox and keep the reply in the thread; a new case becomes contacted.

    The address is `body.to`, else the case's, else `known_email` (the customer's `email` trait); none: 422.
    """
    now = utcnow()
    with app.session() as s:
        case = _get(s, workspace_id, case_id, lock=True)
        to = body.to or case.customer_email or known_email
        if not to:
            raise ValidationFailed(
                f"case {case_id} has no email address for customer {case.customer_id!r}; pass `to`",
                errors=[
                    {"loc": ["to"], "pointer": "/to", "message": "required: no address is known", "type": "missing"}
                ],
            )
        if case.customer_email is None:
            case.customer_email = str(to)
        event = _log(s, case, actor, "reply", body=body.body, new=body.subject, now=now)
        event.direction = "out"
        s.flush()
        message = enqueue(
            s,
            workspace_id,
            channel="email",
            target=str(to),
            payload={"subject": body.subject, "text": body.body, "case_id": case.id},
            dedupe_key=f"case:{case.id}:reply:{event.id}",
        )
        event.message_id = message.id
        if case.status in ("new", "reopened"):
            move(s, case, "contacted", actor, now)
        elif case.first_contact_at is None:
            case.first_contact_at = now
        s.flush()
        return _event_public(event, message.status)


def bulk_assign(app: AppStore, workspace_id: str, body: BulkAssign, actor: Actor) -> list[CasePublic]:
    """Give every listed case to one owner, all or none: an unknown case id changes nothing (404)."""
    now = utcnow()
    with app.session() as s:
        _check_users(s, workspace_id, [body.owner_id])
        ids = sorted(set(body.case_ids))
        rows = list(s.scalars(select(Case).where(Case.workspace_id == workspace_id, Case.id.in_(ids))))
        missing = sorted(set(ids) - {c.id for c in rows})
        if missing:
            raise NotFound(f"no case {', '.join(map(str, missing))} in this workspace; nothing was assigned")
        for case in rows:
            _change(s, case, actor, "owner_id", body.owner_id, now)
        s.flush()
        names = _user_names(s, workspace_id)
        return [_public(c, now, names) for c in sorted(rows, key=lambda c: c.id)]


def _check_users(s: Session, workspace_id: str, ids: Iterable[int]) -> None:
    wanted = set(ids)
    if not wanted:
        return
    found = set(s.scalars(select(User.id).where(User.workspace_id == workspace_id, User.id.in_(wanted))))
    if wanted - found:
        unknown = ", ".join(map(str, sorted(wanted - found)))
        raise ValidationFailed(f"no user {unknown} in this workspace; owners and members are user ids")


# -- the thread ----------------------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _change(s: Session, case: Case, actor: Actor, field: str, value: Any, now: datetime) -> None:
    """Set one field and log it (nothing when the value is unchanged)."""
    old = getattr(case, field)
    if old == value:
        return
    setattr(case, field, value)
    case.updated_at = now
    _log(s, case, actor, "change", field=field, old=_text(old), new=_text(value), now=now)


def _log(
    s: Session,
    case: Case,
    actor: Actor,
    kind: str,
    *,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    body: str = "",
    now: datetime,
) -> CaseEvent:
    event = CaseEvent(
        workspace_id=case.workspace_id,
        case_id=case.id,
        kind=kind,
        field=field,
        old=old,
        new=new,
        body=body,
        actor_id=actor.user_id,
        actor=actor.name,
        created_at=now,
    )
    s.add(event)
    return event


def log_event(s: Session, case: Case, kind: str, body: str, now: datetime) -> CaseEvent:
    """A system line in the thread (escalations)."""
    return _log(s, case, SYSTEM, kind, body=body, now=now)


def raise_priority(s: Session, case: Case, now: datetime) -> None:
    """One step up (urgent stays urgent), logged as a change by the system."""
    at = PRIORITIES.index(case.priority)  # type: ignore[arg-type]
    _change(s, case, SYSTEM, "priority", PRIORITIES[min(at + 1, len(PRIORITIES) - 1)], now)


# -- public shapes -------------------------------------------------------------------------------------------------
def _utc(d: datetime | None) -> datetime | None:
    return None if d is None else d.replace(tzinfo=UTC)


def clock(case: Case, now: datetime) -> SlaClock | None:
    if case.status not in OPEN:
        return None
    if case.first_contact_at is None and case.first_due_at is not None:
        target, due = "first_contact", case.first_due_at
    elif case.resolve_due_at is not None:
        target, due = "resolution", case.resolve_due_at
    else:
        return None
    return SlaClock(target=target, due_at=due.replace(tzinfo=UTC), seconds_left=(due - now).total_seconds())  # type: ignore[arg-type]


def is_breached(case: Case, now: datetime) -> bool:
    if case.first_breached_at is not None or case.resolve_breached_at is not None:
        return True
    c = clock(case, now)
    return c is not None and c.seconds_left < 0


def _user_names(s: Session, workspace_id: str) -> dict[int, str]:
    rows = s.execute(select(User.id, User.name, User.email).where(User.workspace_id == workspace_id))
    return {r.id: r.name or r.email for r in rows}


def _public(c: Case, now: datetime, names: dict[int, str]) -> CasePublic:
    return CasePublic(
        id=c.id,
        customer_id=c.customer_id,
        topic=c.topic,
        status=c.status,  # type: ignore[arg-type]
        priority=c.priority,  # type: ignore[arg-type]
        owner_id=c.owner_id,
        owner_name=names.get(c.owner_id) if c.owner_id is not None else None,
        team_id=c.team_id,
        rule=c.rule,
        touchpoint=c.touchpoint,
        score=c.score,
        score_kind=c.score_kind,
        customer_email=c.customer_email,
        tags=list(c.tags or []),
        root_cause=c.root_cause,
        resolution_note=c.resolution_note,
        note=c.note or "",
        created_at=_utc(c.created_at),  # type: ignore[arg-type]
        updated_at=_utc(c.updated_at),  # type: ignore[arg-type]
        first_due_at=_utc(c.first_due_at),
        resolve_due_at=_utc(c.resolve_due_at),
        first_contact_at=_utc(c.first_contact_at),
        resolved_at=_utc(c.resolved_at),
        closed_at=_utc(c.closed_at),
        breached=is_breached(c, now),
        sla=clock(c, now),
    )


def _event_public(e: CaseEvent, delivery: str | None) -> CaseEventPublic:
    return CaseEventPublic(
        id=e.id,
        kind=e.kind,
        field=e.field,
        old=e.old,
        new=e.new,
        body=e.body,
        actor=e.actor,
        direction=e.direction,
        delivery_status=delivery,
        created_at=_utc(e.created_at),  # type: ignore[arg-type]
    )


def _detail(s: Session, case: Case, now: datetime) -> CaseDetail:
    events = s.execute(
        select(CaseEvent, OutboxMessage.status)
        .outerjoin(OutboxMessage, OutboxMessage.id == CaseEvent.message_id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id)
    ).all()
    triggers = s.scalars(select(CaseTrigger).where(CaseTrigger.case_id == case.id).order_by(CaseTrigger.id))
    base = _public(case, now, _user_names(s, case.workspace_id))
    return CaseDetail(
        **base.model_dump(),
        events=[_event_public(e, status) for e, status in events],
        triggers=[
            CaseTriggerPublic(
                rule=t.rule,
                fact=t.fact,
                item_id=t.item_id,
                score=t.score,
                detail=t.detail,
                occurred_at=_utc(t.occurred_at),
            )
            for t in triggers
        ],
    )
