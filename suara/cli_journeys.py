"""`suara journeys ...` (funnel, paths, loops, retention) and `suara import events`.

suara/cli.py mounts them as `app.add_typer(journeys_app, name="journeys")` and
`import_app.command("events")(import_events)`. The runtime and workspace come from suara.cli, imported inside each
command so that this module and suara.cli can import each other; tests pass their own through `use_runtime`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from suara.errors import ValidationFailed, pydantic_errors

M = TypeVar("M", bound=BaseModel)

journeys_app = typer.Typer(help="Journeys: maps of saved journeys, funnels, paths and loops, retention cohorts.", no_args_is_help=True)

out = Console()
err = Console(stderr=True, soft_wrap=True)

# (runtime factory, workspace resolver); None: suara.cli's `_runtime` and `_workspace_id`.
_OVERRIDE: tuple[Callable[[], Any], Callable[..., str]] | None = None


def use_runtime(runtime: Callable[[], Any] | None, workspace: Callable[..., str] | None = None) -> None:
    """Make the commands open `runtime()` and ask `workspace(rt, create=...)` (None restores suara.cli's)."""
    global _OVERRIDE
    _OVERRIDE = None if runtime is None or workspace is None else (runtime, workspace)


@contextmanager
def _session(create: bool = False) -> Iterator[tuple[Any, str]]:
    if _OVERRIDE is None:
        from suara.cli import _runtime, _workspace_id

        runtime, workspace = _runtime, _workspace_id
    else:
        runtime, workspace = _OVERRIDE
    with runtime() as rt:
        yield rt, workspace(rt, create=create)


class Format(StrEnum):
    json = "json"
    table = "table"


class Order(StrEnum):
    loose = "loose"
    strict = "strict"


class Direction(StrEnum):
    after = "after"
    before = "before"


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"


Start = Annotated[datetime | None, typer.Option("--start", help="Use events at or after this instant (UTC).")]
End = Annotated[datetime | None, typer.Option("--end", help="Use events before this instant (UTC).")]
Fmt = Annotated[Format, typer.Option("--format", help="json or table.")]
Gap = Annotated[str, typer.Option("--session-gap", help="Inactivity that ends a session: '30m', '1h', or 'none'.")]
SessionProperty = Annotated[
    str | None, typer.Option("--session-property", help="Event property holding a session id (instead of the gap).")
]


def _spec(model: type[M], **values: Any) -> M:
    """Build a spec from options; a bad option becomes ValidationFailed, which the CLI prints as one line."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        first = errors[0]
        raise ValidationFailed(f"--{first['loc'][0]}: {first['message']}", errors=errors) from None


def _emit(payload: dict[str, Any], fmt: Format, render: Callable[[dict[str, Any]], None]) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        render(payload)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}%"


def _gap(value: str) -> str | None:
    return None if value.strip().lower() in ("none", "0", "") else value


# -- funnel ---------------------------------------------------------------------------------------------------------
@journeys_app.command("funnel")
def funnel(
    steps: Annotated[str, typer.Option("--steps", help="Event names in order, comma-separated: a,b,c.")],
    window: Annotated[
        str, typer.Option("--window", help="Time from step 1 to the last step: 90s, 30m, 2h, 1d.")
    ] = "1d",
    order: Annotated[Order, typer.Option("--order", help="loose, or strict: no other event in between.")] = Order.loose,
    by: Annotated[list[str] | None, typer.Option("--by", help="Break down by a trait or event property.")] = None,
    dropped_at: Annotated[
        int | None, typer.Option("--dropped-at", help="Also list customers who reached step N-1 but not step N.")
    ] = None,
    start: Start = None,
    end: End = None,
    fmt: Fmt = Format.table,
) -> None:
    """Customers reaching each step in order within the window, conversions with 95% intervals, median times."""
    from suara.journeys import FunnelSpec, funnel_customers, run_funnel

    spec = _spec(
        FunnelSpec,
        steps=[s.strip() for s in steps.split(",") if s.strip()],
        window=window,
        order=order.value,
        by=by or [],
        start=start,
        end=end,
    )
    with _session() as (rt, ws):
        payload = run_funnel(rt.warehouse, ws, spec).model_dump(mode="json")
        if dropped_at is not None:
            payload["dropped_customers"] = funnel_customers(rt.warehouse, ws, spec, dropped_at)
    _emit(payload, fmt, _print_funnel)


def _print_funnel(p: dict[str, Any]) -> None:
    def table(title: str, steps: list[dict[str, Any]]) -> Table:
        t = Table("step", "customers", "from previous (95% CI)", "from first", "median time", title=title)
        for s in steps:
            prev, first = s["from_previous"], s["from_first"]
            t.add_row(
                s["name"],
                f"{s['count']:,}",
                f"{_pct(prev['value'])} ({_pct(prev['ci_low'])} to {_pct(prev['ci_high'])})",
                _pct(first["value"]),
                _duration(s["median_seconds"]),
            )
        return t

    out.print(table(f"funnel, {p['order']} order, {_duration(p['window'])} window", p["steps"]))
    for g in p["groups"]:
        out.print(table(", ".join(f"{k}={v}" for k, v in g["key"].items()), g["steps"]))
    if "dropped_customers" in p:
        out.print("dropped: " + (", ".join(p["dropped_customers"]) or "(none)"))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


# -- paths and loops ------------------------------------------------------------------------------------------------
@journeys_app.command("paths")
def paths(
    event: Annotated[str, typer.Option("--event", help="The anchor event.")],
    direction: Annotated[Direction, typer.Option("--direction", help="after or before the anchor.")] = Direction.after,
    length: Annotated[int, typer.Option("--length", help="Events on each path besides the anchor.")] = 3,
    top: Annotated[int, typer.Option("--top", help="How many paths to show.")] = 10,
    collapse: Annotated[bool, typer.Option("--collapse", help="Count a run of one event as one step.")] = False,
    session_gap: Gap = "30m",
    session_property: SessionProperty = None,
    start: Start = None,
    end: End = None,
    fmt: Fmt = Format.table,
) -> None:
    """The most frequent paths after (or before) the first occurrence of an event in each session."""
    from suara.journeys.paths import PathSpec, run_paths

    spec = _spec(
        PathSpec,
        event=event,
        direction=direction.value,
        length=length,
        top=top,
        collapse=collapse,
        session_gap=_gap(session_gap),
        session_property=session_property,
        start=start,
        end=end,
    )
    with _session() as (rt, ws):
        payload = run_paths(rt.warehouse, ws, spec).model_dump(mode="json")
    _emit(payload, fmt, _print_paths)


def _print_paths(p: dict[str, Any]) -> None:
    t = Table("path", "sequences", "share", title=f"paths {p['direction']} {p['event']} ({p['sequences']:,} sequences)")
    for row in p["paths"]:
        t.add_row(" → ".join(row["path"]), f"{row['count']:,}", _pct(row["share"]))
    if p["other"]:
        t.add_row("(other paths)", f"{p['other']:,}", _pct(100 * p["other"] / p["sequences"]))
    out.print(t)


@journeys_app.command("loops")
def loops(
    event: Annotated[list[str] | None, typer.Option("--event", help="Only this event; repeat for several.")] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Break down by a trait or event property.")] = None,
    session_gap: Gap = "30m",
    session_property: SessionProperty = None,
    start: Start = None,
    end: End = None,
    fmt: Fmt = Format.table,
) -> None:
    """Events customers come back to within a session after doing something else, with 95% intervals."""
    from suara.journeys.paths import LoopSpec, run_loops

    spec = _spec(
        LoopSpec,
        events=event or [],
        by=by or [],
        session_gap=_gap(session_gap),
        session_property=session_property,
        start=start,
        end=end,
    )
    with _session() as (rt, ws):
        payload = run_loops(rt.warehouse, ws, spec).model_dump(mode="json")
    _emit(payload, fmt, _print_loops)


def _print_loops(p: dict[str, Any]) -> None:
    def table(title: str, rows: list[dict[str, Any]]) -> Table:
        t = Table("event", "sequences", "looping", "share (95% CI)", "returns", title=title)
        for r in rows:
            s = r["share"]
            ci = f"{_pct(s['value'])} ({_pct(s['ci_low'])} to {_pct(s['ci_high'])})"
            t.add_row(r["event"], f"{r['sequences']:,}", f"{r['looping']:,}", ci, f"{r['returns']:,}")
        return t

    out.print(table("loops", p["loops"]))
    for g in p["groups"]:
        out.print(table(", ".join(f"{k}={v}" for k, v in g["key"].items()), g["loops"]))


# -- retention ------------------------------------------------------------------------------------------------------
@journeys_app.command("retention")
def retention(
    start_event: Annotated[
        str | None, typer.Option("--start-event", help="Event that enters a cohort (default: any).")
    ] = None,
    return_event: Annotated[
        str | None, typer.Option("--return-event", help="Event that counts as coming back (default: any).")
    ] = None,
    period: Annotated[Period, typer.Option("--period", help="day, week or month.")] = Period.week,
    periods: Annotated[int, typer.Option("--periods", help="Periods to follow after the cohort's own.")] = 8,
    start: Start = None,
    end: End = None,
    fmt: Fmt = Format.table,
) -> None:
    """Cohorts by first event and the share of each back in every later period."""
    from suara.journeys.retention import RetentionSpec, run_retention

    spec = _spec(
        RetentionSpec,
        start_event=start_event,
        return_event=return_event,
        period=period.value,
        periods=periods,
        start=start,
        end=end,
    )
    with _session() as (rt, ws):
        payload = run_retention(rt.warehouse, ws, spec).model_dump(mode="json")
    _emit(payload, fmt, _print_retention)


def _print_retention(p: dict[str, Any]) -> None:
    t = Table("cohort", "size", *[f"+{i}" for i in range(1, p["periods"] + 1)], title=f"retention by {p['period']}")
    for c in p["cohorts"]:
        t.add_row(c["cohort"], f"{c['size']:,}", *[_pct(s) for s in c["shares"][1:]])
    t.add_row("average", "", *[_pct(s) for s in p["average"][1:]], style="bold")
    out.print(t)


# -- journey map ----------------------------------------------------------------------------------------------------
@journeys_app.command("map")
def journey_map(
    journey: Annotated[
        str | None, typer.Option("--journey", help="A saved journey's name (`journeys list`); default: `default`.")
    ] = None,
    spec_file: Annotated[
        Path | None, typer.Option("--spec", help="A journey spec as JSON, instead of a saved journey.")
    ] = None,
    value: Annotated[str, typer.Option("--value", help="Value of a dropped customer: historical or clv.")] = (
        "historical"
    ),
    start: Start = None,
    end: End = None,
    fmt: Fmt = Format.table,
) -> None:
    """Each touchpoint's volume, conversion to the next stage, NPS/CSAT/CES and sentiment; the friction ranking."""
    from suara.journeys.maps import JourneySpec, run_journey_map
    from suara.journeys.saved import journey_spec

    if spec_file is not None and journey is not None:
        raise ValidationFailed("give --journey or --spec, not both")
    if value not in ("historical", "clv"):
        raise ValidationFailed(f"--value: {value!r} is not historical or clv")
    with _session() as (rt, ws):
        if spec_file is None:
            spec = journey_spec(rt.app, ws, journey, value=value, start=start, end=end)
        else:
            extra = {"value": value} | ({"start": start} if start else {}) | ({"end": end} if end else {})
            spec = _spec(JourneySpec, **(_spec_file(spec_file) | extra))
        payload = run_journey_map(rt.warehouse, ws, spec).model_dump(mode="json")
    _emit(payload, fmt, _print_map)


def _spec_file(path: Path) -> dict[str, Any]:
    try:
        base = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed(f"cannot read {path} as a JSON journey spec: {exc}") from None
    if not isinstance(base, dict):
        raise ValidationFailed(f"{path} must hold a JSON object with `stages`")
    return base


@journeys_app.command("save")
def journey_save(
    name: Annotated[str, typer.Argument(help="The journey's name: lower-case letters, digits, spaces, - or _.")],
    spec_file: Annotated[Path, typer.Option("--spec", help="The journey spec as JSON (stages of touchpoints).")],
) -> None:
    """Save (or replace) a named journey for the journey map page, API and `journeys map --journey`."""
    from suara.journeys.saved import save_journey

    with _session() as (rt, ws):
        j = save_journey(rt.app, ws, name, _spec_file(spec_file))
    err.print(f"journey {j.name}: {len(j.spec['stages'])} stages, {j.touchpoints} touchpoints")


@journeys_app.command("list")
def journey_list(fmt: Fmt = Format.table) -> None:
    """The workspace's journeys: `default` (built-in unless saved) and the saved ones."""
    from suara.journeys.saved import list_journeys

    with _session() as (rt, ws):
        rows = [j.model_dump(mode="json") for j in list_journeys(rt.app, ws)]

    def show(p: dict[str, Any]) -> None:
        t = Table("name", "stages", "touchpoints", "window", "saved")
        for j in p["journeys"]:
            window = j["spec"].get("window")
            t.add_row(
                j["name"],
                str(len(j["spec"]["stages"])),
                str(j["touchpoints"]),
                "-" if window is None else f"{window / 86_400:g}d",
                "built-in" if j["builtin"] else (j["updated_at"] or "")[:19],
            )
        out.print(t)

    _emit({"journeys": rows}, fmt, show)


@journeys_app.command("delete")
def journey_delete(name: Annotated[str, typer.Argument(help="The saved journey's name.")]) -> None:
    """Forget a saved journey (deleting a saved `default` brings back the built-in one)."""
    from suara.journeys.saved import delete_journey

    with _session() as (rt, ws):
        delete_journey(rt.app, ws, name)
    err.print(f"journey {name} deleted")


def _score(s: dict[str, Any] | None) -> str:
    if s is None or s["value"] is None:
        return "-"
    return f"{s['value']:.1f} ({s['ci_low']:.1f} to {s['ci_high']:.1f})" if s["ci_low"] is not None else "-"


def _print_map(p: dict[str, Any]) -> None:
    t = Table("stage", "touchpoint", "customers", "to next stage (95% CI)", "NPS", "CSAT", "CES", "sentiment")
    for stage in p["stages"]:
        for tp in stage["touchpoints"]:
            conv = tp["conversion"]
            t.add_row(
                stage["name"],
                tp["name"],
                "-" if tp["customers"] is None else f"{tp['customers']:,}",
                "-" if conv is None else f"{_pct(conv['value'])} ({_pct(conv['ci_low'])} to {_pct(conv['ci_high'])})",
                _score(tp["nps"]),
                _score(tp["csat"]),
                _score(tp["ces"]),
                _score(tp["sentiment"]),
            )
    out.print(t)
    money = p["currency"] or ""
    f = Table("rank", "touchpoint", "customers lost (95% CI)", f"revenue lost {money} (95% CI)", title="friction")
    for row in p["friction"]:
        d, r = row["dropped"], row["revenue_lost"]
        f.add_row(
            str(row["rank_customers"]),
            f"{row['stage']} / {row['touchpoint']}",
            f"{d['value']:,.0f} ({d['ci_low'] or 0:,.0f} to {d['ci_high'] or 0:,.0f})",
            f"{r['value']:,.0f} ({r['ci_low'] or 0:,.0f} to {r['ci_high'] or 0:,.0f})",
        )
    out.print(f)


# -- customer value (mounted by suara/cli.py as `suara models clv customers`) ---------------------------------------
def clv_customers(
    cutoff: Annotated[
        datetime | None, typer.Option("--cutoff", help="Use orders before this instant (default: all).")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="Orders in this currency (default: the most common).")
    ] = None,
    months: Annotated[int, typer.Option("--months", min=1, max=120, help="CLV horizon in months.")] = 12,
    discount: Annotated[float, typer.Option("--discount-rate", help="Monthly discount rate.")] = 0.01,
    top: Annotated[int | None, typer.Option("--top", help="Only the N most valuable customers.")] = None,
    fmt: Fmt = Format.table,
) -> None:
    """Per-customer P(alive), expected purchases and discounted CLV from the orders (BG/NBD + Gamma-Gamma)."""
    from suara.models.customer_value import CustomerValueSpec, customer_values

    spec = _spec(CustomerValueSpec, cutoff=cutoff, currency=currency, horizon_months=months, discount_rate=discount)
    with _session() as (rt, ws):
        result = customer_values(rt.warehouse, ws, spec)
    payload = result.model_dump(mode="json")
    payload["total_customers"] = len(result.customers)
    if top is not None:
        payload["customers"] = payload["customers"][: max(top, 0)]
    _emit(payload, fmt, _print_clv_customers)


def _print_clv_customers(p: dict[str, Any]) -> None:
    title = (
        f"{p['horizon_months']}-month CLV in {p['currency']} ({p['total_customers']:,} customers, "
        f"orders before {p['cutoff'][:10]})"
    )
    t = Table("customer", "purchases", "P(alive)", "expected purchases", f"CLV ({p['currency']})", title=title)
    for c in p["customers"]:
        t.add_row(
            c["customer_id"],
            str(c["frequency"] + 1),
            f"{c['p_alive']:.2f}",
            f"{c['expected_purchases']:.2f}",
            f"{c['clv']:,.2f}",
        )
    out.print(t)


# -- import events --------------------------------------------------------------------------------------------------
def import_events(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL, one row per event.")],
    customer_column: Annotated[str, typer.Option("--customer-column", help="Column with the customer id.")] = (
        "customer_id"
    ),
    event_column: Annotated[str, typer.Option("--event-column", help="Column with the event name.")] = "event",
    time_column: Annotated[str, typer.Option("--time-column", help="Column with the event time (ISO 8601).")] = (
        "timestamp"
    ),
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows, report the bad.")] = False,
) -> None:
    """Import behavioural events; columns other than customer, event and time become event properties."""
    from suara.collect.events_import import import_events as run_import

    total = _count_rows(file)
    with _session(create=True) as (rt, ws), _progress() as progress:
        task = progress.add_task(f"validating {file.name}", total=total)
        report = run_import(
            rt.ingestor,
            ws,
            file,
            customer_column=customer_column,
            event_column=event_column,
            time_column=time_column,
            skip_invalid=skip_invalid,
            progress=lambda: progress.advance(task),
        )
    for e in report.errors[:20]:
        err.print(f"line {e['line']}: {e['field'] or ''}: {e['message']}", markup=False)
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more errors")
    skipped = f", {report.invalid} invalid rows skipped" if report.errors else ""
    err.print(f"imported {report.written} events ({report.duplicates} already there{skipped})")


def _count_rows(path: Path) -> int | None:
    """Data rows in the file (lines less a CSV header), for the progress bar; None when it cannot be read."""
    try:
        with path.open("rb") as fh:
            lines = sum(1 for line in fh if line.strip())
    except OSError:
        return None
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines


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
