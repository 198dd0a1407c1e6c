"""`suara import reviews|social|tickets FILE`: mapped CSV/JSONL imports with a per-row validation report.

Registered on suara.cli's `import_app` by `register(import_app, runtime, workspace)`; suara.cli passes its own
runtime and workspace openers, so the commands share its `--data-dir` and `--workspace` options.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:  # the collect modules load DuckDB and Ibis: only when a command runs, not for `suara --help`
    from suara.collect.row_import import ImportReport, Target

out = Console()
err = Console(stderr=True, soft_wrap=True)

_OPENERS: list[tuple[Callable[[], Any], Callable[[Any, bool], str]]] = []

# Files at least this large get a progress bar.
PROGRESS_BYTES = 1_000_000
# Rows of the error table printed; --format json lists them all.
SHOWN_ERRORS = 50


class Format(StrEnum):
    table = "table"
    json = "json"


FileArg = Annotated[Path, typer.Argument(help="A .csv, .tsv or .jsonl export.")]
MapOpt = Annotated[
    list[str] | None, typer.Option("--map", help="field=column: read FIELD from COLUMN; repeat for several.")
]
MappingFile = Annotated[
    Path | None, typer.Option("--mapping", help="A JSON or TOML file of field = column pairs (--map wins).")
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="field=value for rows without one, e.g. --set source=google_play.")
]
SkipOpt = Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows; without it, a bad row stops all.")]
DateOpt = Annotated[
    str | None, typer.Option("--date-format", help="strptime pattern for dates, e.g. '%m/%d/%Y %H:%M'.")
]
FmtOpt = Annotated[Format, typer.Option("--format", help="table or json.")]


def _target(name: str) -> Target:
    from suara.collect.import_feedback import REVIEWS, SOCIAL
    from suara.collect.import_tickets import TICKETS

    return {"reviews": REVIEWS, "social": SOCIAL, "tickets": TICKETS}[name]


def _run(
    name: str,
    file: Path,
    maps: list[str] | None,
    mapping_file: Path | None,
    sets: list[str] | None,
    skip_invalid: bool,
    date_format: str | None,
    fmt: Format,
) -> None:
    from suara.collect.mapping import ColumnMapping
    from suara.collect.row_import import import_file

    target = _target(name)
    _runtime, _workspace_id = _OPENERS[0]

    mapping = ColumnMapping.build(maps or (), mapping_file, sets or ())
    size = file.stat().st_size if file.is_file() else 0
    with _runtime() as rt:
        ws = _workspace_id(rt, True)
        with _progress(size >= PROGRESS_BYTES) as progress:
            task = progress.add_task(f"reading {file.name}", total=size)
            report = import_file(
                target,
                rt.ingestor,
                ws,
                file,
                mapping,
                skip_invalid=skip_invalid,
                date_format=date_format,
                progress=lambda n: progress.advance(task, n),
            )
    _print(report, target, fmt)
    if report.errors and not skip_invalid:
        raise typer.Exit(2)


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show,
    )


def _print(report: ImportReport, target: Target, fmt: Format) -> None:
    if fmt is Format.json:
        body = report.as_dict() | {"not_stored": list(target.not_stored)}
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    if report.errors:
        table = Table(title=f"{report.invalid} invalid rows in {Path(report.file).name}")
        for name in ("row", "column", "message"):
            table.add_column(name, overflow="fold")
        for e in report.errors[:SHOWN_ERRORS]:
            table.add_row(str(e.row), e.column or "", e.message)
        out.print(table)
        if len(report.errors) > SHOWN_ERRORS:
            out.print(f"... and {len(report.errors) - SHOWN_ERRORS} more (--format json lists them all)")
    if report.errors and not report.written_rows:
        err.print(
            f"nothing was written: {report.invalid} of {report.rows} rows are invalid; "
            "fix them or pass --skip-invalid to write the good rows",
            markup=False,
        )
        return
    skipped = f", {report.invalid} invalid rows skipped" if report.errors else ""
    err.print(f"imported {report.written} {target.noun} ({report.duplicates} duplicates{skipped})", markup=False)


def register(import_app: typer.Typer, runtime: Callable[[], Any], workspace: Callable[[Any, bool], str]) -> None:
    """Add the reviews, social and tickets commands to `suara import`; `runtime()` opens the stores and
    `workspace(rt, create)` picks the workspace (suara.cli's, passed in so `python -m suara.cli` shares its state)."""
    _OPENERS[:] = [(runtime, workspace)]

    @import_app.command("reviews")
    def reviews(
        file: FileArg,
        map_: MapOpt = None,
        mapping: MappingFile = None,
        set_: SetOpt = None,
        skip_invalid: SkipOpt = False,
        date_format: DateOpt = None,
        fmt: FmtOpt = Format.table,
    ) -> None:
        """Import reviews: text, rating (1-5), created_at; optional id, source, title, author, customer_id, locale,
        url."""
        _run("reviews", file, map_, mapping, set_, skip_invalid, date_format, fmt)

    @import_app.command("social")
    def social(
        file: FileArg,
        map_: MapOpt = None,
        mapping: MappingFile = None,
        set_: SetOpt = None,
        skip_invalid: SkipOpt = False,
        date_format: DateOpt = None,
        fmt: FmtOpt = Format.table,
    ) -> None:
        """Import social posts and mentions: text, created_at; optional id, network, author, url, rating, likes."""
        _run("social", file, map_, mapping, set_, skip_invalid, date_format, fmt)

    @import_app.command("tickets")
    def tickets(
        file: FileArg,
        map_: MapOpt = None,
        mapping: MappingFile = None,
        set_: SetOpt = None,
        skip_invalid: SkipOpt = False,
        date_format: DateOpt = None,
        fmt: FmtOpt = Format.table,
    ) -> None:
        """Import support tickets: created_at; optional id, first_response_at, resolved_at, channel, agent, status,
        reopened, customer_id, subject, contacts, csat."""
        _run("tickets", file, map_, mapping, set_, skip_invalid, date_format, fmt)
