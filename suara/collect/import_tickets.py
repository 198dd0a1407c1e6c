"""Support tickets from a help desk export (created, first response, resolved, channel, status, reopened, ...).

A ticket's id is the help desk's own when the export has one, else a hash of the row; the same export imported
twice adds nothing. The assigned agent is stored too, so the support measures break down by agent.
"""

from __future__ import annotations

from typing import Any

from suara.collect.ingest import ticket_units
from suara.collect.mapping import parse_count, parse_flag, parse_instant, parse_key, parse_rating, parse_text
from suara.collect.row_import import Field, Target
from suara.domain.records import TicketIn

MAX_ID = 200

TICKET_FIELDS = (
    Field("id", parse_text, ("ticket_id", "ticket", "number", "case_id", "key")),
    Field(
        "created_at",
        parse_instant,
        ("created", "opened_at", "opened", "date", "created_date"),
        date=True,
        required=True,
    ),
    Field(
        "first_response_at",
        parse_instant,
        ("first_response", "first_reply_at", "first_responded_at", "first_reply"),
        date=True,
    ),
    Field("resolved_at", parse_instant, ("resolved", "closed_at", "closed", "solved_at"), date=True),
    Field("channel", parse_key, ("via", "source", "medium")),
    Field("agent", parse_text, ("assignee", "owner", "agent_name", "assigned_to")),
    Field("status", parse_key, ("state",)),
    Field("reopened", parse_flag, ("reopens", "reopen_count", "was_reopened")),
    Field("customer_id", parse_text, ("customer", "requester", "requester_id", "user_id", "email")),
    Field("subject", parse_text, ("title", "summary")),
    Field("contacts", parse_count, ("replies", "customer_contacts", "interactions")),
    Field("csat", parse_rating, ("satisfaction", "satisfaction_rating", "rating")),
    Field("touchpoint", parse_text, ("topic", "category", "type")),
)


def _ticket(values: dict[str, Any], stable: str) -> TicketIn:
    status = values.get("status") or ("solved" if values.get("resolved_at") else "open")
    return TicketIn(
        ticket_id=stable[:MAX_ID],
        customer_id=values.get("customer_id"),
        channel=values.get("channel"),
        touchpoint=values.get("touchpoint"),
        subject=values.get("subject"),
        status=status,
        created_at=values["created_at"],
        first_response_at=values.get("first_response_at"),
        resolved_at=values.get("resolved_at"),
        contacts=values.get("contacts") or None,
        reopened=values.get("reopened", False),
        csat=values.get("csat"),
        agent=values.get("agent"),
    )


TICKETS = Target(
    noun="tickets",
    kind="tickets",
    fields=TICKET_FIELDS,
    build=_ticket,
    units=ticket_units,
    stored_as={"ticket_id": "id"},
)
