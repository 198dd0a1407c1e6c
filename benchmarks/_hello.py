"""The anchor of benchmarks/ingest.py: a bare ASGI app that reads and parses the JSON body and answers 201.

No validation, no storage, no framework: served by uvicorn with uvloop and httptools like suara, it shows the
ceiling of the HTTP stack on this machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

Message = MutableMapping[str, Any]


async def app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    assert scope["type"] == "http"
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    doc = orjson.loads(body)
    items = doc["batch"] if isinstance(doc, dict) and isinstance(doc.get("batch"), list) else [doc]
    payload = orjson.dumps({"accepted": len(items), "duplicates": 0})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _fastapi() -> FastAPI:
    """The same endpoint on FastAPI (one async route, no dependencies, no middleware): the framework's ceiling."""
    api = FastAPI()

    async def hello(request: Request) -> Response:
        doc = orjson.loads(await request.body())
        items = doc["batch"] if isinstance(doc, dict) and isinstance(doc.get("batch"), list) else [doc]
        return Response(orjson.dumps({"accepted": len(items), "duplicates": 0}), 201, media_type="application/json")

    for path in ("/api/v1/responses", "/api/v1/events/batch"):
        api.add_api_route(path, hello, methods=["POST"])
    return api


fastapi_app = _fastapi()
