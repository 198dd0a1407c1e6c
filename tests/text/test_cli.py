"""`suara text ...` through a tiny app that mounts text_app the way suara/cli.py does."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from suara.cli_text import text_app
from suara.errors import NotFound, ValidationFailed
from suara.text.datasets import DEFAULT_DATA

app = typer.Typer()
app.add_typer(text_app, name="text")
runner = CliRunner()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_analyze_writes_one_row_per_input(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "ref,comment\n"
        'a1,"The delivery was late, but the price was great."\n'
        "a2,Pengiriman cepat dan barang bagus\n"
        "a3,\n"
        "a4,Le produit est parfait\n"
        'a5,"<b>Ужасный</b> сервис"\n',
        encoding="utf-8",
    )
    dst = tmp_path / "out.csv"
    result = runner.invoke(app, ["text", "analyze", "-i", str(src), "--text-column", "comment", "--id-column", "ref",
                                 "-o", str(dst)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = read(dst)
    assert list(rows[0]) == ["id", "language", "sentiment", "sentiment_score", "themes", "aspects", "flags"]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4", "a5"]
    assert rows[0]["language"] == "en" and rows[0]["aspects"] == "delivery:negative;price:positive"
    assert rows[1]["language"] == "id" and rows[1]["sentiment"] == "positive"
    assert -1 <= float(rows[1]["sentiment_score"]) <= 1
    assert (rows[2]["sentiment"], rows[2]["sentiment_score"], rows[2]["flags"]) == ("empty", "", "empty")
    assert (rows[3]["language"], rows[3]["sentiment"], rows[3]["flags"]) == ("und", "unsupported", "other_language:fr")
    assert rows[4]["sentiment"] == "negative" and rows[4]["flags"] == "html_stripped"
    assert all(r["themes"] == "" for r in rows)


def test_analyze_uses_row_numbers_without_an_id_column(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("text\ngood\nbad\n", encoding="utf-8")
    result = runner.invoke(app, ["text", "analyze", "-i", str(src), "--text-column", "text", "-o", str(dst)])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read(dst)] == ["1", "2"]


def test_invalid_utf8_is_an_error_naming_the_row_unless_replaced(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(b"text\ngood service\nbad \xff\xfe service\nfine\n")
    args = ["text", "analyze", "-i", str(src), "--text-column", "text", "-o", str(dst)]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, ValidationFailed)
    assert "data row(s) 2" in result.exception.detail and "line 3" in result.exception.detail
    result = runner.invoke(app, [*args, "--replace-invalid"])
    assert result.exit_code == 0, result.output
    rows = read(dst)
    assert [r["flags"] for r in rows] == ["", "invalid_utf8_replaced", ""]


def test_analyze_errors(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("text\nok\n", encoding="utf-8")
    base = ["text", "analyze", "-o", str(tmp_path / "o.csv")]
    result = runner.invoke(app, [*base, "-i", str(src), "--text-column", "comment"])
    assert isinstance(result.exception, ValidationFailed) and "comment" in result.exception.detail
    result = runner.invoke(app, [*base, "-i", str(tmp_path / "missing.csv"), "--text-column", "text"])
    assert isinstance(result.exception, NotFound)


def test_evaluate_a_file_as_json(tmp_path: Path) -> None:
    src = tmp_path / "gold.csv"
    src.write_text("text,label\nI love it,positive\nawful and slow,negative\nthe shop opens at nine,neutral\n", "utf-8")
    result = runner.invoke(app, ["text", "evaluate", str(src), "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got["n"] == 3 and set(got["per_class"]) == {"negative", "neutral", "positive"}
    assert 0 <= got["macro_f1"] <= 1 and 0 <= got["accuracy"] <= 1


def test_evaluate_table_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "gold.csv"
    src.write_text("text,label\nI love it,positive\n", "utf-8")
    result = runner.invoke(app, ["text", "evaluate", str(src)])
    assert result.exit_code == 0 and "macro-F1" in result.stdout and "precision" in result.stdout
    assert isinstance(runner.invoke(app, ["text", "evaluate"]).exception, ValidationFailed)
    result = runner.invoke(app, ["text", "evaluate", "--dataset", "nope"])
    assert isinstance(result.exception, ValidationFailed)


@pytest.mark.skipif(not (DEFAULT_DATA / "en" / "nusax_eng").is_dir(), reason="needs ../shared/data/text")
def test_evaluate_a_named_dataset() -> None:
    result = runner.invoke(app, ["text", "evaluate", "--dataset", "nusax_en_valid", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 100
