"""Survey channels over HTTP: provider delivery receipts (signed callbacks) and the web widget's endpoints.

The widget runs on customers' own sites, so its endpoints answer cross-origin requests (CORS) and take a publishable
key (`X-Suara-Key`), never an API key. The receipt callback takes no key either: its HMAC signature is the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from suara.channels.provider import ProviderSettings
from suara.channels.receipts import PROVIDER_STATUS, record_receipt, sent_receipt
from suara.channels.tables import DeliveryReceipt
from suara.channels.widget import (
    WidgetDisplay,
    WidgetResponse,
    create_widget_key,
    display_document,
    response_document,
    revoke_widget_key,
    widget_key,
    widget_survey,
)
from suara.channels.widget_funnel import WidgetFunnel, widget_funnel
from suara.domain.records import as_utc_naive
from suara.errors import BadRequest, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed, pydantic_errors
from suara.notify.signing import SIGNATURE_HEADER, verify_signature
from suara.store.app import Role, Workspace, WorkspaceRepo
from suara.web.api._ingest import BatchAccepted, accepted
from suara.web.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["channels"])

KeyHeader = Annotated[str | None, Header(alias="X-Suara-Key", description="The widget's publishable key.")]
SurveyKey = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
_CORS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Suara-Key",
    "Access-Control-Max-Age": "600",
}


# -- delivery receipts ------------------------------------------------------------------------------------------
class ProviderReceipt(BaseModel):
    """A provider's status callback. `id` is its message id; `reference` our delivery id, when it echoes one."""

    id: str | None = Field(None, max_length=200)
    reference: str | None = Field(None, max_length=64)
    status: str = Field(min_length=1, max_length=40, description="sent, delivered, read, failed, undelivered, ...")
    at: datetime | None = None


class ReceiptRecorded(BaseModel):
    message_id: int
    delivery_id: str
    status: str


def _find_sent(session: Any, channel: str, receipt: ProviderReceipt) -> DeliveryReceipt:
    from sqlalchemy import select

    found = sent_receipt(session, channel, receipt.id) if receipt.id else None
    if found is None and receipt.reference:
        found = session.scalar(
            select(DeliveryReceipt).where(
                DeliveryReceipt.channel == channel,
                DeliveryReceipt.delivery_id == receipt.reference,
                DeliveryReceipt.status == "sent",
            )
        )
    if found is None:
        raise NotFound(f"no {channel} message sent with id {receipt.id!r} or reference {receipt.reference!r}")
    return found


@router.post("/channels/{channel}/receipts", response_model=ReceiptRecorded)
async def provider_receipt(
    channel: Literal["sms", "whatsapp"], request: Request, runtime: RuntimeDep
) -> ReceiptRecorded:
    """A provider reports what became of a message. Signed like suara's webhooks: `Suara-Signature: t=<unix
    seconds>,v1=<hex HMAC-SHA256 of "<t>." + raw body>` with the channel's callback secret."""
    secret = ProviderSettings.for_channel(channel).callback_secret
    if not secret:
        raise NotFound(f"{channel} delivery receipts are off: set SUARA_{channel.upper()}_CALLBACK_SECRET")
    body = await request.body()
    if not verify_signature(secret, request.headers.get(SIGNATURE_HEADER), body):
        raise NotAuthenticated(f"the {SIGNATURE_HEADER} header is missing, stale or does not sign this body")
    try:
        receipt = ProviderReceipt.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    except ValidationError as exc:
        raise ValidationFailed("the receipt is invalid", errors=pydantic_errors(exc)) from None
    status = PROVIDER_STATUS.get(receipt.status.lower())
    if status is None:
        loc = ["status"]
        message = f"unknown status {receipt.status!r}; use one of {sorted(PROVIDER_STATUS)}"
        raise ValidationFailed(message, errors=[{"loc": loc, "pointer": "/status", "message": message}])

    def record() -> ReceiptRecorded:
        with runtime.app.session() as s:
            sent = _find_sent(s, channel, receipt)
            record_receipt(
                s,
                workspace_id=sent.workspace_id,
                message_id=sent.message_id,
                delivery_id=sent.delivery_id,
                channel=channel,
                status=status,
                provider_id=sent.provider_id,
                at=receipt.at.replace(tzinfo=None) if receipt.at else None,
            )
            return ReceiptRecorded(message_id=sent.message_id, delivery_id=sent.delivery_id, status=status)

    return await run_in_threadpool(record)


# -- widget keys --------------------------------------------------------------------------------------------------
class WidgetKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    surveys: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100)]] = Field(
        default_factory=list, max_length=100, description="Survey keys it may show; empty: every survey."
    )
    origins: list[Annotated[str, Field(pattern=r"^https?://[^/\s]+$", max_length=200)]] = Field(
        default_factory=list, max_length=50, description='Sites it may run on, e.g. "https://shop.example"; empty: any.'
    )


class WidgetKeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    surveys: list[str]
    origins: list[str]
    revoked: bool


class WidgetKeyCreated(WidgetKeyPublic):
    key: str = Field(description="The publishable key, shown once: put it in the widget's data-key attribute.")


@router.post("/widget/keys", response_model=WidgetKeyCreated, status_code=201)
def create_key(body: WidgetKeyCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> WidgetKeyCreated:
    """A publishable key for the web widget: it reads the named surveys and adds responses to them, nothing else."""
    principal.require(Role.admin)
    with runtime.app.session() as s:
        row, key = create_widget_key(s, principal.workspace_id, body.name, body.surveys, body.origins)
        return WidgetKeyCreated(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            surveys=row.surveys,
            origins=row.origins,
            revoked=False,
            key=key,
        )


@router.delete("/widget/keys/{key_id}", response_model=WidgetKeyPublic)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: CurrentPrincipal, runtime: RuntimeDep
) -> WidgetKeyPublic:
    """Revoke a publishable key: pages that carry it stop working within a request."""
    principal.require(Role.admin)
    with runtime.app.session() as s:
        row = revoke_widget_key(s, principal.workspace_id, key_id)
        return WidgetKeyPublic(
            id=row.id, name=row.name, prefix=row.prefix, surveys=row.surveys, origins=row.origins, revoked=True
        )


# -- the widget ---------------------------------------------------------------------------------------------------
def _allow_origin(request: Request, response: Response) -> None:
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("origin") or "*"
    response.headers["Vary"] = "Origin"


class _CorsRoute(APIRoute):
    """Errors carry the CORS header too, so the widget can read a 4xx (and drop the answer) instead of seeing a
    network failure (and retrying it forever)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                render = next(
                    (
                        request.app.exception_handlers[t]
                        for t in type(exc).__mro__
                        if t in request.app.exception_handlers
                    ),
                    None,
                )
                if render is None:
                    raise
                response = await render(request, exc)
            _allow_origin(request, response)
            return response

        return with_cors


widget = APIRouter(route_class=_CorsRoute)


@widget.options("/widget/surveys/{survey_key}", include_in_schema=False)
@widget.options("/widget/responses", include_in_schema=False)
@widget.options("/widget/displays", include_in_schema=False)
def widget_preflight(request: Request) -> Response:
    """CORS preflight: any site may ask; each request is then checked against its key's origins."""
    response = Response(status_code=204, headers=_CORS)
    _allow_origin(request, response)
    return response


class WidgetSurvey(BaseModel):
    survey_id: str
    version: int
    survey: dict[str, Any] = Field(description="The survey rendered in the asked locale (with fallback).")


@widget.get("/widget/surveys/{survey_key}", response_model=WidgetSurvey)
def get_widget_survey(
    survey_key: SurveyKey,
    request: Request,
    runtime: RuntimeDep,
    x_suara_key: KeyHeader = None,
    locale: Annotated[str | None, Query(max_length=35, description="The visitor's language, e.g. id-ID.")] = None,
    workspace: Annotated[
        str | None, Query(max_length=80, description="The page's workspace slug, if it names one.")
    ] = None,
) -> WidgetSurvey:
    """The latest version of a survey, rendered for the visitor's locale, for a publishable key."""
    with runtime.app.session() as s:
        key = widget_key(s, x_suara_key, request.headers.get("origin"))
        ws = s.get(Workspace, key.workspace_id)
        if workspace is not None and (ws is None or ws.slug != workspace):
            raise PermissionDenied(f"this widget key belongs to another workspace than {workspace!r}")
        return WidgetSurvey(**widget_survey(s, key, survey_key, locale))


@widget.post("/widget/responses", response_model=BatchAccepted, status_code=201)
async def create_widget_response(
    body: WidgetResponse, request: Request, response: Response, runtime: RuntimeDep, x_suara_key: KeyHeader = None
) -> BatchAccepted:
    """Store one widget response through the ingestion path (channel "widget"). 201 when written; 200 when the
    same `response_id` was stored before, so a page that retries never stores an answer twice."""

    def build() -> tuple[str, dict[str, Any]]:
        with runtime.app.session() as s:
            key = widget_key(s, x_suara_key, request.headers.get("origin"))
            return key.workspace_id, response_document(s, key, body)

    workspace_id, document = await run_in_threadpool(build)
    result = await runtime.ingestor.ingest_async("responses", workspace_id, [document], location="body")
    if result.accepted == 0:
        response.status_code = 200
    return accepted(result)


@widget.post("/widget/displays", response_model=BatchAccepted, status_code=201)
async def create_widget_display(
    body: WidgetDisplay, request: Request, response: Response, runtime: RuntimeDep, x_suara_key: KeyHeader = None
) -> BatchAccepted:
    """Record that the widget showed a survey (`shown`) or that the visitor closed it before the end (`dismissed`),
    as a warehouse event (`survey shown`, `survey dismissed`; the survey key in `properties.survey`) through the
    events ingestion path. 201 when written; 200 when this display's event was stored before."""

    def build() -> tuple[str, dict[str, Any]]:
        with runtime.app.session() as s:
            key = widget_key(s, x_suara_key, request.headers.get("origin"))
            return key.workspace_id, display_document(s, key, body)

    workspace_id, document = await run_in_threadpool(build)
    result = await runtime.ingestor.ingest_async("events", workspace_id, [document], location="body")
    if result.accepted == 0:
        response.status_code = 200
    return accepted(result)


router.include_router(widget)


def _naive(at: datetime | None) -> datetime | None:
    return None if at is None else as_utc_naive(at)


@router.get("/widget/funnel", response_model=list[WidgetFunnel])
def get_widget_funnel(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    survey: Annotated[
        str | None, Query(max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="A survey key; default: all.")
    ] = None,
    start: Annotated[datetime | None, Query(description="From this instant (inclusive).")] = None,
    end: Annotated[datetime | None, Query(description="Until this instant (exclusive).")] = None,
) -> list[WidgetFunnel]:
    """Widget displays per survey: shown, started (partial or completed), completed, partial, dismissed, and the
    response rate (completed / shown) with its Wilson 95 % interval."""
    start, end = _naive(start), _naive(end)
    if start is not None and end is not None and end <= start:
        message = "`end` must be after `start`"
        raise ValidationFailed(message, errors=[{"loc": ["query", "end"], "pointer": "/end", "message": message}])
    if survey is not None:
        with runtime.app.session() as s:
            if WorkspaceRepo(s, principal.workspace_id).survey(survey) is None:
                raise NotFound(f"no survey {survey!r} in this workspace")
    return widget_funnel(runtime.warehouse, principal.workspace_id, survey, start, end)
