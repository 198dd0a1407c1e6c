"""Reviews and social posts from exports, stored as feedback items whose `source` names the platform or network.

Reviews come from app stores, maps listings and review sites (`source`: google_play, app_store, google_maps, ...);
social posts and mentions from a network (`source`: twitter, instagram, ...), with their like counts. Ids are
`<source>:<the platform's id>` when the export has one, else a hash of the row, so importing the same export twice
adds nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from suara.collect.ingest import feedback_units
from suara.collect.mapping import parse_count, parse_instant, parse_key, parse_rating, parse_text
from suara.collect.row_import import Field, Target
from suara.domain.records import FeedbackIn

MAX_ID = 200

_COMMON = (
    Field("id", parse_text, ("review_id", "post_id", "tweet_id", "external_id", "uid")),
    Field("text", parse_text, ("body", "content", "review", "comment", "message", "customer_review"), required=True),
    Field(
        "created_at",
        parse_instant,
        ("date", "created", "timestamp", "time", "at", "posted_at"),
        date=True,
        required=True,
    ),
    Field("customer_id", parse_text, ("customer", "user_id")),
    Field("locale", parse_text, ("language", "lang")),
    Field("url", parse_text, ("link", "permalink")),
    Field("touchpoint", parse_text, ()),
)

REVIEW_FIELDS = (
    *_COMMON,
    Field("rating", parse_rating, ("stars", "score", "star_rating", "customer_rating")),
    Field("title", parse_text, ("subject", "headline", "summary")),
    Field("source", parse_key, ("platform", "store", "site", "channel")),
    Field("author", parse_text, ("author_name", "reviewer", "user_name", "username", "name")),
)

SOCIAL_FIELDS = (
    *_COMMON,
    Field("network", parse_key, ("source", "platform", "channel", "site")),
    Field("author", parse_text, ("handle", "username", "user", "screen_name", "name", "author_handle")),
    Field("rating", parse_rating, ("stars", "score")),
    Field("likes", parse_count, ("like_count", "favorites", "favourite_count", "reactions")),
)


def _feedback(values: dict[str, Any], stable: str, source: str) -> FeedbackIn:
    """A feedback record; the id joins the source to the platform's id so two platforms' ids never collide."""
    feedback_id = f"{source}:{stable}"
    if len(feedback_id) > MAX_ID:  # a very long platform id still maps to one stable id
        feedback_id = f"{source}:h{hashlib.sha256(stable.encode()).hexdigest()[:24]}"
    return FeedbackIn(
        feedback_id=feedback_id,
        source=source,
        customer_id=values.get("customer_id"),
        text=values["text"],
        rating=values.get("rating"),
        url=values.get("url"),
        author=values.get("author"),
        title=values.get("title"),
        locale=values.get("locale"),
        touchpoint=values.get("touchpoint"),
        created_at=values["created_at"],
        likes=values.get("likes"),
    )


def _review(values: dict[str, Any], stable: str) -> FeedbackIn:
    return _feedback(values, stable, values.get("source") or "review")


def _social(values: dict[str, Any], stable: str) -> FeedbackIn:
    return _feedback(values, stable, values.get("network") or "social")


REVIEWS = Target(
    noun="reviews",
    kind="feedback",
    fields=REVIEW_FIELDS,
    build=_review,
    units=feedback_units,
    stored_as={"feedback_id": "id"},
)

SOCIAL = Target(
    noun="social posts",
    kind="feedback",
    fields=SOCIAL_FIELDS,
    build=_social,
    units=feedback_units,
    stored_as={"feedback_id": "id", "source": "network"},
)
