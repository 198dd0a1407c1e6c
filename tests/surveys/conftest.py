from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suara.settings import Settings
from suara.web.app import create_app
from tests.conftest import Tenant


def question(qid: str, kind: str, en: str = "Question?", **extra: Any) -> dict[str, Any]:
    """A question document: `question("nps", "nps", required=True)`."""
    return {"id": qid, "kind": kind, "text": {"en": en}, **extra}


def nps_survey(**extra: Any) -> dict[str, Any]:
    """NPS with a reason asked of detractors (0-6) only, in English and Indonesian."""
    return {
        "locales": ["en", "id"],
        "questions": [
            {
                "id": "nps",
                "kind": "nps",
                "required": True,
                "text": {"en": "How likely are you to recommend us?", "id": "Seberapa besar kemungkinan Anda?"},
            },
            {
                "id": "reason",
                "kind": "open_text",
                "show_if": {"question": "nps", "op": "lte", "value": 6},
                "text": {"en": "What is the main reason?", "id": "Apa alasan utamanya?"},
            },
        ],
        **extra,
    }


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def acme(client: TestClient) -> Tenant:
    return Tenant(client.app.state.runtime, "acme")  # type: ignore[attr-defined]
