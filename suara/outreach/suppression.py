"""Suppression lists and unsubscribe tokens: a suppressed customer id, e-mail address or phone number is never
contacted. The token in every invitation's unsubscribe link is signed with the app secret, not stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from suara.outreach.tables import Suppression

_SALT = "suara.unsubscribe"


class BadUnsubscribe(ValueError):
    """The token is malformed or was changed."""


@dataclass(frozen=True)
class Unsubscribe:
    workspace_id: str
    customer_id: str
    target: str


@lru_cache(maxsize=8)
def _serializer(secret: str) -> URLSafeSerializer:
    # one per secret: a pass mints tens of thousands of tokens with the same one
    return URLSafeSerializer(secret, salt=_SALT)


def mint_unsubscribe(secret: str, workspace_id: str, customer_id: str, target: str = "") -> str:
    return _serializer(secret).dumps({"w": workspace_id, "c": customer_id, "t": target})


def read_unsubscribe(secret: str, token: str) -> Unsubscribe:
    try:
        data = _serializer(secret).loads(token)
        return Unsubscribe(str(data["w"]), str(data["c"]), str(data.get("t") or ""))
    except (BadSignature, KeyError, TypeError, AttributeError):
        raise BadUnsubscribe("the unsubscribe link is malformed or was changed") from None


def suppress(session: Session, workspace_id: str, value: str, reason: str = "") -> None:
    """Add a value (customer id, address or number); adding it again changes nothing."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Suppression).values(workspace_id=workspace_id, value=value, reason=reason[:200])
    session.execute(stmt.on_conflict_do_nothing(index_elements=["workspace_id", "value"]))


def unsuppress(session: Session, workspace_id: str, value: str) -> bool:
    result = session.execute(
        delete(Suppression).where(Suppression.workspace_id == workspace_id, Suppression.value == value)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def suppressions(session: Session, workspace_id: str, *, limit: int = 1000) -> list[Suppression]:
    q = select(Suppression).where(Suppression.workspace_id == workspace_id).order_by(Suppression.id.desc())
    return list(session.scalars(q.limit(limit)))


def suppressed_among(session: Session, workspace_id: str, values: Iterable[str]) -> set[str]:
    """Which of these values are suppressed (queried in chunks to stay under parameter limits)."""
    wanted, found = sorted({v for v in values if v}), set[str]()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        q = select(Suppression.value).where(Suppression.workspace_id == workspace_id, Suppression.value.in_(chunk))
        found.update(session.scalars(q))
    return found
