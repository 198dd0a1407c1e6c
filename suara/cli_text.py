"""`suara text ...`: analyse comments (language, sentiment, aspects), train and evaluate the sentiment model.

Registered by suara/cli.py as `app.add_typer(text_app, name="text")`; errors are SuaraErrors, which the main CLI
prints as one line and exits 2.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from suara.errors import ValidationFailed

text_app = typer.Typer(
    help="Text analytics: language, sentiment and aspects of customer comments.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True, soft_wrap=True)
BATCH = 5000


class Format(StrEnum):
    json = "json"
    table = "table"


DataOption = Annotated[Path | None, typer.Option("--data", help="The shared text data folder (…/shared/data/text).")]


def _data(path: Path | None) -> Path:
    from suara.text.datasets import DEFAULT_DATA

    return path or DEFAULT_DATA


@text_app.command("analyze")
def analyze_cmd(
    input: Annotated[Path, typer.Option("--input", "-i", help="CSV file (TSV if it ends in .tsv), UTF-8.")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column holding the comment text.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column to copy as `id`; default: the row number (1-based).")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Skip identification: treat every row as en, id, ms or ru.")
    ] = None,
    replace_invalid: Annotated[
        bool,
        typer.Option(
            "--replace-invalid",
            help="Decode bytes that are not UTF-8 as U+FFFD and flag their rows, instead of refusing the file.",
        ),
    ] = False,
) -> None:
    """Write one row per input row: id, language, sentiment, sentiment_score, themes, aspects, flags."""
    from suara.text import analyze, format_aspects
    from suara.text.files import INVALID_UTF8, read_table

    table = read_table(input, replace=replace_invalid)
    missing = [c for c in (text_column, id_column) if c and c not in table.columns]
    if missing:
        raise ValidationFailed(f"{input} has no column {', '.join(map(repr, missing))}; columns: {table.columns}")
    counts: Counter[str] = Counter()
    analysed = []
    for start in range(0, len(table.rows), BATCH):
        analysed += analyze([table.rows[i].get(text_column, "") for i in range(start, min(start + BATCH,
                                                                                            len(table.rows)))],
                            language=language)  # fmt: skip
    themes = _file_themes(analysed)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "language", "sentiment", "sentiment_score", "themes", "aspects", "flags"])
        for start in range(0, len(table.rows), BATCH):
            rows = table.rows[start : start + BATCH]
            results = analysed[start : start + BATCH]
            for n, (row, res) in enumerate(zip(rows, results, strict=True), start=start + 1):
                flags = [*res.flags, *([INVALID_UTF8] if n in table.invalid_rows else [])]
                if res.truncated:
                    flags.append("truncated")
                if res.other_language:
                    flags.append(f"other_language:{res.other_language}")
                score = "" if res.sentiment_score is None else f"{res.sentiment_score:.3f}"
                ident = row.get(id_column, "") if id_column else str(n)
                writer.writerow([ident, res.language, res.sentiment, score, themes[n - 1], format_aspects(res.aspects),
                                 ";".join(flags)])  # fmt: skip
                counts[res.sentiment] += 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    err.print(f"analysed {len(table.rows):,} rows into {output} ({summary})", highlight=False)


def _file_themes(analysed: list[Any]) -> list[str]:
    """Themes fitted on the file itself, as each row's theme names joined by "; " (empty when none)."""
    from suara.text.themes import ThemeModel

    fit = ThemeModel().fit([a.text for a in analysed], [a.language for a in analysed])
    names = {t.theme_id: t.name for t in fit.themes}
    return ["; ".join(names[tid] for tid, _ in found) for found in fit.assignments]


@text_app.command("train")
def train_cmd(
    data: DataOption = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write the model to; default: the package's model.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (liblinear's coordinate order).")] = 0,
    permissive_only: Annotated[
        bool,
        typer.Option(
            "--permissive-only",
            help="Leave out the Malay (unclear license) and SentiRuEval (research-only) training sets.",
        ),
    ] = False,
) -> None:
    """Fit the sentiment model from the shared data, write it with its model card, and say whether the arrays
    match the card that was there (reproducibility)."""
    from suara.text.sentiment import MODEL_DIR
    from suara.text.train import TrainConfig, train

    target = out_dir or MODEL_DIR
    old = target / "card.json"
    before = json.loads(old.read_text(encoding="utf-8")).get("arrays") if old.is_file() else None
    card = train(
        _data(data),
        target,
        TrainConfig(seed=seed, permissive_only=permissive_only),
        log=lambda s: err.print(s, highlight=False),
    )
    if before is not None:
        same = before == card["arrays"]
        err.print(f"arrays {'match' if same else 'differ from'} the previous model's hashes", highlight=False)


@text_app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path | None, typer.Argument(help="Labelled CSV/TSV file (labels: words or -1/0/1).")] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="A built-in dev set instead of a file, e.g. smsa_valid.")
    ] = None,
    text_column: Annotated[str, typer.Option("--text-column")] = "text",
    label_column: Annotated[str, typer.Option("--label-column")] = "label",
    language: Annotated[
        str | None, typer.Option("--language", help="Skip identification: treat every row as en, id, ms or ru.")
    ] = None,
    data: DataOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Score the model on a labelled file: macro-F1, accuracy and per-class precision, recall and F1."""
    from suara.text.datasets import named_sets
    from suara.text.evaluation import evaluate_set, read_labelled

    if (file is None) == (dataset is None):
        raise ValidationFailed("give either a FILE or --dataset NAME")
    if dataset is not None:
        sets = named_sets(_data(data))
        if dataset not in sets:
            raise ValidationFailed(f"unknown dataset {dataset!r}; one of: {', '.join(sets)}")
        labelled = sets[dataset]()
    else:
        assert file is not None
        labelled = read_labelled(file, text_column, label_column)
    result = {"dataset": labelled.name} | evaluate_set(labelled, language=language)
    if fmt is Format.json:
        out.print_json(json.dumps(result))
    else:
        _print_scores(result)


def _print_scores(result: dict[str, Any]) -> None:
    out.print(
        f"{result['dataset']}: {result['n']:,} rows, macro-F1 {result['macro_f1']:.3f} "
        f"(pos/neg {result['macro_f1_pos_neg']:.3f}), accuracy {result['accuracy']:.3f}, "
        f"unsupported {result['unsupported']}",
        highlight=False,
    )
    table = Table("class", "precision", "recall", "F1", "support")
    for label, m in result["per_class"].items():
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    out.print(table)
