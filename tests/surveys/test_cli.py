"""`suara surveys link`: personal links, and one pre-filled link per score for one-click NPS."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from suara.cli import app
from suara.runtime import Runtime
from suara.settings import Settings
from suara.store.app import WorkspaceRepo, create_workspace
from suara.surveys.links import read_link
from suara.surveys.templates import TEMPLATES

runner = CliRunner()


def make_store(data_dir: Path) -> str:
    with Runtime.open(Settings(data_dir=data_dir)) as rt, rt.app.session() as s:
        ws = create_workspace(s, "acme", "Acme")
        definition = TEMPLATES["relational-nps"].definition.model_dump(mode="json", exclude_none=True)
        repo = WorkspaceRepo(s, ws.id)
        repo.save_survey("rnps", "Relational NPS", definition)
        repo.save_survey("rnps", "Relational NPS", definition)
        return ws.id


def test_link_for_the_latest_version(tmp_path: Path) -> None:
    workspace_id = make_store(tmp_path)
    args = ["--data-dir", str(tmp_path), "surveys", "link", "--survey", "rnps", "--customer", "ana", "--locale", "ms"]
    result = runner.invoke(app, [*args, "--base-url", "https://cx.example.com/"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("https://cx.example.com/s/")
    link = read_link(Settings(data_dir=tmp_path).resolved_secret(), url.rsplit("/", 1)[1])
    assert (link.workspace_id, link.survey_key, link.version, link.customer_id, link.locale) == (
        workspace_id,
        "rnps",
        2,
        "ana",
        "ms",
    )


def test_score_links_cover_the_nps_scale(tmp_path: Path) -> None:
    make_store(tmp_path)
    args = ["--data-dir", str(tmp_path), "surveys", "link", "--survey", "rnps", "--customer", "ana", "--score-links"]
    lines = runner.invoke(app, args).output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(n) for n in range(11)]
    assert lines[9].endswith("?score=9") and len({line.split("\t")[1].split("?")[0] for line in lines}) == 1


def test_an_unknown_survey_is_an_error(tmp_path: Path) -> None:
    make_store(tmp_path)
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "surveys", "link", "--survey", "x", "--customer", "a"])
    assert result.exit_code != 0
