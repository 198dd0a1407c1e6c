"""Refuse NUL characters (U+0000) at the door: no store keeps them faithfully (PostgreSQL text refuses them, DuckDB
stops comparing strings at them), so a request carrying one gets a clear 422 instead of a failure deep inside.

Checked: the query string, and JSON or form bodies (binary uploads pass untouched). The body is read once here and
handed on as it came, so the endpoint sees the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

from suara.errors import ValidationFailed
from suara.web.problems import problem_response

# An escaped NUL in JSON: \u0000 after an even number of backslashes (an odd number would make it literal text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_CHECKED = (b"application/json", b"application/problem+json", b"application/x-www-form-urlencoded", b"text/plain")

Scope = dict[str, Any]


def _has_nul(content_type: bytes, body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if b"json" in content_type or content_type.startswith(b"text/plain"):
        return _JSON_NUL.search(body) is not None
    return b"%00" in body  # a form body


class RefuseNul:
    """ASGI middleware: 422 problem+json for a NUL in the query string or in a JSON/form body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await self._refuse(scope, receive, send, "the query string")
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] not in ("POST", "PUT", "PATCH") or not content_type.startswith(_CHECKED):
            await self.app(scope, receive, send)
            return
        messages = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if _has_nul(content_type, body):
            await self._refuse(scope, receive, send, "the request body")
            return
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Any:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Any, send: Any, where: str) -> None:
        error = ValidationFailed(
            f"{where} holds a NUL character (U+0000), which suara does not store; remove it and send again",
            errors=[{"loc": [], "pointer": "/", "message": "NUL character (U+0000)"}],
        )
        await problem_response(error.to_problem(scope.get("path")))(scope, receive, send)
