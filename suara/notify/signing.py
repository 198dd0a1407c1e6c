"""Webhook signatures: `Suara-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`.

Receivers check it with `verify_signature(secret, header, body)`: the HMAC must match and the timestamp must be recent,
so a captured request cannot be replayed later. A retried delivery is signed afresh with a new timestamp, so its
signature differs; dedupe retries on the `Suara-Delivery` header, never on the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Suara-Signature"
DELIVERY_HEADER = "Suara-Delivery"
EVENT_HEADER = "Suara-Event"
# Five minutes either way: enough for clock skew and a slow network, short enough to make a replayed capture useless.
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for this body, signed now (or at `timestamp`, unix seconds)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, t, body)}"


def verify_signature(
    secret: str, header: str | None, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True when `header` signs exactly `body` with `secret` and its timestamp is within `tolerance_s` of now.

    `body` must be the raw request bytes, before any JSON parsing. Several `v1=` entries are accepted (any may match).
    """
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
