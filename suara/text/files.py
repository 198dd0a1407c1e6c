"""Reading comment files for `suara text analyze`: CSV in UTF-8, with a clear answer for bytes that are not UTF-8.

By default a file with invalid UTF-8 is refused with an error naming the rows (and lines and bytes) at fault; with
`replace=True` those bytes become U+FFFD and the rows are flagged `invalid_utf8_replaced`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from suara.errors import NotFound, ValidationFailed

INVALID_UTF8 = "invalid_utf8_replaced"


@dataclass(frozen=True)
class Table:
    """A file's header and rows (as dicts), with the data rows (1-based) that had invalid UTF-8."""

    columns: list[str]
    rows: list[dict[str, str]]
    invalid_rows: frozenset[int]


def _bad_lines(raw: bytes) -> dict[int, int]:
    """{1-based physical line: byte offset in the file} for each line that is not valid UTF-8."""
    bad = {}
    offset = 0
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = offset + exc.start
        offset += len(line) + 1
    return bad


def read_table(path: Path, replace: bool = False) -> Table:
    """Parse a CSV file (TSV when it ends in .tsv); see the module docstring for invalid UTF-8."""
    if not path.is_file():
        raise NotFound(f"no file {path}")
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    bad = _bad_lines(raw)
    text = raw.decode("utf-8", errors="replace")
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = list(reader.fieldnames or [])
        rows, invalid = [], set()
        first_line = 2
        for number, row in enumerate(reader, start=1):
            if any(first_line <= line <= reader.line_num for line in bad):
                invalid.add(number)
            first_line = reader.line_num + 1
            rows.append({k: (v if isinstance(v, str) else "") for k, v in row.items() if isinstance(k, str)})
    except csv.Error as exc:
        raise ValidationFailed(f"cannot read {path} as CSV (line {reader.line_num}): {exc}") from None
    if not columns:
        raise ValidationFailed(f"{path} is empty: it needs a header row")
    if bad and (1 in bad):
        raise ValidationFailed(f"the header of {path} is not valid UTF-8 (byte {bad[1]}); re-save the file as UTF-8")
    if bad and not replace:
        lines = sorted(bad)
        errors = [{"line": line, "field": f"byte {bad[line]}", "message": "not valid UTF-8"} for line in lines]
        raise ValidationFailed(
            f"{path} is not valid UTF-8 in data row(s) {', '.join(map(str, sorted(invalid)[:10]))} "
            f"(line {lines[0]}, byte {bad[lines[0]]}); re-save it as UTF-8, or pass --replace-invalid to "
            "decode those bytes as U+FFFD and flag the rows",
            errors=errors,
        )
    return Table(columns, rows, frozenset(invalid))
