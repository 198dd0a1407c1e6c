"""Property tests: over random streams of contact requests, decided in any order and in any batches, through the
pure policy and through the store, no customer is contacted beyond any cap in any window, a suppressed customer
never, and nobody during quiet hours in their own time zone."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func

from suara.outreach.policy import Ask, Cap, Contact, ContactPolicy, QuietHours, customer_zone, decide, next_allowed
from suara.outreach.scheduler import run_pass
from suara.outreach.send import Request, process, save_policy
from suara.outreach.suppression import suppress
from suara.outreach.tables import OutreachJob
from suara.outreach.triggers import TriggerCreate, save_rule
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import AppStore, WorkspaceRepo, create_workspace
from suara.surveys import TEMPLATES

START = datetime(2026, 3, 1)
ZONES = [None, "Asia/Jakarta", "Europe/Moscow", "America/New_York", "Asia/Kuala_Lumpur", "Not/AZone"]
CUSTOMERS = ["ana", "ben", "cai", "dia"]

policies = st.builds(
    ContactPolicy,
    survey_cap=st.builds(Cap, count=st.integers(1, 3), days=st.sampled_from([1, 7, 30])),
    message_cap=st.builds(Cap, count=st.integers(1, 4), days=st.sampled_from([1, 3, 7])),
    quiet_hours=st.one_of(
        st.none(),
        st.builds(
            QuietHours,
            start=st.sampled_from(["21:00", "22:30", "01:00"]),
            end=st.sampled_from(["08:00", "06:15"]),
        ),
    ),
    timezone=st.sampled_from(["UTC", "Asia/Jakarta", "Europe/Moscow"]),
)
asks = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.sampled_from(["survey", "message"]),
        st.integers(0, 60 * 24 * 60),  # minutes after START
        st.sampled_from(ZONES),
    ),
    max_size=60,
)


def _violations(queued: dict[str, list[tuple[datetime, str]]], policy: ContactPolicy) -> list[str]:
    found = []
    for customer, contacts in queued.items():
        for cap, kinds in ((policy.survey_cap, {"survey"}), (policy.message_cap, {"survey", "message"})):
            times = sorted(t for t, k in contacts if k in kinds)
            for i, t in enumerate(times):
                inside = [u for u in times[i:] if u - t < cap.window]
                if len(inside) > cap.count:
                    found.append(f"{customer}: {len(inside)} contacts from {t} within {cap.days} days")
    return found


def _quiet(at: datetime, zone: str | None, policy: ContactPolicy) -> bool:
    return next_allowed(at, customer_zone(zone, policy.timezone), policy.quiet_hours) != at


@settings(max_examples=300, deadline=None)
@given(policy=policies, stream=asks, suppressed=st.sets(st.sampled_from(CUSTOMERS), max_size=2))
def test_pure_policy_never_breaks_caps_quiet_hours_or_suppression(
    policy: ContactPolicy, stream: list[tuple[str, str, int, str | None]], suppressed: set[str]
) -> None:
    book: dict[str, list[Contact]] = defaultdict(list)
    queued: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for customer, kind, minutes, zone in stream:  # in stream order, not time order
        ask = Ask(customer, kind, "survey_email", START + timedelta(minutes=minutes), f"{customer}@x.io", zone)
        v = decide(ask, policy, book[customer], suppressed=customer in suppressed)
        if v.outcome == "queued":
            assert customer not in suppressed
            assert not _quiet(v.at, zone, policy), f"{v.at} is in quiet hours for {zone}"
            assert v.at >= ask.at and v.at - ask.at <= timedelta(hours=24)
            book[customer].append(Contact(v.at, kind))
            queued[customer].append((v.at, kind))
        else:
            assert v.reason.startswith("skipped: ")
    assert _violations(queued, policy) == []


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppStore]:
    app = AppStore(f"sqlite:///{Path(tmp_path_factory.mktemp('props')) / 'app.db'}")
    app.migrate()
    yield app
    app.dispose()


_n = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    policy=policies,
    stream=asks,
    suppressed=st.sets(st.sampled_from(CUSTOMERS), max_size=2),
    cuts=st.lists(st.integers(1, 20), max_size=5),
)
def test_store_path_never_breaks_caps_quiet_hours_or_suppression(
    store: AppStore,
    policy: ContactPolicy,
    stream: list[tuple[str, str, int, str | None]],
    suppressed: set[str],
    cuts: Sequence[int],
) -> None:
    with store.session() as s:
        ws = create_workspace(s, f"p{next(_n)}", "props").id
        t = TEMPLATES["post-purchase-csat"]
        WorkspaceRepo(s, ws).save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
        save_policy(s, ws, policy)
        for c in suppressed:
            suppress(s, ws, c)
    requests = [
        Request(c, "post-purchase-csat", "survey_email", START + timedelta(minutes=m), f"{c}@x.io", kind=k, timezone=z)
        for c, k, m, z in stream
    ]
    # decided in batches of random sizes, each in its own transaction, as the due-job passes do
    zones = {}
    i, sizes = 0, itertools.cycle(cuts or [len(requests) or 1])
    while i < len(requests):
        batch = requests[i : i + next(sizes)]
        i += len(batch)
        with store.session() as s:
            for r, d in zip(batch, process(s, ws, batch, secret="k", base_url="http://x", now=START), strict=True):
                zones[d.id] = r.timezone
    from sqlalchemy import select

    from suara.outreach.tables import Decision

    queued: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    with store.session() as s:
        for d in s.scalars(select(Decision).where(Decision.workspace_id == ws, Decision.outcome == "queued")):
            assert d.customer_id not in suppressed and d.message_id is not None
            assert not _quiet(d.at, zones[d.id], policy)
            queued[d.customer_id].append((d.at, d.kind))
    assert _violations(queued, policy) == []


def test_deferral_lands_on_the_end_of_quiet_hours_across_midnight() -> None:
    quiet = QuietHours(start="21:00", end="08:00")
    jakarta = customer_zone("Asia/Jakarta", "UTC")
    assert next_allowed(datetime(2026, 3, 2, 15, 0), jakarta, quiet) == datetime(2026, 3, 3, 1, 0)  # 22:00 local
    assert next_allowed(datetime(2026, 3, 2, 20, 0), jakarta, quiet) == datetime(2026, 3, 3, 1, 0)  # 03:00 local
    assert next_allowed(datetime(2026, 3, 2, 2, 0), jakarta, quiet) == datetime(2026, 3, 2, 2, 0)  # 09:00 local
    local = datetime(2026, 3, 3, 1, 0, tzinfo=UTC).astimezone(jakarta)
    assert local.hour == 8


@pytest.fixture(scope="module")
def shared_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime.open(Settings(data_dir=Path(tmp_path_factory.mktemp("stream")) / "data"))
    yield rt
    rt.close()


events = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.sampled_from(["order_delivered", "add_to_cart", "checkout", "app_uninstalled"]),
        st.integers(0, 3 * 24 * 60),
    ),
    min_size=1,
    max_size=40,
)
rules = st.lists(
    st.fixed_dictionaries(
        {
            "on": st.fixed_dictionaries(
                {"event": st.sampled_from(["order_delivered", "add_to_cart", "app_uninstalled"])}
            ),
            "delay": st.sampled_from([0, "10m", "2h", "1d"]),
            "kind": st.sampled_from(["survey", "message"]),
            "sample": st.sampled_from([1.0, 0.5]),
        }
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    policy=policies,
    stream=events,
    rule_set=rules,
    passes=st.lists(st.integers(0, 5 * 24 * 60), max_size=6),
    suppressed=st.sets(st.sampled_from(CUSTOMERS), max_size=1),
)
def test_event_streams_through_the_rules_never_break_a_rule(
    shared_runtime: Runtime,
    policy: ContactPolicy,
    stream: list[tuple[str, str, int]],
    rule_set: list[dict[str, object]],
    passes: list[int],
    suppressed: set[str],
) -> None:
    rt = shared_runtime
    zones = dict(zip(CUSTOMERS, ["Asia/Jakarta", "Europe/Moscow", None, "America/New_York"], strict=True))
    with rt.app.session() as s:
        ws = create_workspace(s, f"s{next(_n)}", "stream").id
        t = TEMPLATES["post-purchase-csat"]
        WorkspaceRepo(s, ws).save_survey(t.key, t.name, t.definition.model_dump(mode="json", exclude_none=True))
        save_policy(s, ws, policy)
        for c in suppressed:
            suppress(s, ws, f"{c}@x.io")
    for i, rule in enumerate(rule_set):
        save_rule(rt.app, ws, TriggerCreate(name=f"r{i}", definition={**rule, "survey": "post-purchase-csat"}))  # type: ignore[arg-type]
    docs: list[dict[str, object]] = [
        {
            "type": "identify",
            "userId": c,
            "timestamp": "2026-01-01T00:00:00Z",
            "traits": {"email": f"{c}@x.io", "timezone": z},
        }
        for c, z in zones.items()
    ]
    docs += [
        {"type": "track", "event": e, "userId": c, "timestamp": (START + timedelta(minutes=m)).isoformat() + "Z"}
        for c, e, m in stream
    ]
    rt.ingestor.ingest("events", ws, docs)
    for minutes in [0, *sorted(passes), 6 * 24 * 60]:  # the job stopped and resumed at random instants
        run_pass(rt, now=START + timedelta(minutes=minutes))
    from sqlalchemy import select

    from suara.outreach.tables import Decision

    queued: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    with rt.app.session() as s:
        for d in s.scalars(select(Decision).where(Decision.workspace_id == ws, Decision.outcome == "queued")):
            assert d.customer_id not in suppressed
            assert not _quiet(d.at, zones[d.customer_id], policy)
            queued[d.customer_id].append((d.at, d.kind))
        jobs = s.scalar(select(func.count()).select_from(OutreachJob).where(OutreachJob.workspace_id == ws))
        decided = s.scalar(select(func.count()).select_from(Decision).where(Decision.workspace_id == ws))
    assert jobs == decided  # every job decided exactly once
    assert _violations(queued, policy) == []
