from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from suara.settings import Settings
from suara.web.app import create_app
from tests.conftest import Tenant


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def acme(client: TestClient) -> Tenant:
    return Tenant(client.app.state.runtime, "acme")  # type: ignore[attr-defined]


@pytest.fixture
def globex(client: TestClient) -> Tenant:
    return Tenant(client.app.state.runtime, "globex")  # type: ignore[attr-defined]
