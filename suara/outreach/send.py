"""The one path every contact takes, triggered or transactional: load what the policy needs about the customers,
decide each request in order, log every decision, and enqueue the queued ones into the outbox in the same
transaction (so a decision and its message exist together or not at all)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import ibis
from itsdangerous import URLSafeSerializer
from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suara.notify.outbox import DEFAULT_MAX_ATTEMPTS, new_delivery_id
from suara.notify.tables import MessageStatus, OutboxMessage
from suara.outreach.policy import TARGET_TRAIT, Ask, Contact, ContactPolicy, decide
from suara.outreach.suppression import mint_unsubscribe, suppressed_among
from suara.outreach.tables import DECISIONS, Decision, OutreachPolicy
from suara.store.app import WorkspaceRepo, utcnow
from suara.store.warehouse import Warehouse
from suara.surveys.links import SurveyLink, mint_link

if TYPE_CHECKING:
    from suara.runtime import Runtime


# Reads the fields of a link minted a moment ago; its signature is checked where the link comes back (`read_link`).
_PAYLOAD = URLSafeSerializer("unused")


def _response_id(token: str) -> str:
    """The response id of a link this process just minted, without verifying the signature it just made."""
    data = _PAYLOAD.load_payload(token.rsplit(".", 1)[0].encode())
    expires = datetime.fromtimestamp(int(data["e"]), UTC)
    link = SurveyLink(str(data["w"]), str(data["s"]), int(data["v"]), str(data["c"]), expires, str(data["n"]))
    return link.response_id


@dataclass(frozen=True)
class Request:
    """One contact someone wants: a rule's due job or a send call. `at` is naive UTC."""

    customer_id: str
    survey_key: str
    channel: str
    at: datetime
    target: str | None
    kind: str = "survey"
    locale: str | None = None
    timezone: str | None = None
    share: float = 1.0
    sample_key: str = ""
    stratum: str = ""
    quota_limit: int | None = None
    rule_id: int | None = None
    job_id: int | None = None
    idempotency_key: str | None = None
    dedupe_key: str = ""


def load_policy(session: Session, workspace_id: str) -> ContactPolicy:
    row = session.get(OutreachPolicy, workspace_id)
    return ContactPolicy.model_validate(row.definition) if row else ContactPolicy()


def save_policy(session: Session, workspace_id: str, policy: ContactPolicy) -> ContactPolicy:
    row = session.get(OutreachPolicy, workspace_id)
    if row is None:
        row = OutreachPolicy(workspace_id=workspace_id)
        session.add(row)
    row.definition = policy.model_dump(mode="json")
    return policy


def _month(at: datetime) -> tuple[datetime, datetime]:
    start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, (start + timedelta(days=32)).replace(day=1)


def _contacts(
    session: Session, workspace_id: str, customers: list[str], lo: datetime, hi: datetime
) -> dict[str, list[Contact]]:
    """Queued contacts of these customers between lo and hi, from the decision log."""
    found: dict[str, list[Contact]] = defaultdict(list)
    d = Decision
    for i in range(0, len(customers), 500):
        q = select(d.customer_id, d.at, d.kind).where(
            d.workspace_id == workspace_id,
            d.customer_id.in_(customers[i : i + 500]),
            d.outcome == "queued",
            d.at >= lo,
            d.at <= hi,
        )
        for customer, at, kind in session.execute(q):
            found[customer].append(Contact(at, kind))
    return found


def _quota_used(session: Session, rule_id: int, stratum: str, at: datetime) -> int:
    start, end = _month(at)
    d = Decision
    q = select(func.count()).where(
        d.rule_id == rule_id, d.stratum == stratum, d.outcome == "queued", d.at >= start, d.at < end
    )
    return int(session.scalar(q) or 0)


@dataclass(frozen=True)
class _Survey:
    version: int
    locale: str


def _surveys(session: Session, workspace_id: str, keys: set[str]) -> dict[str, _Survey]:
    repo, found = WorkspaceRepo(session, workspace_id), {}
    for key in keys:
        survey = repo.survey(key)
        versions = repo.survey_versions(survey) if survey else []
        if versions:
            latest = versions[-1]
            found[key] = _Survey(latest.version, str(latest.definition.get("default_locale") or "en"))
    return found


def process(
    session: Session,
    workspace_id: str,
    requests: Sequence[Request],
    *,
    secret: str,
    base_url: str,
    now: datetime | None = None,
    returning: bool = True,
) -> list[Decision]:
    """Decide each request in order (each sees the contacts queued before it) and store the outcome; the stored
    decisions come back unless `returning` is False (the due-job pass, which needs none of them)."""
    if not requests:
        return []
    now = now or utcnow()
    policy = load_policy(session, workspace_id)
    base = (policy.base_url or base_url).rstrip("/")
    requests = [replace(r, at=max(r.at, now)) for r in requests]  # nothing is sent in the past
    reach = max(policy.survey_cap.window, policy.message_cap.window) + timedelta(days=2)
    customers = sorted({r.customer_id for r in requests})
    book = _contacts(
        session, workspace_id, customers, min(r.at for r in requests) - reach, max(r.at for r in requests) + reach
    )
    blocked = suppressed_among(session, workspace_id, [*customers, *(r.target or "" for r in requests)])
    surveys = _surveys(session, workspace_id, {r.survey_key for r in requests})
    quota: dict[tuple[int, str, datetime], int] = {}
    rows: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for r in requests:
        survey = surveys.get(r.survey_key)
        qkey = (r.rule_id or 0, r.stratum, _month(r.at)[0])
        if r.quota_limit is not None and r.rule_id is not None and qkey not in quota:
            quota[qkey] = _quota_used(session, r.rule_id, r.stratum, r.at)
        ask = Ask(
            customer_id=r.customer_id,
            kind=r.kind,
            channel=r.channel,
            at=r.at,
            target=r.target,
            timezone=r.timezone,
            share=r.share,
            sample_key=r.sample_key,
            stratum=r.stratum,
            quota_limit=r.quota_limit,
        )
        suppressed = r.customer_id in blocked or (r.target or "") in blocked
        verdict = decide(ask, policy, book.get(r.customer_id, ()), suppressed=suppressed, quota_used=quota.get(qkey, 0))
        row: dict[str, Any] = {
            "workspace_id": workspace_id,
            "customer_id": r.customer_id,
            "survey_key": r.survey_key,
            "rule_id": r.rule_id,
            "job_id": r.job_id,
            "channel": r.channel,
            "kind": r.kind,
            "stratum": r.stratum,
            "idempotency_key": r.idempotency_key,
            "decided_at": now,
            "at": verdict.at,
            "outcome": verdict.outcome,
            "reason": verdict.reason,
            "message_id": None,
            "response_id": None,
        }
        if survey is None:
            row["outcome"], row["reason"] = "skipped", f"skipped: no survey {r.survey_key!r}"
        if row["outcome"] == "queued" and survey is not None:
            locale = r.locale or survey.locale
            token = mint_link(secret, workspace_id, r.survey_key, survey.version, r.customer_id, locale=locale)
            unsubscribe = mint_unsubscribe(secret, workspace_id, r.customer_id, r.target or "")
            payload: dict[str, Any] = {
                "survey_id": r.survey_key,
                "version": survey.version,
                "locale": locale,
                "customer_id": r.customer_id,
                "token": token,
                "unsubscribe_url": f"{base}/u/{quote(unsubscribe, safe='')}",
                "base_url": base,
            }
            key = r.dedupe_key or f"outreach:{r.idempotency_key or token[-24:]}"
            messages.append(_message(workspace_id, r.channel, r.target or "", payload, key, verdict.at, now))
            row["message_id"], row["response_id"] = key, _response_id(token)
            book.setdefault(r.customer_id, []).append(Contact(verdict.at, r.kind))
            quota[qkey] = quota.get(qkey, 0) + 1
        rows.append(row)
    ids = _enqueue_many(session, workspace_id, messages)
    for row in rows:
        if row["message_id"] is not None:
            row["message_id"] = ids[row["message_id"]]
    if not returning:
        # one Core executemany for a pass's thousands of decisions (the ORM's bulk path costs a third more)
        session.execute(insert(DECISIONS), rows)
        return []
    stmt = insert(Decision).returning(Decision, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _message(
    workspace_id: str, channel: str, target: str, payload: dict[str, Any], key: str, due: datetime, now: datetime
) -> dict[str, Any]:
    """An outbox row as `suara.notify.outbox.enqueue` writes it."""
    return {
        "workspace_id": workspace_id,
        "dedupe_key": key,
        "delivery_id": new_delivery_id(),
        "channel": channel,
        "target": target,
        "payload": payload,
        "status": MessageStatus.pending,
        "attempts": 0,
        "max_attempts": DEFAULT_MAX_ATTEMPTS,
        "due_at": due,
        "last_error": "",
        "created_at": now,
    }


def _enqueue_many(session: Session, workspace_id: str, messages: list[dict[str, Any]]) -> dict[str, int]:
    """`enqueue` for many messages in a few statements, with the same guarantee: one message per dedupe key, the
    first one kept. Returns the message id of each dedupe key."""
    if not messages:
        return {}
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    outbox = cast(Table, OutboxMessage.__table__)
    stmt = ins(outbox).on_conflict_do_nothing(index_elements=["workspace_id", "dedupe_key"])
    session.execute(stmt, messages)
    keys, ids = [m["dedupe_key"] for m in messages], {}
    for i in range(0, len(keys), 500):
        q = select(OutboxMessage.dedupe_key, OutboxMessage.id).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key.in_(keys[i : i + 500])
        )
        ids.update({str(k): int(v) for k, v in session.execute(q)})
    return ids


def customer_traits(
    warehouse: Warehouse, workspace_id: str, customers: list[str], names: set[str]
) -> dict[str, dict[str, str]]:
    """Latest traits `names` of these customers: {customer: {trait: value}}."""
    ident = warehouse.table("identities", workspace_id)
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for i in range(0, len(customers), 5000):
        chunk = customers[i : i + 5000]
        # ids as an in-memory table, not literals: a literal list of thousands of ids takes seconds to compile
        mine = ident.filter(ident.customer_id.isin(ibis.memtable({"id": chunk}).id), ident.trait.isin(sorted(names)))
        # the latest value per trait (as `Warehouse.traits`), over these customers' rows only, not every customer's
        rows = mine.group_by(["customer_id", "trait"]).aggregate(value=mine.value.argmax(mine.observed_at)).to_pandas()
        for customer, trait, value in zip(rows["customer_id"], rows["trait"], rows["value"], strict=True):
            found[customer][trait] = value
    return found


def send_one(
    runtime: Runtime,
    workspace_id: str,
    survey_key: str,
    *,
    customer_id: str,
    channel: str,
    to: str | None = None,
    locale: str | None = None,
    at: datetime | None = None,
    idempotency_key: str | None = None,
    base_url: str,
) -> Decision:
    """A transactional send through the same policy path as the triggers; the same idempotency key answers the
    first decision again instead of deciding twice."""
    app = runtime.app
    if idempotency_key:
        with app.session() as s:
            earlier = s.scalar(
                select(Decision).where(
                    Decision.workspace_id == workspace_id, Decision.idempotency_key == idempotency_key
                )
            )
            if earlier is not None:
                return earlier
    traits = customer_traits(
        runtime.warehouse, workspace_id, [customer_id], {"email", "phone", "timezone", "locale", "language"}
    )
    mine = traits.get(customer_id, {})
    request = Request(
        customer_id=customer_id,
        survey_key=survey_key,
        channel=channel,
        at=at.astimezone(UTC).replace(tzinfo=None) if at and at.tzinfo else at or utcnow(),
        target=to or mine.get(TARGET_TRAIT[channel]),
        locale=locale or mine.get("locale") or mine.get("language"),
        timezone=mine.get("timezone"),
        idempotency_key=idempotency_key,
        dedupe_key=f"outreach:send:{idempotency_key}" if idempotency_key else "",
    )
    try:
        with app.session() as s:
            (decision,) = process(
                s, workspace_id, [request], secret=runtime.settings.resolved_secret(), base_url=base_url
            )
            return decision
    except IntegrityError:  # a concurrent call with the same key won: answer its decision
        with app.session() as s:
            found = s.scalar(
                select(Decision).where(
                    Decision.workspace_id == workspace_id, Decision.idempotency_key == idempotency_key
                )
            )
            if found is None:
                raise
            return found
