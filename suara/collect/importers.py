"""File importers: CSV or JSONL with one row per response, validated whole before anything is written."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suara.collect.ingest import Ingestor, response_units
from suara.collect.writer import WriteBatch
from suara.domain.records import ResponseIn
from suara.errors import BadRequest, ValidationFailed

# Columns with a meaning; every other non-empty column is kept as a response field.
RESPONSE_KEYS = {
    "response_id",
    "customer_id",
    "submitted_at",
    "survey",
    "survey_version",
    "touchpoint",
    "channel",
    "locale",
}
SCORE_KINDS = ("nps", "csat", "ces", "rating")
TEXT_KINDS = ("comment",)


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return len({e["line"] for e in self.errors})


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from a .csv or .jsonl/.ndjson file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise BadRequest(f"no such file: {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        if suffix == ".csv":
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k is not None}
        elif suffix in (".jsonl", ".ndjson", ".json"):
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, {"__error__": f"not valid JSON: {exc.msg}"}
                    continue
                yield number, row if isinstance(row, dict) else {"__error__": "each line must be a JSON object"}
        else:
            raise BadRequest(f"cannot import {path.name}: use a .csv or .jsonl file")


def row_to_response(row: dict[str, Any]) -> dict[str, Any]:
    """A flat row (one column per answered question kind) as a ResponseIn document."""
    answers = []
    for kind in SCORE_KINDS:
        value = row.get(kind)
        if value not in (None, ""):
            answers.append({"kind": kind, "number": value})
    for kind in TEXT_KINDS:
        value = row.get(kind)
        if value not in (None, ""):
            answers.append({"kind": kind, "text": value})
    known = RESPONSE_KEYS | set(SCORE_KINDS) | set(TEXT_KINDS)
    doc = {k: (v if v != "" else None) for k, v in row.items() if k in RESPONSE_KEYS}
    doc["survey_id"] = doc.pop("survey", None)
    doc["answers"] = answers
    doc["fields"] = {k: v for k, v in row.items() if k not in known and v not in (None, "")}
    return doc


def import_responses(
    ingestor: Ingestor, workspace_id: str, path: Path, *, skip_invalid: bool = False, progress: Any = None
) -> ImportReport:
    """Validate every row; write none if any is bad (unless `skip_invalid`), else all in one transaction."""
    report = ImportReport()
    good: list[ResponseIn] = []
    for line, row in read_rows(path):
        report.rows += 1
        if progress is not None:
            progress()
        if "__error__" in row:
            report.errors.append({"line": line, "field": None, "message": row["__error__"]})
            continue
        try:
            good.append(ResponseIn.model_validate(row_to_response(row)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                report.errors.append({"line": line, "field": ".".join(loc) or None, "message": err["msg"]})
    if report.errors and not skip_invalid:
        first = report.errors[0]
        raise ValidationFailed(
            f"{report.invalid} of {report.rows} rows are invalid, nothing was written "
            f"(first: line {first['line']}, {first['field']}: {first['message']}); fix them or pass --skip-invalid",
            errors=[
                {"loc": ["line", e["line"], e["field"]], "pointer": f"/line/{e['line']}", **e} for e in report.errors
            ],
        )
    if good:
        # Rows without a response_id get one derived from the file and line, so re-importing counts once.
        key = f"import:{path.resolve()}"
        result = ingestor.writer.write(WriteBatch(workspace_id, "responses", response_units(good, workspace_id, key)))
        report.written, report.duplicates = result.accepted, result.duplicates
    return report
