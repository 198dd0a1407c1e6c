"""`suara import responses` and `suara metrics` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def suara(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suara.cli", "--data-dir", str(data), *args], capture_output=True, text=True, timeout=120
    )


CSV = """response_id,customer_id,submitted_at,survey,touchpoint,channel,locale,nps,csat,ces,comment,store
r1,ana,2026-03-02T09:00:00Z,rel-nps,delivery,email,en,10,,,Great,jakarta
r2,budi,2026-03-03T09:00:00+07:00,rel-nps,delivery,email,id,3,,,Paket telat,jakarta
r3,citra,2026-03-10T09:00:00Z,rel-nps,delivery,email,ms,9,5,6,,kl
r4,dmitri,2026-03-11T09:00:00Z,rel-nps,delivery,email,ru,6,2,2,Долго,kl
"""


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_import_then_metrics_json(tmp_path: Path, csv_file: Path) -> None:
    data = tmp_path / "data"
    done = suara(data, "import", "responses", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert "imported 4 responses" in done.stderr
    again = suara(data, "import", "responses", str(csv_file))
    assert "imported 0 responses (4 already there" in again.stderr

    out = suara(data, "metrics", "nps", "--by", "store", "--period", "week", "--format", "json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert {"metric", "value", "ci_low", "ci_high", "n", "groups"} <= body.keys()
    assert body["metric"] == "nps" and body["n"] == 4 and body["value"] == pytest.approx(0.0)
    keys = [g["key"] for g in body["groups"]]
    assert keys == [{"store": "jakarta", "period": "2026-03-02"}, {"store": "kl", "period": "2026-03-09"}]
    assert {"value", "ci_low", "ci_high", "n"} <= body["groups"][0].keys()

    ces = json.loads(suara(data, "metrics", "ces", "--format", "json").stdout)
    assert ces["n"] == 2 and ces["value"] == pytest.approx(4.0)
    table = suara(data, "metrics", "csat", "--by", "locale")
    assert table.returncode == 0 and "CSAT" in table.stdout and "50.00" in table.stdout


def test_a_file_with_bad_rows_writes_nothing(tmp_path: Path, csv_file: Path) -> None:
    bad = (
        csv_file.read_text()
        .replace("r2,budi,2026-03-03T09:00:00+07:00", "r2,budi,yesterday")
        .replace(",6,2,2,", ",6,9,2,")
    )
    csv_file.write_text(bad)
    data = tmp_path / "data"
    done = suara(data, "import", "responses", str(csv_file))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "validation_failed" in done.stderr and "line 5" in done.stderr
    empty = suara(data, "metrics", "nps", "--format", "json")
    assert json.loads(empty.stdout)["n"] == 0

    partial = suara(data, "import", "responses", str(csv_file), "--skip-invalid")
    assert partial.returncode == 0 and "imported 2 responses" in partial.stderr and "2 invalid" in partial.stderr


def test_jsonl_import(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [
        {"customer_id": f"c{i}", "submitted_at": "2026-03-02T00:00:00Z", "csat": 4 + i % 2, "plan": "plus"}
        for i in range(10)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{oops\n")
    data = tmp_path / "data"
    done = suara(data, "import", "responses", str(path))
    assert done.returncode == 2 and "line 11" in done.stderr
    assert suara(data, "import", "responses", str(path), "--skip-invalid").returncode == 0
    body = json.loads(suara(data, "metrics", "csat", "--by", "plan", "--format", "json").stdout)
    assert body["value"] == pytest.approx(100.0) and body["groups"][0]["key"] == {"plan": "plus"}


def test_unknown_metric_is_a_clear_cli_error(tmp_path: Path, csv_file: Path) -> None:
    data = tmp_path / "data"
    suara(data, "import", "responses", str(csv_file))
    done = suara(data, "metrics", "loyalty")
    assert done.returncode == 2 and "unknown_metric" in done.stderr and "nps" in done.stderr
