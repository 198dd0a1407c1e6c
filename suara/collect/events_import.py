"""Events importer: a CSV or JSONL clickstream, one row per event, validated whole before anything is written.

Three columns have a meaning (their names are options): the customer, the event name and its time. Every other
non-empty column becomes an event property. Each event's id comes from the file's path and line, so importing the
same file again counts every event once; all events of a file go in one write, so a failed import writes none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suara.collect.importers import ImportReport, read_rows
from suara.collect.ingest import Ingestor, event_units
from suara.collect.writer import WriteBatch
from suara.domain.records import EventIn
from suara.errors import ValidationFailed

# Seconds to wait for the commit of one file's events (a million rows take a while to append).
WRITE_TIMEOUT_S = 600.0


def event_id(path: Path, line: int) -> str:
    """A stable event id for a file line: the same file imported twice gives the same ids."""
    digest = hashlib.sha256(f"import:{path.resolve()}\x00{line}".encode()).hexdigest()[:24]
    return f"e_{digest}"


def row_to_event(
    row: dict[str, Any], line: int, path: Path, customer_column: str, event_column: str, time_column: str
) -> dict[str, Any]:
    """A flat row as a Segment-shaped track call; other non-empty columns become properties."""
    known = {customer_column, event_column, time_column}
    return {
        "type": "track",
        "userId": _blank_to_none(row.get(customer_column)),
        "event": _blank_to_none(row.get(event_column)),
        "timestamp": _blank_to_none(row.get(time_column)),
        "messageId": event_id(path, line),
        "properties": {k: v for k, v in row.items() if k not in known and v not in (None, "")},
    }


def import_events(
    ingestor: Ingestor,
    workspace_id: str,
    path: Path,
    *,
    customer_column: str = "customer_id",
    event_column: str = "event",
    time_column: str = "timestamp",
    skip_invalid: bool = False,
    progress: Callable[[], Any] | None = None,
) -> ImportReport:
    """Validate every row; write none if any is bad (unless `skip_invalid`), else all in one transaction.

    Errors name the line (1-based, the header is line 1 in a CSV) and the file's column.
    """
    columns = {"userId": customer_column, "event": event_column, "timestamp": time_column}
    report = ImportReport()
    good: list[EventIn] = []
    for line, row in read_rows(path):
        report.rows += 1
        if progress is not None:
            progress()
        if "__error__" in row:
            report.errors.append({"line": line, "field": None, "message": row["__error__"]})
            continue
        doc = row_to_event(row, line, path, customer_column, event_column, time_column)
        missing = [col for key, col in columns.items() if doc[key] is None]
        for col in missing:
            report.errors.append({"line": line, "field": col, "message": "is missing or empty"})
        if missing:
            continue
        try:
            good.append(EventIn.model_validate(doc))
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else "userId"
                field = columns.get(key, ".".join(str(p) for p in err["loc"]))
                report.errors.append({"line": line, "field": field, "message": err["msg"]})
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
        batch = WriteBatch(workspace_id, "events", event_units(good, workspace_id))
        result = ingestor.writer.write(batch, timeout=WRITE_TIMEOUT_S)
        report.written, report.duplicates = result.accepted, result.duplicates
    return report


def _blank_to_none(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value
