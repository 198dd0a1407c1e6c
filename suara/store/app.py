"""The app store: configuration and workflow (workspaces, users, API keys, surveys, cases) on SQLAlchemy 2.

SQLite by default, PostgreSQL in production; the schema is owned by the Alembic migrations beside this file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    agent = "agent"
    viewer = "viewer"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.viewer)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.admin)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SurveyVersion(Base):
    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Case(Base):
    """A close-the-loop case; `open_key` (customer and topic while open, else NULL) keeps one open case per pair."""

    __tablename__ = "cases"
    __table_args__ = (Index("uq_cases_open_key", "workspace_id", "open_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    response_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    feedback_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Columns of migration 0006_cases (suara.act.cases works them).
    open_key: Mapped[str | None] = mapped_column(String(420), nullable=True, default=None)
    rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    touchpoint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    customer_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    tags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    root_cause: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_breached_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolve_breached_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Segment(Base):
    """A named customer segment: a definition (traits, response fields, behaviour) every measure can use."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# -- secrets ------------------------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """scrypt with a per-user salt: `scrypt$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
    except ValueError:
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(got.hex(), digest)


def hash_api_key(key: str) -> str:
    """Keys are 256-bit random, so a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return f"sk_{secrets.token_urlsafe(8).replace('-', 'x').replace('_', 'y')}_{secrets.token_urlsafe(32)}"


# -- the store ----------------------------------------------------------------------------------------------------
class AppStore:
    """Engine and sessions for the app store; `migrate()` brings the schema to the newest Alembic revision."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # feature branches of the schema may each add a head

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


# -- workspace-scoped access --------------------------------------------------------------------------------------
class WorkspaceRepo:
    """Every query of the app store goes through here, filtered to one workspace."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.s = session
        self.workspace_id = workspace_id

    def surveys(self) -> list[Survey]:
        return list(self.s.scalars(select(Survey).where(Survey.workspace_id == self.workspace_id).order_by(Survey.id)))

    def survey(self, key: str) -> Survey | None:
        return self.s.scalar(select(Survey).where(Survey.workspace_id == self.workspace_id, Survey.key == key))

    def survey_versions(self, survey: Survey) -> list[SurveyVersion]:
        assert survey.workspace_id == self.workspace_id
        return list(
            self.s.scalars(
                select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.version)
            )
        )

    def save_survey(self, key: str, name: str, definition: dict[str, Any]) -> tuple[Survey, SurveyVersion]:
        """Create the survey or add a new version of it; each version is kept, never edited."""
        survey = self.survey(key)
        if survey is None:
            survey = Survey(workspace_id=self.workspace_id, key=key, name=name)
            self.s.add(survey)
            self.s.flush()
            number = 1
        else:
            survey.name = name
            versions = self.survey_versions(survey)
            number = versions[-1].version + 1 if versions else 1
        version = SurveyVersion(survey_id=survey.id, version=number, definition=definition)
        self.s.add(version)
        self.s.flush()
        return survey, version

    def users(self) -> list[User]:
        return list(self.s.scalars(select(User).where(User.workspace_id == self.workspace_id).order_by(User.id)))

    def user_by_email(self, email: str) -> User | None:
        return self.s.scalar(select(User).where(User.workspace_id == self.workspace_id, User.email == email.lower()))

    def add_user(self, email: str, password: str, role: Role = Role.viewer, name: str = "") -> User:
        user = User(
            workspace_id=self.workspace_id,
            email=email.lower(),
            name=name,
            role=role,
            password_hash=hash_password(password),
        )
        self.s.add(user)
        self.s.flush()
        return user

    def create_api_key(self, name: str, role: Role = Role.admin) -> tuple[ApiKey, str]:
        """Returns the stored row and the key itself, which is shown once and never stored."""
        key = new_api_key()
        row = ApiKey(workspace_id=self.workspace_id, name=name, prefix=key[:11], key_hash=hash_api_key(key), role=role)
        self.s.add(row)
        self.s.flush()
        return row, key

    def segments(self) -> list[Segment]:
        return list(
            self.s.scalars(select(Segment).where(Segment.workspace_id == self.workspace_id).order_by(Segment.name))
        )

    def segment(self, name: str) -> Segment | None:
        return self.s.scalar(select(Segment).where(Segment.workspace_id == self.workspace_id, Segment.name == name))

    def save_segment(self, name: str, definition: dict[str, Any], description: str = "") -> Segment:
        """Create or replace the named segment."""
        seg = self.segment(name)
        if seg is None:
            seg = Segment(workspace_id=self.workspace_id, name=name)
            self.s.add(seg)
        seg.definition, seg.description = definition, description
        self.s.flush()
        return seg

    def delete_segment(self, name: str) -> bool:
        seg = self.segment(name)
        if seg is None:
            return False
        self.s.delete(seg)
        return True

    def cases(self, status: str | None = None) -> list[Case]:
        q = select(Case).where(Case.workspace_id == self.workspace_id)
        if status:
            q = q.where(Case.status == status)
        return list(self.s.scalars(q.order_by(Case.id)))

    def case(self, case_id: int) -> Case | None:
        return self.s.scalar(select(Case).where(Case.workspace_id == self.workspace_id, Case.id == case_id))

    def open_case(self, customer_id: str, topic: str, **fields: Any) -> Case:
        # One open case per customer and topic: a second open one breaks the unique `open_key`.
        fields.setdefault("open_key", f"{customer_id}\x1f{topic}")
        row = Case(workspace_id=self.workspace_id, customer_id=customer_id, topic=topic, **fields)
        self.s.add(row)
        self.s.flush()
        return row


def create_workspace(session: Session, slug: str, name: str) -> Workspace:
    ws = Workspace(id=f"ws_{secrets.token_hex(8)}", slug=slug, name=name)
    session.add(ws)
    session.flush()
    return ws


def workspace_by_slug(session: Session, slug: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def find_api_key(session: Session, key: str) -> ApiKey | None:
    """The live (not revoked) key row for a presented key, or None."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    return row if row is not None and row.revoked_at is None else None


def find_user(session: Session, email: str) -> list[User]:
    return list(session.scalars(select(User).where(User.email == email.lower())))
