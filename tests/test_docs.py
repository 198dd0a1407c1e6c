"""The README documents every setting, CLI command and error code (and shows the two set-up commands)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from suara.cli import app
from suara.errors import ALL_ERRORS
from suara.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands() -> None:
    block = README.split("```")[1]
    assert "make demo" in block and "make test" in block


def test_every_setting_is_documented_with_help() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"
        assert f"SUARA_{name.upper()}" in README, f"setting SUARA_{name.upper()} is not in the README"


def test_every_error_code_is_documented() -> None:
    for error in ALL_ERRORS:
        assert f"`{error.code}`" in README, f"error code {error.code} is not in the README"


def test_every_cli_command_is_documented() -> None:
    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        names += [f"suara {name} {s}" for s in sub] if sub else [f"suara {name}"]
    for name in names:
        assert f"`{name}" in README, f"CLI command `{name}` is not in the README"
