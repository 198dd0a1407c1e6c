"""`suara outreach ...`: trigger rules, one pass of the trigger job, the decision log, suppressions, funnels.

suara/cli.py mounts it as `app.add_typer(outreach_app, name="outreach")`. The runtime and workspace come from
suara.cli, imported inside each command so that this module and suara.cli can import each other.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from suara.cli_input import json_object, workspace_session
from suara.errors import ValidationFailed, pydantic_errors

outreach_app = typer.Typer(
    help="Trigger rules, contact decisions, suppressions, delivery funnels.", no_args_is_help=True
)

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    json = "json"
    table = "table"


class Outcome(StrEnum):
    queued = "queued"
    skipped = "skipped"
    cancelled = "cancelled"


Fmt = Annotated[Format, typer.Option("--format", help="json or table.")]


_session = workspace_session


def _emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def _definition(raw: str) -> dict[str, Any]:
    """A rule definition from JSON text, or from a file when it starts with @."""
    return json_object(raw, '{"on": {"event": "x"}, "survey": "s"}')


@outreach_app.command("add-trigger")
def add_trigger(
    name: Annotated[str, typer.Argument(help="A name for the rule, unique in the workspace.")],
    definition: Annotated[
        str | None,
        typer.Option("--definition", help='The rule as JSON or @FILE: {"on": {"event": "order_delivered"}, ...}.'),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template", help="Start from a template: post-purchase-csat, support-ces, exit-survey, cart-abandonment."
        ),
    ] = None,
    fmt: Fmt = Format.table,
) -> None:
    """Add a trigger rule, from JSON or a template."""
    from suara.outreach.triggers import TEMPLATES, TriggerCreate, save_rule

    if (definition is None) == (template is None):
        raise ValidationFailed("give either --definition or --template")
    if template is not None and template not in TEMPLATES:
        raise ValidationFailed(f"no template {template!r}; templates: {', '.join(TEMPLATES)}")
    raw = TEMPLATES[template] if template is not None else _definition(definition or "")
    try:
        body = TriggerCreate(name=name, definition=raw)  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        raise ValidationFailed(f"{errors[0]['pointer']}: {errors[0]['message']}", errors=errors) from None
    with _session() as (rt, ws):
        rule = save_rule(rt.app, ws, body)
    if fmt is Format.json:
        _emit(rule.model_dump(mode="json"))
    else:
        err.print(f"added trigger rule {rule.id}: {rule.name}")


@outreach_app.command("triggers")
def triggers(fmt: Fmt = Format.table) -> None:
    """The workspace's trigger rules."""
    from suara.outreach.triggers import list_rules

    with _session() as (rt, ws):
        rows = [r.model_dump(mode="json") for r in list_rules(rt.app, ws)]
    if fmt is Format.json:
        _emit(rows)
        return
    t = Table("id", "name", "enabled", "definition", title="trigger rules")
    for r in rows:
        t.add_row(str(r["id"]), r["name"], "yes" if r["enabled"] else "no", json.dumps(r["definition"]))
    out.print(t)


@outreach_app.command("run")
def run() -> None:
    """One pass of the trigger job: new events into due jobs, due jobs into decisions and the outbox."""
    from suara.outreach.scheduler import run_pass

    with _session() as (rt, _ws):
        handled = run_pass(rt)
    err.print(f"handled {handled} events and jobs")


@outreach_app.command("decisions")
def decisions_(
    customer: Annotated[str | None, typer.Option("--customer", help="Only this customer.")] = None,
    survey: Annotated[str | None, typer.Option("--survey", help="Only this survey key.")] = None,
    outcome: Annotated[Outcome | None, typer.Option("--outcome", help="queued, skipped or cancelled.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Most rows to show.")] = 100,
    fmt: Fmt = Format.table,
) -> None:
    """The decision log, latest first: who was (or was not) contacted, and why."""
    from suara.outreach.decisions import decisions

    with _session() as (rt, ws), rt.app.session() as s:
        rows = decisions(
            s, ws, customer_id=customer, survey=survey, outcome=outcome.value if outcome else None, limit=limit
        )
        payload = [r.model_dump(mode="json") for r in rows]
    if fmt is Format.json:
        _emit(payload)
        return
    t = Table("id", "at", "customer", "survey", "channel", "outcome", title="decisions")
    t.add_column("reason", overflow="fold")  # the reason is the point of the log: never cut it short
    for r in payload:
        t.add_row(str(r["id"]), r["at"], r["customer_id"], r["survey"], r["channel"], r["outcome"], r["reason"])
    out.print(t)


@outreach_app.command("suppress")
def suppress_(
    value: Annotated[str, typer.Argument(help="A customer id, e-mail address or phone number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record.")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Take the value off the list instead.")] = False,
) -> None:
    """Add a value to the suppression list (or remove it with --remove)."""
    from suara.errors import NotFound
    from suara.outreach.suppression import suppress, unsuppress

    with _session() as (rt, ws), rt.app.session() as s:
        if remove:
            if not unsuppress(s, ws, value):
                raise NotFound(f"{value!r} is not on the suppression list")
        else:
            suppress(s, ws, value, reason)
    err.print(f"{'removed' if remove else 'suppressed'} {value}")


@outreach_app.command("suppressions")
def suppressions_(fmt: Fmt = Format.table) -> None:
    """The suppression list, latest first."""
    from suara.outreach.suppression import suppressions

    with _session() as (rt, ws), rt.app.session() as s:
        rows = [{"value": r.value, "reason": r.reason, "created_at": str(r.created_at)} for r in suppressions(s, ws)]
    if fmt is Format.json:
        _emit(rows)
        return
    t = Table("value", "reason", "since", title="suppressed")
    for r in rows:
        t.add_row(r["value"], r["reason"], r["created_at"])
    out.print(t)


@outreach_app.command("funnel")
def funnel(
    survey: Annotated[str, typer.Argument(help="The survey's key.")],
    fmt: Fmt = Format.table,
) -> None:
    """The delivery funnel of a survey's invitations: queued, sent, delivered, opened, started, completed."""
    from suara.outreach.funnel import survey_funnel

    with _session() as (rt, ws):
        result = survey_funnel(rt.app, rt.warehouse, ws, survey)
    if fmt is Format.json:
        _emit(result.model_dump(mode="json"))
        return
    t = Table("step", "count", "share", title=f"funnel of {survey} ({result.partial} partial)")
    for step in result.steps:
        t.add_row(step.step, f"{step.count:,}", "-" if step.share is None else f"{step.share:.1%}")
    out.print(t)
