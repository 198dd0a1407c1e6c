"""Contact rules as pure functions: caps per customer, quiet hours in the customer's time zone, sampling, quotas.

`decide` takes what one send wants and what is known about the customer (earlier and planned contacts, suppression,
quota use) and answers queued (at an instant outside quiet hours) or skipped, with the reason in words. No IO here:
`suara.outreach.send` loads the facts and stores the outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["survey", "message"]
Channel = Literal["survey_email", "sms", "whatsapp"]
# Which customer trait holds the address of each channel.
TARGET_TRAIT: dict[str, str] = {"survey_email": "email", "sms": "phone", "whatsapp": "phone"}


class Cap(BaseModel):
    """At most `count` contacts in any `days`-day window."""

    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=1000)
    days: float = Field(gt=0, le=366)

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.days)


class QuietHours(BaseModel):
    """Local times (HH:MM) between which nobody is contacted; `start` after `end` spans midnight (21:00 to 08:00)."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field("21:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field("08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours need different start and end times")
        return self

    @property
    def begins(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def ends(self) -> time:
        return time.fromisoformat(self.end)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Jakarta'") from None


class ContactPolicy(BaseModel):
    """A workspace's contact policy. Every survey counts towards both caps; a message only towards `message_cap`."""

    model_config = ConfigDict(extra="forbid")
    survey_cap: Cap = Field(default_factory=lambda: Cap(count=1, days=30), description="Surveys per customer.")
    message_cap: Cap = Field(
        default_factory=lambda: Cap(count=3, days=7), description="Contacts of any kind per customer."
    )
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours, description="null: no quiet hours.")
    timezone: str = Field("UTC", description="Time zone of customers without a `timezone` trait.")
    base_url: str | None = Field(
        None, max_length=500, pattern=r"^https?://", description="Public address of suara for links in messages."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        _zone(name)
        return name


@dataclass(frozen=True)
class Contact:
    """A contact already queued for a customer: when it goes out and whether it is a survey."""

    at: datetime
    kind: str


@dataclass(frozen=True)
class Ask:
    """What one send wants, with what the policy needs to know about the customer. Instants are naive UTC."""

    customer_id: str
    kind: str
    channel: str
    at: datetime
    target: str | None
    timezone: str | None = None
    share: float = 1.0
    sample_key: str = ""
    stratum: str = ""
    quota_limit: int | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["queued", "skipped"]
    reason: str
    at: datetime


def sampled(key: str, customer_id: str, share: float) -> bool:
    """Whether the customer falls in the sample: a hash of (key, customer), so every re-run agrees."""
    if share >= 1:
        return True
    digest = hashlib.sha256(f"{key}\x00{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def customer_zone(tz: str | None, default: str) -> ZoneInfo:
    """The customer's zone, or the workspace's when the trait is missing or not a known zone."""
    if tz:
        try:
            return _zone(tz)
        except ValueError:
            pass
    return _zone(default)


def _in_quiet(local: time, quiet: QuietHours) -> bool:
    start, end = quiet.begins, quiet.ends
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(at: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`at` itself when it is outside quiet hours in `zone`, else the end of those quiet hours (naive UTC)."""
    if quiet is None:
        return at
    local = at.replace(tzinfo=UTC).astimezone(zone)
    if not _in_quiet(local.time().replace(tzinfo=None), quiet):
        return at
    day = local.date()
    if quiet.begins > quiet.ends and local.time().replace(tzinfo=None) >= quiet.begins:
        day += timedelta(days=1)  # quiet since the evening: allowed again tomorrow morning
    end = datetime.combine(day, quiet.ends, tzinfo=zone)
    return end.astimezone(UTC).replace(tzinfo=None)


def _ago(delta: timedelta) -> str:
    days = delta.days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours >= 1 else "less than an hour"


def _near(contacts: Sequence[Contact], at: datetime, window: timedelta, kind: str | None) -> list[Contact]:
    """Contacts less than `window` before or after `at`: with fewer than the cap of them, every window of that
    length around the new contact stays within the cap, whatever order contacts are decided in."""
    return [c for c in contacts if abs(c.at - at) < window and (kind is None or c.kind == kind)]


def decide(
    ask: Ask,
    policy: ContactPolicy,
    contacts: Sequence[Contact] = (),
    *,
    suppressed: bool = False,
    quota_used: int = 0,
) -> Verdict:
    """Queued (possibly deferred past quiet hours) or skipped, with the reason in words."""
    if suppressed:
        return Verdict("skipped", "skipped: unsubscribed", ask.at)
    if not ask.target:
        trait = TARGET_TRAIT.get(ask.channel, "address")
        return Verdict("skipped", f"skipped: no {trait} for customer {ask.customer_id}", ask.at)
    if not sampled(ask.sample_key, ask.customer_id, ask.share):
        return Verdict("skipped", f"skipped: not sampled (share {ask.share:g})", ask.at)
    if ask.quota_limit is not None and quota_used >= ask.quota_limit:
        return Verdict("skipped", f"skipped: quota {ask.stratum} full ({quota_used}/{ask.quota_limit})", ask.at)
    zone = customer_zone(ask.timezone, policy.timezone)
    at = next_allowed(ask.at, zone, policy.quiet_hours)
    if ask.kind == "survey":
        near = _near(contacts, at, policy.survey_cap.window, "survey")
        if len(near) >= policy.survey_cap.count:
            before = [c.at for c in near if c.at <= at]
            if before:
                return Verdict("skipped", f"skipped: surveyed {_ago(at - max(before))} ago", at)
            return Verdict("skipped", f"skipped: survey planned in {_ago(min(c.at for c in near) - at)}", at)
    near = _near(contacts, at, policy.message_cap.window, None)
    if len(near) >= policy.message_cap.count:
        cap = policy.message_cap
        return Verdict("skipped", f"skipped: {len(near)} contacts within {cap.days:g} days (cap {cap.count})", at)
    if at != ask.at:
        local = at.replace(tzinfo=UTC).astimezone(zone)
        return Verdict("queued", f"deferred: quiet hours until {local:%H:%M} {zone.key}", at)
    return Verdict("queued", "queued", at)
