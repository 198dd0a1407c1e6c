"""`suara widget`: the web widget's display funnel per survey."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from suara.cli_input import workspace_session

widget_app = typer.Typer(help="The web widget: displays shown, started, completed, dismissed.", no_args_is_help=True)
out = Console()


class Format(StrEnum):
    json = "json"
    table = "table"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


@widget_app.command("funnel")
def funnel(
    survey: Annotated[str | None, typer.Option("--survey", help="A survey key; default: every survey.")] = None,
    start: Annotated[datetime | None, typer.Option("--start", help="From this instant (UTC).")] = None,
    end: Annotated[datetime | None, typer.Option("--end", help="Until this instant (UTC), exclusive.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="json or table.")] = Format.table,
) -> None:
    """Widget displays per survey: shown, started, completed, partial, dismissed, and the response rate
    (completed / shown) with its Wilson 95 % interval."""
    from suara.channels.widget_funnel import widget_funnel

    with workspace_session() as (rt, ws):
        rows = widget_funnel(rt.warehouse, ws, survey, start, end)
    if fmt is Format.json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in rows], indent=2) + "\n")
        return
    t = Table("survey", "shown", "started", "completed", "partial", "dismissed", "response rate (95% CI)")
    for r in rows:
        rate = r.response_rate
        ci = "" if rate.ci_low is None else f" ({_rate(rate.ci_low)}-{_rate(rate.ci_high)})"
        t.add_row(
            r.survey,
            *(f"{n:,}" for n in (r.shown, r.started, r.completed, r.partial, r.dismissed)),
            _rate(rate.value) + ci,
        )
    out.print(t)
