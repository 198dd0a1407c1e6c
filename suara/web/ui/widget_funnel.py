"""The widget funnel page (`/surveys/widget/funnel`): per survey, the displays shown, started, completed, partial and
dismissed, with the response rate and its Wilson 95 % interval; the same numbers as `GET /api/v1/widget/funnel`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from suara.channels.widget_funnel import widget_funnel
from suara.web.deps import RuntimeDep
from suara.web.ui.pages import session_principal, templates

router = APIRouter(include_in_schema=False)


@router.get("/surveys/widget/funnel", response_model=None)
def widget_funnel_page(request: Request, runtime: RuntimeDep) -> Response:
    principal = session_principal(request)
    if principal is None:
        return RedirectResponse("/login?next=/surveys/widget/funnel", status_code=303)
    rows = widget_funnel(runtime.warehouse, principal.workspace_id)
    return templates.TemplateResponse(request, "widget_funnel.html", {"principal": principal, "funnels": rows})
