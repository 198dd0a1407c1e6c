"""Import a mapped file into one fact: read, map, validate every row, then write all (or only the good) in one batch.

Ids are stable, so re-importing a file adds nothing: the source's own id when a column holds it, else a hash of the
row's whole content. Duplicates (in the file or from an earlier import) are counted, not written twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from suara.collect.ingest import Ingestor
from suara.collect.mapping import ColumnMapping, blank, parse_instant
from suara.collect.rows import SourceRow, open_source
from suara.collect.writer import Unit, WriteBatch
from suara.errors import BadRequest

Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """A target field: the column names it is found under by default, how a cell is parsed, and if it is required."""

    name: str
    parse: Parser
    defaults: tuple[str, ...] = ()
    required: bool = False
    date: bool = False  # parsed by parse_instant with the user's --date-format


@dataclass(frozen=True)
class Target:
    """What a file is imported as: `build(values, stable_id)` returns the record; `units` turns records into writes."""

    noun: str
    kind: str
    fields: tuple[Field, ...]
    build: Callable[[dict[str, Any], str], BaseModel]
    units: Callable[[Sequence[Any], str], list[Unit]]
    stored_as: dict[str, str] = field(default_factory=dict)  # record field -> target field, to name columns in errors
    not_stored: tuple[str, ...] = ()  # validated, but the fact has no column for them


@dataclass
class RowError:
    row: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    """`rows` read, `written` new, `duplicates` already there (or repeated in the file), `errors` per row and column."""

    file: str
    noun: str
    rows: int = 0
    written: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    written_rows: bool = False

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.noun,
            "rows": self.rows,
            "written": self.written,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "committed": self.written_rows,
            "columns": self.columns,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
        }


def import_file(
    target: Target,
    ingestor: Ingestor,
    workspace_id: str,
    path: Path,
    mapping: ColumnMapping | None = None,
    *,
    skip_invalid: bool = False,
    date_format: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row; write nothing if any is bad unless `skip_invalid`, else the good rows in one batch."""
    mapping = mapping or ColumnMapping()
    mapping.check_fields(f.name for f in target.fields)
    if path.is_file() and path.stat().st_size == 0:
        raise BadRequest(f"{path.name} is empty: nothing to import")
    source = open_source(path, progress)
    report = ImportReport(str(path), target.noun)
    records: list[BaseModel] = []
    resolved: dict[tuple[str, ...], dict[str, str | None]] = {}
    if source.columns is not None:
        resolved[tuple(source.columns)] = _resolve(target, mapping, source.columns, report)
    for row in source.rows:
        report.rows += 1
        if row.error is not None:
            report.errors.append(RowError(row.line, None, row.error))
            continue
        keys = tuple(source.columns or row.values)
        if keys not in resolved:  # JSONL rows name their own keys
            resolved[keys] = _resolve(target, mapping, list(keys), report, line=row.line)
        record = _record(target, mapping, resolved[keys], row, date_format, report)
        if record is not None:
            records.append(record)
    if report.errors and not skip_invalid:
        return report
    if records:
        result = ingestor.writer.write(WriteBatch(workspace_id, target.kind, target.units(records, workspace_id)))
        report.written, report.duplicates = result.accepted, result.duplicates
        report.written_rows = True
    return report


def _resolve(
    target: Target, mapping: ColumnMapping, columns: list[str], report: ImportReport, line: int = 1
) -> dict[str, str | None]:
    """Field -> column for these columns; a mapped column that is absent or a missing required field is an error."""
    found: dict[str, str | None] = {}
    for f in target.fields:
        column = mapping.resolve(f.name, f.defaults, columns)
        if f.name in mapping.columns and column is None:
            report.errors.append(
                RowError(line, mapping.columns[f.name], f"no column {mapping.columns[f.name]!r} for {f.name}")
            )
        elif column is None and f.required and f.name not in mapping.constants:
            names = ", ".join(repr(n) for n in (f.name, *f.defaults))
            message = f"missing required column for {f.name} (looked for {names}); map it with --map {f.name}=COLUMN"
            report.errors.append(RowError(line, None, message))
        found[f.name] = column
        if column is not None:
            report.columns.setdefault(f.name, column)
    return found


def _record(
    target: Target,
    mapping: ColumnMapping,
    columns: dict[str, str | None],
    row: SourceRow,
    date_format: str | None,
    report: ImportReport,
) -> BaseModel | None:
    values: dict[str, Any] = {}
    bad = False
    for f in target.fields:
        column = columns[f.name]
        raw = row.values.get(column) if column is not None else None
        where = column or f.name
        if blank(raw):
            raw = mapping.constants.get(f.name)
            where = f"--set {f.name}"
        if blank(raw):
            if f.required and column is not None:
                report.errors.append(RowError(row.line, column, f"{f.name} is required but empty"))
                bad = True
            continue
        try:
            values[f.name] = parse_instant(raw, date_format) if f.date else f.parse(raw)
        except ValueError as exc:
            report.errors.append(RowError(row.line, where, str(exc)))
            bad = True
    if bad or any(f.required and f.name not in values for f in target.fields):
        return None
    stable = values.get("id") or _content_hash(row.values)
    try:
        return target.build(values, str(stable))
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else None
            name = target.stored_as.get(name, name) if name else None
            report.errors.append(RowError(row.line, columns.get(name or "") or name, _message(err)))
        return None


def _message(err: Any) -> str:
    text = str(err["msg"])
    return text.removeprefix("Value error, ")


def _content_hash(values: dict[str, Any]) -> str:
    """The row's content, every column, as a digest: the same row imported twice gets the same id."""
    blob = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return "h" + hashlib.sha256(blob.encode()).hexdigest()[:24]
