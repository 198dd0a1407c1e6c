"""`suara import reviews` on the PRDECT-ID Tokopedia reviews, and mapping files, against counts computed here."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from suara.cli import app
from suara.runtime import Runtime
from suara.settings import Settings
from tests.conftest import SHARED_DATA, need_service

PRDECT = SHARED_DATA / "text" / "id" / "prdect_id" / "prdect_id.csv"
ARGS = ("--set", "created_at=2022-06-01", "--set", "source=Tokopedia", "--set", "locale=id")
MAPS = ("--map", "title=Product Name", "--map", "touchpoint=Category")


def cli(data: Path, *args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, ["--data-dir", str(data), *args])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


def feedback(data: Path) -> list[dict[str, object]]:
    with Runtime.open(Settings(data_dir=data)) as rt:
        con = rt.warehouse.cursor()
        cols = ["feedback_id", "source", "rating", "title", "touchpoint", "locale", "text", "created_at"]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM feedback ORDER BY feedback_id").fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]


def test_prdect_reviews_import_once_and_dedupe_on_row_content(tmp_path: Path) -> None:
    need_service(PRDECT.exists(), "the shared PRDECT-ID data")
    with PRDECT.open(newline="", encoding="utf-8") as fh:
        raw = list(csv.reader(fh))[1:]
    distinct = {tuple(r) for r in raw}
    data = tmp_path / "data"
    code, _, stderr = cli(data, "import", "reviews", str(PRDECT), *ARGS, *MAPS)
    assert code == 0, stderr
    assert f"imported {len(distinct)} reviews ({len(raw) - len(distinct)} duplicates)" in stderr

    stored = feedback(data)
    assert len(stored) == len(distinct) == len({r["feedback_id"] for r in stored})
    assert {r["source"] for r in stored} == {"tokopedia"} and {r["locale"] for r in stored} == {"id"}
    # Star counts over the distinct rows, from the file's own "Customer Rating" column (index 7).
    assert Counter(int(r["rating"]) for r in stored) == Counter(int(r[7]) for r in distinct)  # type: ignore[call-overload]
    assert Counter(r["touchpoint"] for r in stored) == Counter(r[0] for r in distinct)
    assert {str(r["created_at"]) for r in stored} == {"2022-06-01 00:00:00"}

    code, _, stderr = cli(data, "import", "reviews", str(PRDECT), *ARGS, *MAPS)
    assert code == 0 and f"imported 0 reviews ({len(raw)} duplicates)" in stderr
    assert len(feedback(data)) == len(distinct)


def test_jsonl_with_a_mapping_file_and_platform_ids(tmp_path: Path) -> None:
    path = tmp_path / "play.jsonl"
    rows = [
        {"reviewId": "gp:1", "content": "Aplikasi bagus", "score": 5, "at": "2026-03-01 10:00:00", "userName": "ana"},
        {"reviewId": "gp:2", "content": "Sering error", "score": 2, "at": "02.03.2026 08:30", "userName": "budi"},
        {"reviewId": "gp:3", "content": "Ok", "score": "3", "at": 1772445600, "userName": "citra"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "play.toml"
    mapping.write_text('[map]\nid = "reviewId"\ntext = "content"\nrating = "score"\nauthor = "userName"\n')
    data = tmp_path / "data"
    code, stdout, stderr = cli(
        data, "import", "reviews", str(path), "--mapping", str(mapping), "--set", "source=Google Play", "--format=json"
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["written"] == 3 and report["errors"] == [] and report["columns"]["created_at"] == "at"
    stored = {r["feedback_id"]: r for r in feedback(data)}
    assert set(stored) == {"google_play:gp:1", "google_play:gp:2", "google_play:gp:3"}
    assert str(stored["google_play:gp:2"]["created_at"]) == "2026-03-02 08:30:00"
    assert str(stored["google_play:gp:3"]["created_at"]) == "2026-03-02 10:00:00"  # epoch seconds, UTC
    assert stored["google_play:gp:3"]["rating"] == 3.0

    # The same platform ids with edited text are the same reviews: nothing is added.
    path.write_text("\n".join(json.dumps({**r, "content": "edited"}) for r in rows) + "\n", encoding="utf-8")
    code, stdout, _ = cli(
        data, "import", "reviews", str(path), "--mapping", str(mapping), "--set", "source=Google Play", "--format=json"
    )
    assert json.loads(stdout)["duplicates"] == 3 and len(feedback(data)) == 3
