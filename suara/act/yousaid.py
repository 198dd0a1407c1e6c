""" "You said, we did": mark a theme or an aspect addressed with a note, tell each customer who raised it once by
e-mail through the outbox (within the workspace's contact policy), and compare their scores before and after.

Who raised it: the customers of the items assigned to the theme, or of the enriched items mentioning the aspect.
Each customer is considered once per announcement (a unique row per customer, and the outbox dedupe key
`yousaid:<announcement>:<customer>`); the contact policy of `suara.outreach.policy` decides (caps over the
decision log, quiet hours, unsubscribes), and a queued message is logged there too, so later sends count it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

import ibis
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suara.errors import NotFound
from suara.notify.outbox import enqueue
from suara.outreach.policy import Ask, Contact, decide
from suara.outreach.send import customer_traits, load_policy
from suara.outreach.suppression import suppressed_among
from suara.outreach.tables import Decision
from suara.store.app import AppStore, utcnow
from suara.store.warehouse import Warehouse
from suara.text import theme_store
from suara.text.aspects import ASPECTS
from suara.text.enrich import items
from suara.text.theme_tables import Announcement, AnnouncementRecipient, TextTheme

SCORES = ("nps", "csat")


class AnnouncementCreate(BaseModel):
    kind: Literal["theme", "aspect"] = Field(description="What was addressed: a theme (by id) or an aspect.")
    key: str = Field(min_length=1, max_length=200, description="The theme id (th_...) or the aspect's name.")
    note: str = Field(min_length=1, max_length=4000, description="What was done, as the customers will read it.")
    title: str | None = Field(default=None, max_length=200, description="Subject line; default: the theme's name.")


class AnnouncementPublic(BaseModel):
    id: int
    kind: str
    key: str
    title: str
    note: str
    created_at: datetime
    recipients: dict[str, int] = Field(description="Customers by outcome: queued, skipped, no_email.")


class PairedScore(BaseModel):
    """Customers told who answered both before and after: their last score before, first after (NPS 0-10,
    CSAT 1-5); `nps_before`/`nps_after` are the NPS (-100..100) of the same customers."""

    metric: str
    n: int
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None
    nps_before: float | None = None
    nps_after: float | None = None


class Impact(BaseModel):
    announcement_id: int
    told: int
    scores: list[PairedScore]


def raisers(app: AppStore, wh: Warehouse, workspace_id: str, kind: str, key: str) -> list[str]:
    """Customers whose feedback, comments or tickets mention the theme or aspect, sorted."""
    if kind == "theme":
        a = theme_store.assignments(app, workspace_id, key)[["item_kind", "item_id"]]
        if a.empty:
            return []
        t = items(wh, workspace_id, tickets=True)
        found = t.semi_join(ibis.memtable(a.astype(str)), ["item_kind", "item_id"]).select("customer_id")
    else:
        e = wh.table("enrichments", workspace_id)
        found = e.filter(("," + e.themes + ",").contains(f",{key},")).select("customer_id")
    ids = found.filter(found.customer_id.notnull()).distinct().to_pandas().customer_id
    return sorted(str(x) for x in ids)


def _subject(s: Session, workspace_id: str, body: AnnouncementCreate) -> str:
    if body.kind == "aspect":
        if body.key not in ASPECTS:
            raise NotFound(f"no aspect {body.key!r}; one of: {', '.join(ASPECTS)}")
        return body.title or f"You told us about {body.key}: here is what we did"
    row = s.scalar(select(TextTheme).where(TextTheme.workspace_id == workspace_id, TextTheme.theme_id == body.key))
    if row is None:
        raise NotFound(f"no theme {body.key!r} in this workspace")
    return body.title or f"You told us about {row.display_name}: here is what we did"


def announce(
    app: AppStore, wh: Warehouse, workspace_id: str, body: AnnouncementCreate, *, now: datetime | None = None
) -> AnnouncementPublic:
    """Record the announcement and tell the customers who raised it (see `notify`)."""
    with app.session() as s:
        row = Announcement(
            workspace_id=workspace_id,
            kind=body.kind,
            key=body.key,
            note=body.note,
            title=_subject(s, workspace_id, body),
            created_at=now or utcnow(),
        )
        s.add(row)
        s.flush()
        announcement_id = row.id
    return notify(app, wh, workspace_id, announcement_id, now=now)


def notify(
    app: AppStore, wh: Warehouse, workspace_id: str, announcement_id: int, *, now: datetime | None = None
) -> AnnouncementPublic:
    """Consider every customer who raised it and was not considered yet: no e-mail trait, skipped by the contact
    policy, or queued in the outbox. Running it again tells nobody twice."""
    now = now or utcnow()
    with app.session() as s:
        ann = _announcement(s, workspace_id, announcement_id)
        done = set(
            s.scalars(select(AnnouncementRecipient.customer_id).where(AnnouncementRecipient.announcement_id == ann.id))
        )
    customers = [c for c in raisers(app, wh, workspace_id, ann.kind, ann.key) if c not in done]
    traits = customer_traits(wh, workspace_id, customers, {"email", "timezone"}) if customers else {}
    with app.session() as s:
        policy = load_policy(s, workspace_id)
        reach = policy.message_cap.window + timedelta(days=2)  # planned contacts ahead count too
        book = _contacts(s, workspace_id, customers, now - reach, now + reach)
        blocked = suppressed_among(
            s, workspace_id, [*customers, *(traits.get(c, {}).get("email", "") for c in customers)]
        )
        for customer in customers:
            email = traits.get(customer, {}).get("email")
            rec = AnnouncementRecipient(announcement_id=ann.id, customer_id=customer, email=email, status="no_email")
            if email:
                ask = Ask(customer, "message", "email", now, email, traits[customer].get("timezone"))
                verdict = decide(
                    ask, policy, book.get(customer, ()), suppressed=customer in blocked or email in blocked
                )
                rec.status = "queued" if verdict.outcome == "queued" else "skipped"
                if verdict.outcome == "queued":
                    key = f"yousaid:{ann.id}:{customer}"
                    msg = enqueue(
                        s,
                        workspace_id,
                        channel="email",
                        target=email,
                        dedupe_key=key,
                        payload={"subject": ann.title, "text": ann.note},
                        not_before=verdict.at,
                    )
                    rec.message_id = msg.id
                    # logged as a contact so the caps of later sends (surveys, other announcements) count it
                    s.add(
                        Decision(
                            workspace_id=workspace_id,
                            customer_id=customer,
                            survey_key="",
                            channel="email",
                            kind="message",
                            outcome="queued",
                            reason=f"you said, we did #{ann.id}",
                            at=verdict.at,
                            message_id=msg.id,
                            idempotency_key=key,
                            decided_at=now,
                        )
                    )
            s.add(rec)
        s.flush()
        return _public(s, _announcement(s, workspace_id, announcement_id))


def _contacts(
    s: Session, workspace_id: str, customers: Sequence[str], lo: datetime, hi: datetime
) -> dict[str, list[Contact]]:
    """Queued contacts of these customers between lo and hi, from the outreach decision log."""
    found: dict[str, list[Contact]] = {}
    d = Decision
    for i in range(0, len(customers), 500):
        q = select(d.customer_id, d.at, d.kind).where(
            d.workspace_id == workspace_id,
            d.customer_id.in_(customers[i : i + 500]),
            d.outcome == "queued",
            d.at >= lo,
            d.at <= hi,
        )
        for customer, at, kind in s.execute(q):
            found.setdefault(customer, []).append(Contact(at, kind))
    return found


def _announcement(s: Session, workspace_id: str, announcement_id: int) -> Announcement:
    row = s.scalar(
        select(Announcement).where(Announcement.workspace_id == workspace_id, Announcement.id == announcement_id)
    )
    if row is None:
        raise NotFound(f"no announcement {announcement_id} in this workspace")
    return row


def _public(s: Session, row: Announcement) -> AnnouncementPublic:
    r = AnnouncementRecipient
    counts = dict(s.execute(select(r.status, func.count()).where(r.announcement_id == row.id).group_by(r.status)).all())
    return AnnouncementPublic(
        id=row.id,
        kind=row.kind,
        key=row.key,
        title=row.title,
        note=row.note,
        created_at=row.created_at,
        recipients={str(k): int(v) for k, v in counts.items()},
    )


def announcements(app: AppStore, workspace_id: str) -> list[AnnouncementPublic]:
    """Every announcement of the workspace, newest first."""
    with app.session() as s:
        rows = s.scalars(
            select(Announcement).where(Announcement.workspace_id == workspace_id).order_by(Announcement.id.desc())
        )
        return [_public(s, row) for row in rows]


def impact(app: AppStore, wh: Warehouse, workspace_id: str, announcement_id: int) -> Impact:
    """NPS and CSAT of the customers told, paired: each one's last score before the announcement and first after."""
    with app.session() as s:
        ann = _announcement(s, workspace_id, announcement_id)
        at = ann.created_at
        told = sorted(
            s.scalars(
                select(AnnouncementRecipient.customer_id).where(
                    AnnouncementRecipient.announcement_id == ann.id, AnnouncementRecipient.status == "queued"
                )
            )
        )
    scores = []
    if told:
        r, a = wh.table("responses", workspace_id), wh.table("answers", workspace_id)
        j = a.filter(a.kind.isin(list(SCORES)) & a.number.notnull()).join(r, "response_id")
        j = j.semi_join(ibis.memtable({"customer_id": told}), "customer_id")
        df = j.select("customer_id", "kind", "number", "submitted_at").to_pandas()
    else:
        df = pd.DataFrame(columns=["customer_id", "kind", "number", "submitted_at"])
    for metric in SCORES:
        m = df[df.kind == metric].sort_values("submitted_at")
        before = m[m.submitted_at < at].groupby("customer_id").number.last()
        after = m[m.submitted_at >= at].groupby("customer_id").number.first()
        pairs = pd.concat([before.rename("b"), after.rename("a")], axis=1).dropna()
        n = len(pairs)
        row = PairedScore(
            metric=metric,
            n=n,
            mean_before=float(pairs.b.mean()) if n else None,
            mean_after=float(pairs.a.mean()) if n else None,
            mean_change=float((pairs.a - pairs.b).mean()) if n else None,
        )
        if metric == "nps" and n:
            row.nps_before, row.nps_after = _nps(pairs.b), _nps(pairs.a)
        scores.append(row)
    return Impact(announcement_id=announcement_id, told=len(told), scores=scores)


def _nps(x: pd.Series) -> float:
    return float(100 * ((x >= 9).mean() - (x <= 6).mean()))
