"""The survey builder pages: `/surveys` lists the workspace's surveys, `/surveys/<key>` edits one.

The draft is the form itself: structural edits (add, remove, reorder) post it and get the editor back, the wording
linter answers each text as it is typed, the preview renders the hosted page for the draft, and publishing stores a
new version (responses keep the version they answered).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from suara.errors import SuaraError
from suara.runtime import Runtime
from suara.store.app import Role, WorkspaceRepo
from suara.surveys import TEMPLATES, parse_definition, render, visible_questions
from suara.surveys.wording import lint_text
from suara.web.api.surveys import RESERVED_KEYS
from suara.web.deps import Principal, RuntimeDep
from suara.web.ui import builder_form as bf
from suara.web.ui.hosted_phrases import phrases
from suara.web.ui.pages import session_principal

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# Keys the builder's own paths use.
BUILDER_RESERVED = RESERVED_KEYS | {"new", "lint-text"}
BLANK = {"default_locale": "en", "locales": ["en"], "questions": []}


def _principal(request: Request) -> Principal | Response:
    principal = session_principal(request)
    if principal is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return principal


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {k: [str(v) for v in form.getlist(k)] for k in form}


def _history(runtime: Runtime, workspace_id: str, key: str) -> tuple[str | None, list[dict[str, Any]]]:
    """The survey's name and its versions, newest first."""
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, workspace_id)
        survey = repo.survey(key)
        if survey is None:
            return None, []
        versions = [
            {
                "version": v.version,
                "created_at": v.created_at,
                "questions": len(v.definition.get("questions", [])),
                "locales": v.definition.get("locales", []),
                "definition": v.definition,
            }
            for v in repo.survey_versions(survey)
        ]
        return survey.name, versions[::-1]


def _editor(
    request: Request,
    principal: Principal,
    key: str,
    name: str,
    draft: dict[str, Any],
    *,
    is_new: bool,
    history: list[dict[str, Any]] | None = None,
    errors: list[str] | None = None,
    notice: str | None = None,
    fragment: bool = False,
    status: int = 200,
) -> Response:
    ctx = {
        "principal": principal,
        "key": key,
        "name": name,
        "draft": draft,
        "is_new": is_new,
        "history": history or [],
        "errors": errors or [],
        "notice": notice,
        "questions": bf.question_views(draft),
        "title_texts": bf.text_views("title", draft.get("title") or {}, draft["locales"], draft["default_locale"]),
        "extra": bf.survey_extra(draft),
        "kinds": bf.KINDS,
        "locales": bf.LOCALES,
        "can_publish": principal.role in (Role.admin, Role.analyst),
    }
    name_ = "builder_editor.html" if fragment else "builder.html"
    response = templates.TemplateResponse(request, name_, ctx, status_code=status)
    if fragment:
        response.headers["HX-Trigger"] = "editor-changed"  # the preview follows
    return response


@router.get("/surveys", response_model=None)
def survey_list(request: Request, runtime: RuntimeDep, error: str | None = None) -> Response:
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    with runtime.app.session() as s:
        repo = WorkspaceRepo(s, principal.workspace_id)
        rows = []
        for sv in repo.surveys():
            versions = repo.survey_versions(sv)
            rows.append(
                {"key": sv.key, "name": sv.name, "version": versions[-1].version, "at": versions[-1].created_at}
            )
    ctx = {"principal": principal, "surveys": rows, "templates": TEMPLATES.values(), "error": error}
    return templates.TemplateResponse(request, "builder_list.html", ctx, status_code=422 if error else 200)


@router.get("/surveys/new", response_model=None)
def new_survey(
    request: Request,
    runtime: RuntimeDep,
    key: Annotated[str, Query()] = "",
    name: Annotated[str, Query()] = "",
    template: Annotated[str, Query()] = "",
) -> Response:
    """A draft from a template or blank, not stored until it is published."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    key = key.strip()
    problem = None
    if not KEY.match(key) or key in BUILDER_RESERVED:
        problem = "A key is 1-100 lowercase letters, digits, '-' or '_' (not 'new', 'templates' or 'lint')."
    elif _history(runtime, principal.workspace_id, key)[0] is not None:
        problem = f"There is already a survey {key!r}; open it from the list."
    elif template and template not in TEMPLATES:
        problem = f"There is no template {template!r}."
    if problem:
        return survey_list(request, runtime, error=problem)
    found = TEMPLATES.get(template)
    draft = found.definition.model_dump(mode="json", exclude_none=True) if found else dict(BLANK)
    draft.setdefault("questions", [])
    label = name.strip() or (found.name if found else key)
    return _editor(request, principal, key, label, draft, is_new=True)


@router.get("/surveys/{key}", response_model=None)
def edit_survey(request: Request, key: str, runtime: RuntimeDep, published: int | None = None) -> Response:
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    name, history = _history(runtime, principal.workspace_id, key)
    if name is None:
        return survey_list(request, runtime, error=f"There is no survey {key!r}.")
    draft = dict(history[0]["definition"])
    notice = f"Published version {published}." if published else None
    return _editor(request, principal, key, name, draft, is_new=False, history=history, notice=notice)


@router.post("/surveys/{key}/editor", response_model=None)
async def edit_draft(request: Request, key: str, runtime: RuntimeDep) -> Response:
    """Apply one structural edit to the posted draft and answer with the editor (the whole page without HTMX)."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    form = await _form(request)
    draft = bf.apply_action(bf.draft_from_form(form), bf._one(form, "action"), bf._one(form, "add_kind"))
    is_new = bf._one(form, "new") == "1"
    history = [] if is_new else _history(runtime, principal.workspace_id, key)[1]
    fragment = request.headers.get("hx-request") == "true"
    name = bf._one(form, "name") or key
    return _editor(request, principal, key, name, draft, is_new=is_new, history=history, fragment=fragment)


@router.post("/surveys/{key}/publish", response_model=None)
async def publish(request: Request, key: str, runtime: RuntimeDep) -> Response:
    """Validate the draft and store it as the survey's next version; problems are listed on the page (422)."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    form = await _form(request)
    draft = bf.draft_from_form(form)
    name = bf._one(form, "name").strip() or key
    is_new = bf._one(form, "new") == "1"
    known, history = _history(runtime, principal.workspace_id, key)
    errors: list[str] = []
    if not KEY.match(key) or key in BUILDER_RESERVED:
        errors.append("This key cannot be used; start again from the survey list.")
    elif is_new and known is not None:
        errors.append(f"There is already a survey {key!r}; publishing would add a version to it.")
    try:
        principal.require(Role.analyst)
        definition = parse_definition(bf.clean(draft))
    except SuaraError as exc:
        errors += [_where(e, draft) for e in exc.errors] or [exc.detail]
    if errors:
        return _editor(request, principal, key, name, draft, is_new=is_new, history=history, errors=errors, status=422)
    with runtime.app.session() as s:
        _, version = WorkspaceRepo(s, principal.workspace_id).save_survey(
            key, name, definition.model_dump(mode="json", exclude_none=True)
        )
        number = version.version
    return RedirectResponse(f"/surveys/{key}?published={number}", status_code=303)


def _where(error: dict[str, Any], draft: dict[str, Any]) -> str:
    """A validation error in words: 'Question 2 (reason), text: ...'."""
    loc = [x for x in error.get("loc", []) if x != "definition"]
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        qs = draft["questions"]
        qid = qs[loc[1]]["id"] if loc[1] < len(qs) else "?"
        rest = ", ".join(str(x) for x in loc[2:])
        return f"Question {loc[1] + 1} ({qid}){', ' + rest if rest else ''}: {error['message']}"
    return f"{'/'.join(str(x) for x in loc) or 'Survey'}: {error['message']}"


@router.post("/surveys/lint-text", response_model=None)
async def lint_field(request: Request) -> Response:
    """The linter's findings for one text as it is typed (the posted form holds `field`, `locale` and the text)."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    form = await _form(request)
    locale = bf._one(form, "locale", "en")
    text = bf._one(form, bf._one(form, "field")).strip()
    findings = lint_text(text, locale if locale in bf.LOCALES else "en") if text else []
    return templates.TemplateResponse(request, "builder_lint.html", {"findings": findings})


@router.post("/surveys/{key}/preview", response_model=None)
async def preview(request: Request, key: str) -> Response:
    """The hosted page as a customer would see the draft, in the chosen locale, inside a sandboxed frame."""
    principal = _principal(request)
    if isinstance(principal, Response):
        return principal
    form = await _form(request)
    draft = bf.draft_from_form(form)
    try:
        definition = parse_definition(bf.clean(draft))
    except SuaraError as exc:
        first = _where(exc.errors[0], draft) if exc.errors else exc.detail
        return HTMLResponse(f'<p class="builder-note" role="status">Preview waits for a valid draft. {_esc(first)}</p>')
    survey = render(definition, bf._one(form, "preview_locale") or None)
    ctx = {
        "lang": survey.locale,
        "words": phrases(survey.locale)[1],
        "survey": survey,
        "values": {},
        "visible": set(visible_questions(definition, {})),
        "errors": {},
        "notice": None,
        "action": "#",
    }
    page = bytes(templates.TemplateResponse(request, "hosted.html", ctx).body).decode()
    return templates.TemplateResponse(request, "builder_preview.html", {"page": page, "locale": survey.locale})


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
