"""The unsubscribe page `/u/<token>`: one button, and a POST that mail clients send for `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` (RFC 8058). A GET never unsubscribes: mail scanners open every link."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from suara.outreach.suppression import BadUnsubscribe, read_unsubscribe, suppress
from suara.surveys.rendering import locale_chain
from suara.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Unsubscribe",
        "ask": "Stop receiving surveys and messages from us?",
        "button": "Unsubscribe",
        "done": "You are unsubscribed. We will not contact you again.",
        "invalid": "This unsubscribe link is incomplete or was changed.",
    },
    "id": {
        "title": "Berhenti berlangganan",
        "ask": "Berhenti menerima survei dan pesan dari kami?",
        "button": "Berhenti berlangganan",
        "done": "Anda telah berhenti berlangganan. Kami tidak akan menghubungi Anda lagi.",
        "invalid": "Tautan berhenti berlangganan ini tidak lengkap atau telah diubah.",
    },
    "ms": {
        "title": "Nyahlanggan",
        "ask": "Berhenti menerima tinjauan dan mesej daripada kami?",
        "button": "Nyahlanggan",
        "done": "Anda telah dinyahlanggan. Kami tidak akan menghubungi anda lagi.",
        "invalid": "Pautan nyahlanggan ini tidak lengkap atau telah diubah.",
    },
    "ru": {
        "title": "Отписаться",
        "ask": "Больше не получать от нас опросы и сообщения?",
        "button": "Отписаться",
        "done": "Вы отписались. Мы больше не будем вам писать.",
        "invalid": "Ссылка для отписки неполная или была изменена.",
    },
}


def _words(request: Request) -> tuple[str, dict[str, str]]:
    wanted = request.query_params.get("lang") or request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    for locale in locale_chain(wanted.strip() or "en", "en"):
        if locale in WORDS:
            return locale, WORDS[locale]
    return "en", WORDS["en"]


def _page(request: Request, *, done: bool = False, status: int = 200, invalid: bool = False) -> Response:
    lang, words = _words(request)
    if invalid:
        words = {**words, "done": words["invalid"]}
    ctx = {"lang": lang, "words": words, "done": done or invalid, "action": request.url.path}
    return templates.TemplateResponse(request, "unsubscribe.html", ctx, status_code=status)


@router.get("/u/{token}", response_model=None)
def unsubscribe_page(request: Request, token: str, runtime: RuntimeDep) -> Response:
    try:
        read_unsubscribe(runtime.settings.resolved_secret(), token)
    except BadUnsubscribe:
        return _page(request, status=404, invalid=True)
    return _page(request)


@router.post("/u/{token}", response_model=None)
def unsubscribe(request: Request, token: str, runtime: RuntimeDep) -> Response:
    """Suppress the customer (and the address the message went to); repeating it changes nothing."""
    try:
        link = read_unsubscribe(runtime.settings.resolved_secret(), token)
    except BadUnsubscribe:
        return _page(request, status=404, invalid=True)
    with runtime.app.session() as s:
        for value in {link.customer_id, link.target} - {""}:
            suppress(s, link.workspace_id, value, "unsubscribed by link")
    return _page(request, done=True)
