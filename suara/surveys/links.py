"""Personal survey links: a token signed with the app secret naming workspace, survey version, customer and expiry.

`/s/<token>` opens the hosted survey for that customer. The token is signed, not encrypted: it holds no secrets, and
any change to it breaks the signature.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "suara.survey-link"
DEFAULT_TTL = timedelta(days=30)


class BadLink(ValueError):
    """The token is malformed or its signature does not match: it was changed or never issued here."""


class ExpiredLink(BadLink):
    """The token is genuine but past its expiry."""


@dataclass(frozen=True)
class SurveyLink:
    workspace_id: str
    survey_key: str
    version: int
    customer_id: str
    expires_at: datetime
    nonce: str
    locale: str | None = None

    @property
    def response_id(self) -> str:
        """The id of the one response this link may write, the same on every submit of the link."""
        identity = "\x00".join([self.workspace_id, self.survey_key, str(self.version), self.customer_id, self.nonce])
        return "link_" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def mint_link(
    secret: str,
    workspace_id: str,
    survey_key: str,
    version: int,
    customer_id: str,
    *,
    ttl: timedelta = DEFAULT_TTL,
    locale: str | None = None,
    now: datetime | None = None,
) -> str:
    """A signed token for one customer and one survey version, valid for `ttl` (30 days by default)."""
    expires = (now or datetime.now(UTC)) + ttl
    payload: dict[str, Any] = {
        "w": workspace_id,
        "s": survey_key,
        "v": version,
        "c": customer_id,
        "e": int(expires.timestamp()),
        # A fresh nonce per link, so a customer asked again next quarter can answer again.
        "n": secrets.token_urlsafe(6),
    }
    if locale:
        payload["l"] = locale
    return _serializer(secret).dumps(payload)


def read_link(secret: str, token: str, *, now: datetime | None = None) -> SurveyLink:
    """The link a token stands for; BadLink when tampered or malformed, ExpiredLink when past its expiry."""
    try:
        data = _serializer(secret).loads(token)
        link = SurveyLink(
            workspace_id=str(data["w"]),
            survey_key=str(data["s"]),
            version=int(data["v"]),
            customer_id=str(data["c"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            nonce=str(data["n"]),
            locale=data.get("l"),
        )
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        raise BadLink("the survey link is malformed or was changed") from None
    if link.expires_at <= (now or datetime.now(UTC)):
        raise ExpiredLink(f"the survey link expired at {link.expires_at:%Y-%m-%d %H:%M} UTC")
    return link
