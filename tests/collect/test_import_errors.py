"""Error paths of the file importers: each bad row named by row and column, nothing half-written."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suara.cli import app
from suara.collect.mapping import parse_instant
from suara.errors import BadRequest
from tests.collect.test_import_reviews import cli, feedback

HEADER = "id,text,rating,date\n"


def run(tmp_path: Path, body: bytes | str, *args: str, name: str = "r.csv") -> tuple[int, dict, str]:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    code, stdout, stderr = cli(tmp_path / "data", "import", "reviews", str(path), "--format", "json", *args)
    return code, (json.loads(stdout) if stdout.strip() else {}), stderr


def test_bad_date_and_rating_are_reported_by_row_and_column_and_nothing_is_written(tmp_path: Path) -> None:
    body = HEADER + "a,good,5,2026-03-02\nb,bad,7,2026-03-02\nc,late,2,31/31/2026\nd,ok,4,2026-03-04\n"
    code, report, _ = run(tmp_path, body)
    assert code == 2 and report["written"] == 0 and report["committed"] is False
    assert report["errors"] == [
        {"row": 3, "column": "rating", "message": "a rating must be from 1 to 5, got 7"},
        {
            "row": 4,
            "column": "date",
            "message": "cannot read '31/31/2026' as a date; use ISO 8601 (2026-03-02T09:00:00Z) or pass --date-format",
        },
    ]
    assert feedback(tmp_path / "data") == []

    code, report, stderr = run(tmp_path, body, "--skip-invalid")
    assert code == 0 and report["written"] == 2 and report["invalid"] == 2
    assert sorted(r["feedback_id"] for r in feedback(tmp_path / "data")) == ["review:a", "review:d"]


def test_table_report_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "a,good,five,2026-03-02\n")
    code, stdout, stderr = cli(tmp_path / "data", "import", "reviews", str(path))
    assert code == 2 and "nothing was written" in stderr
    assert "row" in stdout and "rating" in stdout and "expected a number, got 'five'" in stdout


def test_missing_required_column(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, "id,body_text,date\na,hello,2026-03-02\n")
    assert code == 2 and report["written"] == 0
    assert report["errors"][0]["row"] == 1 and "missing required column for text" in report["errors"][0]["message"]
    assert "--map text=COLUMN" in report["errors"][0]["message"]
    code, report, _ = run(tmp_path, "id,body_text,date\na,hello,2026-03-02\n", "--map", "text=body_text")
    assert code == 0 and report["written"] == 1


def test_a_mapped_column_that_is_absent(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, HEADER + "a,good,5,2026-03-02\n", "--map", "rating=stars")
    assert code == 2 and report["errors"][0] == {"row": 1, "column": "stars", "message": "no column 'stars' for rating"}


def test_an_invalid_utf8_line_costs_only_its_row(tmp_path: Path) -> None:
    body = (HEADER + "a,bagus,5,2026-03-02\n").encode() + b"b,rusak \xff\xfe,1,2026-03-02\n" + b"c,ok,4,2026-03-03\n"
    code, report, _ = run(tmp_path, body)
    assert code == 2 and report["errors"] == [
        {"row": 3, "column": None, "message": "line 3 is not valid UTF-8 (byte 9); re-save as UTF-8"}
    ]
    code, report, _ = run(tmp_path, body, "--skip-invalid")
    assert report["written"] == 2


def test_invalid_utf8_and_json_lines_in_jsonl(tmp_path: Path) -> None:
    good = json.dumps({"text": "fine", "date": "2026-03-02"}).encode()
    body = good + b"\n" + b'{"text": "\xc3\x28", "date": "2026-03-02"}\n' + b"not json\n" + b"[1]\n"
    code, report, _ = run(tmp_path, body, name="r.jsonl")
    assert code == 2 and [e["row"] for e in report["errors"]] == [2, 3, 4]
    assert "not valid UTF-8" in report["errors"][0]["message"] and "not valid JSON" in report["errors"][1]["message"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "import", "reviews", str(path)])
    assert isinstance(result.exception, BadRequest)
    assert str(result.exception.detail) == "empty.csv is empty: nothing to import"


def test_header_only_imports_nothing_without_error(tmp_path: Path) -> None:
    code, report, _ = run(tmp_path, HEADER)
    assert code == 0 and report["rows"] == 0 and report["written"] == 0


def test_duplicate_rows_in_one_file_count_once(tmp_path: Path) -> None:
    body = "text,rating,date\nmantap,5,2026-03-02\nmantap,5,2026-03-02\nok,4,2026-03-02\n"
    code, report, _ = run(tmp_path, body)
    assert code == 0 and report["written"] == 2 and report["duplicates"] == 1
    assert len(feedback(tmp_path / "data")) == 2


def test_unknown_field_in_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER)
    args = ["--data-dir", str(tmp_path / "data"), "import", "reviews", str(path), "--map", "stars=rating"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, BadRequest) and "unknown field 'stars'" in result.exception.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T09:00:00Z", "2026-03-02 09:00:00"),
        ("2026-03-02 16:00:00+07:00", "2026-03-02 09:00:00"),
        ("2015-02-24 11:35:52 -0800", "2015-02-24 19:35:52"),
        ("02/03/2026", "2026-03-02 00:00:00"),
        ("02.03.2026 09:00", "2026-03-02 09:00:00"),
        ("2 Mar 2026", "2026-03-02 00:00:00"),
        ("March 2, 2026", "2026-03-02 00:00:00"),
        ("Mon, 02 Mar 2026 09:00:00 +0000", "2026-03-02 09:00:00"),
        ("Tue Feb 24 11:35:52 +0000 2015", "2015-02-24 11:35:52"),
        ("1772442000", "2026-03-02 09:00:00"),
        ("1772442000000", "2026-03-02 09:00:00"),
    ],
)
def test_common_date_formats(text: str, expected: str) -> None:
    assert str(parse_instant(text)) == expected


def test_date_format_option_for_month_first_dates() -> None:
    assert parse_instant("03/02/2026 09:00", "%m/%d/%Y %H:%M") == datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError, match="cannot read '03/31/2026'"):
        parse_instant("03/31/2026")
