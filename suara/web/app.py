"""create_app(settings): the API under /api/v1, the dashboard pages and static files."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from suara import __version__
from suara.background import Background
from suara.domain.records import EventIn, FeedbackIn, OrderIn, ResponseIn, TicketIn
from suara.runtime import Runtime
from suara.settings import Settings
from suara.web import problems
from suara.web.api import alerts, events, feedback, metrics, orders, outbox, responses, segments, surveys, tickets
from suara.web.api import cases as cases_api
from suara.web.api import channels as channels_api
from suara.web.api import journeys as journeys_api
from suara.web.api import outreach as outreach_api
from suara.web.nul import RefuseNul

STATIC = Path(__file__).parent / "ui" / "static"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. Pass a `runtime` to share open stores (tests, demo); otherwise one is opened at start-up."""
    settings = settings or (runtime.settings if runtime else Settings())
    owned = runtime is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.runtime is None:
            app.state.runtime = Runtime.open(settings)
        # Everything imported and opened so far lives as long as the process: keep it out of the cyclic GC, whose
        # full collections otherwise walk ibis', sqlglot's and pandas' objects (~150 ms pauses under load).
        gc.collect()
        gc.freeze()
        background = None
        if owned and settings.background_interval_s > 0:  # tests that share a runtime drive the jobs themselves
            background = Background(app.state.runtime, settings.background_interval_s).start()
        yield
        if background is not None:
            background.stop()
        if owned:
            app.state.runtime.close()
            app.state.runtime = None

    app = FastAPI(
        title="suara",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        description="Collect, measure, explain and act on customer experience.",
    )
    app.state.runtime = runtime
    app.state.key_cache = {}
    problems.install(app)

    api = APIRouter(prefix="/api/v1", responses=problems.RESPONSES)
    for module in (responses, events, feedback, orders, metrics, segments, surveys, tickets):
        api.include_router(module.router)
    api.include_router(outbox.router)
    api.include_router(alerts.router)
    api.include_router(journeys_api.router)
    from suara.web.api.churn import router as churn_router

    api.include_router(churn_router)  # /api/v1/models/churn: churn risk and its backtest
    api.include_router(channels_api.router)
    api.include_router(outreach_api.router)
    api.include_router(cases_api.router)
    from suara.web.api.text import router as text_router

    api.include_router(text_router)  # /api/v1/text: themes, verbatims, heatmap
    from suara.web.api.settings import router as settings_api_router

    api.include_router(settings_api_router)  # /api/v1/teams, /sla-targets, GET /widget/keys
    app.include_router(api)

    from suara.web.ui import hosted, pages, unsubscribe
    from suara.web.ui import journeys as journeys_pages

    app.include_router(pages.router)
    from suara.web.ui.builder import router as builder_router

    app.include_router(builder_router)  # /surveys: the survey builder
    app.include_router(hosted.router)
    app.include_router(journeys_pages.router)
    app.include_router(unsubscribe.router)
    from suara.web.ui.cases import router as cases_router

    app.include_router(cases_router)  # /cases, /cases/{id}, /alerts
    from suara.web.ui.insights import router as insights_router

    app.include_router(insights_router)  # /insights
    from suara.web.ui.outreach import router as outreach_router

    app.include_router(outreach_router)  # /outreach: rules, policy, decision log, suppressions, funnels
    from suara.web.ui.settings import router as settings_router

    app.include_router(settings_router)  # /settings: teams, SLA targets, widget keys
    from suara.web.ui.widget_funnel import router as widget_funnel_router

    app.include_router(widget_funnel_router)  # /surveys/widget/funnel
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(RefuseNul)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret(),
        session_cookie="suara_session",
        same_site="lax",
        https_only=False,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema plus the record models that write endpoints validate themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ResponseIn, EventIn, FeedbackIn, OrderIn, TicketIn):
        js = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        components.update(js.pop("$defs", {}))
        components[model.__name__] = js
    schema["components"]["securitySchemes"] = {"ApiKey": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"ApiKey": []}]
    app.openapi_schema = schema
    return schema
