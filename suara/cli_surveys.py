"""`suara surveys ...`: mint personal survey links.

Registered by suara/cli.py as `app.add_typer(surveys_app, name="surveys")`. The runtime and workspace come from
suara.cli, imported inside the command so that this module and suara.cli can import each other.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from suara.errors import NotFound, ValidationFailed
from suara.store.app import WorkspaceRepo
from suara.surveys.definition import parse_definition, question_scale
from suara.surveys.links import mint_link

surveys_app = typer.Typer(help="Surveys: personal links to the hosted survey page.", no_args_is_help=True)


@surveys_app.command("link")
def link_cmd(
    survey: Annotated[str, typer.Option("--survey", help="Survey key; the link opens its latest version.")],
    customer: Annotated[str, typer.Option("--customer", help="Customer id the response will be stored under.")],
    score_links: Annotated[
        bool, typer.Option("--score-links", help="Print one link per score of the first scale question (one-click).")
    ] = False,
    days: Annotated[int, typer.Option("--days", min=1, help="Days until the link expires.")] = 30,
    locale: Annotated[str | None, typer.Option("--locale", help="Customer's locale (en, id, ms, ru, ...).")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Public address of suara; default: the serve host and port.")
    ] = None,
) -> None:
    """Print a personal link to the hosted survey: one response per link, valid for --days."""
    from suara.cli import _runtime, _workspace_id

    with _runtime() as rt:
        workspace_id = _workspace_id(rt)
        with rt.app.session() as s:
            repo = WorkspaceRepo(s, workspace_id)
            found = repo.survey(survey)
            if found is None:
                raise NotFound(f"no survey {survey!r} in this workspace; create it with POST /api/v1/surveys")
            latest = repo.survey_versions(found)[-1]
            version, raw = latest.version, latest.definition
        secret = rt.settings.resolved_secret()
        base = (base_url or f"http://{rt.settings.host}:{rt.settings.port}").rstrip("/")
    token = mint_link(secret, workspace_id, survey, version, customer, ttl=timedelta(days=days), locale=locale)
    url = f"{base}/s/{token}"
    if not score_links:
        typer.echo(url)
        return
    definition = parse_definition(raw)
    scale = next((sc for q in definition.questions if (sc := question_scale(q)) is not None), None)
    if scale is None:
        raise ValidationFailed(f"survey {survey!r} has no scale question to pre-fill; drop --score-links")
    for score in range(scale.low, scale.high + 1):
        typer.echo(f"{score}\t{url}?score={score}")
