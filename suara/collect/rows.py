"""Read a CSV or JSONL export row by row, keeping each row's line number and flagging bad lines instead of failing.

A line that is not valid UTF-8 or not valid JSON marks only its own row as broken, so one bad line in a large export
costs one row, not the file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from suara.errors import BadRequest

CSV_SUFFIXES = (".csv", ".tsv")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass
class SourceRow:
    """One row: `line` is where it starts in the file (the CSV header is line 1); `error` says why it is unreadable."""

    line: int
    values: dict[str, Any]
    error: str | None = None


@dataclass
class SourceFile:
    """A file being read: `columns` is the CSV header (None for JSONL, whose rows name their own keys)."""

    path: Path
    columns: list[str] | None = None
    rows: Iterator[SourceRow] = field(default_factory=lambda: iter(()))


def open_source(path: Path, progress: Callable[[int], None] | None = None) -> SourceFile:
    """Open a .csv/.tsv or .jsonl file; `progress(bytes)` is called as it is read. Empty files are refused."""
    if not path.is_file():
        raise BadRequest(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + JSONL_SUFFIXES:
        raise BadRequest(f"cannot import {path.name}: use a .csv, .tsv or .jsonl file")
    fh = path.open("rb")
    lines = _Lines(fh, progress)
    if suffix in CSV_SUFFIXES:
        return _csv(path, lines, "\t" if suffix == ".tsv" else ",")
    return SourceFile(path, None, _jsonl(lines))


class _Lines:
    """Decoded lines of a binary file; lines that are not UTF-8 are recorded and read with replacement characters."""

    def __init__(self, fh: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self._fh = fh
        self._progress = progress
        self.number = 0
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        with self._fh:
            for raw in self._fh:
                self.number += 1
                if self._progress is not None:
                    self._progress(len(raw))
                if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # spreadsheet exports often start with a byte-order mark
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.bad[self.number] = (
                        f"line {self.number} is not valid UTF-8 (byte {exc.start + 1}); re-save as UTF-8"
                    )
                    yield raw.decode("utf-8", errors="replace")


def _csv(path: Path, lines: _Lines, delimiter: str) -> SourceFile:
    reader = csv.reader(iter(lines), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise BadRequest(f"{path.name} is empty: a CSV file needs a header row naming its columns")
    columns = [c.strip() for c in header]
    if not any(columns):
        raise BadRequest(f"{path.name} has an empty header row")
    seen = [c for c in columns if c and columns.count(c) > 1]
    if seen:
        raise BadRequest(f"{path.name} names column {seen[0]!r} twice in its header")
    return SourceFile(path, columns, _csv_rows(reader, lines, columns))


def _csv_rows(reader: Any, lines: _Lines, columns: list[str]) -> Iterator[SourceRow]:
    start = lines.number + 1
    for record in reader:
        end = lines.number
        line, start = start, end + 1
        if not any(v.strip() for v in record):
            continue
        bad = next((lines.bad[n] for n in range(line, end + 1) if n in lines.bad), None)
        if bad is not None:
            yield SourceRow(line, {}, bad)
        elif len(record) > len(columns):
            yield SourceRow(line, {}, f"the row has {len(record)} fields but the header names {len(columns)}")
        else:
            yield SourceRow(line, {c: v for c, v in zip(columns, record, strict=False) if c})


def _jsonl(lines: _Lines) -> Iterator[SourceRow]:
    for text in lines:
        line = lines.number
        if not text.strip():
            continue
        if line in lines.bad:
            yield SourceRow(line, {}, lines.bad[line])
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield SourceRow(line, {}, f"not valid JSON: {exc.msg}")
            continue
        if isinstance(value, dict):
            yield SourceRow(line, {str(k): v for k, v in value.items()})
        else:
            yield SourceRow(line, {}, "each line must be a JSON object")
