from __future__ import annotations

import pytest

from tests.conftest import need_service
from tests.parity import ENGINES, spark_available
from tests.web.conftest import acme, client, globex  # noqa: F401  (the API tests use the web fixtures)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Run a rule test once per warehouse engine."""
    if request.param == "spark":
        need_service(spark_available(), "Java and PySpark")
    return str(request.param)
