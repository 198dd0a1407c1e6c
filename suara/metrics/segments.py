"""Named customer segments: a definition over traits, response fields and behaviour, evaluated to customer ids.

A segment is `{"all": [...], "any": [...]}`: a customer belongs when every `all` condition and, if there are any,
at least one `any` condition holds. Behavioural conditions look back from the measured range's end (or now), so
"bought 3 or more times in 90 days" means the 90 days before the end of what is being measured.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, model_validator

from suara.store.warehouse import Warehouse

Name = Annotated[str, Field(min_length=1, max_length=200)]


class CountRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: int = Field(1, ge=1, description="At least this many.")
    max: int | None = Field(None, ge=0, description="At most this many.")
    within_days: int | None = Field(None, ge=1, le=3650, description="Counted over this many days back.")


class EventRule(CountRule):
    name: Name = Field(description="Event name.")


class Condition(BaseModel):
    """One test of a customer; exactly one kind per condition."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    trait: Name | None = Field(None, description="Latest value of this trait is in `in` (or not in `not_in`).")
    response_field: Name | None = Field(None, description="Some response of the customer has this field in `in`.")
    in_: list[str] | None = Field(None, alias="in", min_length=1)
    not_in: list[str] | None = Field(None, min_length=1)
    orders: CountRule | None = Field(None, description="Number of paid orders, e.g. 3 or more in 90 days.")
    events: EventRule | None = Field(None, description="Number of events of one name.")
    first_order_within_days: int | None = Field(None, ge=1, description="First order in the last N days.")
    customers: list[Name] | None = Field(None, min_length=1, max_length=10_000, description="Explicit customer ids.")

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [k for k in ("trait", "response_field", "orders", "events", "first_order_within_days", "customers")
                 if getattr(self, k) is not None]  # fmt: skip
        if len(kinds) != 1:
            raise ValueError(
                "a condition needs exactly one of trait, response_field, orders, events, first_order_within_days, "
                f"customers (got {', '.join(kinds) or 'none'})"
            )
        if self.trait is not None or self.response_field is not None:
            if (self.in_ is None) == (self.not_in is None):
                raise ValueError("a trait or response_field condition needs either `in` or `not_in`")
            if self.response_field is not None and self.not_in is not None:
                raise ValueError("a response_field condition takes `in` only")
        elif self.in_ is not None or self.not_in is not None:
            raise ValueError("`in` and `not_in` go with trait or response_field")
        return self


class SegmentDefinition(BaseModel):
    """Customers for whom every `all` condition and at least one `any` condition (when given) hold."""

    model_config = ConfigDict(extra="forbid")

    all: list[Condition] = Field(default_factory=list, max_length=20)
    any: list[Condition] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _not_empty(self) -> SegmentDefinition:
        if not self.all and not self.any:
            raise ValueError("a segment needs at least one condition in `all` or `any`")
        return self


def members(wh: Warehouse, workspace_id: str, definition: SegmentDefinition, as_of: datetime | None) -> ir.Table:
    """The segment's customers as a one-column table (`customer_id`), distinct."""
    now = (as_of or datetime.now(UTC)).replace(tzinfo=None)
    required = [_condition(wh, workspace_id, c, now) for c in definition.all]
    if definition.any:
        required.append(ibis.union(*(_condition(wh, workspace_id, c, now) for c in definition.any), distinct=True))
    out = required[0].distinct()
    for other in required[1:]:
        out = out.semi_join(other, "customer_id")
    return out


def _condition(wh: Warehouse, ws: str, c: Condition, now: datetime) -> ir.Table:
    if c.trait is not None:
        tr = wh.traits(ws)
        tr = tr.filter(tr.trait == c.trait)
        keep = tr.value.isin(c.in_) if c.in_ is not None else ~tr.value.isin(c.not_in or [])
        return tr.filter(keep).select("customer_id")
    if c.response_field is not None:
        rf = wh.table("response_fields", ws)
        rf = rf.filter((rf.name == c.response_field) & rf.value.isin(c.in_ or []))
        resp = wh.table("responses", ws)
        return resp.semi_join(rf, "response_id").select("customer_id").distinct()
    if c.orders is not None:
        o = wh.table("orders", ws)
        o = o.filter(~o.status.isin(["cancelled", "refunded", "failed"]) & (o.ordered_at < now))
        return _counted(o, o.ordered_at, c.orders, now)
    if c.events is not None:
        ev = wh.table("events", ws)
        ev = ev.filter((ev.event == c.events.name) & ev.customer_id.notnull() & (ev.timestamp < now))
        return _counted(ev, ev.timestamp, c.events, now)
    if c.first_order_within_days is not None:
        o = wh.table("orders", ws)
        o = o.filter(o.ordered_at < now)
        first = o.group_by("customer_id").aggregate(first=o.ordered_at.min())
        return first.filter(first.first >= now - timedelta(days=c.first_order_within_days)).select("customer_id")
    return ibis.memtable({"customer_id": list(c.customers or [])}, schema={"customer_id": "string"})


def _counted(t: ir.Table, at: ir.TimestampColumn, rule: CountRule, now: datetime) -> ir.Table:
    if rule.within_days is not None:
        t = t.filter(at >= now - timedelta(days=rule.within_days))
    per = t.group_by("customer_id").aggregate(k=t.count())
    keep = per.k >= rule.min
    if rule.max is not None:
        keep &= per.k <= rule.max
    return per.filter(keep).select("customer_id")
