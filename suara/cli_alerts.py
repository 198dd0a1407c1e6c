"""`suara alerts ...`: add a rule, list rules or alerts, check now, acknowledge an alert.

suara/cli.py mounts it as `app.add_typer(alerts_app, name="alerts")`. The runtime and workspace come from suara.cli,
imported inside each command so that this module and suara.cli can import each other.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from suara.cli_input import json_object, workspace_session
from suara.errors import ValidationFailed, pydantic_errors

alerts_app = typer.Typer(help="Alert rules and the alerts they raise.", no_args_is_help=True)

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    json = "json"
    table = "table"


class Status(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


Fmt = Annotated[Format, typer.Option("--format", help="json or table.")]


_session = workspace_session


def _definition(raw: str) -> dict[str, Any]:
    """A rule definition from JSON text, or from a file when it starts with @."""
    return json_object(raw, '{"kind": "anomaly", ...}')


@alerts_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the rule, unique in the workspace.")],
    definition: Annotated[
        str,
        typer.Option(
            "--definition",
            help='The rule as JSON, or @FILE: {"kind": "threshold", "metric": "nps", "below": 20} or '
            '{"kind": "anomaly", "series": "event_count", "by": "platform"}.',
        ),
    ],
    disabled: Annotated[bool, typer.Option("--disabled", help="Store the rule without checking it yet.")] = False,
    fmt: Fmt = Format.table,
) -> None:
    """Add an alert rule: a threshold on a measure, or anomalies in a daily series."""
    from suara.act.alerts import AlertRuleCreate, add_rule

    try:
        body = AlertRuleCreate(name=name, enabled=not disabled, definition=_definition(definition))  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        first = errors[0]
        raise ValidationFailed(f"{first['pointer']}: {first['message']}", errors=errors) from None
    with _session() as (rt, ws):
        rule = add_rule(rt.app, ws, body)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rule.model_dump(mode="json"), indent=2) + "\n")
    else:
        err.print(f"added alert rule {rule.id}: {rule.name}")


@alerts_app.command("list")
def list_(
    status: Annotated[Status | None, typer.Option("--status", help="open, acknowledged or resolved.")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="List the rules instead of the alerts.")] = False,
    fmt: Fmt = Format.table,
) -> None:
    """The alerts, latest incidents first (or the rules, with --rules)."""
    from suara.act.alerts import list_alerts, list_rules

    with _session() as (rt, ws):
        if rules:
            payload = [r.model_dump(mode="json") for r in list_rules(rt.app, ws)]
        else:
            alerts = list_alerts(rt.app, ws, None if status is None else status.value)  # type: ignore[arg-type]
            payload = [a.model_dump(mode="json") for a in alerts]
    if fmt is Format.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif rules:
        _print_rules(payload)
    else:
        _print_alerts(payload, "alerts")


@alerts_app.command("check")
def check(
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="Judge the days before this instant (UTC); default: now.")
    ] = None,
    fmt: Fmt = Format.table,
) -> None:
    """Evaluate every enabled rule and print the alerts this raised; safe to run as often as wanted."""
    from suara.act.alerts import check_alerts

    with _session() as (rt, ws):
        raised = [a.model_dump(mode="json") for a in check_alerts(rt.app, rt.warehouse, ws, as_of)]
    if fmt is Format.json:
        sys.stdout.write(json.dumps(raised, indent=2) + "\n")
    else:
        _print_alerts(raised, f"{len(raised)} new alerts")


@alerts_app.command("ack")
def ack(
    alert_id: Annotated[int, typer.Argument(help="The alert's id.")],
    fmt: Fmt = Format.table,
) -> None:
    """Acknowledge an open alert: someone is on it."""
    from suara.act.alerts import acknowledge

    with _session() as (rt, ws):
        alert = acknowledge(rt.app, ws, alert_id).model_dump(mode="json")
    if fmt is Format.json:
        sys.stdout.write(json.dumps(alert, indent=2) + "\n")
    else:
        err.print(f"alert {alert['id']} is {alert['status']}")


def _print_alerts(rows: list[dict[str, Any]], title: str) -> None:
    t = Table("id", "status", "series", "started", "recovered", "reason", title=title)
    for a in rows:
        t.add_row(str(a["id"]), a["status"], a["series"] or "-", a["started_on"], a["recovered_on"] or "-", a["reason"])
    out.print(t)


def _print_rules(rows: list[dict[str, Any]]) -> None:
    t = Table("id", "name", "enabled", "definition", title="alert rules")
    for r in rows:
        t.add_row(str(r["id"]), r["name"], "yes" if r["enabled"] else "no", json.dumps(r["definition"]))
    out.print(t)
