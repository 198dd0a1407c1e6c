"""The `suara` command: serve, demo, import, metrics, and workspace and key management."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from suara.cli_alerts import alerts_app
from suara.cli_cases import cases_app
from suara.cli_import import register as register_imports
from suara.cli_journeys import _spec as _validated
from suara.cli_journeys import clv_customers, import_events, journeys_app
from suara.cli_models import clv_app, models_app
from suara.cli_notify import notify_app
from suara.cli_outreach import outreach_app
from suara.cli_surveys import surveys_app
from suara.cli_text import text_app
from suara.cli_widget import widget_app
from suara.errors import SuaraError
from suara.settings import Settings, load_settings

app = typer.Typer(
    help="suara: collect, measure, explain and act on customer experience.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import files into the warehouse.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces, users and API keys.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(workspace_app, name="workspace")
app.add_typer(models_app, name="models")
app.add_typer(journeys_app, name="journeys")
app.add_typer(text_app, name="text")
app.add_typer(surveys_app, name="surveys")
app.add_typer(alerts_app, name="alerts")
app.add_typer(cases_app, name="cases")
app.add_typer(outreach_app, name="outreach")
app.add_typer(widget_app, name="widget")
app.add_typer(notify_app)  # the `outbox` and `digest` groups
import_app.command("events")(import_events)
register_imports(import_app, lambda: _runtime(), lambda rt, create: _workspace_id(rt, create))
clv_app.command("customers")(clv_customers)

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    json = "json"
    table = "table"


class State:
    settings: Settings
    workspace: str | None = None


state = State()


@app.callback()
def _root(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", envvar="SUARA_DATA_DIR", help="Folder of the embedded stores.")
    ] = Path("data"),
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace", "-w", envvar="SUARA_WORKSPACE", help="Workspace slug; default: the only one there is."
        ),
    ] = None,
) -> None:
    state.settings = load_settings(data_dir=data_dir)
    state.workspace = workspace


def _runtime() -> Any:
    from suara.runtime import Runtime

    return Runtime.open(state.settings)


def _workspace_id(rt: Any, create: bool = False) -> str:
    """The chosen workspace, the only one there is, or (when importing into an empty store) a new 'default'."""
    from sqlalchemy import select

    from suara.store.app import Workspace, create_workspace, workspace_by_slug

    with rt.app.session() as s:
        if state.workspace:
            ws = workspace_by_slug(s, state.workspace)
            if ws is None:
                if not create:
                    raise SuaraError(f"no workspace {state.workspace!r}; create it with `suara workspace create`")
                ws = create_workspace(s, state.workspace, state.workspace)
            return ws.id
        rows = list(s.scalars(select(Workspace)))
        if len(rows) == 1:
            return rows[0].id
        if not rows:
            if not create:
                raise SuaraError("this data folder has no workspace yet; import data or run `suara demo` first")
            return create_workspace(s, "default", "Default").id
        slugs = ", ".join(sorted(w.slug for w in rows))
        raise SuaraError(f"several workspaces ({slugs}); pick one with --workspace")


# -- serve --------------------------------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the dashboard and the API."""
    import uvicorn

    from suara.web.app import create_app

    settings = state.settings.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v})
    err.print(f"suara serving {settings.data_dir} at [bold]http://{settings.host}:{settings.port}/[/bold]")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


# -- demo ---------------------------------------------------------------------------------------------------------
@app.command()
def demo(
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the dashboard when built.")] = True,
    customers: Annotated[int, typer.Option(help="Customers to generate.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed builds the same workspace.")] = 7,
) -> None:
    """Build a realistic demo workspace (a year of journeys, surveys, comments, reviews) and serve it."""
    from suara.demo_workspace import DEMO_EMAIL, DEMO_PASSWORD, build_demo

    with _runtime() as rt, _progress() as progress:
        info = build_demo(rt, customers=customers, seed=seed, progress=progress)
    err.print(f"demo workspace [bold]{info.slug}[/bold]: {info.counts}")
    err.print(f"sign in as [bold]{DEMO_EMAIL}[/bold] / [bold]{DEMO_PASSWORD}[/bold], or with API key {info.api_key}")
    if serve_after:
        serve(None, None)


# -- import -------------------------------------------------------------------------------------------------------
@import_app.command("responses")
def import_responses_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL, one row per response.")],
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows, report the bad.")] = False,
) -> None:
    """Import survey responses: response_id, customer_id, submitted_at, [survey, touchpoint, channel, locale],
    nps, csat, ces, comment; any other column is kept as a response field."""
    from suara.collect.importers import import_responses

    with _runtime() as rt:
        ws = _workspace_id(rt, create=True)
        with _progress() as progress:
            task = progress.add_task(f"validating {file.name}", total=None)
            report = import_responses(
                rt.ingestor, ws, file, skip_invalid=skip_invalid, progress=lambda: progress.advance(task)
            )
    for e in report.errors[:20]:
        err.print(f"line {e['line']}: {e['field'] or ''}: {e['message']}", markup=False)
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more errors")
    skipped = f", {report.invalid} invalid rows skipped" if report.errors else ""
    err.print(f"imported {report.written} responses ({report.duplicates} already there{skipped})")


# -- metrics ------------------------------------------------------------------------------------------------------
class MetricFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
def metrics(
    metric: Annotated[
        str, typer.Argument(help="A measure: nps, csat, churn_rate, conversion_rate... (`--list`).")
    ] = "",
    by: Annotated[list[str] | None, typer.Option("--by", help="Break down by this field; repeat for several.")] = None,
    period: Annotated[str | None, typer.Option(help="day, week or month.")] = None,
    start: Annotated[str | None, typer.Option(help="From this instant (ISO 8601, UTC).")] = None,
    end: Annotated[str | None, typer.Option(help="Until this instant (exclusive).")] = None,
    filter: Annotated[list[str] | None, typer.Option("--filter", help="field:value; repeat for several.")] = None,
    segment: Annotated[list[str] | None, typer.Option("--segment", help="Saved segment; repeat to compare.")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", help="Measure option key=value.")] = None,
    rake: Annotated[list[str] | None, typer.Option("--rake", help="Population share trait:value=share.")] = None,
    fmt: Annotated[MetricFormat, typer.Option("--format", help="table, json or csv.")] = MetricFormat.table,
    list_: Annotated[bool, typer.Option("--list", help="List the measures and their options.")] = False,
) -> None:
    """A measure with n, 95% interval, change against the previous period and each group against the rest."""
    from suara.metrics import MEASURES, MetricSpec, run_metric
    from suara.metrics.params import parse_filters, parse_options, parse_rake, result_csv, saved_segments
    from suara.store.app import WorkspaceRepo

    if list_ or not metric:
        table = Table("measure", "group", "unit", "definition", "options")
        for m in MEASURES.values():
            table.add_row(
                m.name, m.group, m.unit, m.definition, ", ".join(f"{k}={o.default}" for k, o in m.options.items())
            )
        out.print(table)
        return
    spec = _validated(
        MetricSpec,
        metric=metric,
        by=by or [],
        period=period,
        start=start,
        end=end,
        filters=parse_filters(filter or []),
        segments=segment or [],
        options=parse_options(option or []),
        rake=parse_rake(rake or []),
    )
    with _runtime() as rt:
        ws = _workspace_id(rt)
        with rt.app.session() as s:
            segments = saved_segments(WorkspaceRepo(s, ws))
        result = run_metric(rt.warehouse, ws, spec, segments)
    if fmt is MetricFormat.json:
        sys.stdout.write(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
    elif fmt is MetricFormat.csv:
        sys.stdout.write(result_csv(result))
    else:
        _print_metric(result)


def _print_metric(result: Any) -> None:
    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    out.print(
        f"[bold]{result.label}[/bold] {num(result.value)} "
        f"[dim](95% CI {num(result.ci_low)} to {num(result.ci_high)}, n={result.n})[/dim]"
    )
    if not result.groups:
        return
    table = Table(*result.groups[0].key.keys(), "value", "95% CI", "n", "change", "p")
    for g in result.groups:
        change = g.change
        mark = "*" if change and change.significant else ""
        table.add_row(
            *[v or "(none)" for v in g.key.values()],
            num(g.value),
            f"{num(g.ci_low)} to {num(g.ci_high)}",
            str(g.n) + (" (low n)" if g.low_n else ""),
            (num(change.delta) + mark) if change else "",
            num(change.p_value) if change else "",
        )
    out.print(table)


@text_app.command("enrich")
def text_enrich() -> None:
    """Language, sentiment and aspects of feedback and comments not enriched yet (the sentiment index reads them)."""
    from suara.text.enrich import enrich

    with _runtime() as rt, _progress() as progress:
        task = progress.add_task("reading comments and feedback", total=None)
        ws = _workspace_id(rt)
        done = enrich(rt.warehouse, ws, progress=lambda d, t: progress.update(task, completed=d, total=t))
    out.print(f"enriched {done} items")


# -- workspaces ---------------------------------------------------------------------------------------------------
@workspace_app.command("create")
def workspace_create(slug: str, name: Annotated[str | None, typer.Option(help="Display name.")] = None) -> None:
    """Create a workspace and print its first admin API key (shown once)."""
    from suara.store.app import WorkspaceRepo, create_workspace, workspace_by_slug

    with _runtime() as rt, rt.app.session() as s:
        if workspace_by_slug(s, slug) is not None:
            raise SuaraError(f"workspace {slug!r} exists already")
        ws = create_workspace(s, slug, name or slug)
        _, key = WorkspaceRepo(s, ws.id).create_api_key("admin")
    out.print(key)


@workspace_app.command("key")
def workspace_key(
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    role: Annotated[str, typer.Option(help="admin, analyst, agent or viewer.")] = "admin",
) -> None:
    """Create an API key for the workspace (printed once, stored hashed)."""
    from suara.store.app import Role, WorkspaceRepo

    with _runtime() as rt:
        ws = _workspace_id(rt)
        with rt.app.session() as s:
            _, key = WorkspaceRepo(s, ws).create_api_key(name, Role(role))
    out.print(key)


@workspace_app.command("user")
def workspace_user(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    role: Annotated[str, typer.Option(help="admin, analyst, agent or viewer.")] = "viewer",
) -> None:
    """Add a user who signs in to the dashboard."""
    from suara.store.app import Role, WorkspaceRepo

    with _runtime() as rt:
        ws = _workspace_id(rt)
        with rt.app.session() as s:
            WorkspaceRepo(s, ws).add_user(email, password, Role(role))
    err.print(f"added {email}")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def main() -> None:
    """Entry point: SuaraErrors become one-line messages and a non-zero exit."""
    try:
        app(standalone_mode=False)
    except SuaraError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.detail}", highlight=False)
        for e in exc.errors[:20]:
            where = f"line {e['line']}, {e.get('field') or ''}" if "line" in e else e.get("pointer", "")
            err.print(f"  {where}: {e['message']}", markup=False, highlight=False)
        if len(exc.errors) > 20:
            err.print(f"  ... and {len(exc.errors) - 20} more")
        raise SystemExit(2) from None
    except (typer.Abort, KeyboardInterrupt):
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:  # click usage errors carry their own exit code
        from click.exceptions import ClickException

        if isinstance(exc, ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        raise


if __name__ == "__main__":
    main()
