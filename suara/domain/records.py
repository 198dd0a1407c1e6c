"""The records that enter through `collect`: survey responses, Segment-shaped events, feedback items, orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from suara.domain.scales import CHOICE_KINDS, QUESTION_KINDS, SCALES, TEXT_KINDS

Id = Annotated[str, Field(min_length=1, max_length=200)]
INT32_MAX = 2**31 - 1  # the warehouse's integer columns are 32-bit


def as_utc_naive(value: datetime) -> datetime:
    """Store every instant as naive UTC so all warehouse backends agree; naive input is taken as UTC."""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00+00:01 falls before year 1 in UTC
            raise ValueError("the instant is out of range once converted to UTC") from None
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnswerIn(_Record):
    """One answer: `kind` picks the scale (nps 0-10, csat 1-5, ces 1-7, rating 1-5) or text/choice."""

    question_id: Id | None = Field(None, description="Question id within the survey; defaults to the kind.")
    kind: str = Field(description="nps, csat, ces, rating, comment, text or choice.")
    number: float | None = None
    text: Annotated[str, Field(max_length=20_000)] | None = None
    choice: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _check(self) -> AnswerIn:
        if self.kind not in QUESTION_KINDS:
            raise ValueError(f"unknown question kind {self.kind!r}; use one of {sorted(QUESTION_KINDS)}")
        scale = SCALES.get(self.kind)
        if scale is not None:
            if self.number is None:
                raise ValueError(f"a {self.kind} answer needs a number from {scale.low} to {scale.high}")
            if not scale.contains(self.number):
                raise ValueError(
                    f"{self.kind} must be a whole number from {scale.low} to {scale.high}, got {self.number:g}"
                )
        elif self.kind in TEXT_KINDS and not self.text:
            raise ValueError(f"a {self.kind} answer needs text")
        elif self.kind in CHOICE_KINDS and not self.choice:
            raise ValueError("a choice answer needs a choice")
        if self.question_id is None:
            self.question_id = self.kind
        return self


class ResponseIn(_Record):
    """A survey response with its answers; `response_id` is the client's id and makes retries count once."""

    response_id: Id | None = Field(None, description="Client id of the response; a retry with the same id is ignored.")
    customer_id: Id
    survey_id: Id | None = None
    survey_version: int | None = Field(None, ge=1)
    channel: Annotated[str, Field(max_length=50)] | None = None
    touchpoint: Annotated[str, Field(max_length=100)] | None = None
    locale: Annotated[str, Field(max_length=20)] | None = None
    submitted_at: datetime
    answers: list[AnswerIn] = Field(min_length=1, max_length=200)
    fields: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Extra response fields (string values), usable in metric breakdowns."
    )

    _normalise = field_validator("submitted_at")(lambda cls, v: as_utc_naive(v))


class EventIn(_Record):
    """A Segment-shaped call: track, page or identify (`userId`, `anonymousId`, `messageId`, `timestamp`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=True)

    type: Literal["track", "page", "identify"]
    event: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    user_id: Id | None = Field(None, alias="userId")
    anonymous_id: Id | None = Field(None, alias="anonymousId")
    message_id: Id | None = Field(None, alias="messageId")
    timestamp: datetime
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)

    _normalise = field_validator("timestamp")(lambda cls, v: as_utc_naive(v))

    @model_validator(mode="after")
    def _check(self) -> EventIn:
        if not (self.user_id or self.anonymous_id):
            raise ValueError("either userId or anonymousId is required")
        if self.type == "track" and not self.event:
            raise ValueError("a track call needs `event`")
        if self.type == "identify" and not self.user_id:
            raise ValueError("an identify call needs `userId`")
        return self


class FeedbackIn(_Record):
    """Unsolicited feedback: a review, social post or ticket, with optional rating on 1-5."""

    feedback_id: Id | None = None
    source: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="review, social, ticket, ...")
    customer_id: Id | None = None
    text: Annotated[str, Field(min_length=1, max_length=50_000)]
    rating: float | None = Field(None, ge=1, le=5)
    url: Annotated[str, Field(max_length=2000)] | None = None
    author: Annotated[str, Field(max_length=200)] | None = None
    title: Annotated[str, Field(max_length=500)] | None = None
    locale: Annotated[str, Field(max_length=20)] | None = None
    touchpoint: Annotated[str, Field(max_length=100)] | None = None
    created_at: datetime
    likes: Annotated[int, Field(strict=True, ge=0, le=INT32_MAX)] | None = Field(
        None, description="A social post's like count (a whole number of 0 or more)."
    )

    _normalise = field_validator("created_at")(lambda cls, v: as_utc_naive(v))


class TicketIn(_Record):
    """A support ticket from a help desk: when it was opened, first answered and resolved, and how many contacts."""

    ticket_id: Id
    customer_id: Id | None = None
    channel: Annotated[str, Field(max_length=50)] | None = None
    touchpoint: Annotated[str, Field(max_length=100)] | None = None
    subject: Annotated[str, Field(max_length=500)] | None = None
    status: Annotated[str, Field(max_length=30)] = "open"
    created_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    contacts: int | None = Field(None, ge=1, le=10_000, description="Customer contacts until resolution.")
    reopened: bool = False
    csat: float | None = Field(None, ge=1, le=5, description="Satisfaction rating after resolution, 1-5.")
    agent: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="The help desk agent assigned (a name or id), for support measures by agent."
    )

    _normalise = field_validator("created_at", "first_response_at", "resolved_at")(
        lambda cls, v: None if v is None else as_utc_naive(v)
    )

    @model_validator(mode="after")
    def _order(self) -> TicketIn:
        for name in ("first_response_at", "resolved_at"):
            value = getattr(self, name)
            if value is not None and value < self.created_at:
                raise ValueError(f"{name} is before created_at")
        return self


class OrderIn(_Record):
    """A purchase: amount in `currency` units (not cents)."""

    order_id: Id
    customer_id: Id
    ordered_at: datetime
    amount: float = Field(ge=0)
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"
    status: Annotated[str, Field(max_length=30)] = "completed"

    _normalise = field_validator("ordered_at")(lambda cls, v: as_utc_naive(v))
