"""`suara outbox ...` (list, run, replay) and `suara digest send`.

suara/cli.py mounts `notify_app` without a name, so its two groups sit beside the others. The settings and the
workspace come from suara.cli, imported inside each command so that this module and suara.cli can import each other.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from suara.errors import SuaraError

notify_app = typer.Typer(no_args_is_help=True)
outbox_app = typer.Typer(help="The notification outbox: list, deliver, replay dead letters.", no_args_is_help=True)
digest_app = typer.Typer(help="Weekly digests by email.", no_args_is_help=True)
notify_app.add_typer(outbox_app, name="outbox")
notify_app.add_typer(digest_app, name="digest")

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Status(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    dead = "dead"


class Format(StrEnum):
    json = "json"
    table = "table"


class DepartmentName(StrEnum):
    marketing = "marketing"
    sales = "sales"
    support = "support"


@contextmanager
def _app_store() -> Iterator[Any]:
    """Only the app store: a worker must not hold the warehouse file, which `suara serve` needs."""
    from suara.cli import state
    from suara.store.app import AppStore

    state.settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = AppStore(state.settings.resolved_app_url())
    store.migrate()
    try:
        yield store
    finally:
        store.dispose()


def _workspace(store: Any) -> str:
    from suara.cli import _workspace_id

    return _workspace_id(SimpleNamespace(app=store))


def _row(m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "delivery_id": m.delivery_id,
        "channel": m.channel,
        "target": m.target,
        "status": m.status,
        "attempts": m.attempts,
        "max_attempts": m.max_attempts,
        "due_at": m.due_at.isoformat() + "Z",
        "last_error": m.last_error,
        "created_at": m.created_at.isoformat() + "Z",
        "sent_at": m.sent_at.isoformat() + "Z" if m.sent_at else None,
    }


@outbox_app.command("list")
def outbox_list(
    status: Annotated[Status | None, typer.Option("--status", help="Only messages in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Newest messages to show.")] = 50,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """The workspace's messages, newest first: state, attempts, next attempt and last error."""
    from suara.notify.outbox import messages

    with _app_store() as store:
        ws = _workspace(store)
        with store.session() as s:
            rows = [_row(m) for m in messages(s, ws, status=status.value if status else None, limit=limit)]
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table("id", "channel", "target", "status", "attempts", "next attempt", "last error")
    for r in rows:
        nxt = r["due_at"] if r["status"] in ("pending", "sending") else ""
        table.add_row(
            str(r["id"]), r["channel"], r["target"], r["status"], f"{r['attempts']}/{r['max_attempts']}", nxt,
            r["last_error"][:80],
        )  # fmt: skip
    out.print(table)


@outbox_app.command("run")
def outbox_run(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit (for cron).")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=100, help="Messages claimed at a time.")] = 1,
    lease: Annotated[
        float, typer.Option("--lease", min=1, help="Seconds a claimed message stays reserved per message in a batch.")
    ] = 120.0,
    poll: Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between looks when nothing is due.")] = 1.0,
    retry_base: Annotated[
        float, typer.Option("--retry-base", min=0.01, help="Seconds before the first retry; doubles on each retry.")
    ] = 30.0,
) -> None:
    """Deliver due messages until stopped (Ctrl-C or SIGTERM finish the current send first)."""
    from suara.cli import state
    from suara.notify.outbox import RetryPolicy
    from suara.notify.worker import Worker, channels_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    stop = threading.Event()
    with _app_store() as store, _stop_on_signals(stop):
        worker = Worker(
            store,
            channels_for(state.settings, store),
            batch_size=batch_size,
            lease=timedelta(seconds=lease),
            policy=RetryPolicy(base_s=retry_base),
        )
        if "email" not in worker.channels:
            err.print("SUARA_SMTP_HOST is not set: email stays in the outbox until a worker with SMTP runs")
        try:
            report = worker.run(stop=stop, poll_s=poll, until_idle=once)
        finally:
            worker.close()
    err.print(
        f"sent {report.sent}, retrying {report.retried}, dead {report.dead}, lost to another worker {report.lost}"
    )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM set `stop`, so the send in progress is recorded before the worker exits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@outbox_app.command("replay")
def outbox_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letters to send again.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Replay every dead letter of the workspace.")] = False,
) -> None:
    """Put dead letters back in the queue with fresh attempts (each keeps its delivery id)."""
    from suara.notify.outbox import messages, replay

    if not ids and not all_dead:
        raise SuaraError("name the messages to replay, or pass --all-dead")
    with _app_store() as store:
        ws = _workspace(store)
        with store.session() as s:
            chosen = ids or [m.id for m in messages(s, ws, status="dead", limit=1_000_000)]
            for message_id in chosen:
                replay(s, ws, message_id)
    err.print(f"replayed {len(chosen)} messages")


@digest_app.command("send")
def digest_send(
    department: Annotated[DepartmentName, typer.Option("--department", help="marketing, sales or support.")],
    to: Annotated[list[str], typer.Option("--to", help="Recipient address; repeat for several.")],
    week: Annotated[
        datetime | None,
        typer.Option("--week", formats=["%Y-%m-%d"], help="A day of the week to report; default: last full week."),
    ] = None,
    filter: Annotated[list[str] | None, typer.Option("--filter", help="field:value; repeat for several.")] = None,
) -> None:
    """Queue the department's weekly digest (NPS, CSAT, CES against last week, with a chart) to each recipient."""
    from suara.cli import _runtime, _workspace_id
    from suara.metrics.params import parse_filters
    from suara.notify.digest import build_digest, last_full_week, send_digest

    day = week.date() if week else None
    week_start = day - timedelta(days=day.weekday()) if day else last_full_week(date.today())
    with _runtime() as rt:
        ws = _workspace_id(rt)
        digest = build_digest(rt.warehouse, ws, department.value, week_start, filters=parse_filters(filter or []))
        with rt.app.session() as s:
            queued = send_digest(s, ws, digest, to)
    # Queuing is idempotent per department, week and recipient: running this twice sends each digest once.
    err.print(f"{digest.subject}: queued for {len(queued)} recipients; `suara outbox run` delivers it")
