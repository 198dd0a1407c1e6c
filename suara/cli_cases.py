"""`suara cases ...`: list and show cases, assign and close them, list the rules that open them.

suara/cli.py mounts it as `app.add_typer(cases_app, name="cases")`. The runtime and workspace come from suara.cli,
imported inside each command so that this module and suara.cli can import each other.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from suara.cli_input import workspace_session
from suara.errors import NotFound

cases_app = typer.Typer(
    help="Close-the-loop cases: list, show, assign, close; the rules that open them.", no_args_is_help=True
)

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    json = "json"
    table = "table"


class Status(StrEnum):
    new = "new"
    contacted = "contacted"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"


Fmt = Annotated[Format, typer.Option("--format", help="json or table.")]


_session = workspace_session


def _actor() -> Any:
    from suara.act.cases import Actor

    return Actor(None, "command line")


def _emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


@cases_app.command("list")
def list_(
    status: Annotated[list[Status] | None, typer.Option("--status", help="Repeat for several.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="The owner's email.")] = None,
    breached: Annotated[bool, typer.Option("--breached", help="Only cases that missed a deadline.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000)] = 50,
    fmt: Fmt = Format.table,
) -> None:
    """Cases of the workspace, open ones first, newest first."""
    from suara.act.cases import CaseFilter, list_cases

    with _session() as (rt, ws):
        owner_id = _user_id(rt, ws, owner) if owner else None
        filters = CaseFilter(
            status=[s.value for s in status or []], owner_id=owner_id, breached=True if breached else None
        )
        page = list_cases(rt.app, ws, filters, limit=limit)
    if fmt is Format.json:
        _emit(page.model_dump(mode="json"))
        return
    t = Table("id", "customer", "topic", "status", "priority", "owner", "SLA", title=f"{page.total} cases")
    for c in page.items:
        t.add_row(str(c.id), c.customer_id, c.topic, c.status, c.priority, c.owner_name or "-", _sla(c.sla, c.breached))
    out.print(t)


def _sla(clock: Any, breached: bool) -> str:
    if clock is None:
        return "breached" if breached else "-"
    hours = clock.seconds_left / 3600
    what = "contact" if clock.target == "first_contact" else "resolve"
    return f"{what} in {hours:.1f} h" if hours >= 0 else f"{what} overdue {-hours:.1f} h"


def _user_id(rt: Any, ws: str, email: str) -> int:
    from suara.store.app import WorkspaceRepo

    with rt.app.session() as s:
        user = WorkspaceRepo(s, ws).user_by_email(email)
        if user is None:
            raise NotFound(f"no user {email!r} in this workspace")
        return int(user.id)


@cases_app.command("show")
def show(case_id: Annotated[int, typer.Argument(help="The case's id.")], fmt: Fmt = Format.table) -> None:
    """One case with its history."""
    from suara.act.cases import get_case

    with _session() as (rt, ws):
        case = get_case(rt.app, ws, case_id)
    if fmt is Format.json:
        _emit(case.model_dump(mode="json"))
        return
    out.print(
        f"[bold]Case {case.id}[/bold] {case.customer_id} · {case.topic} · {case.status} · {case.priority}"
        f" · owner {case.owner_name or '-'} · SLA {_sla(case.sla, case.breached)}"
    )
    t = Table("when", "who", "what", title="history")
    for e in case.events:
        what = f"{e.field}: {e.old or '-'} -> {e.new or '-'}" if e.kind == "change" else f"{e.kind}: {e.body}"
        t.add_row(e.created_at.strftime("%Y-%m-%d %H:%M"), e.actor, what)
    out.print(t)


@cases_app.command("assign")
def assign(
    case_ids: Annotated[list[int], typer.Argument(help="One or more case ids.")],
    owner: Annotated[str, typer.Option("--owner", help="The new owner's email.")],
    fmt: Fmt = Format.table,
) -> None:
    """Give cases to one owner (all of them, or none if an id is unknown)."""
    from suara.act.cases import BulkAssign, bulk_assign

    with _session() as (rt, ws):
        done = bulk_assign(rt.app, ws, BulkAssign(case_ids=case_ids, owner_id=_user_id(rt, ws, owner)), _actor())
    if fmt is Format.json:
        _emit([c.model_dump(mode="json") for c in done])
    else:
        err.print(f"assigned {len(done)} case(s) to {owner}")


@cases_app.command("close")
def close(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    root_cause: Annotated[str | None, typer.Option("--root-cause", help="What caused the problem.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="How it was resolved.")] = None,
    fmt: Fmt = Format.table,
) -> None:
    """Close a case (with its root cause and resolution note)."""
    from suara.act.cases import CaseUpdate, update_case

    with _session() as (rt, ws):
        case = update_case(
            rt.app, ws, case_id, CaseUpdate(status="closed", root_cause=root_cause, resolution_note=note), _actor()
        )
    if fmt is Format.json:
        _emit(case.model_dump(mode="json"))
    else:
        err.print(f"case {case.id} is {case.status}")


@cases_app.command("rules")
def rules(
    run: Annotated[bool, typer.Option("--run", help="Run the rules over new facts first.")] = False,
    fmt: Fmt = Format.table,
) -> None:
    """The rules that open cases (and, with --run, one pass of them over the facts not yet read)."""
    from suara.act.case_rules import list_rules, run_case_rules

    with _session() as (rt, ws):
        if run:
            err.print(f"read {run_case_rules(rt.app, rt.warehouse)} new rows")
        rows = list_rules(rt.app, ws)
    if fmt is Format.json:
        _emit([r.model_dump(mode="json") for r in rows])
        return
    t = Table("name", "kind", "enabled", "priority", "params", title="case rules")
    for r in rows:
        t.add_row(r.name, r.kind, "yes" if r.enabled else "no", r.priority, json.dumps(r.params.model_dump()))
    out.print(t)


@cases_app.command("team")
def team(
    name: Annotated[str, typer.Argument(help="The team's name, unique in the workspace.")],
    member: Annotated[
        list[str] | None, typer.Option("--member", help="A member's email; repeat, in turn order.")
    ] = None,
    touchpoint: Annotated[
        list[str] | None, typer.Option("--touchpoint", help="Cases of this touchpoint go to the team; repeat.")
    ] = None,
    manager: Annotated[str | None, typer.Option("--manager", help="Email told about missed deadlines.")] = None,
) -> None:
    """Create or replace a team: its members are dealt cases in turn; no touchpoint makes it the catch-all."""
    from suara.act.cases import save_team

    with _session() as (rt, ws):
        ids = [_user_id(rt, ws, email) for email in member or []]
        save_team(rt.app, ws, name, members=ids, touchpoints=touchpoint or [], manager_email=manager)
    err.print(f"team {name}: {len(ids)} member(s), touchpoints {', '.join(touchpoint or []) or 'all others'}")


@cases_app.command("sla")
def sla_target(
    priority: Annotated[str, typer.Argument(help="low, normal, high or urgent.")],
    first_contact_hours: Annotated[float, typer.Option("--first-contact-hours", min=0.01, help="Hours to contact.")],
    resolution_hours: Annotated[float, typer.Option("--resolution-hours", min=0.01, help="Hours to resolve.")],
) -> None:
    """Set the SLA targets of one priority (new cases, and open ones whose priority changes, use them)."""
    from suara.act.cases import PRIORITIES
    from suara.act.sla import SlaTargetPublic, set_target
    from suara.errors import ValidationFailed

    if priority not in PRIORITIES:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    with _session() as (rt, ws):
        set_target(
            rt.app,
            ws,
            SlaTargetPublic(
                priority=priority, first_contact_hours=first_contact_hours, resolution_hours=resolution_hours
            ),
        )
    err.print(f"{priority}: first contact within {first_contact_hours:g} h, resolution within {resolution_hours:g} h")
