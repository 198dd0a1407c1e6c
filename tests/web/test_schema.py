"""Property-based tests of the whole API from its OpenAPI schema: no input makes it fail or answer off-schema."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from suara.runtime import Runtime
from suara.settings import Settings
from suara.web.app import create_app
from tests.conftest import Tenant

_DIR = Path(tempfile.mkdtemp(prefix="suara-schema-"))
_RUNTIME = Runtime.open(Settings(data_dir=_DIR))
_TENANT = Tenant(_RUNTIME, "fuzz")
APP = create_app(runtime=_RUNTIME)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any) -> None:
    response = case.call(headers=_TENANT.headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")
    case.validate_response(
        response,
        excluded_checks=[
            schemathesis.checks.negative_data_rejection,
            schemathesis.checks.positive_data_acceptance,
            schemathesis.checks.missing_required_header,
            schemathesis.checks.unsupported_method,
            schemathesis.checks.ignored_auth,
        ],
    )
